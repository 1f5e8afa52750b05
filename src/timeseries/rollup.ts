/**
 * Roll-up math (IoT Time Series Aggregates API, common semantics): per-variable partial aggregates that merge exactly, so roll-ups of
 * 2 minutes, 1 hour and 1 day can be combined into any interval. Counts follow the quality code's OPC UA
 * severity bits (qc >>> 30: 0 good, 1 uncertain, 2-3 bad; no quality code = good). sum, average, min, max,
 * first, last and sd cover every value regardless of quality; sd is the population standard deviation,
 * kept as a running mean and sum of squared deviations (Chan et al.) so merging stays numerically stable.
 */
import { iso } from '../core/instant.js';

/** [countgood, countuncertain, countbad, n, sum, mean, m2, min, mintime, max, maxtime, first, firsttime, last, lasttime] */
export type VarAgg = [number, number, number, number, number, number, number, number, number, number, number,
  unknown, number, unknown, number];
export type AggMap = Record<string, VarAgg>;

const CG = 0, CU = 1, CB = 2, N = 3, SUM = 4, MEAN = 5, M2 = 6, MIN = 7, MINT = 8, MAX = 9, MAXT = 10,
  FIRST = 11, FIRSTT = 12, LAST = 13, LASTT = 14;

export function qualityClass(qc: number | undefined): 0 | 1 | 2 {
  if (qc === undefined || qc === null) return 0;
  const sev = (qc >>> 30) & 3;
  return sev === 0 ? 0 : sev === 1 ? 1 : 2;
}

export function newAgg(value: unknown, t: number, qc: number | undefined): VarAgg {
  const a: VarAgg = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, value, t, value, t];
  a[qualityClass(qc)]++;
  if (typeof value === 'number') {
    a[N] = 1; a[SUM] = value; a[MEAN] = value; a[MIN] = value; a[MINT] = t; a[MAX] = value; a[MAXT] = t;
  }
  return a;
}

/** Adds one value to a partial aggregate in place. */
export function addValue(a: VarAgg, value: unknown, t: number, qc: number | undefined): void {
  a[qualityClass(qc)]++;
  if (t < a[FIRSTT]) { a[FIRST] = value; a[FIRSTT] = t; }
  if (t >= a[LASTT]) { a[LAST] = value; a[LASTT] = t; }
  if (typeof value !== 'number') return;
  const n = a[N] + 1;
  const delta = value - a[MEAN];
  a[N] = n;
  a[SUM] += value;
  a[MEAN] += delta / n;
  a[M2] += delta * (value - a[MEAN]);
  if (n === 1 || value < a[MIN] || (value === a[MIN] && t < a[MINT])) { a[MIN] = value; a[MINT] = t; }
  if (n === 1 || value > a[MAX] || (value === a[MAX] && t < a[MAXT])) { a[MAX] = value; a[MAXT] = t; }
}

/** Merges b into a in place (parallel variance formula). */
export function mergeAgg(a: VarAgg, b: VarAgg): void {
  a[CG] += b[CG]; a[CU] += b[CU]; a[CB] += b[CB];
  if (b[FIRSTT] < a[FIRSTT]) { a[FIRST] = b[FIRST]; a[FIRSTT] = b[FIRSTT]; }
  if (b[LASTT] >= a[LASTT]) { a[LAST] = b[LAST]; a[LASTT] = b[LASTT]; }
  if (b[N] === 0) return;
  if (a[N] === 0) {
    for (const i of [N, SUM, MEAN, M2, MIN, MINT, MAX, MAXT]) a[i] = b[i] as number;
    return;
  }
  const n = a[N] + b[N];
  const delta = b[MEAN] - a[MEAN];
  a[M2] = a[M2] + b[M2] + delta * delta * (a[N] * b[N]) / n;
  a[MEAN] = a[MEAN] + delta * (b[N] / n);
  a[SUM] += b[SUM];
  a[N] = n;
  if (b[MIN] < a[MIN] || (b[MIN] === a[MIN] && b[MINT] < a[MINT])) { a[MIN] = b[MIN]; a[MINT] = b[MINT]; }
  if (b[MAX] > a[MAX] || (b[MAX] === a[MAX] && b[MAXT] < a[MAXT])) { a[MAX] = b[MAX]; a[MAXT] = b[MAXT]; }
}

export function mergeMaps(into: AggMap, from: AggMap): void {
  for (const name in from) {
    const b = from[name]!;
    const a = into[name];
    if (a) mergeAgg(a, b);
    else into[name] = b.slice() as VarAgg;
  }
}

/** Variable names of an aspect with their quality-code keys, computed once per request. */
export interface VariableKeys {
  names: readonly string[];
  qcNames: readonly string[];
}

export function variableKeys(variables: ReadonlyMap<string, unknown>): VariableKeys {
  const names = [...variables.keys()];
  return { names, qcNames: names.map((n) => `${n}_qc`) };
}

/** Adds one stored record (values keyed by variable, `<var>_qc` beside them) to an aggregate map. */
export function addRecord(into: AggMap, t: number, rec: Record<string, unknown>, keys: VariableKeys): void {
  const { names, qcNames } = keys;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = rec[name];
    if (value === null || value === undefined) continue;
    const qc = rec[qcNames[i]!] as number | undefined;
    const a = into[name];
    if (a) addValue(a, value, t, qc);
    else into[name] = newAgg(value, t, qc);
  }
}

export interface RenderedAggregate {
  countgood: number; countuncertain: number; countbad: number;
  sum?: number; average?: number; minvalue?: number; mintime?: string; maxvalue?: number; maxtime?: string;
  firstvalue: unknown; firsttime: string; lastvalue: unknown; lasttime: string; sd?: number | null;
}

/**
 * Wire form of one variable's aggregate; numeric variables always get numeric fields. `time` prints the instants
 * (default iso; an answer's renderer may pass a memo, as the variables of a record share their first and last times).
 */
export function renderAgg(a: VarAgg, numeric: boolean, time: (t: number) => string = iso): RenderedAggregate {
  const out: RenderedAggregate = {
    countgood: a[CG], countuncertain: a[CU], countbad: a[CB],
    firstvalue: a[FIRST], firsttime: time(a[FIRSTT]), lastvalue: a[LAST], lasttime: time(a[LASTT]),
  };
  if (numeric && a[N] > 0) {
    out.sum = a[SUM];
    out.average = a[MEAN];
    out.minvalue = a[MIN]; out.mintime = time(a[MINT]);
    out.maxvalue = a[MAX]; out.maxtime = time(a[MAXT]);
    const sd = Math.sqrt(Math.max(0, a[M2] / a[N]));
    out.sd = Number.isFinite(sd) ? sd : null;
  }
  return out;
}

export const AGGREGATE_FIELDS = ['countgood', 'countuncertain', 'countbad', 'sum', 'average', 'minvalue', 'mintime',
  'maxvalue', 'maxtime', 'firstvalue', 'firsttime', 'lastvalue', 'lasttime', 'sd'] as const;
export type AggregateField = typeof AGGREGATE_FIELDS[number];

/** Adds a partial to the one gathered for a bucket, unless that bucket is already to be recomputed (null). */
export function gather(into: Map<number, AggMap | null>, start: number, add: AggMap): void {
  const have = into.get(start);
  if (have === null) return;
  if (have) mergeMaps(have, add);
  else {
    const copy: AggMap = {};
    mergeMaps(copy, add);
    into.set(start, copy);
  }
}
