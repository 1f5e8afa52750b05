/**
 * SQLite implementation of the time series store, in its own database file (timeseries.db) so ingest does not
 * contend with the other contexts' writers. Records in per-series compressed time chunks (chunks.ts, issue 17;
 * databases of earlier versions converted on open by convert.ts); roll-ups per level and bucket start as partial
 * aggregates (rollup-codec.ts), merged for a group commit's new records by rollup-buffer.ts and otherwise kept by
 * rollup-rows.ts; puts share commits (group-commit.ts); schema versions in migrations.ts; the SQL of series and
 * roll-ups in statements.ts.
 * Invariant: after every committed transaction each roll-up equals the aggregate of the records in its bucket
 * (in the zone the series row names; a write in another zone is refused until rebuild() realigns the series).
 * New timestamps are merged into their 2-minute, hour and day roll-ups incrementally (one row per touched bucket
 * and level, so a write costs the same however full its hour or day is), in memory across all the puts of a group
 * commit and written once per bucket before the COMMIT (rollup-buffer.ts); a series' newest hour and day rows are
 * open (they hold their sub-buckets before `upto`, reads add the rest: rollup-rows.ts), so an append within the
 * newest 2 minutes writes one row; a bucket that saw an overwrite, a merge or a delete is recomputed from its
 * records, its hour from its 2-minute roll-ups and its day from its hours.
 */
import type Database from 'better-sqlite3';
import type { SqliteSync } from '../../core/config.js';
import { DbChanges, type Db, openDatabase } from '../../core/db.js';
import { bucketOf, type Level, zoneOf as zoneById } from '../buckets.js';
import { GroupCommit } from './group-commit.js';
import { Chunks } from './chunks.js';
import { JsonPage, TextCache } from './chunk-json.js';
import { type ConvertLog, convertRecords } from './convert.js';
import { TIMESERIES_MIGRATIONS } from './migrations.js';
import { prepareStatements } from './statements.js';
import { blockPartials, writeBlock } from './write-blocks.js';
import { RollupRows, resolvedRange } from './rollup-rows.js';
import { type Flushed, RollupBuffer } from './rollup-buffer.js';
import { type AggMap, addRecord, variableKeys } from '../rollup.js';
import { type RangeQuery, type RecordPage, type Rollup, type SeriesKey, type SeriesShape, type SeriesWrite,
  SeriesZoneError, type StoredRecord, type TimeseriesStore, type WriteRecord } from '../store.js';

export { TIMESERIES_MIGRATIONS };

const MIN_T = -8.64e15;
const MAX_T = 8.64e15;

/** The records of a put as chunks take them: ascending, one per timestamp (of two at one timestamp the later). */
function ascending(records: readonly WriteRecord[]): { recs: readonly WriteRecord[]; increasing: boolean } {
  let increasing = true;
  for (let i = 1; i < records.length; i++) if (records[i]!.t <= records[i - 1]!.t) { increasing = false; break; }
  if (increasing) return { recs: records, increasing };
  const last = new Map<number, WriteRecord>();
  for (const r of records) last.set(r.t, r);
  return { recs: [...last.values()].sort((a, b) => a.t - b.t), increasing };
}

interface SeriesRow { id: number; zone: string }

/** The partial aggregates (by 2-minute bucket) of a put's new records in one series. */
type Delta = [sid: number, shape: SeriesShape, partial: ReadonlyMap<number, AggMap>];

/**
 * The roll-up work of one put of a group commit (inside its savepoint): the deltas merged into the buffer once the
 * put succeeded, or, once it is `direct` (a bucket must be recomputed, which reads roll-up rows), none; then
 * `flushed` is what the buffer wrote for it, dirty again if the savepoint rolls back.
 */
interface PutRollups { deltas: Delta[]; flushed: Flushed[]; direct: boolean }

const NONE: ReadonlySet<number> = new Set();

const recordCount = (w: SeriesWrite): number => writeBlock(w)?.n ?? w.records.length;

export interface SqliteTimeseriesOptions {
  dataDir: string;
  sync: SqliteSync;
  name?: string;
  /** Longest wait of a put for others to share its commit; 0 = the next turn of the event loop. */
  groupCommitMs?: number;
  /** Records of queued puts that start the shared commit at once. */
  groupCommitRecords?: number;
  /** Where the conversion of an older database's records reports its progress. */
  logger?: ConvertLog;
  /** Bytes of rendered chunk text kept for reads (chunk-json.ts); 0 keeps none. Default 64 MiB. */
  textCacheBytes?: number;
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
  private readonly chunks: Chunks;
  /** Rendered records of chunks read, for readJson. */
  private readonly texts: TextCache;
  /** Puts queued for the next shared transaction (group commit). */
  private readonly group: GroupCommit<readonly SeriesWrite[]>;
  /** Roll-ups merged by the puts of a group commit, written before its COMMIT; a cache of hot buckets between. */
  private readonly rolls: RollupBuffer;
  /** Roll-up rows written directly (recomputed buckets, PATCH, deletes, realignment). */
  private readonly rows: RollupRows;
  /** Runs a read in one read transaction (one snapshot of the database). */
  private readonly snapshot: <T>(fn: () => T) => T;

