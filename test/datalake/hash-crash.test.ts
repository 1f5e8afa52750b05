/**
 * A hash worker thread (src/objectstore/hashing.ts) that dies while an upload streams through it: the upload
 * answers a clean error in the data lake's error shape, leaves no object (neither in the index nor on disk, no
 * temporary file), and the next upload, to the same path, gets fresh workers and works with the right hashes.
 * The worker is stopped once the upload's first bytes reached it (its first acknowledgement), with most of the
 * body still unsent, so the failure is mid-stream whatever the machine's speed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPool } from '../../src/objectstore/hashing.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { DL, dl, pattern, putObject, rawRequest, sha256 } from './helpers.js';

const MB = 1024 * 1024;

describe('a hash worker dying mid-upload', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  for (const kind of ['gateway', 'multipart part'] as const) {
    it(`${kind}: a clean error, nothing visible, and the next upload works`, async () => {
      const target = `crash/${kind.replace(' ', '-')}.bin`;
      const warm = await putObject(s, 'crash/warm.bin', pattern(3 * MB, 2));
      assert.equal(warm.status, 200, warm.text); // the pool has its workers now
      let url = `${s.url}${DL}/objects/${target}`;
      if (kind === 'multipart part') {
        const started = await dl(s, 'POST', '/multipart', { path: target });
        assert.equal(started.status, 201, started.text);
        url = `${s.url}${DL}/multipart/${started.body.uploadId as string}/parts/1`;
      }
      const data = pattern(16 * MB, 3);
      let reached!: () => void;
      const firstAck = new Promise<void>((r) => { reached = r; });
      const workers = hashPool.workers();
      assert.ok(workers.length > 0);
      for (const w of workers) w.once('message', () => reached());
      const answer = rawRequest(url, { method: 'PUT', headers: { authorization: `Bearer ${await s.token()}`,
        'content-type': 'application/octet-stream', 'content-length': data.length } }, (req) => {
        req.write(data.subarray(0, 4 * MB));
        void firstAck.then(async () => {
          await Promise.all(workers.map((w) => w.terminate()));
          req.end(data.subarray(4 * MB));
        });
      });
      const res = await answer;
      assert.ok('status' in res, `the server answered (${'error' in res ? res.error : ''})`);
      assert.ok(res.status === 500 || res.status === 503, `${res.status} ${res.body}`);
      const body = JSON.parse(res.body) as { errors?: Array<{ code: string; message: string; logref?: string }> };
      assert.ok(body.errors?.[0]?.code && body.errors[0].message, `the error shape: ${res.body}`);
      assert.doesNotMatch(res.body, /hash worker|exited with code|at .*\.js/, 'no internals in the answer');
      if (kind === 'gateway') assert.equal((await dl(s, 'GET', `/objectMetadata/${target}`)).status, 404, 'nothing visible');
      else assert.deepEqual((await dl(s, 'GET', url.slice(url.indexOf(DL) + DL.length).replace(/\/parts\/1$/, ''))).body.parts, [], 'no part recorded');
      assert.deepEqual(fs.readdirSync(path.join(s.config.dataDir, 'objects', 'tmp')), [], 'no temporary file left');

      const next = kind === 'gateway' ? await putObject(s, target, data)
        : await s.api(url.slice(s.url.length), { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } })
          .then(async (r) => ({ status: r.status, text: await r.text() }));
      assert.equal(next.status, 200, next.text);
      assert.equal(JSON.parse(next.text).sha256, sha256(data), 'fresh workers hash right');
      assert.ok(hashPool.workers().every((w) => !workers.includes(w)), 'the dead workers were replaced');
    });
  }
});
