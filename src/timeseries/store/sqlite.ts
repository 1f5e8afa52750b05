/**
 * SQLite implementation of the time series store, in its own database file (timeseries.db) so ingest does not
 * contend with the other contexts' writers. One row per record (all variables as JSON text, WITHOUT ROWID,
 * clustered by series and time); roll-ups per level and bucket start as partial aggregates (rollup-codec.ts);
 * puts share commits (group-commit.ts); schema versions in migrations.ts; the SQL in statements.ts.
 * Invariant: after every committed transaction each roll-up equals the aggregate of the records in its bucket
 * (in the zone the series row names; a write in another zone is refused until rebuild() realigns the series).
 * New timestamps are merged into their 2-minute, hour and day roll-ups incrementally (one row per touched bucket
 * and level, so a write costs the same however full its hour or day is); a bucket that saw an overwrite, a merge
 * or a delete is recomputed from its records, its hour from its 2-minute roll-ups and its day from its hours.
 */
import type Database from 'better-sqlite3';
import type { SqliteSync } from '../../core/config.js';
import { DbChanges, type Db, openDatabase } from '../../core/db.js';
import { bucketEnd, bucketOf, type Level } from '../buckets.js';
import { GroupCommit } from './group-commit.js';
import { TIMESERIES_MIGRATIONS } from './migrations.js';
import { IN_CHUNK, prepareStatements } from './statements.js';
import { decodeAggs, encodeAggs } from './rollup-codec.js';
import { type AggMap, addRecord, gather, mergeMaps, variableKeys } from '../rollup.js';
import { type RangeQuery, type RecordEncoder, type Rollup, type SeriesKey, type SeriesShape, type SeriesWrite,
  SeriesZoneError, type StoredRecord, type TimeseriesStore } from '../store.js';

export { TIMESERIES_MIGRATIONS };

const MIN_T = -8.64e15;
const ROWS_PER_INSERT = 50;
const MAX_T = 8.64e15;

interface SeriesRow { id: number; zone: string }

export interface SqliteTimeseriesOptions {
  dataDir: string;
  sync: SqliteSync;
  name?: string;
  /** Longest wait of a put for others to share its commit; 0 = the next turn of the event loop. */
  groupCommitMs?: number;
  /** Records of queued puts that start the shared commit at once. */
  groupCommitRecords?: number;
}

export class SqliteTimeseriesStore implements TimeseriesStore {
  readonly db: Db;
  /**
   * Series ids and zones by key. Valid while no other connection (another worker process, the CLI) committed:
   * it may have dropped a series (its id can then be reused by a new one) or realigned its zone.
   */
  private readonly ids = new Map<string, SeriesRow>();
  /** Exact (read on every lookup): a write must never go through an id another process dropped. */
  private readonly otherWriters: DbChanges;
  private readonly s: Record<string, Database.Statement>;
  /** Inside one of this store's write transactions (see find). */
  private writing = false;
  /** Multi-row INSERT OR REPLACE statements by row count (1..ROWS_PER_INSERT), prepared on first use. */
  private readonly replaceRows: Database.Statement[] = [];
  /** Puts queued for the next shared transaction (group commit). */
  private readonly group: GroupCommit<readonly SeriesWrite[]>;

  constructor(options: SqliteTimeseriesOptions) {
    this.db = openDatabase({ dataDir: options.dataDir, name: options.name ?? 'timeseries', migrations: TIMESERIES_MIGRATIONS, sync: options.sync });
    const db = this.db;
    this.otherWriters = new DbChanges(db, 0);
    this.s = prepareStatements(db);
    // Each put is a savepoint inside the shared transaction, so one that fails is undone alone.
    const putOne = db.transaction((writes: readonly SeriesWrite[]) => {
      for (const w of writes) if (w.records.length > 0) this.putOne(w);
    });
    this.group = new GroupCommit((batch) => {
      const failed = new Map<number, unknown>();
      this.write(() => batch.forEach((writes, i) => {
        try {
          putOne(writes);
        } catch (err) {
          this.ids.clear();
          failed.set(i, err);
        }
      }));
      return failed;
    }, options.groupCommitMs ?? 0, options.groupCommitRecords ?? 20_000);
  }

