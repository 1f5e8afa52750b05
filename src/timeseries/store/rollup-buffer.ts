/**
 * Write-back buffer of roll-up rows for the SQLite time series store (issue 17, plant-scale ingest): the decoded
 * rows of the buckets puts append to, merged in memory across every series and put of a group commit and written
 * once per touched row before the COMMIT. Kept between commits as a cache of the hot buckets (a series' current
 * 2 minutes, hour and day), so an append reads no roll-up row it wrote itself.
 * Open rows (rollup-rows.ts): a series' hour row holds its 2-minute buckets before `upto`, its day row its hours
 * before `upto`; new records of the newest 2 minutes go into their 2-minute row only. At the flush the newest
 * 2 minutes merged into a series become its open hour's `upto` (the 2-minute rows between are folded in), and
 * older open hours close; then the same for days with the newest hour. So an append within a series' current
 * 2 minutes writes one row, not three; the hour row moves once per 2 minutes, the day row once per hour.
 * Invariants (the store keeps them): outside a write transaction nothing is dirty (every transaction that merged
 * here flushed before it committed); a clean entry equals its row in the database; a series' state knows every
 * open row of the series; the buffer is cleared whenever the database may hold other roll-ups than it (another
 * connection committed, a transaction rolled back, a write that changes roll-ups without it).
 */
import type Database from 'better-sqlite3';
import { bucketEnd, bucketOf, type Level, type Zone } from '../buckets.js';
import { type AggMap, mergeMaps } from '../rollup.js';
import { decodeAggs, encodeAggs } from './rollup-codec.js';
import { resolvedRange, type StoredRollup } from './rollup-rows.js';

interface Entry {
  /** The row's aggregates (of an open row: of its sub-buckets before `upto`). */
  aggs: AggMap;
  upto: number | null;
  /** The row exists in the database (as of the last load or flush). */
  inDb: boolean;
  dirty: boolean;
  /**
   * Of an open row this buffer created: its sub-buckets' entries from `upto` on, which are all its sub-bucket rows
   * there (any other write clears the buffer). A fold then reads none, and a sub-bucket not among them has no row.
   */
  subs?: Map<number, Entry>;
}

/** Per series: its rows kept, by level and start; its open rows; the newest 2 minutes merged since the flush. */
interface Series {
  sid: number;
  zone: Zone;
  levels: [Map<number, Entry>, Map<number, Entry>, Map<number, Entry>];
  open: [Map<number, Entry>, Map<number, Entry>, Map<number, Entry>];
  top: number;
}

/** An entry written by a flush, as it was before: restore() makes it dirty again after a rollback. */
export interface Flushed { sid: number; zone: Zone; level: Level; start: number; entry: Entry; inDb: boolean }

interface Dirty { s: Series; level: Level; start: number; entry: Entry }

/** Entries kept between commits at most (about 1.5 KB each for 10 variables); past it the clean ones are dropped. */
const LIMIT = 30_000;

const isEmpty = (aggs: AggMap): boolean => {
  for (const _ in aggs) return false;
  return true;
};

export class RollupBuffer {
  private readonly bySeries = new Map<number, Series>();
  private size = 0;
  /** Dirty entries by level (written level by level: a fold reads the rows of the level below). */
  private dirty: [Dirty[], Dirty[], Dirty[]] = [[], [], []];
  /** Series merged into since the last flush. */
  private touched = new Set<Series>();

  constructor(private readonly s: Record<string, Database.Statement>) {}

  /** The state of a series, its open rows read on first use. */
  private series(sid: number, zone: Zone): Series {
    let st = this.bySeries.get(sid);
    if (st) return st;
    st = { sid, zone, levels: [new Map(), new Map(), new Map()], open: [new Map(), new Map(), new Map()], top: NaN };
    this.bySeries.set(sid, st);
    for (const o of this.s['rollOpen']!.all(sid) as { level: Level; start: number }[]) this.entry(st, o.level, o.start, null);
    return st;
  }

  /**
   * The entry of a row: kept, read, or new (`upto` of a new row). `parent` is the entry of the bucket holding it:
   * where that knows its sub-buckets and this one is not among them, it has no row (nothing is read).
   */
  private entry(st: Series, level: Level, start: number, upto: number | null, parent?: Entry): Entry {
    let e = st.levels[level].get(start);
    if (e) return e;
    const absent = parent?.subs !== undefined && start >= parent.upto!;
    const row = absent ? undefined : this.s['rollGet']!.get(st.sid, level, start) as StoredRollup | undefined;
    e = row === undefined ? { aggs: {}, upto, inDb: false, dirty: false, subs: upto === null ? undefined : new Map() }
      : { aggs: decodeAggs(row.data), upto: row.upto, inDb: true, dirty: false };
    st.levels[level].set(start, e);
    if (e.upto !== null) st.open[level].set(start, e);
    this.size++;
    return e;
  }

  private mark(st: Series, level: Level, start: number, e: Entry): void {
    if (e.dirty) return;
    e.dirty = true;
    this.dirty[level].push({ s: st, level, start, entry: e });
  }

