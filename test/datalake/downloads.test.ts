/**
 * Downloads written to the raw response (core/send-object.ts): the same status, headers and bytes as before for
 * GET, HEAD and ranges through the gateway and signed URLs, errors before the first byte in each route's own shape
 * (JSON on the gateway, S3 XML on signed URLs), and a client that goes away mid-download leaves no open file and
 * no multipart read lease behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { DL, dl, eventually, pattern, putObject, sha256, signedUrl } from './helpers.js';

const MB = 1024 * 1024;

/** Files under the data directory's objects this process holds open (the server runs in it). */
function openObjectFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'objects');
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(root) ? [target] : [];
    } catch {
      return []; // closed meanwhile
    }
  });
}

/** Multipart read leases anywhere in the store (live or retired blobs). */
function leases(dataDir: string): string[] {
  const root = path.join(dataDir, 'objects');
  return ['blobs', 'retired'].flatMap((d) => {
    const dir = path.join(root, d);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).flatMap((b) => {
      try {
        return fs.readdirSync(path.join(dir, b)).filter((n) => n.startsWith('lease-'));
      } catch {
        return [];
      }
    });
  });
}

/** GETs `url`, takes the first chunk, then (with the response paused) runs `meanwhile` and cuts the connection. */
function cutAfterFirstChunk(url: string, headers: Record<string, string>, meanwhile: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers }, (res) => {
      res.once('data', (d: Buffer) => {
        res.pause();
        try { meanwhile(); } catch (err) { reject(err); }
        req.destroy();
        resolve(d.length);
      });
    });
    req.on('error', () => undefined); // the cut itself
  });
}

describe('downloads written to the raw response', { skip: process.platform !== 'linux' }, () => {
  let s: TestServer;
  // Parts of 16, 16 and 8 MB + 5: more than loopback socket buffers take, so a paused client holds the reader.
  const P = 16 * MB;
  const whole = Buffer.concat([pattern(P, 1), pattern(P, 2), pattern(P / 2 + 5, 3)]);
  before(async () => {
    s = await startServer({ datalakeMinPartBytes: MB });
    const id = (await dl(s, 'POST', '/multipart', { path: 'mp/three.bin' })).body.uploadId as string;
    for (const [i, [a, b]] of [[0, P], [P, 2 * P], [2 * P, whole.length]].entries()) {
      const r = await s.api(`${DL}/multipart/${id}/parts/${i + 1}`, { method: 'PUT', body: whole.subarray(a!, b!),
        headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(r.status, 200);
    }
    assert.equal((await dl(s, 'POST', `/multipart/${id}/complete`, {})).status, 200);
    assert.equal((await putObject(s, 'one/file.bin', whole)).status, 200);
  });
  after(() => s.close());

  it('GET, HEAD and ranges keep their status, headers and bytes; errors before the first byte keep their shapes', async () => {
    for (const p of ['mp/three.bin', 'one/file.bin']) {
      const get = await s.api(`${DL}/objects/${p}`);
      assert.equal(get.status, 200);
      assert.deepEqual([...get.headers.keys()].sort(), ['accept-ranges', 'connection', 'content-length', 'content-type', 'date', 'etag',
        'keep-alive', 'last-modified', 'x-checksum-sha256']);
      assert.equal(get.headers.get('content-length'), String(whole.length));
      assert.equal(get.headers.get('content-type'), 'application/octet-stream');
      assert.equal(get.headers.get('x-checksum-sha256'), sha256(whole));
      assert.equal(sha256(Buffer.from(await get.arrayBuffer())), sha256(whole));

      const head = await s.api(`${DL}/objects/${p}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      for (const h of ['content-length', 'etag', 'last-modified', 'x-checksum-sha256', 'accept-ranges']) assert.equal(head.headers.get(h), get.headers.get(h), h);
      assert.equal((await head.arrayBuffer()).byteLength, 0);

      // Across the first part boundary and over more than one 1 MB buffer.
      const [a, b] = [P - MB - 3, P + 2 * MB + 9];
      const part = await s.api(`${DL}/objects/${p}`, { headers: { range: `bytes=${a}-${b}` } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes ${a}-${b}/${whole.length}`);
      assert.equal(part.headers.get('content-length'), String(b - a + 1));
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(a, b + 1));

      const beyond = await s.api(`${DL}/objects/${p}`, { headers: { range: `bytes=${whole.length}-` } });
      assert.equal(beyond.status, 416);
      assert.match(beyond.headers.get('content-type') ?? '', /application\/json/);
      assert.ok(Array.isArray(((await beyond.json()) as { errors: unknown[] }).errors));

      const signed = await fetch(await signedUrl(s, 'Download', p), { headers: { range: 'bytes=-4' } });
      assert.equal(signed.status, 206);
      assert.deepEqual(Buffer.from(await signed.arrayBuffer()), whole.subarray(whole.length - 4));
      const signedBeyond = await fetch(await signedUrl(s, 'Download', p), { headers: { range: `bytes=${whole.length}-` } });
      assert.equal(signedBeyond.status, 416);
      assert.match(signedBeyond.headers.get('content-type') ?? '', /application\/xml/);
      assert.match(await signedBeyond.text(), /<Error>/);
    }
    const missing = await fetch(await signedUrl(s, 'Download', 'no/such.bin'));
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /<Error>/);
    assert.equal((await s.api(`${DL}/objects/no/such.bin`)).status, 404);
    await eventually(() => openObjectFiles(s.config.dataDir).length === 0 && leases(s.config.dataDir).length === 0,
      'every file closed and every lease let go');
  });

  it('a client that disconnects mid-download leaves no open file and no lease', async () => {
    const dataDir = s.config.dataDir;
    const auth = { authorization: `Bearer ${await s.token()}` };
    const got = await cutAfterFirstChunk(`${s.url}${DL}/objects/mp/three.bin`, auth, () => {
      assert.equal(leases(dataDir).length, 1, 'the reader holds its lease while the client is paused');
      assert.equal(openObjectFiles(dataDir).length, 1, 'one part open at a time');
    });
    assert.ok(got > 0 && got < whole.length);
    await eventually(() => leases(dataDir).length === 0 && openObjectFiles(dataDir).length === 0, 'the lease and the part file are let go');

    await cutAfterFirstChunk(await signedUrl(s, 'Download', 'one/file.bin'), {}, () => {
      assert.equal(openObjectFiles(dataDir).length, 1, 'the object file is open while the client is paused');
    });
    await eventually(() => openObjectFiles(dataDir).length === 0, 'the object file is closed');

    // A version replaced while a cut reader held it is removed once the reader is gone.
    await cutAfterFirstChunk(`${s.url}${DL}/objects/mp/three.bin`, auth, () => undefined);
    assert.equal((await putObject(s, 'mp/three.bin', 'replaced')).status, 200);
    await eventually(() => leases(dataDir).length === 0 && fs.readdirSync(path.join(dataDir, 'objects', 'retired')).length === 0,
      'the retired blob is removed after its last reader');
    assert.equal(await (await s.api(`${DL}/objects/mp/three.bin`)).text(), 'replaced');
  });
});
