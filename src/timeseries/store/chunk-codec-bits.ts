/**
 * Byte and bit primitives of the time series chunk codec (chunk-codec.ts, issue 17 "Compressed storage"): a growable
 * writer and a bounds-checked reader of bytes, LEB128 varints, zigzag integers, float64 and strings, and the
 * integer-sequence coding used for timestamps, decimal-scaled numbers and dictionary indices (raw, delta or
 * delta-of-delta residuals, zigzagged and bit-packed in blocks of 128 with one width byte per block).
 *
 * Invariants: every integer handled here is a safe integer whose zigzag form is at most 2^54 (callers keep values
 * within ±2^50, so delta-of-delta residuals stay within ±2^52 and are exact in float64 arithmetic). The reader
 * never reads past its end: any attempt throws a CorruptChunk error, so truncated input cannot hang or wrap.
 */

export class CorruptChunk extends Error {
  constructor(why: string) {
    super(`corrupt time series chunk: ${why}`);
    this.name = 'CorruptChunk';
  }
}

const TWO32 = 4_294_967_296;
const BLOCK = 128;
/** Largest magnitude of an integer the sequence coding accepts (see the header invariant). */
export const INT_LIMIT = 2 ** 50;

export const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
export const unzigzag = (z: number): number =>
  z <= 0x7fffffff ? (z >>> 1) ^ -(z & 1) : z % 2 === 0 ? z / 2 : -(z + 1) / 2;

/** Bits needed for a non-negative integer below 2^54. */
export function bitLength(v: number): number {
  if (v < TWO32) return 32 - Math.clz32(v >>> 0);
  return 64 - Math.clz32(Math.floor(v / TWO32));
}

