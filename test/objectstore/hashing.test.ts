/**
 * Hashing in worker threads (src/objectstore/hashing.ts): the Digest's MD5 and SHA-256 equal node:crypto's over
 * the same bytes for any chunking, across the slab boundaries and the inline path for small streams, and a
 * running hash fed by several streams in turn equals the hash of their concatenation.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Digest } from '../../src/objectstore/digest.js';
import { hashPool, newHash, SLAB_BYTES } from '../../src/objectstore/hashing.js';
import { ObjectStoreError } from '../../src/objectstore/store.js';

const hex = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');
const bytes = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >> 11)) & 0xff;
  return b;
};
const sink = () => new Writable({ write(_c, _e, done) { done(); } });
const chunked = (b: Buffer, cuts: number[]) => {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, b.length]) { if (c > prev) out.push(b.subarray(prev, c)); prev = Math.max(prev, c); }
  return Readable.from(out);
};

describe('hashing off the event loop', () => {
  it('gives the MD5 and SHA-256 of node:crypto for any size and chunking', async () => {
    const edge = [0, 1, SLAB_BYTES - 1, SLAB_BYTES, SLAB_BYTES + 1, 5 * SLAB_BYTES + 3];
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.constantFrom(...edge), fc.integer({ min: 0, max: 6 * SLAB_BYTES })), fc.array(fc.nat(), { maxLength: 30 }), fc.nat(255),
      async (size, cuts, seed) => {
        const data = bytes(size, seed);
        const d = new Digest({ expectedSize: size });
        await pipeline(chunked(data, cuts), d, sink());
        assert.equal(d.size, size);
        assert.equal(d.md5, hex('md5', data));
        assert.equal(d.sha256, hex('sha256', data));
      }), { numRuns: 40 });
  });

  it('a running hash extended by several streams is the hash of all their bytes', async () => {
    const parts = [bytes(SLAB_BYTES * 2 + 5, 1), bytes(10, 2), bytes(0, 3), bytes(SLAB_BYTES * 3, 4)];
    const running = newHash('sha256');
    for (const p of parts) {
      const d = new Digest({}, [running]);
      await pipeline(Readable.from([p]), d, sink());
      assert.equal(d.sha256, hex('sha256', p), 'each stream still has its own hash');
    }
    assert.deepEqual(await hashPool.end([running]), [hex('sha256', Buffer.concat(parts))]);
  });

  it('a stream over its limit fails and the next one hashes correctly', async () => {
    const d = new Digest({ maxBytes: SLAB_BYTES * 2 });
    await assert.rejects(pipeline(Readable.from([bytes(SLAB_BYTES * 3, 9)]), d, sink()),
      (e: unknown) => e instanceof ObjectStoreError && e.kind === 'tooLarge');
    const ok = new Digest();
    const data = bytes(SLAB_BYTES * 3, 8);
    await pipeline(Readable.from([data]), ok, sink());
    assert.equal(ok.sha256, hex('sha256', data));
  });
});
