/**
 * The integer-sequence coding of the chunk codec (src/timeseries/store/chunk-codec-bits.ts): writeInts sizes every
 * order in one pass without making the residuals, and packs the common widths in a local bit window. Checked here
 * against the plain definition: the order it writes is the first of the allowed ones whose residuals, packed in
 * blocks of 128 from the order's first residual (a width byte each) plus 16 bits per seed, take the fewest bits;
 * the sequence reads back exactly; and the block writer writes what bit-by-bit writes do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bitLength, INT_LIMIT, Reader, Writer, zigzag } from '../../src/timeseries/store/chunk-codec-bits.js';
import { readInts, writeInts } from '../../src/timeseries/store/chunk-codec-ints.js';

/** Residual of `order` at i, as the definition of the orders says (the last value, step, curve). */
function residual(xs: readonly number[], i: number, order: number): number {
  if (order === 0) return xs[i]!;
  if (order === 1) return xs[i]! - xs[i - 1]!;
  if (order === 2) return xs[i]! - 2 * xs[i - 1]! + xs[i - 2]!;
  return xs[i]! - 3 * xs[i - 1]! + 3 * xs[i - 2]! - xs[i - 3]!;
}

/** The order the coding should pick: fewest packed bits (+16 per seed), the first of equals, as listed. */
function expectedOrder(xs: readonly number[], orders: readonly number[]): number {
  const maxAbs = xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  let best = -1;
  let bestBits = Infinity;
  for (const order of orders) {
    if (order > 0 && xs.length <= order) continue;
    if (order === 3 && maxAbs > 2 ** 49) continue;
    let bits = 16 * order;
    for (let s = order; s < xs.length; s += 128) {
      const e = Math.min(xs.length, s + 128);
      let max = 0;
      for (let i = s; i < e; i++) max = Math.max(max, zigzag(residual(xs, i, order)));
      bits += 8 + bitLength(max) * (e - s);
    }
    if (bits < bestBits) { best = order; bestBits = bits; }
  }
  return best < 0 ? 0 : best;
}

const sequence = fc.oneof(
  fc.array(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), { maxLength: 700 }),
  fc.array(fc.constantFrom(-(2 ** 50), 2 ** 50, 2 ** 49 + 1, -(2 ** 49) - 1, 0, 1), { maxLength: 300 }),
  fc.array(fc.double({ min: -INT_LIMIT, max: INT_LIMIT, noNaN: true }).map(Math.trunc), { maxLength: 300 }),
  // timestamps: steps with a little jitter, long enough for several blocks
  fc.tuple(fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: 1, max: 10_000 }),
    fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 900 }))
    .map(([t0, step, jitter]) => jitter.map((j, i) => t0 + i * step + (j === 3 ? 7 : 0))),
);
const orderSets = fc.constantFrom([0, 1, 2, 3], [1, 2, 3], [2], [3, 0], [1, 0]);

describe('writeInts', () => {
  it('writes the order of fewest packed bits, and the sequence reads back', () => {
    fc.assert(fc.property(sequence, orderSets, fc.integer({ min: 0, max: 7 }), (xs, orders, pending) => {
      const w = new Writer(16);
      // a sequence after other bytes (as after a bitmap column)
      if (pending > 0) w.bits((1 << pending) - 1, pending);
      w.align();
      const at = w.pos;
      writeInts(w, Float64Array.from(xs), orders);
      const buf = Buffer.from(w.finish());
      assert.equal(buf[at], expectedOrder(xs, orders));
      const r = new Reader(buf, at, buf.length);
      assert.deepEqual([...readInts(r, xs.length)], xs.map((x) => x + 0));
      assert.equal(r.pos, buf.length);
    }), { numRuns: 400 });
  });

  it('packs a block as bits() of each value and align() do, after pending bits too', () => {
    const block = fc.integer({ min: 1, max: 54 }).chain((width) => fc.tuple(fc.constant(width),
      fc.array(fc.double({ min: 0, max: 2 ** width - 1, noNaN: true }).map(Math.floor), { maxLength: 200 }),
      fc.integer({ min: 0, max: 7 })));
    fc.assert(fc.property(block, ([width, zs, pending]) => {
      const a = new Writer(8);
      const b = new Writer(8);
      if (pending > 0) { a.bits(1, pending); b.bits(1, pending); }
      for (const z of zs) a.bits(z, width);
      a.align();
      b.packed(Float64Array.from(zs), 0, zs.length, width);
      b.align();
      assert.deepEqual(Buffer.from(b.finish()), Buffer.from(a.finish()));
    }), { numRuns: 400 });
  });
});
