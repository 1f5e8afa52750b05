/**
 * Multipart objects of the data directory (src/objectstore/fs-multipart.ts): completion moves the parts instead of
 * copying them (the part files keep their inodes, the object file is a small manifest), byte ranges across part
 * boundaries read right, the whole SHA-256 is right whatever order parts came in, replaced and deleted versions
 * leave no blob behind while a reader that opened the old version still reads it whole, copies share the parts
 * by hard links, and a completion that died before its manifest leaves a blob the next start removes. A reader of
 * many parts holds one part open at a time, and its lease keeps a version replaced by another store instance on
 * the same directory (another worker process) readable until it lets go.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { finished } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { FsObjectStore, ObjectStoreError } from '../../src/objectstore/index.js';
import { tempDir } from '../helpers/server.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 101 + (i >> 9)) & 0xff;
  return b;
};
const from = (b: Buffer) => Readable.from([b]);
const kind = (k: string) => (err: unknown) => err instanceof ObjectStoreError && err.kind === k;
const dirs: string[] = [];
const fresh = () => {
  const d = tempDir('ironbridge-mp-');
  dirs.push(d);
  return d;
};
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

async function upload(store: FsObjectStore, key: string, parts: Buffer[], order = parts.map((_, i) => i)) {
  const id = await store.createMultipart(key);
  const tags: { partNumber: number; etag: string }[] = [];
  for (const i of order) tags.push({ partNumber: i + 1, etag: (await store.putPart(key, id, i + 1, from(parts[i]!))).etag });
  return { id, done: await store.completeMultipart(key, id, tags) };
}

/** 300 parts of `size` + i bytes under `key`, a second store on the same directory (another worker), open files. */
async function threeHundredParts(key: string, size: number) {
  const root = fresh();
  const store = new FsObjectStore(root);
  const other = new FsObjectStore(root); // another worker process of the same data directory
  const parts = Array.from({ length: 300 }, (_, i) => bytes(size + i, i));
  const { id } = await upload(store, key, parts);
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  return { root, store, other, parts, whole: Buffer.concat(parts), id, fds, base: fds() };
}