  private cacheKey(k: SeriesKey): string {
    return `${k.tenant}\u0000${k.assetId}\u0000${k.aspect}`;
  }

  private find(key: SeriesKey): SeriesRow | undefined {
    // Inside a write transaction no other connection can commit: it was looked at when the transaction began.
    if (!this.writing && this.otherWriters.changed()) this.ids.clear();
    const ck = this.cacheKey(key);
    let row = this.ids.get(ck);
    if (!row) {
      row = this.s['seriesGet']!.get(key.tenant, key.assetId, key.aspect) as SeriesRow | undefined;
      if (row) this.ids.set(ck, row);
    }
    return row;
  }

  /** The series id, created on first write in the shape's zone; a series aligned to another zone is refused. */
  private ensure(key: SeriesKey, shape: SeriesShape): number {
    const row = this.find(key);
    if (!row) {
      const id = Number(this.s['seriesAdd']!.run(key.tenant, key.assetId, key.aspect, shape.zone.id).lastInsertRowid);
      this.ids.set(this.cacheKey(key), { id, zone: shape.zone.id });
      return id;
    }
    if (row.zone !== shape.zone.id) throw new SeriesZoneError(key, row.zone, shape.zone.id);
    return row.id;
  }

  /**
   * Runs one write transaction, after the queued puts (so writes keep their order). A rolled-back transaction may
   * have put ids of series it created, or zones it changed, into the cache: the cache goes with it.
   */
  private write<T>(fn: () => T): T {
    if (this.group.pending) this.group.flush();
    try {
      return this.db.transaction(() => {
        if (this.otherWriters.changed()) this.ids.clear();
        this.writing = true;
        try {
          return fn();
        } finally {
          this.writing = false;
        }
      }).immediate();
    } catch (err) {
      this.ids.clear();
      throw err;
    }
  }

  /**
   * Group commit: puts are stored together in one transaction, on the next turn of the event loop (or after
   * `groupCommitMs`), or at once when `groupCommitRecords` are queued. Each put is a savepoint of its own, so one
   * that fails is refused alone; each resolves only after the shared COMMIT, so an acknowledged put is as durable
   * as the synchronous setting makes a commit.
   */
  async put(writes: readonly SeriesWrite[]): Promise<void> {
    let records = 0;
    for (const w of writes) records += w.records.length;
    if (records > 0) await this.group.submit(writes, records);
  }

  /** Timestamps among `ts` that already have a record: one range probe (empty when appending), else point lookups. */
  private existing(sid: number, ts: readonly number[], min: number, max: number): Set<number> {
    const cap = ts.length * 4;
    const inRange = this.s['recTimes']!.all(sid, min, max, cap + 1) as number[];
    if (inRange.length <= cap) return new Set(inRange);
    const found = new Set<number>();
    for (let i = 0; i < ts.length; i += IN_CHUNK) {
      const part = ts.slice(i, i + IN_CHUNK);
      const stmt = part.length === IN_CHUNK ? this.s['recTimesIn']! : this.db.prepare(
        `SELECT t FROM records WHERE series = ? AND t IN (${part.map(() => '?').join(',')})`).pluck();
      for (const t of stmt.all(sid, ...part) as number[]) found.add(t);
    }
    return found;
  }

