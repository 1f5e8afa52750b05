/**
 * The integer-sequence coding of the time series chunk codec (chunk-codec.ts, issue 17 "Compressed storage"), used
 * for timestamps, decimal-scaled numbers and dictionary indices: raw, delta or delta-of-delta residuals (the order
 * chosen per sequence by size), zigzagged and bit-packed in blocks of 128 with one width byte per block; and the
 * arena of integer arrays that text-path decodes reuse.
 *
 * Invariants: the header invariants of chunk-codec-bits.ts (safe integers within ±2^50, so residuals stay exact in
 * float64); a decoded value outside the range throws CorruptChunk.
 */
import { bitLength, BLOCK, CorruptChunk, INT_LIMIT, type Reader, unzigzag, type Writer, zigzag } from './chunk-codec-bits.js';

/** Highest order of differences used, and the magnitude its inputs must keep (third differences stay <= 2^52). */
const MAX_ORDER = 3;
const ORDER3_LIMIT = 2 ** 49;

/** The value order `order` predicts at i from out[i-1..i-order] (0; the last value; the last step; the last curve). */
function predict(out: ArrayLike<number>, i: number, order: number): number {
  switch (order) {
    case 0: return 0;
    case 1: return out[i - 1]!;
    case 2: return 2 * out[i - 1]! - out[i - 2]!;
    default: return 3 * out[i - 1]! - 3 * out[i - 2]! + out[i - 3]!;
  }
}

/** Longest sequence whose residuals use the shared scratch arrays (a longer one gets arrays of its own). */
const SCRATCH_MAX = 1 << 16;
let scratch: [Float64Array, Float64Array] = [new Float64Array(BLOCK), new Float64Array(BLOCK)];

/**
 * Zigzagged residuals of `order` from index `order` on (the first `order` values are seeds), into `out` (at least
 * xs.length long; what is below `order` is left as it was).
 */
function residuals(xs: ArrayLike<number>, order: number, out: Float64Array): Float64Array {
  const n = xs.length;
  if (order === 0) for (let i = 0; i < n; i++) out[i] = zigzag(xs[i]!);
  else if (order === 1) for (let i = 1; i < n; i++) out[i] = zigzag(xs[i]! - xs[i - 1]!);
  else if (order === 2) for (let i = 2; i < n; i++) out[i] = zigzag(xs[i]! - 2 * xs[i - 1]! + xs[i - 2]!);
  else for (let i = 3; i < n; i++) out[i] = zigzag(xs[i]! - 3 * xs[i - 1]! + 3 * xs[i - 2]! - xs[i - 3]!);
  return out;
}

/** Bits per order (0..3) of the packed residuals from index `order` on, in one pass and without storing them. */
const orderBits = new Float64Array(MAX_ORDER + 1);

/**
 * Fills orderBits: for each order, what packedBits of its residuals would be (blocks of 128 from index `order`, a
 * width byte each). The residuals are the expressions of `residuals`, so the sums are the same.
 */
function sizeOrders(xs: ArrayLike<number>, n: number): void {
  let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  let m0 = 0, m1 = 0, m2 = 0, m3 = 0;
  // values of the current block of each order so far (order k's blocks start at k, k + 128, ...)
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  let p1 = 0, p2 = 0, p3 = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    const z0 = zigzag(x);
    if (z0 > m0) m0 = z0;
    if (++c0 === BLOCK) { t0 += 8 + bitLength(m0) * BLOCK; m0 = 0; c0 = 0; }
    if (i >= 3) {
      const z1 = zigzag(x - p1);
      const z2 = zigzag(x - 2 * p1 + p2);
      const z3 = zigzag(x - 3 * p1 + 3 * p2 - p3);
      if (z1 > m1) m1 = z1;
      if (z2 > m2) m2 = z2;
      if (z3 > m3) m3 = z3;
      if (++c1 === BLOCK) { t1 += 8 + bitLength(m1) * BLOCK; m1 = 0; c1 = 0; }
      if (++c2 === BLOCK) { t2 += 8 + bitLength(m2) * BLOCK; m2 = 0; c2 = 0; }
      if (++c3 === BLOCK) { t3 += 8 + bitLength(m3) * BLOCK; m3 = 0; c3 = 0; }
    } else if (i >= 1) {
      const z1 = zigzag(x - p1);
      if (z1 > m1) m1 = z1;
      c1++;
      if (i === 2) {
        const z2 = zigzag(x - 2 * p1 + p2);
        if (z2 > m2) m2 = z2;
        c2++;
      }
    }
    p3 = p2;
    p2 = p1;
    p1 = x;
  }
  // the last, partial block of each order
  if (c0 > 0) t0 += 8 + bitLength(m0) * c0;
  if (c1 > 0) t1 += 8 + bitLength(m1) * c1;
  if (c2 > 0) t2 += 8 + bitLength(m2) * c2;
  if (c3 > 0) t3 += 8 + bitLength(m3) * c3;
  orderBits[0] = t0; orderBits[1] = t1; orderBits[2] = t2; orderBits[3] = t3;
}