  constructor(options: SqliteTimeseriesOptions) {
    this.db = openDatabase({ dataDir: options.dataDir, name: options.name ?? 'timeseries', migrations: TIMESERIES_MIGRATIONS, sync: options.sync });
    const db = this.db;
    // Savepoint journals in memory: every write runs in savepoints (the transaction's body, and each put of a group
    // commit), so SQLite keeps the first version of each page a transaction changes for their rollback; past 64 KiB
    // (a time-major put changes ~55 pages) a file-backed journal spills to a temporary file, a write syscall per page.
    // That journal is never read after a commit or a crash (durability is the WAL's): memory is as safe.
    db.pragma('temp_store = MEMORY');
    this.otherWriters = new DbChanges(db, 0);
    this.s = prepareStatements(db);
    this.chunks = new Chunks(db);
    this.texts = new TextCache(options.textCacheBytes ?? 64 * 1024 * 1024);
    this.rolls = new RollupBuffer(this.s);
    this.rows = new RollupRows(this.s, this.chunks);
    const readTx = db.transaction((fn: () => unknown) => fn());
    this.snapshot = <T>(fn: () => T) => readTx.deferred(fn) as T;
    convertRecords(db, this.chunks, { log: options.logger });
    // Each put is a savepoint inside the shared transaction, so one that fails is undone alone.
    const putOne = db.transaction((writes: readonly SeriesWrite[], work: PutRollups) => {
      for (const w of writes) if (recordCount(w) > 0) this.putOne(w, work);
    });
    this.group = new GroupCommit((batch) => {
      const failed = new Map<number, unknown>();
      this.write(() => {
        batch.forEach((writes, i) => {
          const work: PutRollups = { deltas: [], flushed: [], direct: false };
          try {
            putOne(writes, work);
          } catch (err) {
            // the savepoint is undone: so are the series ids and chunks it cached, and the roll-ups it flushed
            this.ids.clear();
            this.chunks.forget();
            this.rolls.restore(work.flushed);
            failed.set(i, err);
            return;
          }
          for (const [sid, shape, partial] of work.deltas) this.rolls.apply(sid, shape.zone, partial);
        });
        this.rolls.flush();
      }, true);
      return failed;
    }, options.groupCommitMs ?? 0, options.groupCommitRecords ?? 20_000);
  }

  /** Drops what this connection keeps of the database: another connection committed, or a transaction failed. */
  private forget(): void {
    this.ids.clear();
    this.rolls.clear();
    this.chunks.forget();
  }

  private cacheKey(k: SeriesKey): string {
    return `${k.tenant}\u0000${k.assetId}\u0000${k.aspect}`;
  }

  private find(key: SeriesKey): SeriesRow | undefined {
    // Inside a write transaction no other connection can commit: it was looked at when the transaction began.
    if (!this.writing && this.otherWriters.changed()) this.forget();
    return this.lookup(key);
  }

