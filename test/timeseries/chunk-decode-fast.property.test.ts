/**
 * The chunk codec's fast read paths (issue 17, the 2,000-record read): fixed decimals written from 3-digit tables
 * in 32-bit stores (writeDecimalWords in src/core/number-bytes.ts, and its inline case in chunk-codec-text.ts
 * render) give String()'s text at every magnitude and scale; integer sequences decoded with one 32-bit load per
 * value, or into the reused arrays of an IntArena, give what a fresh byte-by-byte decode gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { writeDecimalWords } from '../../src/core/number-bytes.js';
import { recordJson } from '../../src/timeseries/records.js';
import { INT_LIMIT, Reader, Writer } from '../../src/timeseries/store/chunk-codec-bits.js';
import { IntArena, readInts, writeInts } from '../../src/timeseries/store/chunk-codec-ints.js';
import { chunkJson, chunkText, encodeChunk } from '../../src/timeseries/store/chunk-codec.js';

/** Integers at and around the tables' and the fast paths' bounds (3, 6 and 9 digits, 2^31, 2^50), either sign. */
const EDGES = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 99_999, 999_999, 1_000_000, 1_000_001, 999_999_999, 1e9, 1e9 + 1,
  2 ** 31 - 1, 2 ** 31, 1e15 - 1, INT_LIMIT];
const scaled = fc.oneof(
  fc.tuple(fc.constantFrom(...EDGES), fc.integer({ min: -3, max: 3 }), fc.boolean())
    .map(([m, d, neg]) => Math.min(INT_LIMIT, Math.max(0, m + d)) * (neg ? -1 : 1)),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
);

describe('chunk codec fast read paths', () => {
  it('writeDecimalWords writes String(m / 10^k) and leaves the bytes before it alone', () => {
    fc.assert(fc.property(scaled, fc.integer({ min: 0, max: 6 }), fc.nat(40), fc.nat(255), (m, k, pos, fill) => {
      const out = Buffer.alloc(pos + 24, fill);
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const end = writeDecimalWords(out, view, pos, m, k);
      assert.equal(out.toString('latin1', pos, end), String(m / 10 ** k));
      assert.ok(out.subarray(0, pos).every((x) => x === fill));
    }), { numRuns: 5000 });
  });

  it('renders fixed-decimal columns of every scale, near every bound, as recordJson() stores them', () => {
    const column = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.array(scaled, { minLength: 1, maxLength: 40 }));
    fc.assert(fc.property(fc.array(column, { minLength: 1, maxLength: 5 }), (cols) => {
      const n = Math.max(...cols.map(([, ms]) => ms.length));
      const records = Array.from({ length: n }, (_, i) => {
        const values: Record<string, number> = {};
        cols.forEach(([k, ms], c) => { if (i < ms.length) values[`v${c}`] = ms[i]! / 10 ** k; });
        return { t: 1_700_000_000_000 + i * 250, values };
      });
      const want = records.map((r) => recordJson(r.t, r.values));
      const buf = encodeChunk(records);
      assert.deepEqual(chunkText(buf, -Infinity, Infinity, Infinity, false), want);
      assert.equal(chunkJson(buf, -Infinity, Infinity, Infinity, false).json.bytes.toString(), want.join(','));
    }), { numRuns: 500 });
  });

  it('integer sequences decode the same into a shared arena, one after another, with and without slack after them', () => {
    const seq = fc.oneof(
      fc.array(fc.integer({ min: -INT_LIMIT, max: INT_LIMIT }), { maxLength: 300 }),
      fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 600 }),
      // constant and linear runs: all-zero blocks, which an arena's reused array must not take from before
      fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -3, max: 3 }), fc.nat(700))
        .map(([a, b, n]) => Array.from({ length: n }, (_, i) => a + b * i)),
    );
    fc.assert(fc.property(fc.array(seq, { minLength: 1, maxLength: 6 }), fc.nat(4), (seqs, slack) => {
      const arena = new IntArena();
      for (const xs of seqs) {
        const w = new Writer(16);
        writeInts(w, xs);
        const enc = w.finish();
        const buf = Buffer.alloc(enc.length + slack, 0xff);
        enc.copy(buf);
        const fresh = readInts(new Reader(buf, 0, enc.length), xs.length);
        assert.deepEqual(Array.from(fresh), xs);
        arena.reset();
        arena.take(xs.length).fill(7); // what an earlier decode left in the array
        arena.reset();
        const r = new Reader(buf, 0, enc.length);
        assert.deepEqual(Array.from(readInts(r, xs.length, arena)), xs);
        assert.equal(r.pos, enc.length);
      }
    }), { numRuns: 300 });
  });
});
