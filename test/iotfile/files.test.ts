/**
 * IoT File v3 (/api/iotfile/v3/files) through the public SDK's IotFileClient and over the wire: PUT with etags
 * (the SDK's own If-Match), GET with ranges, HEAD, DELETE, search with the text filter, the SDK's chunked
 * multi-part upload of a file over 8 MB read back byte for byte, abort, and the refusals: unknown entity 404,
 * wrong If-Match 412, a body over the limit 413, a part without an upload, a bad filter.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { IotFileClient } from '@mindconnect/mindconnect-nodejs';
import { fetchToken, startServer, type TestServer } from '../helpers/server.js';
import { makeAsset, sdkOf } from '../events/helpers.js';

const F = '/api/iotfile/v3/files';
const md5 = (b: Buffer | Uint8Array) => createHash('md5').update(b).digest('hex');

describe('IoT File', () => {
  let s: TestServer;
  let files: IotFileClient;
  let asset: string;
  before(async () => {
    s = await startServer();
    files = sdkOf(s).GetIoTFileClient();
    asset = await makeAsset(s);
  });
  after(() => s.close());

  const put = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    s.api(`${F}/${asset}/${path}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', ...headers } });

  it('puts, reads, searches, replaces with If-Match and deletes with the public SDK', async () => {
    const h = await files.PutFile(asset, 'unit/test/a.txt', Buffer.from('first version'), { description: 'pump log', type: 'text/plain',
      timestamp: new Date('2026-01-01T00:00:00Z') });
    assert.equal(h.get('etag'), '0');
    const got = await files.GetFile(asset, 'unit/test/a.txt') as Response;
    assert.deepEqual([await got.text(), got.headers.get('content-type'), got.headers.get('etag')], ['first version', 'text/plain', '0']);
    await files.PutFile(asset, 'unit/other.txt', Buffer.from('other'));
    const found = await files.GetFiles(asset, { filter: 'name eq a*.txt and path eq unit/test/' }) as Record<string, unknown>[];
    assert.equal(found.length, 1);
    assert.deepEqual([found[0]!['name'], found[0]!['path'], found[0]!['size'], found[0]!['etag'], found[0]!['description'], found[0]!['timestamp']],
      ['a.txt', 'unit/test/', 13, 0, 'pump log', '2026-01-01T00:00:00.000Z']);
    const ordered = await files.GetFiles(asset, { order: 'name desc' }) as { name: string }[];
    assert.deepEqual(ordered.map((f) => f.name), ['other.txt', 'a.txt']);
    const counted = await s.api(`${F}/${asset}?count=true&limit=1&offset=1&order=${encodeURIComponent('name asc')}`);
    assert.deepEqual([counted.headers.get('count'), ((await counted.json()) as { name: string }[]).map((f) => f.name)], ['2', ['other.txt']]);
    assert.equal((await s.api(`${F}/${asset}/unit/test/a.txt`, { headers: { 'if-none-match': '0' } })).status, 304);

    const h2 = await files.PutFile(asset, 'unit/test/a.txt', Buffer.from('second'), { ifMatch: 0 });
    assert.equal(h2.get('etag'), '1');
    await assert.rejects(files.PutFile(asset, 'unit/test/a.txt', Buffer.from('third'), { ifMatch: 0 }), /412|does not match/);
    assert.equal(await (await files.GetFile(asset, 'unit/test/a.txt') as Response).text(), 'second');
    await files.DeleteFile(asset, 'unit/test/a.txt');
    assert.equal((await s.api(`${F}/${asset}/unit/test/a.txt`)).status, 404);
  });

  it('takes the SDK\'s chunked upload of a 20 MB file (start, parts, complete with the last chunk) and serves it back', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024 + 12345);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE((i * 2654435761) >>> 0, i);
    const hash = await files.UploadFile(asset, 'big/blob.bin', big, { chunk: true, description: 'big blob', type: 'application/octet-stream' });
    assert.equal(hash, md5(big));
    const r = await s.api(`${F}/${asset}/big/blob.bin`);
    const back = Buffer.from(await r.arrayBuffer());
    assert.deepEqual([r.status, back.length, md5(back), r.headers.get('etag')], [200, big.length, md5(big), '0']);
    const head = await s.api(`${F}/${asset}/big/blob.bin`, { method: 'HEAD' });
    assert.deepEqual([head.status, head.headers.get('content-length')], [200, String(big.length)]);
    const part = await s.api(`${F}/${asset}/big/blob.bin`, { headers: { range: 'bytes=4096-4099' } });
    assert.deepEqual([part.status, Buffer.from(await part.arrayBuffer()).toString('hex')], [206, big.subarray(4096, 4100).toString('hex')]);
    // a second upload replaces it (the etag moves on)
    await files.UploadFile(asset, 'big/blob.bin', big.subarray(0, 9 * 1024 * 1024), { chunk: true });
    const again = await s.api(`${F}/${asset}/big/blob.bin`, { method: 'HEAD' });
    assert.deepEqual([again.headers.get('content-length'), again.headers.get('etag')], [String(9 * 1024 * 1024), '1']);
  });

  it('aborts a multipart upload, and refuses parts without one', async () => {
    assert.equal((await put('x/y.bin?upload=start', '')).status, 200);
    assert.equal((await put('x/y.bin?part=1', Buffer.alloc(1024))).status, 200);
    assert.equal((await put('x/y.bin?upload=abort', '')).status, 200);
    const late = await put('x/y.bin?upload=complete', Buffer.alloc(10));
    assert.deepEqual([late.status, ((await late.json()) as { errors: { code: string }[] }).errors[0]!.code], [409, 'mdsp.core.iotfile.noMultipartUpload']);
    assert.equal((await s.api(`${F}/${asset}/x/y.bin`)).status, 404);
  });

  it('refuses an unknown entity, a wrong If-Match, a body over the limit, bad parameters', async () => {
    const unknown = await s.api(`${F}/${'f'.repeat(32)}/a.txt`, { method: 'PUT', body: 'x' });
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /No entity f{32} found/);
    assert.equal((await s.api(`${F}/${'f'.repeat(32)}`)).status, 404);
    assert.equal((await put('p/q.txt', 'one')).status, 201);
    const wrong = await put('p/q.txt', 'two', { 'if-match': '7' });
    assert.equal(wrong.status, 412);
    assert.match(await wrong.text(), /If-Match 7 does not match the current etag 0/);
    assert.equal((await put('p/q.txt', 'two', { 'if-none-match': '*' })).status, 412);
    assert.equal((await put('p/fresh.txt', 'x', { 'if-match': '0' })).status, 412);
    const over = await put('p/huge.bin', Buffer.alloc(8 * 1024 * 1024 + 1));
    assert.equal(over.status, 413);
    assert.equal((await s.api(`${F}/${asset}/p/huge.bin`)).status, 404);
    assert.equal((await put('p/q.txt?upload=later', '')).status, 400);
    assert.equal((await put('p/q.txt?part=0', 'x')).status, 400);
    assert.equal((await put('p/%01q.txt', 'x')).status, 400);
    const badFilter = await s.api(`${F}/${asset}?filter=${encodeURIComponent('colour eq red')}`);
    assert.equal(badFilter.status, 400);
    assert.match(((await badFilter.json()) as { errors: { message: string }[] }).errors[0]!.message, /filter is invalid: field "colour" must be one of/);
    assert.equal((await s.api(`${F}/${asset}?limit=501`)).status, 400);
    assert.equal((await s.api(`${F}/${asset}/p/q.txt`, { headers: { range: 'bytes=100-200' } })).status, 400);
  });

  it('keeps tenants apart: another tenant reaches none of the files', async () => {
    await s.platform.provisionTenant('other', 'other.com');
    const other = await fetchToken(s.url, await s.platform.identity.service.createKey('other', 'k'));
    assert.equal((await put('secret/s.txt', 'secret')).status, 201);
    assert.equal((await s.api(`${F}/${asset}/secret/s.txt`, { token: other })).status, 404);
    assert.equal((await s.api(`${F}/${asset}`, { token: other })).status, 404);
    assert.equal((await s.api(`${F}/${asset}/secret/s.txt`, { token: other, method: 'PUT', body: 'mine' })).status, 404);
    assert.equal((await s.api(`${F}/${asset}/secret/s.txt`, { token: other, method: 'DELETE' })).status, 404);
    assert.equal(await (await s.api(`${F}/${asset}/secret/s.txt`)).text(), 'secret');
  });
});
