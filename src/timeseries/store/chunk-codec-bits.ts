/**
 * Byte and bit primitives of the time series chunk codec (chunk-codec.ts, issue 17 "Compressed storage"): a growable
 * writer and a bounds-checked reader of bytes, bits, LEB128 varints, zigzag integers, float64 and strings. The
 * integer-sequence coding built on them is chunk-codec-ints.ts.
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
/** Values per bit-packed block of an integer sequence (chunk-codec-ints.ts). */
export const BLOCK = 128;
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

  /**
   * The same bytes as bits(z[i], width) for each i in [s, e), then align(): the block writer of writeInts, with the
   * common widths (up to 24 bits) packed in a local window.
   */
  packed(z: Float64Array, s: number, e: number, width: number): void {
    if (width > 24) {
      for (let i = s; i < e; i++) this.bits(z[i]!, width);
      this.align();
      return;
    }
    this.ensure(Math.ceil(((e - s) * width + this.nacc) / 8) + 1);
    const buf = this.buf;
    let p = this.pos;
    let acc = this.acc;
    let nacc = this.nacc;
    for (let i = s; i < e; i++) {
      acc |= z[i]! << nacc;
      nacc += width;
      while (nacc >= 8) {
        buf[p++] = acc & 0xff;
        acc >>>= 8;
        nacc -= 8;
      }
    }
    if (nacc > 0) buf[p++] = acc & 0xff;
    this.pos = p;
    this.acc = 0;
    this.nacc = 0;
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