  /** find without the check for other connections' commits (the caller made it). */
  private lookup(key: SeriesKey): SeriesRow | undefined {
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
   * have put ids of series it created, or zones it changed, into the cache: the cache goes with it, and so do the
   * cached chunks and roll-ups. Only the group commit (`grouped`) merges roll-ups through the buffer; any other
   * write changes roll-up rows itself, so the buffer (clean outside a group commit) is dropped first.
   */
  private write<T>(fn: () => T, grouped = false): T {
    if (this.group.pending) this.group.flush();
    try {
      return this.db.transaction(() => {
        if (this.otherWriters.changed()) this.forget();
        if (!grouped) this.rolls.clear();
        this.writing = true;
        try {
          return fn();
        } finally {
          this.writing = false;
        }
      }).immediate();
    } catch (err) {
      this.forget();
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
    for (const w of writes) records += recordCount(w);
    if (records > 0) await this.group.submit(writes, records);
  }

  private putOne(write: SeriesWrite, work: PutRollups): void {
    const { key, shape } = write;
    const sid = this.ensure(key, shape);
    const zone = shape.zone;
    const keys = variableKeys(shape.variables);
    // records as a column block (the writer thread's wire): no record object unless one overwrites a stored one
    const block = writeBlock(write);
    const blockExist = block && this.chunks.putColumns(sid, block);
    if (blockExist && blockExist.size === 0 && !work.direct) {
      work.deltas.push([sid, shape, blockPartials(zone, block, keys)]);
      return;
    }
    const records = write.records;
    const { recs, increasing } = ascending(records);
    const exist = blockExist ?? this.chunks.put(sid, recs);
    const seen = increasing ? undefined : new Set<number>();
    const partial = new Map<number, AggMap>();
    const dirty = new Set<number>();
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
    if (dirty.size === 0 && !work.direct) {
      work.deltas.push([sid, shape, partial]);
      return;
    }
    if (!work.direct) {
      // Recomputing reads roll-up rows: the rows must hold every merge so far, then this put writes its own.
      work.direct = true;
      this.rolls.flush(work.flushed);
      this.rolls.clear();
      for (const [s, sh, p] of work.deltas) this.rows.refresh(s, sh, [...p.keys()], NONE, p);
      work.deltas = [];
    }
    this.rows.refresh(sid, shape, [...partial.keys()], dirty, partial);
  }

  async patch({ key, shape, records }: SeriesWrite): Promise<void> {
    if (records.length === 0) return;
    this.write(() => {
      const sid = this.ensure(key, shape);
      this.chunks.patch(sid, records);
      const buckets = new Set<number>();
      for (const r of records) buckets.add(bucketOf(shape.zone, 0, r.t));
      this.rows.refresh(sid, shape, [...buckets], buckets);
    });
  }

  async read(key: SeriesKey, q: RangeQuery): Promise<StoredRecord[]> {
    // Stored text begins {"_time":"<24-char ISO>": its timestamp is read back from there.
    return (await this.readText(key, q)).map((json) => ({ t: Date.parse(json.slice(10, 34)), json }));
  }

  async readText(key: SeriesKey, q: RangeQuery): Promise<string[]> {
    const row = this.find(key);
    if (!row) return [];
    return this.chunks.text(row.id, q.from ?? MIN_T, q.to ?? MAX_T, q.limit, q.desc);
  }

  async readJson(key: SeriesKey, q: RangeQuery): Promise<RecordPage> {
    const row = this.find(key);
    if (!row) return new JsonPage(q.desc);
    return this.chunks.json(row.id, q.from ?? MIN_T, q.to ?? MAX_T, q.limit, q.desc, this.texts);
  }

  async count(key: SeriesKey, from: number, to: number): Promise<number> {
    const row = this.find(key);
    if (!row || to <= from) return 0;
    return this.chunks.count(row.id, from, to);
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
      const span = this.chunks.deleteRange(sid, from, to);
      if (span.deleted === 0) return 0;
      const zone = shape.zone;
      for (const level of [0, 1, 2] as Level[]) {
        const first = bucketOf(zone, level, span.lo);
        const last = bucketOf(zone, level, span.hi);
        this.s['rollDelRange']!.run(sid, level, first, last);
        this.rows.recompute(sid, shape, level, first);
        if (last !== first) this.rows.recompute(sid, shape, level, last);
      }
      return span.deleted;
    });
  }

  async rollups(key: SeriesKey, level: Level, from: number, to: number): Promise<Rollup[]> {
    const row = this.find(key);
    if (!row) return [];
    // open rows are completed from their sub-buckets' rows: all read in one snapshot
    const read = () => resolvedRange(this.s, zoneById(row.zone), row.id, level, from, to);
    return this.db.inTransaction ? read() : this.snapshot(read);
  }

  async rebuild(key: SeriesKey, shape: SeriesShape): Promise<void> {
    // looked up inside the write transaction: another process may have dropped the series (and its id be reused)
    this.write(() => {
      const row = this.find(key);
      if (!row) return;
      this.s['seriesZone']!.run(shape.zone.id, row.id);
      this.rows.rebuild(row.id, shape);
      row.zone = shape.zone.id;
    });
  }

  async zoneOf(key: SeriesKey): Promise<string | undefined> {
    return this.find(key)?.zone;
  }

  /** One check for other connections' commits for all of them (a PRAGMA per series was ~3 % of a time-major write). */
  async zonesOf(keys: readonly SeriesKey[]): Promise<(string | undefined)[]> {
    if (!this.writing && this.otherWriters.changed()) this.forget();
    return keys.map((k) => this.lookup(k)?.zone);
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
    this.chunks.dropSeries(id);
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
