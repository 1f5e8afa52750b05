/**
 * SQLite implementation of the time series store, in its own database file (timeseries.db) so ingest does not
 * contend with the other contexts' writers. One row per record (all variables as JSON text, WITHOUT ROWID,
 * clustered by series and time); roll-ups per level and bucket start as JSON arrays of partial aggregates.
 * Invariant: after every committed transaction each roll-up equals the aggregate of the records in its bucket.
 * New timestamps are merged into the 2-minute roll-up incrementally; a bucket that saw an overwrite, a merge or
 * a delete is recomputed from its records; hours are recomputed from their 2-minute roll-ups and days from
 * their hours, so a batch touches a handful of roll-up rows whatever its size.
 */
import type Database from 'better-sqlite3';
import type { SqliteSync } from '../../core/config.js';
import { DbChanges, type Db, type Migration, openDatabase } from '../../core/db.js';
import { type AggMap, addRecord, mergeMaps, variableKeys } from '../aggregate.js';
import type { RangeQuery, Rollup, SeriesKey, SeriesShape, SeriesWrite, StoredRecord, TimeseriesStore } from '../store.js';
import { recordJson } from '../records.js';
import { bucketEnd, bucketOf, type Level } from '../time.js';

export const TIMESERIES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'series, records, roll-ups',
    up: `
      CREATE TABLE series (
        id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, asset_id TEXT NOT NULL, aspect TEXT NOT NULL,
        zone TEXT NOT NULL, UNIQUE (tenant, asset_id, aspect));
      CREATE TABLE records (
        series INTEGER NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;
      CREATE TABLE rollups (
        series INTEGER NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (series, level, start)) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'stored record JSON starts with its canonical _time',
    up: (db) => {
      const update = db.prepare('UPDATE records SET data = ? WHERE series = ? AND t = ?');
      const rows = db.prepare('SELECT series, t, data FROM records').all() as { series: number; t: number; data: string }[];
      for (const r of rows) {
        const values = JSON.parse(r.data) as Record<string, unknown>;
        if (!('_time' in values)) update.run(recordJson(r.t, values), r.series, r.t);
      }
    },
  },
];

const MIN_T = -8.64e15;
const ROWS_PER_INSERT = 50;
const IN_CHUNK = 500;
const MAX_T = 8.64e15;

interface SeriesRow { id: number; zone: string }

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

  constructor(options: { dataDir: string; sync: SqliteSync; name?: string }) {
    this.db = openDatabase({ dataDir: options.dataDir, name: options.name ?? 'timeseries', migrations: TIMESERIES_MIGRATIONS, sync: options.sync });
    const db = this.db;
    this.otherWriters = new DbChanges(db, 0);
    this.s = {
      seriesGet: db.prepare('SELECT id, zone FROM series WHERE tenant = ? AND asset_id = ? AND aspect = ?'),
      seriesAdd: db.prepare('INSERT INTO series (tenant, asset_id, aspect, zone) VALUES (?, ?, ?, ?)'),
      seriesZone: db.prepare('UPDATE series SET zone = ? WHERE id = ?'),
      seriesOfAsset: db.prepare('SELECT id FROM series WHERE tenant = ? AND asset_id = ?'),
      seriesOfAspect: db.prepare('SELECT asset_id FROM series WHERE tenant = ? AND aspect = ?'),
      seriesDel: db.prepare('DELETE FROM series WHERE id = ?'),
      recInsert: db.prepare('INSERT OR IGNORE INTO records (series, t, data) VALUES (?, ?, ?)'),
      recReplace: db.prepare('INSERT OR REPLACE INTO records (series, t, data) VALUES (?, ?, ?)'),
      recReplaceMany: db.prepare(`INSERT OR REPLACE INTO records (series, t, data) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?)').join(', ')}`),
      recTimes: db.prepare('SELECT t FROM records WHERE series = ? AND t >= ? AND t <= ? LIMIT ?').pluck(),
      recTimesIn: db.prepare(`SELECT t FROM records WHERE series = ? AND t IN (${Array(IN_CHUNK).fill('?').join(',')})`).pluck(),
      recUpdate: db.prepare('UPDATE records SET data = ? WHERE series = ? AND t = ?'),
      recGet: db.prepare('SELECT data FROM records WHERE series = ? AND t = ?').pluck(),
      recAsc: db.prepare('SELECT t, data AS json FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?'),
      recDesc: db.prepare('SELECT t, data AS json FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t DESC LIMIT ?'),
      textAsc: db.prepare('SELECT data FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?').pluck(),
      textDesc: db.prepare('SELECT data FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t DESC LIMIT ?').pluck(),
      recDelRange: db.prepare('DELETE FROM records WHERE series = ? AND t > ? AND t <= ?'),
      recDelSeries: db.prepare('DELETE FROM records WHERE series = ?'),
      rollGet: db.prepare('SELECT data FROM rollups WHERE series = ? AND level = ? AND start = ?').pluck(),
      rollPut: db.prepare('INSERT OR REPLACE INTO rollups (series, level, start, data) VALUES (?, ?, ?, ?)'),
      rollDel: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start = ?'),
      rollDelRange: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start <= ?'),
      rollDelSeries: db.prepare('DELETE FROM rollups WHERE series = ?'),
      rollRange: db.prepare('SELECT start, data FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start < ? ORDER BY start'),
    };
  }

  private cacheKey(k: SeriesKey): string {
    return `${k.tenant}\u0000${k.assetId}\u0000${k.aspect}`;
  }

  private find(key: SeriesKey): SeriesRow | undefined {
    if (this.otherWriters.changed()) this.ids.clear();
    const ck = this.cacheKey(key);
    let row = this.ids.get(ck);
    if (!row) {
      row = this.s['seriesGet']!.get(key.tenant, key.assetId, key.aspect) as SeriesRow | undefined;
      if (row) this.ids.set(ck, row);
    }
    return row;
  }

  /** The series id, created on first write; a changed time zone realigns every roll-up of the series. */
  private ensure(key: SeriesKey, shape: SeriesShape): number {
    const row = this.find(key);
    if (!row) {
      const id = Number(this.s['seriesAdd']!.run(key.tenant, key.assetId, key.aspect, shape.zone.id).lastInsertRowid);
      this.ids.set(this.cacheKey(key), { id, zone: shape.zone.id });
      return id;
    }
    if (row.zone !== shape.zone.id) {
      this.s['seriesZone']!.run(shape.zone.id, row.id);
      row.zone = shape.zone.id;
      this.rebuildSync(row.id, shape);
    }
    return row.id;
  }

  async put(writes: SeriesWrite[]): Promise<void> {
    this.db.transaction(() => {
      for (const w of writes) this.putOne(w);
    }).immediate();
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
    const many = this.s['recReplaceMany']!;
    let i = 0;
    const args: unknown[] = new Array(ROWS_PER_INSERT * 3);
    for (; i + ROWS_PER_INSERT <= records.length; i += ROWS_PER_INSERT) {
      for (let j = 0; j < ROWS_PER_INSERT; j++) {
        const r = records[i + j]!;
        args[j * 3] = sid; args[j * 3 + 1] = r.t; args[j * 3 + 2] = r.json;
      }
      many.run(args);
    }
    const one = this.s['recReplace']!;
    for (; i < records.length; i++) one.run(sid, records[i]!.t, records[i]!.json);
    this.refresh(sid, shape, [...partial.keys()], dirty, partial);
  }

  /** Brings the roll-ups of the given 2-minute buckets, and of the hours and days holding them, up to date. */
  private refresh(sid: number, shape: SeriesShape, twoMinute: number[], dirty: ReadonlySet<number>,
    partial?: ReadonlyMap<number, AggMap>): void {
    const zone = shape.zone;
    const hours = new Set<number>();
    for (const b of twoMinute) {
      const add = partial?.get(b);
      if (!dirty.has(b) && add) {
        const existing = this.s['rollGet']!.get(sid, 0, b) as string | undefined;
        const aggs: AggMap = existing ? JSON.parse(existing) as AggMap : {};
        mergeMaps(aggs, add);
        this.store(sid, 0, b, aggs);
      } else {
        this.recompute(sid, shape, 0, b);
      }
      hours.add(bucketOf(zone, 1, b + 1));
    }
    const days = new Set<number>();
    for (const h of hours) {
      this.recompute(sid, shape, 1, h);
      days.add(bucketOf(zone, 2, h + 1));
    }
    for (const d of days) this.recompute(sid, shape, 2, d);
  }

  private store(sid: number, level: Level, start: number, aggs: AggMap): void {
    let empty = true;
    for (const _ in aggs) { empty = false; break; }
    if (empty) this.s['rollDel']!.run(sid, level, start);
    else this.s['rollPut']!.run(sid, level, start, JSON.stringify(aggs));
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
      for (const row of this.s['rollRange']!.iterate(sid, level - 1, start, end) as Iterable<{ data: string }>) {
        mergeMaps(aggs, JSON.parse(row.data) as AggMap);
      }
    }
    this.store(sid, level, start, aggs);
  }

  async patch({ key, shape, records }: SeriesWrite): Promise<void> {
    this.db.transaction(() => {
      const sid = this.ensure(key, shape);
      const buckets = new Set<number>();
      for (const r of records) {
        const existing = this.s['recGet']!.get(sid, r.t) as string | undefined;
        const json = recordJson(r.t, existing ? { ...JSON.parse(existing) as Record<string, unknown>, ...r.values } : r.values);
        if (existing) this.s['recUpdate']!.run(json, sid, r.t);
        else this.s['recInsert']!.run(sid, r.t, json);
        buckets.add(bucketOf(shape.zone, 0, r.t));
      }
      this.refresh(sid, shape, [...buckets], buckets);
    }).immediate();
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

  async deleteRange(key: SeriesKey, shape: SeriesShape, from: number, to: number): Promise<number> {
    const row = this.find(key);
    if (!row || to <= from) return 0;
    return this.db.transaction(() => {
      const sid = this.ensure(key, shape);
      const deleted = this.s['recDelRange']!.run(sid, from, to).changes;
      const zone = shape.zone;
      for (const level of [0, 1, 2] as Level[]) {
        const first = bucketOf(zone, level, from + 1);
        const last = bucketOf(zone, level, to);
        this.s['rollDelRange']!.run(sid, level, first, last);
        this.recompute(sid, shape, level, first);
        if (last !== first) this.recompute(sid, shape, level, last);
      }
      return deleted;
    }).immediate();
  }

  async rollups(key: SeriesKey, level: Level, from: number, to: number): Promise<Rollup[]> {
    const row = this.find(key);
    if (!row) return [];
    return (this.s['rollRange']!.all(row.id, level, from, to) as { start: number; data: string }[])
      .map((r) => ({ start: r.start, aggs: JSON.parse(r.data) as AggMap }));
  }

  async rebuild(key: SeriesKey, shape: SeriesShape): Promise<void> {
    // looked up inside the write transaction: another process may have dropped the series (and its id be reused)
    this.db.transaction(() => {
      const row = this.find(key);
      if (row) this.rebuildSync(row.id, shape);
    }).immediate();
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
    const rows = this.db.transaction(() => {
      const found = this.s['seriesOfAsset']!.all(tenant, assetId) as { id: number }[];
      for (const r of found) this.dropId(r.id);
      return found;
    }).immediate();
    for (const k of [...this.ids.keys()]) if (k.startsWith(`${tenant}\u0000${assetId}\u0000`)) this.ids.delete(k);
    return rows.length;
  }

  async dropSeries(key: SeriesKey): Promise<void> {
    this.db.transaction(() => {
      const row = this.find(key);
      if (row) this.dropId(row.id);
    }).immediate();
    this.ids.delete(this.cacheKey(key));
  }

  private dropId(id: number): void {
    this.s['recDelSeries']!.run(id);
    this.s['rollDelSeries']!.run(id);
    this.s['seriesDel']!.run(id);
  }

  async assetsWithAspect(tenant: string, aspect: string): Promise<string[]> {
    return (this.s['seriesOfAspect']!.all(tenant, aspect) as { asset_id: string }[]).map((r) => r.asset_id);
  }

  close(): void {
    this.db.close();
  }
}
