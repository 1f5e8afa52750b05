import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { DL, dl, FakeClock, pattern, putObject, sha256, signedUrl } from './helpers.js';

const MB = 1024 * 1024;

describe('data lake multipart uploads', () => {
  let s: TestServer;
  const clock = new FakeClock();
  before(async () => { s = await startServer({ datalakeMinPartBytes: MB }, { now: clock.now }); });
  after(() => s.close());

  const part = (id: string, n: number | string, data: Buffer) =>
    s.api(`${DL}/multipart/${id}/parts/${n}`, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });

  it('joins parts sent in any order, resendable, reports them for resuming, and keeps the path for itself meanwhile', async () => {
    const start = await dl(s, 'POST', '/multipart', { path: 'big/file.bin' });
    assert.equal(start.status, 201);
    const id = start.body.uploadId as string;
    assert.equal(start.body.timeout, new Date(clock.t + 24 * 3600_000).toISOString());
    const parts = [pattern(MB, 1), pattern(MB, 2), pattern(12345, 3)];
    assert.equal((await part(id, 3, parts[2]!)).status, 200);
    assert.equal((await part(id, 1, pattern(MB, 9))).status, 200);
    assert.equal((await part(id, 1, parts[0]!)).status, 200, 'a part may be sent again');
    assert.equal((await part(id, 2, parts[1]!)).status, 200);
    const status = await dl(s, 'GET', `/multipart/${id}`);
    assert.deepEqual(status.body.parts.map((p: { partNumber: number; size: number }) => [p.partNumber, p.size]), [[1, MB], [2, MB], [3, 12345]]);

    // While the upload is open: no other upload of the path, no metadata change, no delete.
    assert.equal((await dl(s, 'POST', '/multipart', { path: 'big/file.bin' })).status, 409);
    assert.equal((await putObject(s, 'big/file.bin', 'direct')).status, 409);
    assert.equal((await fetch(await signedUrl(s, 'Upload', 'big/file.bin'), { method: 'PUT', body: 'signed' })).status, 409);
    assert.equal((await dl(s, 'DELETE', '/objects/big/file.bin')).status, 409);
    assert.equal((await dl(s, 'GET', '/objectMetadata/big/file.bin')).status, 404, 'nothing visible before completion');

    const done = await dl(s, 'POST', `/multipart/${id}/complete`, {});
    assert.equal(done.status, 200, done.text);
    const whole = Buffer.concat(parts);
    assert.equal(done.body.size, whole.length);
    assert.equal(done.body.sha256, sha256(whole));
    const got = await s.api(`${DL}/objects/big/file.bin`);
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(whole));
    assert.equal((await dl(s, 'GET', `/multipart/${id}`)).status, 404, 'a completed upload is gone');
    assert.equal((await putObject(s, 'big/other.bin', 'free again')).status, 200);
  });

  it('completes with the parts a client lists, checking their tags and the smallest part size', async () => {
    const id = (await dl(s, 'POST', '/multipart', { path: 'big/listed.bin' })).body.uploadId as string;
    const p1 = await (await part(id, 1, pattern(MB, 4))).json() as { etag: string };
    await part(id, 2, pattern(100, 5));
    await part(id, 3, pattern(100, 6));
    const wrong = await dl(s, 'POST', `/multipart/${id}/complete`, { parts: [{ partNumber: 1, etag: 'beef' }] });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.errors[0].message, /etag beef is not that of part 1/);
    const small = await dl(s, 'POST', `/multipart/${id}/complete`, {});
    assert.equal(small.status, 400);
    assert.match(small.body.errors[0].message, /part 2 has 100 bytes; every part but the last needs at least 1048576/);
    const missing = await dl(s, 'POST', `/multipart/${id}/complete`, { parts: [{ partNumber: 7 }] });
    assert.match(missing.body.errors[0].message, /part 7 was not uploaded/);
    const ok = await dl(s, 'POST', `/multipart/${id}/complete`, { parts: [{ partNumber: 1, etag: `"${p1.etag}"` }, { partNumber: 3 }] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.size, MB + 100);
    assert.equal((await part('nope', 1, pattern(10))).status, 404);
    assert.equal((await part(id, 1, pattern(10))).status, 404, 'the upload is completed');
  });

  it('refuses parts over one request, part numbers outside 1..10000', async () => {
    const id = (await dl(s, 'POST', '/multipart', { path: 'big/limits.bin' })).body.uploadId as string;
    for (const n of ['0', '10001', 'x']) {
      const r = await part(id, n, pattern(10));
      assert.equal(r.status, 400, n);
    }
    assert.equal((await dl(s, 'DELETE', `/multipart/${id}`)).status, 204);
  });

  it('abort discards the parts and frees the path', async () => {
    const id = (await dl(s, 'POST', '/multipart', { path: 'big/aborted.bin' })).body.uploadId as string;
    await part(id, 1, pattern(1000));
    assert.equal((await dl(s, 'DELETE', `/multipart/${id}`)).status, 204);
    assert.equal((await dl(s, 'POST', `/multipart/${id}/complete`, {})).status, 404);
    assert.equal((await dl(s, 'DELETE', `/multipart/${id}`)).status, 404);
    assert.equal((await dl(s, 'GET', '/objectMetadata/big/aborted.bin')).status, 404);
    assert.equal((await putObject(s, 'big/aborted.bin', 'now direct')).status, 200);
  });

  it('an upload not completed within 24 hours is aborted and frees its path', async () => {
    const id = (await dl(s, 'POST', '/multipart', { path: 'big/slow.bin' })).body.uploadId as string;
    await part(id, 1, pattern(100));
    clock.advance(24 * 3600_000 - 1);
    assert.equal((await dl(s, 'GET', `/multipart/${id}`)).status, 200);
    clock.advance(1);
    assert.equal(await s.platform.datalake.multipart.sweep(), 1);
    assert.equal((await dl(s, 'POST', `/multipart/${id}/complete`, {})).status, 404);
    const again = await dl(s, 'POST', '/multipart', { path: 'big/slow.bin' });
    assert.equal(again.status, 201);
    clock.advance(24 * 3600_000);
    const late = await part(again.body.uploadId, 1, pattern(10));
    assert.equal(late.status, 404, 'touching an expired upload ends it too');
    assert.equal((await putObject(s, 'big/slow.bin', 'x')).status, 200);
  });
});
