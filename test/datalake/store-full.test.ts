/**
 * A store write that fails mid-upload (ENOSPC on the embedded store's file, injected as test/objectstore/fs.test.ts
 * does at store level) over the wire: through the gateway and through a signed URL the answer is a 500 in the
 * route's error shape (the data lake's `errors` JSON, the S3 XML of signed URLs; the error catalogue has no 507),
 * without internals; no object is visible, no temporary file is left, and the next upload to the same path works.
 * The write fails once part of the body is on disk, with the rest of the body still unsent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { DL, dl, pattern, putObject, rawRequest, sha256, signedUrl } from './helpers.js';

const MB = 1024 * 1024;

type WriteProto = { write: (...a: unknown[]) => Promise<unknown> };

/** Makes the `nth` file write of at least 1 MB from now fail as a full disk would; `failed` settles once it has. */
function failBigWrite(proto: WriteProto, nth: number): { failed: Promise<void>; restore: () => void } {
  let reached!: () => void;
  const failed = new Promise<void>((r) => { reached = r; });
  const original = proto.write;
  let big = 0;
  proto.write = function (this: unknown, ...a: unknown[]) {
    const len = typeof a[2] === 'number' ? a[2] : (a[0] as Uint8Array).length;
    if (len >= MB && ++big === nth) {
      reached();
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
    }
    return original.apply(this, a);
  };
  return { failed, restore: () => { proto.write = original; } };
}

describe('a store write failing mid-upload (disk full)', () => {
  let s: TestServer;
  let fileHandle: WriteProto; // FileHandle.prototype, which node:fs does not export
  before(async () => {
    s = await startServer();
    const probe = await fs.promises.open(path.join(s.config.dataDir, 'probe'), 'w');
    fileHandle = Object.getPrototypeOf(probe) as WriteProto;
    await probe.close();
  });
  after(() => s.close());

  for (const route of ['gateway', 'signed URL'] as const) {
    it(`${route}: a 500 in the route's error shape, nothing visible, no temporary file, the next upload works`, async () => {
      const target = `full/${route.replace(' ', '-')}.bin`;
      const url = route === 'gateway' ? `${s.url}${DL}/objects/${target}` : await signedUrl(s, 'Upload', target);
      const headers = { 'content-type': 'application/octet-stream', ...(route === 'gateway' ? { authorization: `Bearer ${await s.token()}` } : {}) };
      const data = pattern(8 * MB, 5);
      const fault = failBigWrite(fileHandle, 2);
      let res;
      try {
        res = await rawRequest(url, { method: 'PUT', headers: { ...headers, 'content-length': data.length } }, (req) => {
          req.write(data.subarray(0, 3 * MB));
          void fault.failed.then(() => req.end(data.subarray(3 * MB)));
        });
      } finally {
        fault.restore();
      }
      assert.ok('status' in res, `the server answered (${'error' in res ? res.error : ''})`);
      assert.equal(res.status, 500, res.body);
      assert.doesNotMatch(res.body, /ENOSPC|no space|at .*\.js/, 'no internals in the answer');
      if (route === 'gateway') {
        const body = JSON.parse(res.body) as { errors?: Array<{ code: string; message: string; logref?: string }> };
        assert.equal(body.errors?.[0]?.code, 'mdsp.core.generic.internalServerError', res.body);
        assert.ok(body.errors[0]!.message && body.errors[0]!.logref, `the error shape: ${res.body}`);
      } else {
        assert.match(res.body, /^<\?xml[^>]*>\s*<Error>\s*<Code>InternalError<\/Code>\s*<Message>[^<]+<\/Message>/, res.body);
      }
      assert.equal((await dl(s, 'GET', `/objectMetadata/${target}`)).status, 404, 'nothing visible');
      assert.deepEqual(fs.readdirSync(path.join(s.config.dataDir, 'objects', 'tmp')), [], 'no temporary file left');

      const next = route === 'gateway' ? await putObject(s, target, data)
        : await fetch(url, { method: 'PUT', body: data, headers }).then(async (r) => ({ status: r.status, text: await r.text() }));
      assert.equal(next.status, 200, next.text);
      const meta = await dl(s, 'GET', `/objectMetadata/${target}`);
      assert.deepEqual([meta.body.size, meta.body.sha256], [data.length, sha256(data)], 'the next upload is whole');
    });
  }
});
