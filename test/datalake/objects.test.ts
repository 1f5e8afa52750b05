import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fetchToken, startServer, type TestServer } from '../helpers/server.js';
import { DL, dl, eventually, pattern, putObject, rawRequest, sha256, signedUrl } from './helpers.js';

const MB = 1024 * 1024;

describe('data lake objects through the gateway', () => {
  let s: TestServer;
  let other: string;
  before(async () => {
    s = await startServer();
    await s.platform.provisionTenant('other', 'other.com');
    other = await fetchToken(s.url, await s.platform.identity.service.createKey('other', 'k'));
  });
  after(() => s.close());

  it('uploads and downloads with hashes, ranges and metadata; a body over 1 MB needs no JSON limit', async () => {
    const data = pattern(3 * MB + 17);
    const put = await putObject(s, 'plant/line 1/readings.csv', data);
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.size, data.length);
    assert.equal(put.body.sha256, sha256(data));
    const got = await s.api(`${DL}/objects/plant/line%201/readings.csv`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-length'), String(data.length));
    assert.equal(got.headers.get('x-checksum-sha256'), sha256(data));
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(data));
    const tail = await s.api(`${DL}/objects/plant/line%201/readings.csv`, { headers: { range: 'bytes=-10' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), data.subarray(data.length - 10));
    const beyond = await s.api(`${DL}/objects/plant/line%201/readings.csv`, { headers: { range: `bytes=${data.length}-` } });
    assert.equal(beyond.status, 416);
    const meta = await dl(s, 'GET', '/objectMetadata/plant/line%201/readings.csv');
    assert.deepEqual({ name: meta.body.name, path: meta.body.path, size: meta.body.size, tags: meta.body.tags },
      { name: 'readings.csv', path: 'plant/line 1/readings.csv', size: data.length, tags: [] });
    const folder = await dl(s, 'GET', '/objectMetadata/plant/');
    assert.equal(folder.status, 200);
    assert.equal(folder.body.path, 'plant/');
  });

  it('refuses 100 MB + 1 byte with 413 and closes the connection; exactly 100 MB is fine', async () => {
    const declared = await rawRequest(`${s.url}${DL}/objects/big/declared.bin`, {
      method: 'PUT', headers: { authorization: `Bearer ${await s.token()}`, 'content-length': String(100 * MB + 1) },
    }, (req) => req.write(Buffer.alloc(1024)));
    assert.ok('status' in declared, JSON.stringify(declared));
    assert.equal(declared.status, 413);
    assert.equal(declared.headers.connection, 'close');
    assert.match(declared.body, /100 MB|104857600/);
    const chunk = Buffer.alloc(MB, 7);
    const streamed = (extra: number) => Readable.from((function* () {
      for (let i = 0; i < 100; i++) yield chunk;
      if (extra) yield Buffer.alloc(extra, 1);
    })());
    const over = await s.api(`${DL}/objects/big/streamed.bin`, { method: 'PUT', body: streamed(1) as never,
      duplex: 'half', headers: { 'content-type': 'application/octet-stream' } } as RequestInit).catch((e: Error) => e);
    if (over instanceof Error) assert.match(String(over.cause ?? over), /reset|closed|socket|EPIPE/i);
    else assert.equal(over.status, 413);
    assert.equal((await dl(s, 'GET', '/objectMetadata/big/streamed.bin')).status, 404);
    const exact = await s.api(`${DL}/objects/big/exact.bin`, { method: 'PUT', body: streamed(0) as never,
      duplex: 'half', headers: { 'content-type': 'application/octet-stream' } } as RequestInit);
    assert.equal(exact.status, 200);
    assert.equal((await exact.json() as { size: number }).size, 100 * MB);
  });

  it('an interrupted upload leaves nothing visible and no temporary file', async () => {
    const old = await putObject(s, 'cut/kept.bin', 'previous');
    assert.equal(old.status, 200);
    for (const target of ['cut/new.bin', 'cut/kept.bin']) {
      const r = await rawRequest(`${s.url}${DL}/objects/${target}`, {
        method: 'PUT', headers: { authorization: `Bearer ${await s.token()}`, 'content-length': String(4 * MB) },
      }, (req) => { req.write(Buffer.alloc(2 * MB, 3), () => req.destroy()); });
      assert.ok('error' in r);
    }
    const tmp = path.join(s.config.dataDir, 'objects', 'tmp');
    await eventually(() => fs.readdirSync(tmp).length === 0, 'the temporary files are removed');
    assert.equal((await dl(s, 'GET', '/objectMetadata/cut/new.bin')).status, 404);
    assert.equal(await (await s.api(`${DL}/objects/cut/kept.bin`)).text(), 'previous');
    const listed = await dl(s, 'GET', '/objects?path=cut/');
    assert.deepEqual(listed.body.objects.map((o: { path: string }) => o.path), ['cut/kept.bin']);
    const short = await rawRequest(`${s.url}/datalake/signed/x`, { method: 'PUT' }, (req) => req.end());
    assert.ok('status' in short && short.status === 403);
  });

  it('tags: at most 8, each at most 128 characters, the rule named', async () => {
    await putObject(s, 'tags/t.txt', 't');
    const set = await dl(s, 'PUT', '/objectMetadata/tags/t.txt', { tags: ['a', 'b', 'a'] });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.tags, ['a', 'b']);
    const nine = await dl(s, 'PUT', '/objectMetadata/tags/t.txt', { tags: Array.from({ length: 9 }, (_, i) => `t${i}`) });
    assert.equal(nine.status, 400);
    assert.match(nine.body.errors[0].message, /at most 8 tags; 9 were given/);
    const long = await dl(s, 'PUT', '/objectMetadata/tags/t.txt', { tags: ['ok', 'x'.repeat(129)] });
    assert.equal(long.status, 400);
    assert.match(long.body.errors[0].message, /Tag 1 .*at most 128 characters/);
    assert.equal((await dl(s, 'PUT', '/objectMetadata/tags/t.txt', { tags: ['x'.repeat(128)] })).status, 200);
    assert.equal((await dl(s, 'PUT', '/objectMetadata/tags/none.txt', { tags: ['a'] })).status, 404);
    const found = await dl(s, 'GET', `/objectMetadata?filter=${encodeURIComponent(JSON.stringify({ none: { tags: { in: ['x'.repeat(128)] } } }))}`);
    assert.deepEqual(found.body.objectMetadata.map((o: { location: string }) => o.location), ['tags/t.txt']);
  });

  it('lists direct children per folder, folders first by path, page by page with pageToken', async () => {
    for (const p of ['list/a.txt', 'list/b.txt', 'list/c/d.txt', 'list/c/e/f.txt', 'list/e.txt', 'list/f.txt']) await putObject(s, p, p);
    const all: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await dl(s, 'GET', `/objects?path=list/&size=2${token ? `&pageToken=${token}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.objects.length <= 2);
      all.push(...page.body.objects.map((o: { path: string }) => o.path));
      token = page.body.page.nextToken;
      if (!token) break;
    }
    assert.deepEqual(all, ['list/a.txt', 'list/b.txt', 'list/c/', 'list/e.txt', 'list/f.txt']);
    const sub = await dl(s, 'GET', '/objects?path=list/c');
    assert.deepEqual(sub.body.objects.map((o: { path: string }) => o.path), ['list/c/d.txt', 'list/c/e/']);
    const one = await dl(s, 'GET', '/objects?path=list/a.txt');
    assert.deepEqual(one.body.objects.map((o: { path: string; size: number }) => [o.path, o.size]), [['list/a.txt', 10]]);
    assert.equal((await dl(s, 'GET', '/objects?path=list/&pageToken=!!')).status, 400);
    assert.equal((await dl(s, 'DELETE', '/objects/list/c/e/f.txt')).status, 204);
    const after = await dl(s, 'GET', '/objects?path=list/c/');
    assert.deepEqual(after.body.objects.map((o: { path: string }) => o.path), ['list/c/d.txt'], 'the emptied folder is gone');
    assert.equal((await dl(s, 'DELETE', '/objects/list/c/e/f.txt')).status, 404);
  });

  it('refuses traversal and unsupported characters in URLs and queries before touching storage', async () => {
    const before = fs.readdirSync(path.join(s.config.dataDir, 'objects', 'o'));
    for (const [target, rule] of [
      [`${DL}/objects/a%2F..%2F..%2Fx`, /%2F/], [`${DL}/objects/a%5Cb`, /%5C/], [`${DL}/objects/a%00b`, /%00/],
      [`${DL}/objects/a%0Ab`, /control character 0x0a/], [`${DL}/objects/a%22b`, /U\+0022/], [`${DL}/objects/a%25b`, /U\+0025/],
      [`${DL}/objects?path=..%2Fother`, /segments are not allowed/], [`${DL}/objects?path=%2Fetc`, /absolute/],
    ] as const) {
      const r = await s.api(target, { method: target.includes('?') ? 'GET' : 'PUT', body: target.includes('?') ? undefined : 'x',
        headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(r.status, 400, target);
      assert.match(await r.text(), rule, target);
    }
    // A dot segment in the URL is resolved by the gateway (RFC 3986) and can only climb inside the API's own paths.
    const dots = await s.api(`${DL}/objects/../../../../etc/passwd`, { method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(dots.status, 404);
    assert.deepEqual(fs.readdirSync(path.join(s.config.dataDir, 'objects', 'o')), before);
  });

  it('keeps tenants and subtenants apart', async () => {
    await putObject(s, 'iso/secret.txt', 'local only');
    assert.equal((await dl(s, 'GET', '/objectMetadata/iso/secret.txt', undefined, {}, other)).status, 404);
    assert.equal((await s.api(`${DL}/objects/iso/secret.txt`, { token: other })).status, 404);
    assert.deepEqual((await dl(s, 'GET', '/objects?path=/', undefined, {}, other)).body.objects, []);
    assert.equal((await putObject(s, 'iso/secret.txt', 'theirs', other)).status, 200);
    assert.equal(await (await s.api(`${DL}/objects/iso/secret.txt`)).text(), 'local only');
    const url = await signedUrl(s, 'Download', 'iso/secret.txt', {}, other);
    assert.equal(await (await fetch(url)).text(), 'theirs');
    const sub = await s.api(`${DL}/objects/iso/secret.txt?subtenantId=plant7`, { method: 'PUT', body: 'sub', headers: { 'content-type': 'text/plain' } });
    assert.equal(sub.status, 200);
    assert.equal((await sub.json() as { subtenantId: string }).subtenantId, 'plant7');
    assert.equal(await (await s.api(`${DL}/objects/iso/secret.txt`)).text(), 'local only');
    assert.equal(await (await s.api(`${DL}/objects/iso/secret.txt?subtenantid=plant7`)).text(), 'sub');
    const subUrl = await signedUrl(s, 'Download', 'iso/secret.txt', { subtenantId: 'plant7' });
    assert.equal(await (await fetch(subUrl)).text(), 'sub');
    assert.equal((await dl(s, 'GET', '/objects?path=/&subtenantId=..')).status, 400);
    const everywhere = await dl(s, 'GET', `/objectMetadata?subtenantId=**&filter=${encodeURIComponent(JSON.stringify({ none: { name: { eq: 'secret.txt' } } }))}`);
    assert.deepEqual(everywhere.body.objectMetadata.map((o: { subtenantId?: string }) => o.subtenantId ?? ''), ['', 'plant7']);
  });
});