/**
 * Writes an integer sequence (|x| <= INT_LIMIT; length known to the reader): one order byte, `order` seeds (the
 * j-th difference at j, zigzag varints), then the residuals against the order's prediction in blocks of 128: a
 * width byte and `width` bits per value, byte-aligned per block; a width 0 is followed by the count of further
 * all-zero blocks. The order (0..3) is the one whose packed residuals are smallest, so constant, linear and
 * smooth runs cost ~0 bits (1 Hz timestamps: 2 bytes for the whole chunk).
 */
export function writeInts(w: Writer, xs: ArrayLike<number>, orders: readonly number[] = [0, 1, 2, 3]): void {
  const n = xs.length;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) { const a = Math.abs(xs[i]!); if (a > maxAbs) maxAbs = a; }
  if (!(maxAbs <= INT_LIMIT)) throw new RangeError(`integer sequence value ${maxAbs} beyond ±2^50`);
  // Two arrays, the best residuals so far and the candidate, reused across calls: encoding a small chunk
  // allocated four arrays per column here, most of its cost (issue 17, time-major writes of 20 records).
  if (n > SCRATCH_MAX) scratch = [new Float64Array(n), new Float64Array(n)];
  else if (scratch[0].length < n) {
    const size = Math.min(SCRATCH_MAX, Math.max(n, scratch[0].length * 2));
    scratch = [new Float64Array(size), new Float64Array(size)];
  }
  // The order is chosen from the sizes of all four (one pass), then only its residuals are made.
  sizeOrders(xs, n);
  let best = -1;
  let bestBits = Infinity;
  for (const order of orders) {
    if (order > 0 && n <= order) continue;
    if (order === MAX_ORDER && maxAbs > ORDER3_LIMIT) continue;
    const b = orderBits[order]! + 16 * order;
    if (b < bestBits) { best = order; bestBits = b; }
  }
  if (best < 0) best = 0;
  const z = residuals(xs, best, scratch[0]);
  if (n > SCRATCH_MAX) scratch = [new Float64Array(BLOCK), new Float64Array(BLOCK)];
  w.byte(best);
  for (let j = 0; j < best; j++) w.svar(xs[j]! - predict(xs, j, j));
  for (let s = best; s < n; s += BLOCK) {
    const e = Math.min(n, s + BLOCK);
    let max = 0;
    for (let i = s; i < e; i++) if (z[i]! > max) max = z[i]!;
    const width = bitLength(max);
    w.byte(width);
    if (width > 0) {
      w.packed(z, s, e, width);
      continue;
    }
    let run = 0;
    for (let t = e; t < n; t += BLOCK) {
      const te = Math.min(n, t + BLOCK);
      let zero = true;
      for (let i = t; i < te && zero; i++) zero = z[i] === 0;
      if (!zero) break;
      run++;
    }
    w.uvar(run);
    s += run * BLOCK;
  }
}

/** Longest array and most arrays an IntArena keeps. */
const ARENA_MAX = 1 << 16;
const ARENA_ARRAYS = 256;

/**
 * Integer arrays lent to decodes whose arrays do not outlive them (the chunk codec's text paths, which render and
 * copy out before the next decode): `reset` before each, then `take` hands out the same few buffers again, so a
 * cold read does not make a new ArrayBuffer per column (each one external memory that the GC has to sweep).
 */
export class IntArena {
  private readonly arrays: Float64Array[] = [];
  private next = 0;

  reset(): void {
    this.next = 0;
  }

  /** An array of n elements, not zeroed. */
  take(n: number): Float64Array {
    if (n > ARENA_MAX || this.next >= ARENA_ARRAYS) return new Float64Array(n);
    let a = this.arrays[this.next];
    if (a === undefined || a.length < n) this.arrays[this.next] = a = new Float64Array(Math.max(n, 1024));
    this.next++;
    return a.subarray(0, n);
  }
}

