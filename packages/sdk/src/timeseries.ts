/**
 * Typed clients of IoT Time Series v3 (`/api/iottimeseries/v3`, IoT Time Series API v3) — reads that follow the
 * `Link: <…>; rel="next"` header transparently, writes split under the 1 MB body limit — and of Aggregates v4
 * (`/api/iottsaggregates/v4`, §3.3) with its parameter rules checked before the request is sent.
 */
import { type ApiClient, invalidParameter, missingParameter, nextLink } from './http.js';

const TS = '/api/iottimeseries/v3/timeseries';
const enc = encodeURIComponent;

/** One record: `_time` (ISO-8601 UTC, ms) and one value per variable, `<var>_qc` for quality codes. */
export interface TimeSeriesRecord {
  _time: string;
  [variable: string]: string | number | boolean | null;
}

export interface ReadParams {
  /** Exclusive start. */
  from?: string | Date;
  /** Inclusive end. */
  to?: string | Date;
  /** Records per request (the platform caps it; default 2000); the iterator keeps following Link headers. */
  limit?: number;
  select?: string | string[];
  sort?: 'asc' | 'desc';
  latestValue?: boolean;
}

const iso = (v: string | Date | undefined): string | undefined => (v instanceof Date ? v.toISOString() : v);

/** Largest PUT body (IoT Time Series API v3). */
export const MAX_PUT_BYTES = 1024 * 1024;

export class TimeSeriesClient {
  constructor(private readonly api: ApiClient) {}

  /** Every record in the range, following `Link` headers until the platform sends none. */
  async *read(entityId: string, propertySetName: string, params: ReadParams = {}): AsyncGenerator<TimeSeriesRecord> {
    if (!entityId) throw missingParameter('entityId');
    if (!propertySetName) throw missingParameter('propertySetName');
    if (params.limit !== undefined && !(Number.isInteger(params.limit) && params.limit > 0)) {
      throw invalidParameter('limit', 'must be a whole number greater than 0');
    }
    if (params.sort !== undefined && params.sort !== 'asc' && params.sort !== 'desc') throw invalidParameter('sort', 'must be asc or desc');
    let url: string | undefined = this.api.url(`${TS}/${enc(entityId)}/${enc(propertySetName)}`, {
      from: iso(params.from), to: iso(params.to), limit: params.limit,
      select: Array.isArray(params.select) ? params.select.join(',') : params.select,
      sort: params.sort, latestValue: params.latestValue,
    });
    const seen = new Set<string>();
    while (url) {
      seen.add(url);
      const res = await this.api.send('GET', url);
      const records = (await res.json()) as TimeSeriesRecord[];
      for (const r of records) yield r;
      const next = nextLink(res.headers.get('link'));
      url = next ? new URL(next, url).toString() : undefined;
      if (url && seen.has(url)) throw invalidParameter('Link', `the platform sent a next link that was already read (${url})`);
    }
  }

  /** All records of `read` as one array. */
  async readAll(entityId: string, propertySetName: string, params: ReadParams = {}): Promise<TimeSeriesRecord[]> {
    const out: TimeSeriesRecord[] = [];
    for await (const r of this.read(entityId, propertySetName, params)) out.push(r);
    return out;
  }

  /** The latest record (no range given, §2). */
  async latest(entityId: string, propertySetName: string): Promise<TimeSeriesRecord | undefined> {
    const res = await this.api.json<TimeSeriesRecord[]>('GET', `${TS}/${enc(entityId)}/${enc(propertySetName)}`);
    return res?.[0];
  }

  /**
   * Writes records (overwrite semantics, §2). Records are sent in as many PUTs as the 1 MB limit needs;
   * `onProgress` is told after each. Checks `_time` of every record before anything is sent.
   */
  async write(entityId: string, propertySetName: string, records: TimeSeriesRecord[],
    onProgress?: (written: number, total: number) => void): Promise<void> {
    if (!Array.isArray(records)) throw invalidParameter('records', 'must be an array');
    records.forEach((r, i) => {
      if (!r || typeof r._time !== 'string' || Number.isNaN(Date.parse(r._time))) {
        throw invalidParameter(`records[${i}]._time`, 'must be an ISO-8601 timestamp');
      }
    });
    const path = `${TS}/${enc(entityId)}/${enc(propertySetName)}`;
    let batch: string[] = [];
    let bytes = 2;
    let written = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.api.send('PUT', path, { body: `[${batch.join(',')}]` });
      written += batch.length;
      onProgress?.(written, records.length);
      batch = [];
      bytes = 2;
    };
    for (const [i, r] of records.entries()) {
      const json = JSON.stringify(r);
      const size = Buffer.byteLength(json) + 1;
      if (size + 2 > MAX_PUT_BYTES) throw invalidParameter(`records[${i}]`, `is larger than the ${MAX_PUT_BYTES}-byte body limit on its own`);
      if (bytes + size > MAX_PUT_BYTES) await flush();
      batch.push(json);
      bytes += size;
    }
    await flush();
  }

  /** Deletes records with from < _time ≤ to (both required, §2). */
  async delete(entityId: string, propertySetName: string, from: string | Date, to: string | Date): Promise<void> {
    if (!from) throw missingParameter('from');
    if (!to) throw missingParameter('to');
    await this.api.send('DELETE', `${TS}/${enc(entityId)}/${enc(propertySetName)}`, { query: { from: iso(from), to: iso(to) } });
  }
}