describe('data directory multipart objects', () => {
  it('completion moves the parts: same inodes, a manifest at the key, the whole SHA-256', async () => {
    const root = fresh();
    const store = new FsObjectStore(root);
    const parts = [bytes(3 * 1024 * 1024 + 7, 1), bytes(2 * 1024 * 1024, 2), bytes(999, 3)];
    const id = await store.createMultipart('a/big');
    const inodes: number[] = [];
    const tags = [];
    for (const [i, p] of parts.entries()) {
      tags.push({ partNumber: i + 1, etag: (await store.putPart('a/big', id, i + 1, from(p))).etag });
      inodes.push(fs.statSync(path.join(root, 'mp', id, String(i + 1))).ino);
    }
    const done = await store.completeMultipart('a/big', id, tags);
    const whole = Buffer.concat(parts);
    assert.equal(done.size, whole.length);
    assert.equal(done.sha256, sha(whole));
    assert.match(done.etag, /^[0-9a-f]{32}-3$/);
    assert.deepEqual(parts.map((_, i) => fs.statSync(path.join(root, 'blobs', id, String(i + 1))).ino), inodes, 'no byte copied');
    assert.ok(fs.statSync(path.join(root, 'o', 'a', 'big~')).size < 1024, 'the object file is a manifest');
    assert.equal(fs.existsSync(path.join(root, 'mp', id)), false);
    const head = await store.head('a/big');
    assert.deepEqual([head?.size, head?.etag, head?.sha256], [whole.length, done.etag, sha(whole)]);
    assert.equal(sha(await buffer((await store.get('a/big'))!.body)), sha(whole));
    assert.equal((await store.list({ prefix: 'a/' })).objects[0]?.size, whole.length);
  });

  it('serves any byte range across part boundaries', async () => {
    const store = new FsObjectStore(fresh());
    const parts = [bytes(1000, 1), bytes(1, 2), bytes(0, 3), bytes(2500, 4), bytes(17, 5)];
    await upload(store, 'r/x', parts);
    const whole = Buffer.concat(parts);
    await fc.assert(fc.asyncProperty(fc.nat(whole.length - 1), fc.nat(whole.length + 10), async (start, len) => {
      const got = (await store.get('r/x', { start, end: start + len }))!;
      assert.deepEqual(await buffer(got.body), whole.subarray(start, start + len + 1));
    }), { numRuns: 60 });
  });

  it('the whole SHA-256 is right for parts out of order, resent, or cut and resent', async () => {
    const store = new FsObjectStore(fresh());
    const p = [bytes(5 * 1024 * 1024, 1), bytes(5 * 1024 * 1024, 2), bytes(4000, 3)];
    assert.equal((await upload(store, 'h/rev', p, [2, 1, 0])).done.sha256, sha(Buffer.concat(p)));
    // part 1 and 2 in order, then part 1 again with other bytes: the running hash no longer describes part 1
    const id = await store.createMultipart('h/resent');
    await store.putPart('h/resent', id, 1, from(p[0]!));
    const t2 = await store.putPart('h/resent', id, 2, from(p[1]!));
    const t1 = await store.putPart('h/resent', id, 1, from(p[2]!));
    const done = await store.completeMultipart('h/resent', id, [{ partNumber: 1, etag: t1.etag }, { partNumber: 2, etag: t2.etag }]);
    assert.equal(done.sha256, sha(Buffer.concat([p[2]!, p[1]!])));
    // part 1 cut mid-stream, then sent whole
    const cut = await store.createMultipart('h/cut');
    const failing = new Readable({ read() { if (this.readableLength === 0 && !this.destroyed) { this.push(p[0]!.subarray(0, 3 * 1024 * 1024)); this.destroy(new Error('gone')); } } });
    await assert.rejects(store.putPart('h/cut', cut, 1, failing), /gone/);
    const c1 = await store.putPart('h/cut', cut, 1, from(p[0]!));
    const c2 = await store.putPart('h/cut', cut, 2, from(p[1]!));
    const whole = await store.completeMultipart('h/cut', cut, [{ partNumber: 1, etag: c1.etag }, { partNumber: 2, etag: c2.etag }]);
    assert.equal(whole.sha256, sha(Buffer.concat([p[0]!, p[1]!])));
  });

  it('a part sent while its predecessor still streams (a pipelining client) extends the running hash', async () => {
    const root = fresh();
    const store = new FsObjectStore(root);
    const p = [bytes(5 * 1024 * 1024, 4), bytes(3 * 1024 * 1024, 5)];
    const id = await store.createMultipart('h/pipe');
    const body1 = new PassThrough();
    body1.write(p[0]!.subarray(0, 2 * 1024 * 1024));
    const put1 = store.putPart('h/pipe', id, 1, body1);
    // part 1 must have claimed the running hash first: it has once the store reads its body (its look-up of the
    // upload is I/O, which a busy machine may finish after part 2's, and then part 2 would not extend the hash)
    for (let i = 0; body1.readableFlowing !== true; i++) {
      assert.ok(i < 100_000, 'the store never started reading part 1');
      await new Promise((r) => setImmediate(r));
    }
    const put2 = store.putPart('h/pipe', id, 2, from(p[1]!)); // arrives before part 1 has all its bytes
    await new Promise((r) => setImmediate(r));
    body1.end(p[0]!.subarray(2 * 1024 * 1024));
    const [t1, t2] = await Promise.all([put1, put2]);
    // Change part 2 on disk behind the store's back: a completion that reads the parts again would hash this.
    const fd = fs.openSync(path.join(root, 'mp', id, '2'), 'r+');
    fs.writeSync(fd, Buffer.from('tampered'), 0, 8, 64);
    fs.closeSync(fd);
    const done = await store.completeMultipart('h/pipe', id, [{ partNumber: 1, etag: t1.etag }, { partNumber: 2, etag: t2.etag }]);
    assert.equal(done.sha256, sha(Buffer.concat(p)), 'the SHA-256 came from the running hash over both parts as streamed');
  });

  it('replace and delete remove the old parts; a reader of the old version reads it whole', async () => {
    const root = fresh();
    const store = new FsObjectStore(root);
    const old = [bytes(3 * 1024 * 1024, 1), bytes(3 * 1024 * 1024, 2)];
    const { id } = await upload(store, 'v/f', old);
    const reading = (await store.get('v/f'))!;
    await store.put('v/f', from(Buffer.from('small now')));
    assert.equal(fs.existsSync(path.join(root, 'blobs', id)), false, 'the old parts are gone once replaced');
    assert.equal(sha(await buffer(reading.body)), sha(Buffer.concat(old)), 'the open reader still reads the old version');
    const second = await upload(store, 'v/f', old);
    assert.equal(await store.delete('v/f'), true);
    assert.equal(fs.existsSync(path.join(root, 'blobs', second.id)), false);
    assert.deepEqual(fs.readdirSync(path.join(root, 'blobs')), []);
    const third = await upload(store, 'v/g', old);
    await upload(store, 'v/g', [bytes(10, 9)]);
    assert.deepEqual(fs.readdirSync(path.join(root, 'blobs')).includes(third.id), false, 'a multipart replaced by another');
  });

  it('reads 300 parts with a bounded number of open files; a lease keeps a version replaced meanwhile readable', async () => {
    // 300 parts of ~10 kB: 3 MB, well over the reader's 1 MB read-ahead, so the reader still holds its lease while
    // the first chunk's consumer replaces the object (with 1 kB parts a busy machine read all 300 KB ahead, and the
    // reader had let go before the replacement: the blob was rightly removed at once, failing "kept while leased")
    const { root, store, other, parts, whole, id, fds, base } = await threeHundredParts('many/f', 10_000);
    let peak = 0;
    const got: Buffer[] = [];
    const reading = (await store.get('many/f'))!;
    for await (const chunk of reading.body) {
      got.push(chunk as Buffer);
      peak = Math.max(peak, fds() - base);
      if (got.length === 1) {
        await other.put('many/f', from(Buffer.from('replaced')));
        assert.equal(fs.existsSync(path.join(root, 'blobs', id)), false, 'unreachable for new readers');
        assert.equal(fs.existsSync(path.join(root, 'retired', id)), true, 'kept while leased');
      }
    }
    assert.equal(sha(Buffer.concat(got)), sha(whole), 'the reader read the old version whole');
    assert.ok(peak <= 3, `at most a few files open while reading 300 parts (peak +${peak})`);
    assert.deepEqual(fs.readdirSync(path.join(root, 'retired')), [], 'the last reader removed the retired parts');
    assert.equal((await buffer((await store.get('many/f'))!.body)).toString(), 'replaced');

    const second = await upload(store, 'many/g', parts);
    const early = (await store.get('many/g', { start: 5000 }))!;
    const unread = (await store.get('many/g'))!;
    await other.delete('many/g');
    assert.deepEqual(fs.readdirSync(path.join(root, 'retired')), [second.id]);
    for await (const _ of early.body) { early.body.destroy(); break; } // eslint-disable-line no-unreachable-loop
    unread.body.destroy();
    await Promise.all([finished(early.body).catch(() => undefined), finished(unread.body).catch(() => undefined)]);
    // Letting go is a few file operations after 'close': wait for them by turns of the file system queue, not by time.
    for (let i = 0; i < 1000 && (await fs.promises.readdir(path.join(root, 'retired'))).length > 0; i++);
    assert.deepEqual(fs.readdirSync(path.join(root, 'retired')), [], 'destroyed and unread readers let go');
    assert.equal(fds(), base, 'no file left open');
  });

  it('pipeTo reads 300 parts one file at a time; a writable closed midway or a read error lets go of file and lease', async () => {
    const { root, store, other, parts, whole, id, fds, base } = await threeHundredParts('pump/f', 5000);
    let peak = 0;
    const got: Buffer[] = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        got.push(Buffer.from(chunk));
        peak = Math.max(peak, fds() - base);
        setImmediate(cb);
      },
    });
    await (await store.get('pump/f', { start: 3 }))!.pipeTo(dest);
    assert.equal(sha(Buffer.concat(got)), sha(whole.subarray(3)));
    assert.ok(peak <= 2, `at most a few files open while pumping 300 parts (peak +${peak})`);
    assert.equal(fs.readdirSync(path.join(root, 'blobs', id)).some((n) => n.startsWith('lease-')), false, 'the lease is let go');

    // A writable that closes after its first chunk (a client gone) while another instance replaces the object.
    const reading = (await store.get('pump/f'))!;
    const cut = new Writable({
      write(_chunk, _enc, cb) {
        void other.put('pump/f', from(Buffer.from('replaced'))).then(() => {
          assert.deepEqual(fs.readdirSync(path.join(root, 'retired')), [id], 'kept while leased');
          cut.destroy();
          cb();
        });
      },
    });
    await assert.rejects(reading.pipeTo(cut), kind('aborted'));
    assert.deepEqual(fs.readdirSync(path.join(root, 'retired')), [], 'the cut reader removed the retired parts');
    assert.equal(fds(), base, 'no file left open');

    // A part missing on disk once the read reaches it: the read fails, the writable is destroyed, nothing stays open.
    const third = await upload(store, 'pump/g', parts);
    const broken = (await store.get('pump/g'))!;
    fs.rmSync(path.join(root, 'blobs', third.id, '2'));
    const sinkOf = new Writable({ write(_c, _e, cb) { cb(); } });
    await assert.rejects(broken.pipeTo(sinkOf), { code: 'ENOENT' });
    assert.equal(sinkOf.destroyed, true);
    assert.equal(fs.readdirSync(path.join(root, 'blobs', third.id)).some((n) => n.startsWith('lease-')), false);
    assert.equal(fds(), base, 'no file left open after the failed read');
  });

  it('copies a multipart object by linking its parts; either survives the other', async () => {
    const root = fresh();
    const store = new FsObjectStore(root);
    const parts = [bytes(2 * 1024 * 1024, 1), bytes(300, 2)];
    const { done } = await upload(store, 'c/src', parts);
    const copied = await store.copy('c/src', 'c/dst');
    assert.equal(copied.etag, done.etag);
    await store.delete('c/src');
    assert.equal(sha(await buffer((await store.get('c/dst'))!.body)), sha(Buffer.concat(parts)));
    assert.equal(fs.readdirSync(path.join(root, 'blobs')).length, 1);
  });

  it('a start removes blobs no manifest names once they are an hour old, and keeps the others', async () => {
    const root = fresh();
    const store = new FsObjectStore(root);
    const { id } = await upload(store, 'k/kept', [bytes(100, 1)]);
    const orphan = path.join(root, 'blobs', 'ab'.repeat(16));
    const young = path.join(root, 'blobs', 'cd'.repeat(16));
    for (const d of [orphan, young]) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'key'), 'k/never');
      fs.writeFileSync(path.join(d, '1'), 'x');
    }
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    for (const d of [orphan, path.join(root, 'blobs', id)]) fs.utimesSync(d, hourAgo, hourAgo);
    new FsObjectStore(root);
    assert.deepEqual(fs.readdirSync(path.join(root, 'blobs')).sort(), [id, 'cd'.repeat(16)].sort());
    assert.equal((await store.head('k/kept'))?.size, 100);
  });
});
