/**
 * Time series for the Explorer: raw records (IoT Time Series API v3, pages followed by their Link) for short
 * ranges, interval averages (IoT Time Series Aggregates API v4, interval chosen by the service from the range) for
 * long ones, so a chart of any range needs a bounded number of points.
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
  /** Records whose quality code (`{variable}_qc`) is not 0 (good), per variable. */
  badQuality: Record<string, number>;
  source: 'raw' | 'aggregates';
}

type Row = Record<string, unknown>;

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
  const x: number[] = [];
  if (to.getTime() - from.getTime() <= RAW_MAX_MS) {
    for (const r of await rawRows(assetId, aspect, from, to)) {
      x.push(Date.parse(String(r['_time'])) / 1000);
      for (const v of variables) {
        const value = r[v];
        columns[v]!.push(typeof value === 'number' ? value : null);
        const qc = r[`${v}_qc`];
        if (qc !== undefined && qc !== null && Number(qc) !== 0) badQuality[v] = (badQuality[v] ?? 0) + 1;
      }
    }
    return { x, columns, badQuality, source: 'raw' };
  }
  const q = new URLSearchParams({ assetId, aspectName: aspect, from: from.toISOString(), to: to.toISOString() });
  const body = await get<{ aggregates: Row[] }>(`/api/iottsaggregates/v4/aggregates?${q}`);
  for (const interval of body.aggregates) {
    x.push(Date.parse(String(interval['starttime'])) / 1000);
    for (const v of variables) {
      const agg = interval[v] as { average?: number; countbad?: number; countuncertain?: number } | undefined;
      columns[v]!.push(typeof agg?.average === 'number' ? agg.average : null);
      const notGood = (agg?.countbad ?? 0) + (agg?.countuncertain ?? 0);
      if (notGood > 0) badQuality[v] = (badQuality[v] ?? 0) + notGood;
    }
  }
  return { x, columns, badQuality, source: 'aggregates' };
}
