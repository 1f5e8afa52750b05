/**
 * A fresh server's first large upload stays within the memory bound: for each route (a gateway multipart
 * upload of 100 MB parts, and one PUT to a signed URL) a new `ironbridge serve` child takes 256 MB streamed from a
 * generator, and its peak resident memory (read from /proc, as in streaming.test.ts) grows by less than 64 MB from
 * the moment it is ready. The window starts before the hash workers do (they start shortly after the store opens),
 * so their start, the first token and the heap reaching its working size all count. A server that buffered an
 * upload, or even one 100 MB part, would grow by more than the bound (helpers/memory.ts says why the two are apart).
 * On Node 24 the bound holds through collection pacing (src/objectstore/pacing.ts; without it 85-95 MB).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { MB, peakMeter, putStream } from '../helpers/memory.js';
import { fetchToken, runCli, spawnServer, tempDir } from '../helpers/server.js';

const SIZE = 256 * MB;
const PART = 100 * MB;
const BOUND = 64 * MB;
const threads = (pid: number) => fs.readdirSync(`/proc/${pid}/task`).length;

describe('a fresh server\'s first large upload', { skip: process.platform !== 'linux' }, () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  for (const route of ['gateway multipart', 'signed URL'] as const) {
    it(`${route}: ${SIZE / MB} MB grow the server's RSS by less than ${BOUND / MB} MB, hash workers' start included`, async (t) => {
      const dir = tempDir('ironbridge-first-upload-');
      dirs.push(dir);
      const data = path.join(dir, 'data');
      const server = await spawnServer(data);
      try {
        const pid = server.child.pid!;
        const meter = peakMeter(pid);
        meter.reset();
        const threadsAtReady = threads(pid);
        const made = await runCli(['keys', 'create', '--tenant', 'local', '--name', 'first', '--json', '--data-dir', data]);
        const auth = { authorization: `Bearer ${await fetchToken(server.url, JSON.parse(made.stdout) as { clientId: string; clientSecret: string })}` };
        const dl = `${server.url}/api/datalake/v3`;
        const call = async (method: string, p: string, body?: unknown) => {
          const res = await fetch(`${dl}${p}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            headers: { ...auth, 'content-type': 'application/json' } });
          const text = await res.text();
          assert.ok(res.status < 300, `${method} ${p}: ${res.status} ${text}`);
          return JSON.parse(text) as Record<string, unknown>;
        };
        if (route === 'signed URL') {
          const urls = await call('POST', '/generateUploadObjectUrls', { paths: [{ path: 'first/signed.bin' }] });
          const up = await putStream((urls['objectUrls'] as Array<{ signedUrl: string }>)[0]!.signedUrl, SIZE);
          assert.equal(up.status, 200);
          const meta = await call('GET', '/objectMetadata/first/signed.bin');
          assert.deepEqual([meta['size'], meta['sha256']], [SIZE, up.sha256], 'the object is whole');
        } else {
          const { uploadId } = await call('POST', '/multipart', { path: 'first/gateway.bin' }) as { uploadId: string };
          for (let off = 0, n = 1; off < SIZE; off += PART, n++) {
            const part = await putStream(`${dl}/multipart/${uploadId}/parts/${n}`, Math.min(PART, SIZE - off), auth);
            assert.equal(part.status, 200);
          }
          const done = await call('POST', `/multipart/${uploadId}/complete`, {});
          assert.equal(done['size'], SIZE, 'the object is whole');
        }
        const growth = meter.growth();
        const workersInWindow = threads(pid) - threadsAtReady;
        t.diagnostic(`RSS growth ${(growth / MB).toFixed(1)} MB on Node ${process.versions.node}`);
        assert.ok(growth < BOUND, `server RSS grew by ${(growth / MB).toFixed(1)} MB for its first ${SIZE / MB} MB upload `
          + `(${workersInWindow} threads started meanwhile)`);
      } finally {
        await server.stop();
      }
    });
  }
});