export class Writer {
  buf: Buffer;
  pos = 0;
  private acc = 0;
  private nacc = 0;

  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 64));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uvar(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  svar(v: number): void {
    this.uvar(zigzag(v));
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A string: varint (length << 1 | form), then UTF-8 bytes (form 0) or UTF-16LE code units (form 1, for text
   *  with lone surrogates, which UTF-8 cannot carry). */
  str(s: string): void {
    if ((s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      const len = Buffer.byteLength(s, 'utf8');
      this.uvar(len * 2);
      this.ensure(len);
      this.pos += this.buf.write(s, this.pos, len, 'utf8');
    } else {
      this.uvar(s.length * 2 + 1);
      this.ensure(s.length * 2);
      this.pos += this.buf.write(s, this.pos, s.length * 2, 'utf16le');
    }
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Appends w bits of v (v < 2^w, w <= 54), least significant first. */
  bits(v: number, w: number): void {
    while (w > 24) {
      this.bits(v % 65536, 16);
      v = Math.floor(v / 65536);
      w -= 16;
    }
    this.acc |= v << this.nacc;
    this.nacc += w;
    if (this.nacc >= 8) {
      this.ensure(4);
      while (this.nacc >= 8) {
        this.buf[this.pos++] = this.acc & 0xff;
        this.acc >>>= 8;
        this.nacc -= 8;
      }
    }
  }

  /** Pads the pending bits to a whole byte. */
  align(): void {
    if (this.nacc > 0) {
      this.byte(this.acc & 0xff);
      this.acc = 0;
      this.nacc = 0;
    }
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  private acc = 0;
  private nacc = 0;

  constructor(readonly buf: Buffer, public pos: number, readonly end: number) {}

  need(n: number): void {
    if (this.pos + n > this.end) throw new CorruptChunk(`truncated at byte ${this.pos}`);
  }

  byte(): number {
    if (this.pos >= this.end) throw new CorruptChunk(`truncated at byte ${this.pos}`);
    return this.buf[this.pos++]!;
  }

  uvar(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    throw new CorruptChunk(`varint too long at byte ${this.pos}`);
  }

  /** A count that must not exceed `max` (guards allocations against corrupt input). */
  count(max: number): number {
    const n = this.uvar();
    if (n > max) throw new CorruptChunk(`count ${n} exceeds ${max} at byte ${this.pos}`);
    return n;
  }

  svar(): number {
    return unzigzag(this.uvar());
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  str(): string {
    const h = this.uvar();
    const len = Math.floor(h / 2);
    if (h % 2 === 0) {
      this.need(len);
      const s = this.buf.toString('utf8', this.pos, this.pos + len);
      this.pos += len;
      return s;
    }
    this.need(len * 2);
    const s = this.buf.toString('utf16le', this.pos, this.pos + len * 2);
    this.pos += len * 2;
    return s;
  }

  bits(w: number): number {
    if (w > 24) {
      const lo = this.bits(16);
      return lo + this.bits(w - 16) * 65536;
    }
    while (this.nacc < w) {
      this.acc |= this.byte() << this.nacc;
      this.nacc += 8;
    }
    const v = w === 0 ? 0 : (this.acc & ((1 << w) - 1)) >>> 0;
    this.acc >>>= w;
    this.nacc -= w;
    return v;
  }

  align(): void {
    this.acc = 0;
    this.nacc = 0;
  }
}

/** Residuals of order 0 (values), 1 (deltas) or 2 (delta of deltas), zigzagged; the first `order` stay as seeds. */
function residuals(xs: ArrayLike<number>, order: number): Float64Array {
  const n = xs.length;
  const out = new Float64Array(n);
  if (order === 0) for (let i = 0; i < n; i++) out[i] = zigzag(xs[i]!);
  else if (order === 1) for (let i = 1; i < n; i++) out[i] = zigzag(xs[i]! - xs[i - 1]!);
  else for (let i = 2; i < n; i++) out[i] = zigzag(xs[i]! - 2 * xs[i - 1]! + xs[i - 2]!);
  return out;
}

/** Bits the packed residuals (from index `from`) would take. */
function packedBits(z: Float64Array, from: number): number {
  let total = 0;
  for (let s = from; s < z.length; s += BLOCK) {
    let max = 0;
    const e = Math.min(z.length, s + BLOCK);
    for (let i = s; i < e; i++) if (z[i]! > max) max = z[i]!;
    total += 8 + bitLength(max) * (e - s);
  }
  return total;
}

/**
 * Writes an integer sequence (|x| <= INT_LIMIT; length known to the reader): one order byte, the seeds as zigzag
 * varints, then the residuals in blocks of 128: a width byte and `width` bits per value, byte-aligned per block.
 * The order (0, 1 or 2) is the one whose packed residuals are smallest, so constant and linear runs cost ~0 bits.
 */
export function writeInts(w: Writer, xs: ArrayLike<number>, orders: readonly number[] = [0, 1, 2]): void {
  let best = -1;
  let bestBits = Infinity;
  let bestZ: Float64Array | undefined;
  for (const order of orders) {
    if (order > 0 && xs.length <= order) continue;
    const z = residuals(xs, order);
    const b = packedBits(z, order) + 8 * order;
    if (b < bestBits) { best = order; bestBits = b; bestZ = z; }
  }
  if (best < 0) { best = 0; bestZ = residuals(xs, 0); }
  const z = bestZ!;
  w.byte(best);
  if (best >= 1 && xs.length > 0) w.svar(xs[0]!);
  if (best >= 2 && xs.length > 1) w.svar(xs[1]! - xs[0]!);
  const from = Math.min(best, xs.length);
  for (let s = from; s < z.length; s += BLOCK) {
    const e = Math.min(z.length, s + BLOCK);
    let max = 0;
    for (let i = s; i < e; i++) if (z[i]! > max) max = z[i]!;
    const width = bitLength(max);
    w.byte(width);
    if (width > 0) {
      for (let i = s; i < e; i++) w.bits(z[i]!, width);
      w.align();
    }
  }
}

/** Reads `n` integers written by writeInts. */
export function readInts(r: Reader, n: number): Float64Array {
  const out = new Float64Array(n);
  const order = r.byte();
  if (order > 2) throw new CorruptChunk(`integer sequence order ${order}`);
  const from = Math.min(order, n);
  if (order >= 1 && n > 0) out[0] = r.svar();
  if (order >= 2 && n > 1) out[1] = out[0]! + r.svar();
  for (let s = from; s < n; s += BLOCK) {
    const e = Math.min(n, s + BLOCK);
    const width = r.byte();
    if (width > 54) throw new CorruptChunk(`bit width ${width}`);
    if (width === 0) {
      // Zero residuals: the values stay (order 0: zero; 1: the last value; 2: the last step).
      for (let i = s; i < e; i++) out[i] = order === 0 ? 0 : order === 1 ? out[i - 1]! : 2 * out[i - 1]! - out[i - 2]!;
      continue;
    }
    r.need(Math.ceil(((e - s) * width) / 8));
    if (width <= 24) {
      // The hot case, inlined: int32 bit window, int32 zigzag.
      const buf = r.buf;
      let p = r.pos;
      let acc = 0;
      let nacc = 0;
      const mask = (1 << width) - 1;
      for (let i = s; i < e; i++) {
        while (nacc < width) { acc |= buf[p++]! << nacc; nacc += 8; }
        const z = acc & mask;
        acc >>>= width;
        nacc -= width;
        const d = (z >>> 1) ^ -(z & 1);
        out[i] = order === 0 ? d : order === 1 ? out[i - 1]! + d : 2 * out[i - 1]! - out[i - 2]! + d;
      }
      r.pos = p;
      continue;
    }
    for (let i = s; i < e; i++) {
      const d = unzigzag(r.bits(width));
      out[i] = order === 0 ? d : order === 1 ? out[i - 1]! + d : 2 * out[i - 1]! - out[i - 2]! + d;
    }
    r.align();
  }
  for (let i = 0; i < n; i++) {
    if (!(Math.abs(out[i]!) <= INT_LIMIT * 8)) throw new CorruptChunk('integer out of range');
  }
  return out;
}
