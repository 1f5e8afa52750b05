/**
 * The ObjectStore contract: every implementation (data directory, S3-compatible) runs this suite through
 * runObjectStoreContract(name, open). `open()` gives a store on an empty key space.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { ObjectStoreError, type ObjectStore } from '../../src/objectstore/index.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed = 1) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};
const from = (b: Buffer) => Readable.from([b]);
/** A source that sends `good` bytes, then fails as a client that disconnects does. */
const failing = (good: Buffer) => new Readable({
  read() {
    if (this.readableLength === 0 && good.length) {
      this.push(good);
      good = Buffer.alloc(0);
    } else this.destroy(new Error('client went away'));
  },
});
/**
 * A slow writable (each write calls back a turn later) that copies every chunk when it calls back, so a chunk
 * buffer reused before its callback shows up as wrong bytes; with `failAt` the write at that index fails.
 */
function sink(failAt?: number) {
  const got: Buffer[] = [];
  let writes = 0;
  const dest = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      const i = writes++;
      setImmediate(() => {
        if (i === failAt) { cb(new Error('receiver went away')); return; }
        got.push(Buffer.from(chunk));
        cb();
      });
    },
  });
  return { dest, bytes: () => Buffer.concat(got) };
}
const kind = (k: string) => (err: unknown) => err instanceof ObjectStoreError && err.kind === k;

/**
 * What a fake server lacks: s3rver 3.7 sorts listings by its own file layout rather than by UTF-8 bytes as S3 does,
 * answers AbortMultipartUpload with 405, and cannot hold an object inside another's
 * "folder". Real S3 and the data directory do both.
 */
export interface Gaps {
  unorderedListing?: boolean;
  noAbort?: boolean;
  /** s3rver keeps objects as files, so an object "a/b" and an object "a/b/c" cannot both exist there. */
  noObjectAboveObject?: boolean;
}

