/**
 * Time series for the Explorer: raw records (IoT Time Series API v3, pages followed by their Link) for short
 * ranges, interval averages (IoT Time Series Aggregates API v4, interval chosen by the service from the range) for
 * long ones, so a chart of any range needs a bounded number of points; quality codes classed good, uncertain or
 * bad, and the rows of a CSV export.
 */
import { api, get, type Answer } from './api';

/** Ranges up to this length are drawn from raw records; longer ones from aggregates. */
export const RAW_MAX_MS = 6 * 3600_000;
const MAX_PAGES = 20;

export interface Series {
  /** Seconds since the epoch (uPlot's x axis). */
  x: number[];
  /** One column per numeric variable, null where a record has no value. */
  columns: Record<string, (number | null)[]>;
  /** Values whose quality is not good (uncertain or bad), per variable. */
  badQuality: Record<string, number>;
  /** Values per quality class and variable: the severity bits of the quality code (qc >>> 30: 0 good, 1 uncertain, 2-3 bad; none = good). */
  quality: Record<string, Quality>;
  /** Raw records' quality codes per variable (null where a record has none); empty for aggregates. */
  qc: Record<string, (number | null)[]>;
  source: 'raw' | 'aggregates';
}

type Row = Record<string, unknown>;
export interface Quality { good: number; uncertain: number; bad: number }

/** The class of a quality code (the OPC UA severity bits Insights Hub uses; no code is good). */
export function qualityOf(qc: unknown): keyof Quality {
  if (qc === undefined || qc === null || qc === '') return 'good';
  const severity = Number(qc) >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

/** The series as CSV rows: time (ISO 8601), then each variable and, for raw records, its quality code. */
export function csvRows(s: Series, variables: string[]): (string | number | null)[][] {
  const raw = s.source === 'raw';
  const head = ['_time', ...variables.flatMap((v) => (raw ? [v, `${v}_qc`] : [`${v}_average`]))];
  return [head, ...s.x.map((t, i) => [new Date(t * 1000).toISOString(),
    ...variables.flatMap((v) => (raw ? [s.columns[v]?.[i] ?? null, s.qc[v]?.[i] ?? null] : [s.columns[v]?.[i] ?? null]))])];
}

async function rawRows(assetId: string, aspect: string, from: Date, to: Date): Promise<Row[]> {
  const rows: Row[] = [];
  let path: string | null = `/api/iottimeseries/v3/timeseries/${encodeURIComponent(assetId)}/${encodeURIComponent(aspect)}`
    + `?from=${from.toISOString()}&to=${to.toISOString()}&limit=2000`;
  for (let page = 0; path && page < MAX_PAGES; page++) {
    const res: Answer<Row[]> = await api<Row[]>(path);
    rows.push(...res.body);
    path = res.next;
  }
  return rows;
}

export async function load(assetId: string, aspect: string, variables: string[], from: Date, to: Date): Promise<Series> {
  const columns: Record<string, (number | null)[]> = Object.fromEntries(variables.map((v) => [v, []]));
  const badQuality: Record<string, number> = {};
  const quality: Record<string, Quality> = Object.fromEntries(variables.map((v) => [v, { good: 0, uncertain: 0, bad: 0 }]));
  const qcs: Record<string, (number | null)[]> = Object.fromEntries(variables.map((v) => [v, []]));
  const x: number[] = [];
  if (to.getTime() - from.getTime() <= RAW_MAX_MS) {
    for (const r of await rawRows(assetId, aspect, from, to)) {
      x.push(Date.parse(String(r['_time'])) / 1000);
      for (const v of variables) {
        const value = r[v];
        columns[v]!.push(typeof value === 'number' ? value : null);
        const qc = r[`${v}_qc`];
        qcs[v]!.push(qc === undefined || qc === null ? null : Number(qc));
        if (value === undefined || value === null) continue;
        const q = qualityOf(qc);
        quality[v]![q]++;
        if (q !== 'good') badQuality[v] = (badQuality[v] ?? 0) + 1;
      }
    }
    return { x, columns, badQuality, quality, qc: qcs, source: 'raw' };
  }
  const q = new URLSearchParams({ assetId, aspectName: aspect, from: from.toISOString(), to: to.toISOString() });
  const body = await get<{ aggregates: Row[] }>(`/api/iottsaggregates/v4/aggregates?${q}`);
  for (const interval of body.aggregates) {
    x.push(Date.parse(String(interval['starttime'])) / 1000);
    for (const v of variables) {
      const agg = interval[v] as { average?: number; countgood?: number; countbad?: number; countuncertain?: number } | undefined;
      columns[v]!.push(typeof agg?.average === 'number' ? agg.average : null);
      quality[v]!.good += agg?.countgood ?? 0;
      quality[v]!.uncertain += agg?.countuncertain ?? 0;
      quality[v]!.bad += agg?.countbad ?? 0;
      const notGood = (agg?.countbad ?? 0) + (agg?.countuncertain ?? 0);
      if (notGood > 0) badQuality[v] = (badQuality[v] ?? 0) + notGood;
    }
  }
  return { x, columns, badQuality, quality, qc: {}, source: 'aggregates' };
}

/** Counts per quality class from raw columns and their quality codes. */
function qualityOfColumns(columns: Series['columns'], qc: Series['qc'], variables: string[]) {
  const quality: Record<string, Quality> = {};
  const badQuality: Record<string, number> = {};
  for (const v of variables) {
    const q = { good: 0, uncertain: 0, bad: 0 };
    (columns[v] ?? []).forEach((value, i) => { if (value !== null) q[qualityOf(qc[v]?.[i])]++; });
    quality[v] = q;
    if (q.uncertain + q.bad > 0) badQuality[v] = q.uncertain + q.bad;
  }
  return { quality, badQuality };
}

/**
 * The live tail: `tail`'s records after `after` (seconds) appended to `s`, those at or before `cutoffMs` dropped;
 * undefined when the tail holds nothing new.
 */
export function appendTail(s: Series, tail: Series, variables: string[], after: number, cutoffMs: number): Series | undefined {
  const fresh = tail.x.map((_, i) => i).filter((i) => tail.x[i]! > after);
  if (fresh.length === 0) return undefined;
  const all = [...s.x, ...fresh.map((i) => tail.x[i]!)];
  const first = all.findIndex((t) => t * 1000 > cutoffMs);
  const from = first < 0 ? all.length : first;
  const join = <T>(a: T[] | undefined, b: T[] | undefined): T[] => [...(a ?? []), ...fresh.map((i) => b?.[i] as T)].slice(from);
  const columns = Object.fromEntries(variables.map((v) => [v, join(s.columns[v], tail.columns[v])]));
  const qc = Object.fromEntries(variables.map((v) => [v, join(s.qc[v], tail.qc[v]).map((c) => c ?? null)]));
  return { x: all.slice(from), columns, qc, ...qualityOfColumns(columns, qc, variables), source: 'raw' };
}