  private putOne({ key, shape, records }: SeriesWrite): void {
    const sid = this.ensure(key, shape);
    const zone = shape.zone;
    let min = Infinity;
    let max = -Infinity;
    let increasing = true;
    for (let i = 0; i < records.length; i++) {
      const t = records[i]!.t;
      if (t < min) min = t;
      if (t > max) max = t;
      if (i > 0 && t <= records[i - 1]!.t) increasing = false;
    }
    const exist = this.existing(sid, records.map((r) => r.t), min, max);
    const seen = increasing ? undefined : new Set<number>();
    const partial = new Map<number, AggMap>();
    const dirty = new Set<number>();
    const keys = variableKeys(shape.variables);
    let bStart = NaN;
    let bEnd = NaN;
    let current: AggMap | undefined;
    for (const r of records) {
      // Bucket of t is the 2-minute [start, end) holding t - 1.
      if (!(r.t - 1 >= bStart && r.t - 1 < bEnd)) {
        bStart = bucketOf(zone, 0, r.t);
        bEnd = bStart + 120_000;
        current = partial.get(bStart);
        if (!current) { current = {}; partial.set(bStart, current); }
      }
      // An overwrite (of a stored record or of an earlier one in this request) invalidates the bucket's partial.
      if (exist.has(r.t) || seen?.has(r.t)) dirty.add(bStart);
      else if (!dirty.has(bStart)) addRecord(current!, r.t, r.values, keys);
      seen?.add(r.t);
    }
    // Multi-row INSERT OR REPLACE keeps request order, so a later record at the same timestamp wins.
    for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
      const n = Math.min(ROWS_PER_INSERT, records.length - i);
      const args: unknown[] = new Array(n * 3);
      for (let j = 0; j < n; j++) {
        const r = records[i + j]!;
        args[j * 3] = sid; args[j * 3 + 1] = r.t; args[j * 3 + 2] = r.json;
      }
      this.replaceStatement(n).run(args);
    }
    this.refresh(sid, shape, [...partial.keys()], dirty, partial);
  }

  private replaceStatement(rows: number): Database.Statement {
    let stmt = this.replaceRows[rows];
    if (!stmt) {
      stmt = this.db.prepare(`INSERT OR REPLACE INTO records (series, t, data) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`);
      this.replaceRows[rows] = stmt;
    }
    return stmt;
  }

  /**
   * Brings the roll-ups of the given 2-minute buckets, and of the hours and days holding them, up to date. A bucket
   * that only gained new timestamps gets its partial merged into its 2-minute, hour and day roll-ups (one row each,
   * whatever the bucket already holds); a dirty one (overwrite, merge) is recomputed, and so are its hour (from at
   * most 30 two-minute roll-ups) and day (from at most 25 hours), since min, max, first and last cannot be undone.
   */
  private refresh(sid: number, shape: SeriesShape, twoMinute: number[], dirty: ReadonlySet<number>,
    partial?: ReadonlyMap<number, AggMap>): void {
    const zone = shape.zone;
    // Per hour (then per day): the sum of the partials to merge, or null when it must be recomputed.
    const hours = new Map<number, AggMap | null>();
    for (const b of twoMinute) {
      const add = partial?.get(b);
      const h = bucketOf(zone, 1, b + 1);
      if (!dirty.has(b) && add) {
        this.mergeInto(sid, 0, b, add);
        gather(hours, h, add);
      } else {
        this.recompute(sid, shape, 0, b);
        hours.set(h, null);
      }
    }
    const days = new Map<number, AggMap | null>();
    for (const [h, add] of hours) {
      const d = bucketOf(zone, 2, h + 1);
      if (add) {
        this.mergeInto(sid, 1, h, add);
        gather(days, d, add);
      } else {
        this.recompute(sid, shape, 1, h);
        days.set(d, null);
      }
    }
    for (const [d, add] of days) {
      if (add) this.mergeInto(sid, 2, d, add);
      else this.recompute(sid, shape, 2, d);
    }
  }

  /** Merges a partial aggregate of new records into one stored roll-up. */
  private mergeInto(sid: number, level: Level, start: number, add: AggMap): void {
    const existing = this.s['rollGet']!.get(sid, level, start) as string | Buffer | undefined;
    if (existing === undefined) {
      this.store(sid, level, start, add);
      return;
    }
    const aggs = decodeAggs(existing);
    mergeMaps(aggs, add);
    // in place: cheaper than INSERT OR REPLACE (a delete and an insert) of a row this size
    this.s['rollUpdate']!.run(encodeAggs(aggs), sid, level, start);
  }

  private store(sid: number, level: Level, start: number, aggs: AggMap): void {
    let empty = true;
    for (const _ in aggs) { empty = false; break; }
    if (empty) this.s['rollDel']!.run(sid, level, start);
    else this.s['rollPut']!.run(sid, level, start, encodeAggs(aggs));
  }

  /** Recomputes one roll-up: 2 minutes from records, hours from 2-minute roll-ups, days from hours. */
  private recompute(sid: number, shape: SeriesShape, level: Level, start: number): void {
    const end = bucketEnd(shape.zone, level, start);
    const aggs: AggMap = {};
    if (level === 0) {
      const keys = variableKeys(shape.variables);
      for (const row of this.s['recAsc']!.iterate(sid, start, end, 1e9) as Iterable<{ t: number; json: string }>) {
        addRecord(aggs, row.t, JSON.parse(row.json) as Record<string, unknown>, keys);
      }
    } else {
      for (const row of this.s['rollRange']!.iterate(sid, level - 1, start, end) as Iterable<{ data: string | Buffer }>) {
        mergeMaps(aggs, decodeAggs(row.data));
      }
    }
    this.store(sid, level, start, aggs);
  }

  async patch({ key, shape, records }: SeriesWrite, encode: RecordEncoder): Promise<void> {
    if (records.length === 0) return;
    this.write(() => {
      const sid = this.ensure(key, shape);
      const buckets = new Set<number>();
      for (const r of records) {
        const existing = this.s['recGet']!.get(sid, r.t) as string | undefined;
        if (existing) {
          const { _time: _, ...stored } = JSON.parse(existing) as Record<string, unknown>;
          this.s['recUpdate']!.run(encode(r.t, { ...stored, ...r.values }), sid, r.t);
        } else {
          this.s['recInsert']!.run(sid, r.t, r.json);
        }
        buckets.add(bucketOf(shape.zone, 0, r.t));
      }
      this.refresh(sid, shape, [...buckets], buckets);
    });
  }

  async read(key: SeriesKey, q: RangeQuery): Promise<StoredRecord[]> {
    const row = this.find(key);
    if (!row) return [];
    const stmt = q.desc ? this.s['recDesc']! : this.s['recAsc']!;
    return stmt.all(row.id, q.from ?? MIN_T, q.to ?? MAX_T, q.limit) as StoredRecord[];
  }

  async readText(key: SeriesKey, q: RangeQuery): Promise<string[]> {
    const row = this.find(key);
    if (!row) return [];
    const stmt = q.desc ? this.s['textDesc']! : this.s['textAsc']!;
    return stmt.all(row.id, q.from ?? MIN_T, q.to ?? MAX_T, q.limit) as string[];
  }

  async count(key: SeriesKey, from: number, to: number): Promise<number> {
    const row = this.find(key);
    if (!row || to <= from) return 0;
    return (this.s['recCount']!.get(row.id, from, to) as { n: number }).n;
  }

  async deleteRange(key: SeriesKey, shape: SeriesShape, from: number, to: number): Promise<number> {
    if (to <= from) return 0;
    return this.write(() => {
      // looked up inside the write transaction: another process may have dropped the series
      const row = this.find(key);
      if (!row) return 0;
      if (row.zone !== shape.zone.id) throw new SeriesZoneError(key, row.zone, shape.zone.id);
      const sid = row.id;
      // Roll-ups exist only where records do: the buckets of the first and last record deleted bound the change.
      const span = this.s['recSpan']!.get(sid, from, to) as { lo: number | null; hi: number | null };
      if (span.lo === null || span.hi === null) return 0;
      const deleted = this.s['recDelRange']!.run(sid, from, to).changes;
      const zone = shape.zone;
      for (const level of [0, 1, 2] as Level[]) {
        const first = bucketOf(zone, level, span.lo);
        const last = bucketOf(zone, level, span.hi);
        this.s['rollDelRange']!.run(sid, level, first, last);
        this.recompute(sid, shape, level, first);
        if (last !== first) this.recompute(sid, shape, level, last);
      }
      return deleted;
    });
  }

  async rollups(key: SeriesKey, level: Level, from: number, to: number): Promise<Rollup[]> {
    const row = this.find(key);
    if (!row) return [];
    return (this.s['rollRange']!.all(row.id, level, from, to) as { start: number; data: string | Buffer }[])
      .map((r) => ({ start: r.start, aggs: decodeAggs(r.data) }));
  }

  async rebuild(key: SeriesKey, shape: SeriesShape): Promise<void> {
    // looked up inside the write transaction: another process may have dropped the series (and its id be reused)
    this.write(() => {
      const row = this.find(key);
      if (!row) return;
      this.s['seriesZone']!.run(shape.zone.id, row.id);
      this.rebuildSync(row.id, shape);
      row.zone = shape.zone.id;
    });
  }

  private rebuildSync(sid: number, shape: SeriesShape): void {
    this.s['rollDelSeries']!.run(sid);
    const zone = shape.zone;
    let b = NaN;
    let aggs: AggMap = {};
    const keys = variableKeys(shape.variables);
    const buckets: number[] = [];
    const flush = () => {
      if (!Number.isNaN(b)) { this.store(sid, 0, b, aggs); buckets.push(b); }
    };
    // Pages of records, not an open iterator: the connection cannot write while a statement iterates.
    let after = MIN_T;
    for (;;) {
      const page = this.s['recAsc']!.all(sid, after, MAX_T, 10_000) as { t: number; json: string }[];
      if (page.length === 0) break;
      for (const r of page) {
        const k = bucketOf(zone, 0, r.t);
        if (k !== b) { flush(); b = k; aggs = {}; }
        addRecord(aggs, r.t, JSON.parse(r.json) as Record<string, unknown>, keys);
      }
      after = page[page.length - 1]!.t;
    }
    flush();
    const hours = new Set(buckets.map((x) => bucketOf(zone, 1, x + 1)));
    const days = new Set([...hours].map((h) => bucketOf(zone, 2, h + 1)));
    for (const h of hours) this.recompute(sid, shape, 1, h);
    for (const d of days) this.recompute(sid, shape, 2, d);
  }

  async zoneOf(key: SeriesKey): Promise<string | undefined> {
    return this.find(key)?.zone;
  }

  async dropAsset(tenant: string, assetId: string): Promise<number> {
    const rows = this.write(() => {
      const found = this.s['seriesOfAsset']!.all(tenant, assetId) as { id: number }[];
      for (const r of found) this.dropId(r.id);
      return found;
    });
    for (const k of [...this.ids.keys()]) if (k.startsWith(`${tenant}\u0000${assetId}\u0000`)) this.ids.delete(k);
    return rows.length;
  }

  async dropSeries(key: SeriesKey): Promise<void> {
    this.write(() => {
      const row = this.find(key);
      if (row) this.dropId(row.id);
    });
    this.ids.delete(this.cacheKey(key));
  }

  private dropId(id: number): void {
    this.s['recDelSeries']!.run(id);
    this.s['rollDelSeries']!.run(id);
    this.s['seriesDel']!.run(id);
  }

  async deleteTenant(tenant: string): Promise<number> {
    const ids = this.write(() => {
      const found = this.db.prepare<[string], number>('SELECT id FROM series WHERE tenant = ?').pluck().all(tenant);
      for (const id of found) this.dropId(id);
      return found;
    });
    for (const k of [...this.ids.keys()]) if (k.startsWith(`${tenant}\u0000`)) this.ids.delete(k);
    return ids.length;
  }
  async assetsWithAspect(tenant: string, aspect: string): Promise<string[]> {
    return (this.s['seriesOfAspect']!.all(tenant, aspect) as { asset_id: string }[]).map((r) => r.asset_id);
  }

  close(): void {
    this.group.flush();
    this.db.close();
  }
}