export function runObjectStoreContract(name: string, open: () => Promise<ObjectStore>, gaps: Gaps = {}): void {
  const ordered = (keys: string[]) => (gaps.unorderedListing ? [...keys].sort() : keys);
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    before(async () => { store = await open(); });
    after(() => store.close());

    it('put streams the bytes in and reports size, MD5, SHA-256; get and head give them back', async () => {
      const data = bytes(300_000);
      const put = await store.put('t/a/one.bin', from(data), { expectedSize: data.length });
      assert.equal(put.size, data.length);
      assert.equal(put.md5, md5(data));
      assert.equal(put.sha256, sha(data));
      assert.equal(put.etag, md5(data), 'a single put has the MD5 as entity tag');
      const head = await store.head('t/a/one.bin');
      assert.equal(head?.size, data.length);
      assert.equal(head?.etag, put.etag);
      if (head?.sha256 !== undefined) assert.equal(head.sha256, sha(data));
      const got = await store.get('t/a/one.bin');
      assert.ok(got);
      assert.equal(sha(await buffer(got.body)), sha(data));
      const empty = await store.put('t/a/empty', from(Buffer.alloc(0)));
      assert.equal(empty.size, 0);
      assert.equal((await buffer((await store.get('t/a/empty'))!.body)).length, 0);
    });

    it('serves byte ranges and refuses one beyond the end', async () => {
      const data = bytes(1000, 7);
      await store.put('t/r/file', from(data));
      const mid = (await store.get('t/r/file', { start: 10, end: 19 }))!;
      assert.deepEqual(mid.range, { start: 10, end: 19 });
      assert.deepEqual(await buffer(mid.body), data.subarray(10, 20));
      const tail = (await store.get('t/r/file', { start: 990 }))!;
      assert.deepEqual(await buffer(tail.body), data.subarray(990));
      await assert.rejects(store.get('t/r/file', { start: 1000 }), kind('badRange'));
      assert.equal(await store.get('t/r/missing'), undefined);
      assert.equal(await store.get('t/r/missing', { start: 0 }), undefined);
    });

    it('pipeTo writes the bytes (or a range) into a writable and ends it; a failing writable stops it', async () => {
      const data = bytes(3 * 1024 * 1024 + 17, 5);
      await store.put('t/p/file', from(data));
      const all = sink();
      await (await store.get('t/p/file'))!.pipeTo(all.dest);
      assert.equal(all.dest.writableFinished, true);
      assert.equal(sha(all.bytes()), sha(data), 'no chunk changed before its write called back');
      const part = sink();
      await (await store.get('t/p/file', { start: 1024 * 1024 - 5, end: 2 * 1024 * 1024 + 5 }))!.pipeTo(part.dest);
      assert.deepEqual(part.bytes(), data.subarray(1024 * 1024 - 5, 2 * 1024 * 1024 + 6));
      const empty = sink();
      await store.put('t/p/empty', from(Buffer.alloc(0)));
      await (await store.get('t/p/empty'))!.pipeTo(empty.dest);
      assert.equal(empty.bytes().length, 0);
      const failing = sink(1);
      await assert.rejects((await store.get('t/p/file'))!.pipeTo(failing.dest), kind('aborted'));
      assert.equal(failing.dest.destroyed, true);
      const taken = (await store.get('t/p/file'))!;
      const done = sink();
      await taken.pipeTo(done.dest);
      assert.throws(() => taken.body, 'the bytes are taken once');
    });

    it('a put over the size limit fails and leaves the previous object as it was', async () => {
      const old = bytes(100, 3);
      await store.put('t/limit/x', from(old));
      await assert.rejects(store.put('t/limit/x', from(bytes(2000)), { maxBytes: 1999 }), kind('tooLarge'));
      await assert.rejects(store.put('t/limit/new', from(bytes(2000)), { maxBytes: 1000 }), kind('tooLarge'));
      assert.equal(await store.head('t/limit/new'), undefined, 'nothing visible after a refused put');
      assert.equal((await store.head('t/limit/x'))?.etag, md5(old));
      await assert.doesNotReject(store.put('t/limit/exact', from(bytes(1000)), { maxBytes: 1000 }));
    });

    it('an interrupted upload leaves nothing visible', async () => {
      await assert.rejects(store.put('t/cut/never', failing(bytes(200_000)), { expectedSize: 400_000 }), /client went away/);
      assert.equal(await store.head('t/cut/never'), undefined);
      assert.deepEqual((await store.list({ prefix: 't/cut/' })).objects, []);
      const old = bytes(10);
      await store.put('t/cut/kept', from(old));
      await assert.rejects(store.put('t/cut/kept', failing(bytes(50_000))));
      assert.deepEqual(await buffer((await store.get('t/cut/kept'))!.body), old);
    });

    it('a body shorter or longer than declared is refused', async () => {
      await assert.rejects(store.put('t/len/short', from(bytes(10)), { expectedSize: 11 }), kind('sizeMismatch'));
      await assert.rejects(store.put('t/len/long', from(bytes(12)), { expectedSize: 11 }), kind('sizeMismatch'));
      assert.equal(await store.head('t/len/short'), undefined);
      assert.equal(await store.head('t/len/long'), undefined);
    });

    it('overwrites, copies and deletes', async () => {
      await store.put('t/o/f', from(Buffer.from('first')));
      await store.put('t/o/f', from(Buffer.from('second')));
      assert.equal((await buffer((await store.get('t/o/f'))!.body)).toString(), 'second');
      const copied = await store.copy('t/o/f', 't/o/g');
      assert.equal(copied.etag, md5(Buffer.from('second')));
      assert.equal(await store.delete('t/o/f'), true);
      assert.equal(await store.delete('t/o/f'), false);
      assert.equal(await store.head('t/o/f'), undefined);
      assert.equal((await buffer((await store.get('t/o/g'))!.body)).toString(), 'second');
      await assert.rejects(store.copy('t/o/nothing', 't/o/h'), kind('badKey'));
    });

    it('lists one level with a delimiter and everything below without, in key order, page by page', async () => {
      // s3rver walks its folders, so "b/..." comes before "b-x" there and marker paging would skip "b-x".
      const both = (list: string[]) => list.filter((k) => !(gaps.noObjectAboveObject && k === 't/l/b')
        && !(gaps.unorderedListing && k === 't/l/b-x'));
      const keys = both(['t/l/a', 't/l/b/c', 't/l/b', 't/l/b/d/e', 't/l/b-x', 't/l/c~%1', 't/l/d e', 't/l/ü', 't/lx/no']);
      for (const k of keys) await store.put(k, from(Buffer.from(k)));
      const level = await store.list({ prefix: 't/l/', delimiter: '/' });
      assert.deepEqual(ordered(level.objects.map((o) => o.key)), ordered(both(['t/l/a', 't/l/b', 't/l/b-x', 't/l/c~%1', 't/l/d e', 't/l/ü'])));
      assert.deepEqual(level.prefixes, ['t/l/b/']);
      assert.equal(level.objects.find((o) => o.key === 't/l/a')?.size, 5);
      const all = both(['t/l/a', 't/l/b', 't/l/b-x', 't/l/b/c', 't/l/b/d/e', 't/l/c~%1', 't/l/d e', 't/l/ü']);
      assert.deepEqual(ordered((await store.list({ prefix: 't/l/' })).objects.map((o) => o.key)), ordered(all));
      const paged: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await store.list({ prefix: 't/l/', limit: 3, ...(token ? { token } : {}) });
        assert.ok(page.objects.length <= 3);
        paged.push(...page.objects.map((o) => o.key));
        token = page.nextToken;
        if (!token) break;
      }
      assert.deepEqual(ordered(paged), ordered(all));
      const levelPaged: string[] = [];
      token = undefined;
      for (let i = 0; i < 20; i++) {
        const page = await store.list({ prefix: 't/l/', delimiter: '/', limit: 2, ...(token ? { token } : {}) });
        levelPaged.push(...page.objects.map((o) => o.key), ...page.prefixes);
        token = page.nextToken;
        if (!token) break;
      }
      assert.deepEqual(levelPaged.sort(), [...level.objects.map((o) => o.key), ...level.prefixes].sort());
      assert.deepEqual((await store.list({ prefix: 't/l/b/', delimiter: '/' })).objects.map((o) => o.key), ['t/l/b/c']);
      assert.deepEqual((await store.list({ prefix: 't/nothing/' })).objects, []);
    });

    it('multipart: parts in any order, completion joins them, abort discards', async () => {
      const p1 = bytes(5 * 1024 * 1024, 1);
      const p2 = bytes(1234, 2);
      const id = await store.createMultipart('t/mp/big');
      const r2 = await store.putPart('t/mp/big', id, 2, from(p2), { expectedSize: p2.length });
      const r1 = await store.putPart('t/mp/big', id, 1, from(p1), { expectedSize: p1.length });
      assert.equal(r1.md5, md5(p1));
      assert.equal(r2.size, p2.length);
      assert.equal(await store.head('t/mp/big'), undefined, 'nothing visible before completion');
      const done = await store.completeMultipart('t/mp/big', id, [{ partNumber: 2, etag: r2.etag }, { partNumber: 1, etag: r1.etag }]);
      const whole = Buffer.concat([p1, p2]);
      assert.equal(done.size, whole.length);
      if (done.sha256 !== undefined) assert.equal(done.sha256, sha(whole));
      assert.equal(sha(await buffer((await store.get('t/mp/big'))!.body)), sha(whole));

      if (gaps.noAbort) return;
      const gone = await store.createMultipart('t/mp/aborted');
      await store.putPart('t/mp/aborted', gone, 1, from(p2), { expectedSize: p2.length });
      await store.abortMultipart('t/mp/aborted', gone);
      await assert.rejects(store.completeMultipart('t/mp/aborted', gone, [{ partNumber: 1, etag: r2.etag }]), kind('noUpload'));
      assert.equal(await store.head('t/mp/aborted'), undefined);
      await assert.rejects(store.putPart('t/mp/big', id, 0, from(p2), { expectedSize: p2.length }), kind('badPart'));
    });

    it('refuses keys that could leave the store root before touching storage', async () => {
      for (const k of ['../x', 't/../../x', '/abs', 't//x', 't/./x', 'a\\b', 'a\nb', '', 'x'.repeat(1025)]) {
        await assert.rejects(store.put(k, from(Buffer.from('x'))), kind('badKey'), JSON.stringify(k));
        await assert.rejects(store.get(k), kind('badKey'));
      }
      await assert.rejects(store.list({ prefix: '../' }), kind('badKey'));
    });
  });
}
