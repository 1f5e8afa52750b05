/**
 * Write-back buffer of roll-up rows for the SQLite time series store (issue 17, plant-scale ingest): the decoded
 * partial aggregates of the buckets puts append to, merged in memory across every series and put of a group
 * commit and written once per touched bucket before the COMMIT. Kept between commits as a cache of the hot
 * buckets (a series' current 2 minutes, hour and day), so an append reads no roll-up row it wrote itself.
 * Invariants (the store keeps them): outside a write transaction nothing is dirty (every transaction that merged
 * here flushed before it committed); a clean entry equals its row in the database; the buffer is cleared whenever
 * the database may hold other roll-ups than it (another connection committed, a transaction rolled back, a write
 * that changes roll-ups without it).
 */
import type Database from 'better-sqlite3';
import { bucketOf, type Level, type Zone } from '../buckets.js';
import { type AggMap, gather, mergeMaps } from '../rollup.js';
import { decodeAggs, encodeAggs } from './rollup-codec.js';

interface Entry {
  aggs: AggMap;
  /** The row exists in the database (as of the last load or flush). */
  inDb: boolean;
  dirty: boolean;
}

/** An entry written by a flush, as it was before: restore() makes it dirty again after a rollback. */
export interface Flushed { sid: number; level: Level; start: number; entry: Entry; inDb: boolean }

/** A partial aggregate of a put's new records for one roll-up: series, level, bucket start. */
export type Delta = [sid: number, level: Level, start: number, add: AggMap];

/** The deltas of new records' partials (by 2-minute bucket) for their 2-minute, hour and day roll-ups. */
export function newRecordDeltas(sid: number, zone: Zone, partial: ReadonlyMap<number, AggMap>, out: Delta[]): void {
  const hours = new Map<number, AggMap | null>();
  for (const [b, add] of partial) {
    out.push([sid, 0, b, add]);
    gather(hours, bucketOf(zone, 1, b + 1), add);
  }
  const days = new Map<number, AggMap | null>();
  for (const [h, add] of hours) {
    out.push([sid, 1, h, add!]);
    gather(days, bucketOf(zone, 2, h + 1), add!);
  }
  for (const [d, add] of days) out.push([sid, 2, d, add!]);
}

/** Entries kept between commits at most (about 1.5 KB each for 10 variables); past it the clean ones are dropped. */
const LIMIT = 30_000;

export class RollupBuffer {
  /** By series, then per level by bucket start. */
  private readonly bySeries = new Map<number, Map<number, Entry>[]>();
  private size = 0;
  private dirty: { sid: number; level: Level; start: number; entry: Entry }[] = [];

  constructor(private readonly s: Record<string, Database.Statement>) {}

  /** Merges a partial aggregate of new records into one roll-up; `add` is the buffer's afterwards. */
  merge(sid: number, level: Level, start: number, add: AggMap): void {
    let levels = this.bySeries.get(sid);
    if (!levels) this.bySeries.set(sid, levels = [new Map(), new Map(), new Map()]);
    const entry = levels[level]!.get(start);
    if (entry) {
      mergeMaps(entry.aggs, add);
      if (!entry.dirty) { entry.dirty = true; this.dirty.push({ sid, level, start, entry }); }
      return;
    }
    const row = this.s['rollGet']!.get(sid, level, start) as string | Buffer | undefined;
    let fresh: Entry;
    if (row === undefined) fresh = { aggs: add, inDb: false, dirty: true };
    else {
      const aggs = decodeAggs(row);
      mergeMaps(aggs, add);
      fresh = { aggs, inDb: true, dirty: true };
    }
    levels[level]!.set(start, fresh);
    this.size++;
    this.dirty.push({ sid, level, start, entry: fresh });
  }

  /** Writes every dirty entry (inside the caller's transaction); what was written is added to `track`. */
  flush(track?: Flushed[]): void {
    const dirty = this.dirty;
    this.dirty = [];
    for (const d of dirty) {
      const { entry } = d;
      track?.push({ ...d, inDb: entry.inDb });
      entry.dirty = false;
      // A bucket whose new records carry no value has no roll-up row (as the store keeps it): none is written.
      let empty = true;
      for (const _ in entry.aggs) { empty = false; break; }
      if (empty) continue;
      // in place where the row exists: cheaper than INSERT OR REPLACE (a delete and an insert) of a row this size
      if (entry.inDb) this.s['rollUpdate']!.run(encodeAggs(entry.aggs), d.sid, d.level, d.start);
      else this.s['rollPut']!.run(d.sid, d.level, d.start, encodeAggs(entry.aggs));
      entry.inDb = true;
    }
    if (this.size > LIMIT) this.clear();
  }

  /**
   * After the savepoint that flushed `flushed` rolled back: the rows are as before that flush again, so their
   * entries (with the values they had, which the caller has not changed since) are dirty again.
   */
  restore(flushed: readonly Flushed[]): void {
    for (const f of flushed) {
      let levels = this.bySeries.get(f.sid);
      if (!levels) this.bySeries.set(f.sid, levels = [new Map(), new Map(), new Map()]);
      if (!levels[f.level]!.has(f.start)) this.size++;
      f.entry.inDb = f.inDb;
      f.entry.dirty = true;
      levels[f.level]!.set(f.start, f.entry);
      this.dirty.push({ sid: f.sid, level: f.level, start: f.start, entry: f.entry });
    }
  }

  /** True while merges wait for a flush. */
  get pending(): boolean {
    return this.dirty.length > 0;
  }

  /** Forgets everything, dirty entries included (the caller flushed them, or they were rolled back). */
  clear(): void {
    this.bySeries.clear();
    this.dirty = [];
    this.size = 0;
  }
}
