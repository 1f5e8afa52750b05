/**
 * Gorilla XOR coding of float64 columns (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series
 * Database", VLDB 2015, section 4.1.2), for the chunk codec's numeric columns that are not fixed decimals.
 * The first value is 64 raw bits; each later one is XORed with its predecessor: `0` when equal; `10` + the
 * meaningful bits when they fit the previous leading/trailing-zero window; `11` + 5 bits of leading zeros
 * + 6 bits of (length - 1) + the meaningful bits otherwise. 64-bit words are handled as two uint32 halves.
 */
import { CorruptChunk, type Reader, type Writer } from './chunk-codec-bits.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the low and high half of a float64 in u32 (the platform's byte order). */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

const ctz32 = (x: number): number => (x === 0 ? 32 : 31 - Math.clz32(x & -x));

function bits32(w: Writer, v: number, n: number): void {
  if (n > 16) {
    w.bits(v & 0xffff, 16);
    w.bits(v >>> 16, n - 16);
  } else if (n > 0) {
    w.bits(v & ((1 << n) - 1), n);
  }
}

function read32(r: Reader, n: number): number {
  if (n > 16) {
    const lo = r.bits(16);
    return (lo | (r.bits(n - 16) << 16)) >>> 0;
  }
  return r.bits(n);
}

export function writeGorilla(w: Writer, nums: readonly number[]): void {
  const n = nums.length;
  if (n === 0) return;
  f64[0] = nums[0]!;
  let pHi = u32[HI]!;
  let pLo = u32[LO]!;
  w.bits(pLo & 0xffff, 16); w.bits(pLo >>> 16, 16); w.bits(pHi & 0xffff, 16); w.bits(pHi >>> 16, 16);
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    f64[0] = nums[i]!;
    const hi = u32[HI]!;
    const lo = u32[LO]!;
    const xHi = (hi ^ pHi) >>> 0;
    const xLo = (lo ^ pLo) >>> 0;
    pHi = hi;
    pLo = lo;
    if (xHi === 0 && xLo === 0) { w.bits(0, 1); continue; }
    let l = xHi === 0 ? 32 + Math.clz32(xLo) : Math.clz32(xHi);
    const t = xLo === 0 ? 32 + ctz32(xHi) : ctz32(xLo);
    if (l > 31) l = 31;
    if (lead >= 0 && l >= lead && t >= trail) {
      w.bits(1, 2); // bits "10", least significant first: 1 then 0
      writeRange(w, xHi, xLo, trail, 64 - lead - trail);
    } else {
      w.bits(3, 2);
      lead = l;
      trail = t;
      const len = 64 - lead - trail;
      w.bits(lead, 5);
      w.bits(len - 1, 6);
      writeRange(w, xHi, xLo, trail, len);
    }
  }
  w.align();
}

/** Writes `len` bits of the 64-bit word hi:lo starting at bit `trail`. */
function writeRange(w: Writer, hi: number, lo: number, trail: number, len: number): void {
  let sLo: number;
  let sHi: number;
  if (trail === 0) { sLo = lo; sHi = hi; }
  else if (trail >= 32) { sLo = hi >>> (trail - 32); sHi = 0; }
  else { sLo = ((lo >>> trail) | (hi << (32 - trail))) >>> 0; sHi = hi >>> trail; }
  if (len <= 32) bits32(w, sLo, len);
  else { bits32(w, sLo, 32); bits32(w, sHi, len - 32); }
}

export function readGorilla(r: Reader, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  r.need(8);
  let pLo = read32(r, 32);
  let pHi = read32(r, 32);
  u32[LO] = pLo; u32[HI] = pHi;
  out[0] = f64[0]!;
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    if (r.bits(1) === 0) { out[i] = out[i - 1]!; continue; }
    if (r.bits(1) === 1) {
      lead = r.bits(5);
      const len = r.bits(6) + 1;
      trail = 64 - lead - len;
      if (trail < 0) throw new CorruptChunk(`XOR window of ${lead} + ${len} bits`);
    } else if (lead < 0) {
      throw new CorruptChunk('XOR value before any window');
    }
    const len = 64 - lead - trail;
    let sLo: number;
    let sHi = 0;
    if (len <= 32) sLo = read32(r, len);
    else { sLo = read32(r, 32); sHi = read32(r, len - 32); }
    let xLo: number;
    let xHi: number;
    if (trail === 0) { xLo = sLo; xHi = sHi; }
    else if (trail >= 32) { xHi = sLo << (trail - 32); xLo = 0; }
    else { xHi = (sHi << trail) | (sLo >>> (32 - trail)); xLo = sLo << trail; }
    pHi = (pHi ^ xHi) >>> 0;
    pLo = (pLo ^ xLo) >>> 0;
    u32[LO] = pLo; u32[HI] = pHi;
    out[i] = f64[0]!;
  }
  r.align();
  return out;
}
