/** The data lake on S3-compatible storage (a local s3rver): the same uploads, downloads and multipart, by hash. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startS3, type LocalS3 } from '../helpers/s3.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { DL, dl, pattern, putObject, sha256, signedUrl } from './helpers.js';

const MB = 1024 * 1024;

describe('data lake on S3-compatible storage', () => {
  let s3: LocalS3;
  let s: TestServer;
  before(async () => {
    s3 = await startS3();
    s = await startServer(s3.settings);
  });
  after(async () => {
    await s.close();
    await s3.close();
  });

  it('keeps objects in the bucket under the tenant prefix and streams them back', async () => {
    assert.equal(s.platform.objects.kind, 's3');
    const data = pattern(9 * MB + 5, 3);
    assert.equal((await fetch(await signedUrl(s, 'Upload', 's3/a.bin'), { method: 'PUT', body: data })).status, 200);
    const head = await s.platform.objects.head('data/ten=local/s3/a.bin');
    assert.equal(head?.size, data.length);
    const down = await fetch(await signedUrl(s, 'Download', 's3/a.bin'));
    assert.equal(sha256(Buffer.from(await down.arrayBuffer())), sha256(data));
    assert.equal((await dl(s, 'GET', '/objectMetadata/s3/a.bin')).body.sha256, sha256(data));
    const range = await s.api(`${DL}/objects/s3/a.bin`, { headers: { range: 'bytes=5-9' } });
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), data.subarray(5, 10));
    assert.equal((await putObject(s, 's3/small.txt', 'small')).status, 200);
    assert.equal((await dl(s, 'DELETE', '/objects/s3/small.txt')).status, 204);
    assert.equal(await s.platform.objects.head('data/ten=local/s3/small.txt'), undefined);
  });

  it('multipart uploads complete in the bucket', async () => {
    const id = (await dl(s, 'POST', '/multipart', { path: 's3/mp.bin' })).body.uploadId as string;
    const parts = [pattern(5 * MB, 1), pattern(1000, 2)];
    for (const [i, p] of parts.entries()) {
      const r = await s.api(`${DL}/multipart/${id}/parts/${i + 1}`, { method: 'PUT', body: p, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(r.status, 200, await r.text());
    }
    const done = await dl(s, 'POST', `/multipart/${id}/complete`, {});
    assert.equal(done.status, 200, done.text);
    const got = await s.api(`${DL}/objects/s3/mp.bin`);
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(Buffer.concat(parts)));
  });
});
