/**
 * Storage port of the time series context: records per (tenant, asset, aspect, timestamp) with all variables of
 * the record together, and the roll-ups of the pre-calculated intervals, kept consistent with the records inside
 * the same transaction. Async so a PostgreSQL implementation can follow.
 */
import type { AggMap } from './aggregate.js';
import type { Level, Zone } from './time.js';

export interface SeriesKey {
  tenant: string;
  assetId: string;
  aspect: string;
}

/** What roll-up maintenance needs to know about a series' aspect and asset. */
export interface SeriesShape {
  zone: Zone;
  /** Variable names of the aspect (quality codes live beside them as `<var>_qc`). */
  variables: ReadonlyMap<string, unknown>;
}

export interface WriteRecord {
  /** Epoch milliseconds. */
  t: number;
  /** The record's values as stored: variables and `<var>_qc`, no `_time`, no nulls. */
  values: Record<string, unknown>;
  /** Stored JSON text: `{"_time":"<canonical ISO>", ...values}`, what a read returns as it is. */
  json: string;
}

export interface StoredRecord {
  t: number;
  json: string;
}

export interface RangeQuery {
  /** Exclusive lower bound (epoch ms); undefined = unbounded. */
  from?: number;
  /** Inclusive upper bound; undefined = unbounded. */
  to?: number;
  limit: number;
  desc: boolean;
}

export interface Rollup {
  start: number;
  aggs: AggMap;
}

export interface SeriesWrite {
  key: SeriesKey;
  shape: SeriesShape;
  records: WriteRecord[];
}

export interface TimeseriesStore {
  /** Replaces whole records (PUT): all writes in one transaction, all or nothing. */
  put(writes: SeriesWrite[]): Promise<void>;
  /** Merges the given values into existing records (PATCH), all or nothing. */
  patch(write: SeriesWrite): Promise<void>;
  read(key: SeriesKey, q: RangeQuery): Promise<StoredRecord[]>;
  /** The stored JSON text of the records of a range (each begins `{"_time":"<24-char ISO>"`), the fast read path. */
  readText(key: SeriesKey, q: RangeQuery): Promise<string[]>;
  /** Deletes records with from < t <= to. Returns the number deleted. */
  deleteRange(key: SeriesKey, shape: SeriesShape, from: number, to: number): Promise<number>;
  /** Roll-ups of a level with from <= start < to, ascending. */
  rollups(key: SeriesKey, level: Level, from: number, to: number): Promise<Rollup[]>;
  /** Rebuilds every roll-up of a series from its records (after a change of the asset's time zone). */
  rebuild(key: SeriesKey, shape: SeriesShape): Promise<void>;
  /** Time zone the series' roll-ups are aligned to, or undefined when the series has no data. */
  zoneOf(key: SeriesKey): Promise<string | undefined>;
  dropAsset(tenant: string, assetId: string): Promise<number>;
  dropSeries(key: SeriesKey): Promise<void>;
  /** Assets of a tenant that hold a series of the named aspect. */
  assetsWithAspect(tenant: string, aspect: string): Promise<string[]>;
  close(): void;
}
