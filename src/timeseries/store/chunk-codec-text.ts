/**
 * Text of stored values for the chunk codec's read path (chunkText in chunk-codec.ts): the ISO-8601 instant of a
 * timestamp and the JSON text of numbers, byte-identical to `new Date(t).toISOString()` and `String(v)` (as
 * recordJson() and validateRecords() in src/timeseries/records.ts write them), but cheaper on runs of records.
 */

const DAY = 86_400_000;
const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** ISO instants of ascending or nearby timestamps: the date part is kept while the day stays the same. */
export class IsoClock {
  private day = NaN;
  private prefix = '';

  iso(t: number): string {
    const day = Math.floor(t / DAY);
    if (day !== this.day) {
      const s = new Date(day * DAY).toISOString();
      this.prefix = s.slice(0, s.length - 13); // without "HH:MM:SS.mmmZ"
      this.day = day;
    }
    let ms = t - day * DAY;
    const h = Math.floor(ms / 3_600_000);
    ms -= h * 3_600_000;
    const m = Math.floor(ms / 60_000);
    ms -= m * 60_000;
    const s = Math.floor(ms / 1000);
    ms -= s * 1000;
    return `${this.prefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[ms]}Z`;
  }
}

/** JSON text of a number as recordJson() writes it (String(v); non-finite numbers are null in JSON). */
export const numberText = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');

/**
 * String(m / 10^k) for an integer |m| <= 2^50 and k in 0..6, built from the digits of m. Exact because a decimal
 * of at most 15 significant digits is the shortest text of the double nearest to it (doubles tell 15-digit
 * decimals apart), and |v| lies in [1e-6, 1e21) where String() writes fixed notation; longer m use String().
 */
export function decimalText(m: number, k: number, p: number): string {
  if (k === 0) return String(m);
  if (m === 0) return '0';
  let a = m < 0 ? -m : m;
  if (a >= 1e15) return String(m / p);
  while (k > 0 && a % 10 === 0) { a /= 10; k--; }
  let s = String(a);
  if (k > 0) {
    if (s.length <= k) s = '0.' + '0'.repeat(k - s.length) + s;
    else s = `${s.slice(0, s.length - k)}.${s.slice(s.length - k)}`;
  }
  return m < 0 ? `-${s}` : s;
}
