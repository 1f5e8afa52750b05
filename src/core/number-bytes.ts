/**
 * Numbers written as their JSON text (String(v)) straight into a buffer, from their digits: the stored records'
 * fixed decimals (the chunk codec), aggregate answers (src/timeseries/aggregate-json.ts) and OData's byte rows
 * (src/odata/serve/row-writer.ts). Several times cheaper than String() of a double and a string encode.
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
