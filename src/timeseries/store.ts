/**
 * Storage port of the time series context: records per (tenant, asset, aspect, timestamp) with all variables of
 * the record together, and the roll-ups of the pre-calculated intervals, kept consistent with the records inside
 * the same transaction. Async so a PostgreSQL implementation can follow. test/timeseries/store.contract.ts is the
 * definition every implementation passes.
 *
 * The store keeps rows: it stores each record's text as the service made it and returns it unchanged, and it
 * never decides a domain rule. Its invariants:
 * - after every commit, each roll-up equals the aggregate of the records in its bucket, in the zone the series
 *   is aligned to (`zoneOf`); a write whose shape names another zone is refused (`SeriesZoneError`) until the
 *   caller realigns the series with `rebuild`;
 * - every write method is one transaction: all of it is stored, or nothing;
 * - a commit made through another connection (another worker process, the CLI) is visible to the next call.
 */
import type { Level, Zone } from './buckets.js';
import type { AggMap } from './rollup.js';

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
  /** The record's values: variables and `<var>_qc`, no `_time`, no nulls. */
  values: Record<string, unknown>;
  /**
   * The record's stored text, made by the service: the JSON object `{"_time":"<24-character ISO>", ...values}`.
   * The store keeps it as it is and reads return it as it is.
   */
  json: string;
}

export interface StoredRecord {
  t: number;
  json: string;
}

/** Makes the stored text of a record from its values (for merged records; see WriteRecord.json). */
export type RecordEncoder = (t: number, values: Readonly<Record<string, unknown>>) => string;

export interface RangeQuery {
  /** Exclusive lower bound (epoch ms); undefined = unbounded. */
  from?: number;
  /** Inclusive upper bound; undefined = unbounded. */
  to?: number;
  limit: number;
  desc: boolean;
}

/**
 * One run of a page's records: record i (s <= i < e) is `bytes[offs[i], offs[i + 1] - 1)` (its stored text, UTF-8)
 * at `times[i]` (epoch ms); ascending within the run (a descending page visits it from e - 1 down to s).
 */
export type RecordRunVisitor = (bytes: Buffer, offs: Int32Array, times: Float64Array, s: number, e: number) => void;

/** Records of a range as the bytes of a JSON array (the GET reply), in the order asked. */
export interface RecordPage {
  /** Records in the page. */
  readonly count: number;
  /** Drops the records after the first n. */
  truncate(n: number): void;
  /** Time of the last record (NaN when empty). */
  lastTime(): number;
  /** `[record,…]`: each record its stored text, as readText gives it. */
  bytes(): Buffer;
  /**
   * The same bytes as pieces that are written one after another (their concatenation is bytes()), left where they
   * lie where the page can (the GET reply writes them to the socket in one writev). Optional, as runs.
   */
  pieces?(): Buffer[];
  /**
   * The same records where they lie, run by run in page order (RecordRunVisitor), so a reader that writes its own
   * document (OData, issue 14) copies each record's bytes without a string per record. Optional: a page that does
   * not hold its records that way leaves it out, and readers cut bytes() instead (timeseries/service.ts pageRuns).
   */
  runs?(visit: RecordRunVisitor): void;
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

/** A write in one zone to a series whose roll-ups are aligned to another: the caller realigns first (`rebuild`). */
export class SeriesZoneError extends Error {
  constructor(readonly key: SeriesKey, readonly stored: string, readonly given: string) {
    super(`series ${key.tenant}/${key.assetId}/${key.aspect} is aligned to ${stored}, not ${given}: rebuild it first`);
    this.name = 'SeriesZoneError';
  }
}

export interface TimeseriesStore {
  /**
   * Replaces whole records (PUT) of any number of series in one transaction, all or nothing. Writes apply in
   * order, so of two records at one timestamp (in one write or in two writes of one series) the later wins.
   * A write without records stores nothing and creates no series.
   */
  put(writes: readonly SeriesWrite[]): Promise<void>;
  /**
   * Merges each record's values into the stored record at its timestamp (PATCH): given variables replace, the
   * others stay; a timestamp without a record gets one. `encode` makes the merged records' text. All or nothing.
   */
  patch(write: SeriesWrite, encode: RecordEncoder): Promise<void>;
  /** Records of a range, ascending or descending by time, at most `limit`. */
  read(key: SeriesKey, q: RangeQuery): Promise<StoredRecord[]>;
  /** The stored text of the records of a range (each begins `{"_time":"<24-char ISO>"`), the fast read path. */
  readText(key: SeriesKey, q: RangeQuery): Promise<string[]>;
  /** The same records as readText, as one JSON array of bytes (the GET reply without strings in between). */
  readJson(key: SeriesKey, q: RangeQuery): Promise<RecordPage>;
  /** The number of records with from < t <= to (OData `/$count` asks it without reading them). */
  count(key: SeriesKey, from: number, to: number): Promise<number>;
  /** Deletes records with from < t <= to and corrects the roll-ups. Returns the number deleted. */
  deleteRange(key: SeriesKey, shape: SeriesShape, from: number, to: number): Promise<number>;
  /** Roll-ups of a level with from <= start < to, ascending. */
  rollups(key: SeriesKey, level: Level, from: number, to: number): Promise<Rollup[]>;
  /** Realigns a series to the shape's zone: every roll-up recomputed from the records, the zone remembered. */
  rebuild(key: SeriesKey, shape: SeriesShape): Promise<void>;
  /** Time zone the series' roll-ups are aligned to, or undefined when the series does not exist. */
  zoneOf(key: SeriesKey): Promise<string | undefined>;
  /** zoneOf of many series at once (a write of many series checks them all before it is stored). */
  zonesOf(keys: readonly SeriesKey[]): Promise<(string | undefined)[]>;
  /** Drops every series of an asset; returns how many there were. */
  dropAsset(tenant: string, assetId: string): Promise<number>;
  dropSeries(key: SeriesKey): Promise<void>;
  /** Assets of a tenant that hold a series of the named aspect. */
  assetsWithAspect(tenant: string, aspect: string): Promise<string[]>;
  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