export type IntervalUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface AggregateParams {
  assetId: string;
  aspectName: string;
  from?: string | Date;
  to?: string | Date;
  intervalUnit?: IntervalUnit;
  intervalValue?: number;
  count?: number;
  select?: string | string[];
}

export interface AggregateValue {
  countgood?: number;
  countuncertain?: number;
  countbad?: number;
  sum?: number;
  average?: number;
  minvalue?: number;
  mintime?: string;
  maxvalue?: number;
  maxtime?: string;
  firstvalue?: number;
  firsttime?: string;
  lastvalue?: number;
  lasttime?: string;
  sd?: number | null;
}

export interface Aggregate {
  starttime: string;
  endtime: string;
  [variable: string]: AggregateValue | string;
}

const DAY = 86_400_000;
/** Allowed intervalValue and largest range per intervalUnit (IoT Time Series Aggregates API v4). */
export const AGGREGATE_RULES: Record<IntervalUnit, { allowed: (v: number) => boolean; rule: string; maxRangeMs: number; range: string }> = {
  minute: { allowed: (v) => v >= 2 && v <= 60 && v % 2 === 0, rule: 'an even number from 2 to 60', maxRangeMs: DAY, range: '24 hours' },
  hour: { allowed: (v) => v >= 1 && v <= 24, rule: 'from 1 to 24', maxRangeMs: 7 * DAY, range: '7 days' },
  day: { allowed: (v) => v >= 1 && v <= 90, rule: 'from 1 to 90', maxRangeMs: 90 * DAY, range: '90 days' },
  week: { allowed: (v) => v >= 1 && v <= 12, rule: 'from 1 to 12', maxRangeMs: 90 * DAY, range: '90 days' },
  month: { allowed: (v) => v >= 1 && v <= 3, rule: 'from 1 to 3', maxRangeMs: 90 * DAY, range: '90 days' },
};

const DATE_FORM = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Parses the v4 date forms (`2020-02-20Z`, `2020-02-20T10Z`, `…T10:30-05:00`; no zone ⇒ UTC) to epoch ms. */
export function parseAggregateTime(name: string, value: string | Date): number {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalidParameter(name, 'is an invalid Date');
    return value.getTime();
  }
  const m = DATE_FORM.exec(value);
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}${(m[5] ?? '').slice(0, 4)}${m[6] ?? 'Z'}`) : NaN;
  if (Number.isNaN(ms)) {
    throw invalidParameter(name, 'must be an ISO-8601 date or date-time such as 2020-02-20Z, 2020-02-20T10Z or 2020-02-20T10:30:00-05:00');
  }
  return ms;
}

/**
 * Checks the v4 parameter rules (IoT Time Series Aggregates API v4) without sending anything; throws a 400 IronbridgeError naming
 * the parameter. Omitted parameters are left to the platform's auto-completion (a unit without value: its smallest).
 */
export function checkAggregateParams(p: AggregateParams): void {
  if (!p || !p.assetId) throw missingParameter('assetId');
  if (!p.aspectName) throw missingParameter('aspectName');
  if (!/^[0-9a-f]{32}$/.test(p.assetId)) throw invalidParameter('assetId', 'must be a 32-character lowercase hexadecimal asset id');
  const unit = p.intervalUnit;
  if (unit !== undefined && !(unit in AGGREGATE_RULES)) {
    throw invalidParameter('intervalUnit', `must be one of ${Object.keys(AGGREGATE_RULES).join(', ')}`);
  }
  if (p.intervalValue !== undefined && unit === undefined) throw missingParameter('intervalUnit');
  if (unit !== undefined && p.intervalValue !== undefined) {
    const r = AGGREGATE_RULES[unit];
    if (!Number.isInteger(p.intervalValue) || !r.allowed(p.intervalValue)) {
      throw invalidParameter('intervalValue', `must be ${r.rule} when intervalUnit is ${unit}`);
    }
  }
  if (p.count !== undefined && !(Number.isInteger(p.count) && p.count >= 1 && p.count <= 10_000)) {
    throw invalidParameter('count', 'must be a whole number from 1 to 10000');
  }
  const from = p.from !== undefined ? parseAggregateTime('from', p.from) : undefined;
  const to = p.to !== undefined ? parseAggregateTime('to', p.to) : undefined;
  if (from !== undefined && to !== undefined) {
    if (from >= to) throw invalidParameter('from', 'must be before to');
    const maxMs = unit ? AGGREGATE_RULES[unit].maxRangeMs : 90 * DAY;
    if (to - from > maxMs) {
      throw invalidParameter('to', `the range from..to must not exceed ${unit ? AGGREGATE_RULES[unit].range : '90 days'}${unit ? ` for intervalUnit ${unit}` : ''}`);
    }
  }
}

export class AggregatesClient {
  constructor(private readonly api: ApiClient) {}

  /** Aggregates of one asset's aspect; the parameters are checked first (§3.3). */
  async get(params: AggregateParams): Promise<Aggregate[]> {
    checkAggregateParams(params);
    const res = await this.api.json<{ aggregates: Aggregate[] }>('GET', '/api/iottsaggregates/v4/aggregates', {
      query: {
        assetId: params.assetId, aspectName: params.aspectName,
        from: params.from instanceof Date ? params.from.toISOString() : params.from,
        to: params.to instanceof Date ? params.to.toISOString() : params.to,
        intervalUnit: params.intervalUnit, intervalValue: params.intervalValue, count: params.count,
        select: Array.isArray(params.select) ? params.select.join(',') : params.select,
      },
    });
    return res?.aggregates ?? [];
  }
}
