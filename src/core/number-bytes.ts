/**
 * Numbers written as their JSON text (String(v)) straight into a buffer, from their digits: the stored records'
 * fixed decimals (the chunk codec, writeDecimalWords), aggregate answers (src/timeseries/aggregate-json.ts) and
 * OData's byte rows (src/odata/serve/row-writer.ts). Several times cheaper than String() of a double and a string
 * encode.
 */

/** "00" to "99" as bytes. */
export const PAIRS = Uint8Array.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), (ch) => ch.charCodeAt(0));

/**
 * Writes String(m / 10^k) (p = 10^k) for an integer |m| <= 2^50 and k in 0..6 at `pos` (24 bytes of room needed),
 * built from the digits of m; returns the end. Exact because a decimal of at most 15 significant digits is the
 * shortest text of the double nearest to it (doubles tell 15-digit decimals apart), and |v| lies in [1e-6, 1e21)
 * where String() writes fixed notation; longer m use String().
 */
export function writeDecimal(out: Buffer, pos: number, m: number, k: number, p: number): number {
  if (m === 0) { out[pos] = 48; return pos + 1; }
  let a = m;
  if (m < 0) { out[pos++] = 45; a = -m; }
  if (a >= 1e15) return pos + out.write(String(a / p), pos, 'latin1');
  if (a > 0x7fffffff) return writeDigits(out, pos, a, k);
  // int32 arithmetic: a double % is a libm call, several times dearer.
  let x = a | 0;
  while (k > 0 && x % 10 === 0) { x = (x / 10) | 0; k--; }
  const digits = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10_000 ? 4 : x < 100_000 ? 5 : x < 1_000_000 ? 6
    : x < 10_000_000 ? 7 : x < 100_000_000 ? 8 : x < 1_000_000_000 ? 9 : 10;
  const end = pos + (digits > k ? digits - k : 1) + (k > 0 ? k + 1 : 0);
  let q = end;
  for (let i = 0; i < k; i++) {
    const y = (x / 10) | 0;
    out[--q] = 48 + x - y * 10;
    x = y;
  }
  if (k > 0) out[--q] = 46;
  // The integer part two digits at a time.
  while (x >= 10) {
    const y = (x / 100) | 0;
    const r = (x - y * 100) * 2;
    out[--q] = PAIRS[r + 1]!;
    out[--q] = PAIRS[r]!;
    x = y;
  }
  if (q > pos) out[--q] = 48 + x;
  return end;
}

/** writeDecimal for 2^31 <= a < 1e15, in double arithmetic. */
function writeDigits(out: Buffer, pos: number, a: number, k: number): number {
  while (k > 0 && a % 10 === 0) { a /= 10; k--; }
  let digits = 1;
  for (let x = 10; x <= a; x *= 10) digits++;
  const end = pos + (digits > k ? digits - k : 1) + (k > 0 ? k + 1 : 0);
  let q = end;
  for (let i = 0; i < k; i++) {
    const d = a % 10;
    out[--q] = 48 + d;
    a = (a - d) / 10;
  }
  if (k > 0) out[--q] = 46;
  do {
    const d = a % 10;
    out[--q] = 48 + d;
    a = (a - d) / 10;
  } while (q > pos);
  return end;
}

/**
 * Writes String(v) of a finite number from its digits when that is exact: 0 (and -0, as String(-0)), integers of
 * 32 bits, and decimals of up to 6 places and 15 digits (v = m / 10^k with k <= 6 makes round(v * 10^6) =
 * m * 10^(6-k); writeDecimal drops the trailing zeros). Returns the end, or -1 with nothing written for any other
 * number (the caller writes String(v)). Needs 24 bytes of room.
 */
export function writeNumber(out: Buffer, pos: number, v: number): number {
  if (v === 0) { out[pos] = 48; return pos + 1; }
  if (v >= -2147483647 && v <= 2147483647 && (v | 0) === v) return writeDecimal(out, pos, v, 0, 1);
  const m = Math.round(v * 1e6);
  if (m / 1e6 === v && m < 1e15 && m > -1e15) return writeDecimal(out, pos, m, 6, 1e6);
  return -1;
}

/** Little-endian 32-bit word of the first 4 bytes of an ASCII text (zero-padded). */
const word = (t: string): number => {
  let w = 0;
  for (let i = 0; i < t.length && i < 4; i++) w |= t.charCodeAt(i) << (8 * i);
  return w >>> 0;
};
const THOUSAND = Array.from({ length: 1000 }, (_, n) => n);
/** 0..999 without leading zeros ("7"), as words, and their lengths. */
export const LEAD_W = Uint32Array.from(THOUSAND, (n) => word(String(n)));
export const LEAD_L = Uint8Array.from(THOUSAND, (n) => String(n).length);
/** 0..999 as three digits ("007"). */
export const FULL_W = Uint32Array.from(THOUSAND, (n) => word(String(n).padStart(3, '0')));
/** n / 1000 as the fraction String() writes of it: "." and the digits without trailing zeros (".5" for 500), "" for 0. */
const fraction = (n: number): string => (n === 0 ? '' : `.${String(n).padStart(3, '0').replace(/0+$/, '')}`);
export const FRAC_W = Uint32Array.from(THOUSAND, (n) => word(fraction(n)));
export const FRAC_L = Uint8Array.from(THOUSAND, (n) => fraction(n).length);
/** 10^k, and what brings a fraction of k digits to three (k <= 3). */
const P10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
const TO_THOUSANDTHS = [0, 100, 10, 1];

/**
 * writeDecimal (the same text) for the chunk codec's hot path: for |m| < 1e9 and k <= 3 from tables of three
 * digits, each group one 32-bit store through `view` (a DataView over all of `out`) instead of a byte per digit;
 * other m and k go to writeDecimal. A store may write up to 3 bytes past the returned end (the caller writes on
 * from there): needs 24 bytes of room, as writeDecimal.
 */
export function writeDecimalWords(out: Buffer, view: DataView, pos: number, m: number, k: number): number {
  const a = m < 0 ? -m : m;
  if (!(a < 1e9) || k > 3) return writeDecimal(out, pos, m, k, P10[k]!);
  if (m < 0) out[pos++] = 45;
  const x = a | 0;
  const p = P10[k]!;
  // Exact: x < 2^30 and p <= 1000, so the double quotient is never within an ulp of the next integer.
  const ip = (x / p) | 0;
  const f = (x - ip * p) * TO_THOUSANDTHS[k]!;
  if (ip < 1000) {
    view.setUint32(pos, LEAD_W[ip]!, true);
    pos += LEAD_L[ip]!;
  } else if (ip < 1_000_000) {
    const hi = (ip / 1000) | 0;
    view.setUint32(pos, LEAD_W[hi]!, true);
    pos += LEAD_L[hi]!;
    view.setUint32(pos, FULL_W[ip - hi * 1000]!, true);
    pos += 3;
  } else {
    const hi = (ip / 1_000_000) | 0;
    const mid = ((ip - hi * 1_000_000) / 1000) | 0;
    view.setUint32(pos, LEAD_W[hi]!, true);
    pos += LEAD_L[hi]!;
    view.setUint32(pos, FULL_W[mid]!, true);
    view.setUint32(pos + 3, FULL_W[ip - hi * 1_000_000 - mid * 1000]!, true);
    pos += 6;
  }
  view.setUint32(pos, FRAC_W[f]!, true);
  return pos + FRAC_L[f]!;
}
