import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchToken, startServer, type TestServer } from '../helpers/server.js';
import { dl, FakeClock, pattern, sha256, signedUrl } from './helpers.js';

const s3Error = (text: string) => ({
  code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '',
});

describe('signed object URLs (generateUploadObjectUrls / generateDownloadObjectUrls)', () => {
  let s: TestServer;
  const clock = new FakeClock();
  let other: string;
  before(async () => {
    s = await startServer({}, { now: clock.now });
    await s.platform.provisionTenant('other', 'other.com');
    other = await fetchToken(s.url, await s.platform.identity.service.createKey('other', 'k'));
  });
  after(() => s.close());

  it('returns absolute URLs on this platform that upload and download without a token, bytes intact', async () => {
    const r = await dl(s, 'POST', '/generateUploadObjectUrls', { paths: [{ path: 'in/a.bin' }, { path: 'in/b c.txt' }] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.objectUrls.map((u: { path: string }) => u.path), ['in/a.bin', 'in/b c.txt']);
    const url = r.body.objectUrls[0].signedUrl as string;
    assert.ok(url.startsWith(`${s.platform.publicUrl()}/`), url);
    const data = pattern(700_000);
    const put = await fetch(url, { method: 'PUT', body: data, headers: { 'x-ms-blob-type': 'BlockBlob' } });
    assert.equal(put.status, 200);
    assert.match(put.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
    const down = await fetch(await signedUrl(s, 'Download', 'in/a.bin'));
    assert.equal(down.status, 200);
    assert.equal(sha256(Buffer.from(await down.arrayBuffer())), sha256(data));
    const meta = await dl(s, 'GET', '/objectMetadata/in/a.bin');
    assert.equal(meta.body.size, data.length);
    assert.equal(meta.body.sha256, sha256(data));
    const part = await fetch(await signedUrl(s, 'Download', 'in/a.bin'), { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${data.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(100, 200));
  });

  it('refuses an expired URL with 403 AccessDenied in the S3 XML shape', async () => {
    const url = await signedUrl(s, 'Upload', 'in/late.txt');
    clock.advance(7200 * 1000);
    assert.equal((await fetch(url, { method: 'PUT', body: 'on the last second' })).status, 200);
    clock.advance(1000);
    const late = await fetch(url, { method: 'PUT', body: 'too late' });
    assert.equal(late.status, 403);
    assert.match(late.headers.get('content-type') ?? '', /application\/xml/);
    const e = s3Error(await late.text());
    assert.equal(e.code, 'AccessDenied');
    assert.match(e.message, /expired/);
    const meta = await dl(s, 'GET', '/objectMetadata/in/late.txt');
    assert.equal(meta.body.size, 'on the last second'.length, 'the refused upload changed nothing');
  });

  it('refuses tampered URLs and URLs replayed for another path, method or tenant', async () => {
    await fetch(await signedUrl(s, 'Upload', 'in/mine.txt'), { method: 'PUT', body: 'mine' });
    const up = new URL(await signedUrl(s, 'Upload', 'in/mine.txt'));
    const variants: Array<[string, (u: URL) => void]> = [
      ['another path', (u) => { u.pathname = u.pathname.replace('mine', 'yours'); }],
      ['a longer expiry', (u) => { u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600)); }],
      ['another tenant', (u) => { u.searchParams.set('tenant', 'other'); }],
      ['a subtenant added', (u) => { u.searchParams.set('subtenant', 'sub1'); }],
      ['a changed signature', (u) => { const sig = u.searchParams.get('signature')!; u.searchParams.set('signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)); }],
      ['no signature', (u) => { u.searchParams.delete('signature'); }],
    ];
    for (const [what, change] of variants) {
      const u = new URL(up);
      change(u);
      const res = await fetch(u, { method: 'PUT', body: 'swapped' });
      assert.equal(res.status, 403, what);
      assert.equal(s3Error(await res.text()).code, 'SignatureDoesNotMatch', what);
    }
    const asGet = await fetch(up);
    assert.equal(asGet.status, 403, 'an upload URL does not download');
    const down = await signedUrl(s, 'Download', 'in/mine.txt');
    assert.equal((await fetch(down, { method: 'PUT', body: 'x' })).status, 403, 'a download URL does not upload');
    assert.equal(await (await fetch(down)).text(), 'mine');
    assert.equal((await dl(s, 'GET', '/objectMetadata/in/yours.txt')).status, 404);
    assert.equal((await dl(s, 'GET', '/objectMetadata/in/mine.txt', undefined, {}, other)).status, 404, 'nothing reached the other tenant');
  });

  it('a download URL for a missing object answers 404 NoSuchKey', async () => {
    const res = await fetch(await signedUrl(s, 'Download', 'in/never.txt'));
    assert.equal(res.status, 404);
    assert.equal(s3Error(await res.text()).code, 'NoSuchKey');
  });

  it('checks every path before signing and names the rule', async () => {
    for (const [path, rule] of [['../x', /"\.\."/], ['/abs/x', /absolute/], ['a//b', /empty segment/], ['a/b/', /must not end/],
      ['a%2Fb', /encoded slashes/], ['a\nb', /control character 0x0a/], ['a"b', /"""/], ['a?b', /"\?"/], ['a=b', /"="/], ['', /empty/]] as const) {
      const r = await dl(s, 'POST', '/generateUploadObjectUrls', { paths: [{ path }] });
      assert.equal(r.status, 400, JSON.stringify(path));
      assert.equal(r.body.errors[0].code, 'mdsp.core.datalake.invalidPath');
      assert.match(r.body.errors[0].message, rule, r.body.errors[0].message);
    }
    const many = await dl(s, 'POST', '/generateUploadObjectUrls', { paths: Array.from({ length: 101 }, (_, i) => ({ path: `p${i}` })) });
    assert.equal(many.status, 400);
    assert.match(many.body.errors[0].message, /At most 100/);
  });
});
