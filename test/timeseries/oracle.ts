/**
 * The brute-force oracle of the aggregate tests: bucket keys derived independently from local wall-clock time
 * (Intl, not the code under test), and every aggregate field computed from the plain list of points.
 * Also the random records both property tests write: a DOUBLE `a` with its quality code and an INT `b`.
 */
import fc from 'fast-check';

/** [time, value, quality code] */
export type Point = [number, number, number | undefined];

const walls = new Map<string, Intl.DateTimeFormat>();
function wall(zone: string): Intl.DateTimeFormat {
  let f = walls.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    walls.set(zone, f);
  }
  return f;
}

/**
 * Independent bucket key of a record at t: the local wall-clock fields of t - 1 truncated to the interval
 * (`minute` intervals of `value` minutes, `hour`, `day`). A repeated local hour (the autumn shift) is told apart
 * by the number of whole hours since `reference`, an instant at the start of a local hour.
 */
export function keyOf(zone: string, t: number, unit: 'minute' | 'hour' | 'day', value: number, reference: number): string {
  const s = wall(zone).format(new Date(t - 1)); // "2024-03-31 03:15:00"
  const date = s.slice(0, 10);
  if (unit === 'day') return date;
  const hour = s.slice(11, 13);
  const utcHour = String(Math.floor((t - 1 - reference) / 3600_000));
  if (unit === 'hour') return `${date} ${hour} ${utcHour}`;
  return `${date} ${hour} ${utcHour} ${Math.floor(Number(s.slice(14, 16)) / value)}`;
}

export function qcClass(qc: number | undefined): number {
  if (qc === undefined) return 0;
  const sev = (qc >>> 30) & 3;
  return sev === 0 ? 0 : sev === 1 ? 1 : 2;
}

/** Every aggregate field of a non-empty list of points, as the API renders them. */
export function brute(points: readonly Point[]) {
  const sorted = [...points].sort((x, y) => x[0] - y[0]);
  const counts = [0, 0, 0];
  for (const p of sorted) counts[qcClass(p[2])]!++;
  const vals = sorted.map((p) => p[1]);
  const n = vals.length;
  const sum = vals.reduce((s, v) => s + v, 0);
  const mean = sum / n;
  const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  let min = sorted[0]!; let max = sorted[0]!;
  for (const p of sorted) { if (p[1] < min[1]) min = p; if (p[1] > max[1]) max = p; }
  return { countgood: counts[0], countuncertain: counts[1], countbad: counts[2], sum, average: mean, sd,
    minvalue: min[1], mintime: new Date(min[0]).toISOString(), maxvalue: max[1], maxtime: new Date(max[0]).toISOString(),
    firstvalue: sorted[0]![1], firsttime: new Date(sorted[0]![0]).toISOString(),
    lastvalue: sorted[n - 1]![1], lasttime: new Date(sorted[n - 1]![0]).toISOString() };
}

export const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Asserts that a rendered aggregate has every field of the brute-force one (numbers within rounding). */
export function sameAggregate(have: Record<string, unknown>, want: ReturnType<typeof brute>, label: string): string | undefined {
  for (const [field, v] of Object.entries(want)) {
    const got = have[field];
    if (typeof v === 'number' ? !(typeof got === 'number' && close(got, v)) : got !== v) {
      return `${label}.${field}: ${String(got)} != ${String(v)}`;
    }
  }
  return undefined;
}

/** A record of the property tests: `a` (DOUBLE with quality code) and `b` (INT), either may be missing. */
export type Rec = { a?: number; a_qc?: number; b?: number };

/** A random record at an offset in (0, span] ms, quality codes of every severity. */
export const recordArb = (span: number) => fc.record({
  off: fc.integer({ min: 1, max: span }),
  a: fc.option(fc.integer({ min: -4000, max: 4000 }).map((v) => v / 4), { nil: undefined }),
  qc: fc.constantFrom(undefined, 0, 1, 0x40000000, 0x80000000, 0xC0000001),
  b: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: undefined }),
});

/** The record's variables as written (a quality code only beside a value). */
export function toRec(r: { a?: number; qc?: number; b?: number }): Rec {
  const rec: Rec = {};
  if (r.a !== undefined) { rec.a = r.a; if (r.qc !== undefined) rec.a_qc = r.qc; }
  if (r.b !== undefined) rec.b = r.b;
  return rec;
}