  /**
   * Merges the partial aggregates of a put's new records (by 2-minute bucket) into their 2-minute rows, and into
   * their hour and day rows where those hold the bucket (an open row does not hold its newest sub-buckets).
   */
  apply(sid: number, zone: Zone, partial: ReadonlyMap<number, AggMap>): void {
    const st = this.series(sid, zone);
    let touched = false;
    for (const [b, add] of partial) {
      // a bucket whose new records carry no value has no roll-up row (as the store keeps it)
      if (isEmpty(add)) continue;
      touched = true;
      const h = bucketOf(zone, 1, b + 1);
      const d = bucketOf(zone, 2, h + 1);
      const ed = this.entry(st, 2, d, h);
      const eh = this.entry(st, 1, h, b, ed);
      const e0 = this.entry(st, 0, b, null, eh);
      mergeMaps(e0.aggs, add);
      this.mark(st, 0, b, e0);
      if (eh.upto === null || b < eh.upto) { mergeMaps(eh.aggs, add); this.mark(st, 1, h, eh); } else {
        eh.subs?.set(b, e0);
        if (!eh.inDb) this.mark(st, 1, h, eh);
      }
      if (ed.upto === null || h < ed.upto) { mergeMaps(ed.aggs, add); this.mark(st, 2, d, ed); } else {
        ed.subs?.set(h, eh);
        if (!ed.inDb) this.mark(st, 2, d, ed);
      }
      if (!(b <= st.top)) st.top = b;
    }
    if (touched) this.touched.add(st);
  }

  /** Writes every dirty entry (inside the caller's transaction); what was written is added to `track`. */
  flush(track?: Flushed[]): void {
    const touched = [...this.touched];
    this.touched.clear();
    this.write(0, track);
    // an open hour holds the 2 minutes before the newest merged; older open hours close
    for (const st of touched) {
      const hour = bucketOf(st.zone, 1, st.top + 1);
      for (const [h, e] of [...st.open[1]]) {
        if (h < hour) this.fold(st, 1, h, e, null);
        else if (h === hour && e.upto! < st.top) this.fold(st, 1, h, e, st.top);
      }
    }
    this.write(1, track);
    for (const st of touched) {
      const hour = bucketOf(st.zone, 1, st.top + 1);
      const day = bucketOf(st.zone, 2, hour + 1);
      for (const [d, e] of [...st.open[2]]) {
        if (d < day) this.fold(st, 2, d, e, null);
        else if (d === day && e.upto! < hour) this.fold(st, 2, d, e, hour);
      }
      st.top = NaN;
    }
    this.write(2, track);
    if (this.size > LIMIT) this.clear();
  }

  /** Moves an open row's `upto` on (null: to its end, closing it), adding the sub-buckets' rows between. */
  private fold(st: Series, level: Level, start: number, e: Entry, to: number | null): void {
    const end = to ?? bucketEnd(st.zone, level, start);
    if (e.subs) {
      // whole sub-buckets: 2-minute rows, or hours before the newest, which the flush closed before this fold
      for (const [b, sub] of e.subs) {
        if (b < end) { mergeMaps(e.aggs, sub.aggs); e.subs.delete(b); }
      }
    } else {
      for (const sub of resolvedRange(this.s, st.zone, st.sid, (level - 1) as Level, e.upto!, end)) mergeMaps(e.aggs, sub.aggs);
    }
    e.upto = to;
    if (to === null) delete e.subs;
    if (to === null) st.open[level].delete(start);
    this.mark(st, level, start, e);
  }

  private write(level: Level, track?: Flushed[]): void {
    const dirty = this.dirty[level];
    this.dirty[level] = [];
    for (const d of dirty) {
      const { entry, s: st } = d;
      track?.push({ sid: st.sid, zone: st.zone, level, start: d.start, entry, inDb: entry.inDb });
      entry.dirty = false;
      // an open row is written even without values of its own; a whole one only with values
      if (entry.upto === null && isEmpty(entry.aggs)) continue;
      // in place where the row exists: cheaper than INSERT OR REPLACE (a delete and an insert) of a row this size
      if (entry.inDb) this.s['rollUpdate']!.run(encodeAggs(entry.aggs), entry.upto, st.sid, level, d.start);
      else this.s['rollPut']!.run(st.sid, level, d.start, encodeAggs(entry.aggs), entry.upto);
      entry.inDb = true;
    }
  }

  /**
   * After the savepoint that flushed `flushed` rolled back: the rows are as before that flush again, so their
   * entries (with the values they had, which the caller has not changed since) are dirty again.
   */
  restore(flushed: readonly Flushed[]): void {
    for (const f of flushed) {
      const st = this.series(f.sid, f.zone);
      if (!st.levels[f.level].has(f.start)) this.size++;
      f.entry.inDb = f.inDb;
      f.entry.dirty = false;
      // its sub-buckets' entries may be of before the rollback: folds read the rows again
      delete f.entry.subs;
      st.levels[f.level].set(f.start, f.entry);
      if (f.entry.upto !== null) st.open[f.level].set(f.start, f.entry);
      else st.open[f.level].delete(f.start);
      this.mark(st, f.level, f.start, f.entry);
    }
  }

  /** True while merges wait for a flush. */
  get pending(): boolean {
    return this.dirty.some((d) => d.length > 0);
  }

  /** Forgets everything, dirty entries included (the caller flushed them, or they were rolled back). */
  clear(): void {
    this.bySeries.clear();
    this.dirty = [[], [], []];
    this.touched.clear();
    this.size = 0;
  }
}