/**
 * Reads `n` integers written by writeInts (into an array of `arena` when given): first every block's residuals (unzigzagged, in `out`), then one pass per
 * order that adds each residual to its prediction from the values before it, kept in locals. The sums are the
 * ones predict() forms, in the same order, so every value is the same double.
 */
export function readInts(r: Reader, n: number, arena?: IntArena): Float64Array {
  const out = arena ? arena.take(n) : new Float64Array(n);
  const order = r.byte();
  if (order > MAX_ORDER) throw new CorruptChunk(`integer sequence order ${order}`);
  const from = Math.min(order, n);
  for (let j = 0; j < from; j++) out[j] = predict(out, j, j) + r.svar();
  let view: DataView | undefined;
  for (let s = from; s < n; s += BLOCK) {
    let e = Math.min(n, s + BLOCK);
    const width = r.byte();
    if (width > 54) throw new CorruptChunk(`bit width ${width}`);
    if (width === 0) {
      // Zero residuals over this and the following all-zero blocks (a new array is zeroed already).
      const run = r.count(Math.ceil((n - e) / BLOCK));
      e = Math.min(n, e + run * BLOCK);
      if (arena) out.fill(0, s, e);
      s = e - BLOCK;
      continue;
    }
    const bytes = Math.ceil(((e - s) * width) / 8);
    r.need(bytes);
    const buf = r.buf;
    const p0 = r.pos;
    const mask = (1 << width) - 1;
    if (width <= 24 && p0 + bytes + 3 <= buf.length) {
      // The hot case: each value from one unaligned 32-bit load at its bit position (its width and the shift fit
      // in 31 bits; the load may reach 3 bytes past the block, never past the buffer), int32 zigzag.
      view ??= new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      for (let i = s, bp = 0; i < e; i++, bp += width) {
        const z = (view.getUint32(p0 + (bp >>> 3), true) >>> (bp & 7)) & mask;
        out[i] = (z >>> 1) ^ -(z & 1);
      }
      r.pos = p0 + bytes;
      continue;
    }
    if (width <= 24) {
      // The same within 3 bytes of the buffer's end: an int32 bit window filled a byte at a time.
      let p = p0;
      let acc = 0;
      let nacc = 0;
      for (let i = s; i < e; i++) {
        while (nacc < width) { acc |= buf[p++]! << nacc; nacc += 8; }
        const z = acc & mask;
        acc >>>= width;
        nacc -= width;
        out[i] = (z >>> 1) ^ -(z & 1);
      }
      r.pos = p;
      continue;
    }
    for (let i = s; i < e; i++) out[i] = unzigzag(r.bits(width));
    r.align();
  }
  integrate(out, from, order);
  return out;
}

const LIMIT = INT_LIMIT * 8;

/** Turns the residuals out[from..] into values (out[i] = prediction of `order` + residual), checking the range. */
function integrate(out: Float64Array, from: number, order: number): void {
  const n = out.length;
  let bad = false;
  for (let i = 0; i < from; i++) bad ||= !(Math.abs(out[i]!) <= LIMIT);
  if (order === 0) {
    for (let i = from; i < n; i++) bad ||= !(Math.abs(out[i]!) <= LIMIT);
  } else if (order === 1) {
    let p1 = out[from - 1]!;
    for (let i = from; i < n; i++) {
      const v = p1 + out[i]!;
      out[i] = v;
      bad ||= !(Math.abs(v) <= LIMIT);
      p1 = v;
    }
  } else if (order === 2) {
    let p1 = out[from - 1]!;
    let p2 = out[from - 2]!;
    for (let i = from; i < n; i++) {
      const v = 2 * p1 - p2 + out[i]!;
      out[i] = v;
      bad ||= !(Math.abs(v) <= LIMIT);
      p2 = p1;
      p1 = v;
    }
  } else {
    let p1 = out[from - 1]!;
    let p2 = out[from - 2]!;
    let p3 = out[from - 3]!;
    for (let i = from; i < n; i++) {
      const v = 3 * p1 - 3 * p2 + p3 + out[i]!;
      out[i] = v;
      bad ||= !(Math.abs(v) <= LIMIT);
      p3 = p2;
      p2 = p1;
      p1 = v;
    }
  }
  if (bad) throw new CorruptChunk('integer out of range');
}
