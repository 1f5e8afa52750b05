/**
 * Roll-up upkeep of the SQLite time series store (sqlite.ts) outside the group commit's buffer: the rows of one
 * series brought up to date after a write that needs more than merging new records (an overwrite, a PATCH, a
 * delete, a realignment to another zone), and the direct merges of a group commit's put once one of its buckets
 * must be recomputed. Runs inside the caller's transaction.
 * Invariant kept: each roll-up equals the aggregate of the records in its bucket; 2-minute roll-ups are computed
 * from records, hours from their 2-minute roll-ups and days from their hours; a bucket without values has no row.
 * Open rows (issue 17: the time-major shape's 3 roll-up UPDATEs per series per commit): an hour or day row with
 * `upto` holds only its sub-buckets (2-minute rows of an hour, hours of a day) that start before `upto`; the
 * others are added when it is read (resolvedRange). So a commit that appends to a series' newest 2 minutes
 * writes only that 2-minute row; its hour and day rows move on (rollup-buffer.ts) when a newer 2 minutes or hour
 * begins. A row without `upto` holds its whole bucket (every row written before schema version 6). An open row
 * may hold no values (its sub-buckets do). This file writes whole rows only.
 */
import type Database from 'better-sqlite3';
import { bucketEnd, bucketOf, type Level, type Zone } from '../buckets.js';
import { type AggMap, addRecord, gather, mergeMaps, variableKeys } from '../rollup.js';
import type { Rollup, SeriesShape } from '../store.js';
import type { Chunks } from './chunks.js';
import { decodeAggs, encodeAggs } from './rollup-codec.js';

/** A roll-up row as stored: `upto` null for a whole bucket, else the first sub-bucket start it does not hold. */
export interface StoredRollup { start: number; data: string | Buffer; upto: number | null }

const empty = (aggs: AggMap): boolean => {
  for (const _ in aggs) return false;
  return true;
};

/**
 * The roll-ups of a series at a level with from <= start < to, each of its whole bucket: an open row with its
 * sub-buckets from `upto` on added (recursively). Buckets without values are left out. The caller reads in one
 * snapshot (a transaction), so the rows it combines are of one commit.
 */
export function resolvedRange(s: Record<string, Database.Statement>, zone: Zone, sid: number, level: Level,
  from: number, to: number): Rollup[] {
  const out: Rollup[] = [];
  for (const r of s['rollRange']!.all(sid, level, from, to) as StoredRollup[]) {
    const aggs = decodeAggs(r.data);
    if (r.upto !== null && level > 0) {
      for (const sub of resolvedRange(s, zone, sid, (level - 1) as Level, r.upto, bucketEnd(zone, level, r.start))) {
        mergeMaps(aggs, sub.aggs);
      }
    }
    if (!empty(aggs)) out.push({ start: r.start, aggs });
  }
  return out;
}

export class RollupRows {
  constructor(private readonly s: Record<string, Database.Statement>, private readonly chunks: Chunks) {}

  /**
   * Brings the roll-ups of the given 2-minute buckets, and of the hours and days holding them, up to date. A bucket
   * that only gained new timestamps gets its partial merged into its 2-minute, hour and day roll-ups (one row each,
   * whatever the bucket already holds); a dirty one (overwrite, merge) is recomputed, and so are its hour (from at
   * most 30 two-minute roll-ups) and day (from at most 25 hours), since min, max, first and last cannot be undone.
   */
  refresh(sid: number, shape: SeriesShape, twoMinute: number[], dirty: ReadonlySet<number>,
    partial?: ReadonlyMap<number, AggMap>): void {
    const zone = shape.zone;
    // Per hour (then per day): the sum of the partials to merge, or null when it must be recomputed.
    const hours = new Map<number, AggMap | null>();
    for (const b of twoMinute) {
      const add = partial?.get(b);
      const h = bucketOf(zone, 1, b + 1);
      if (!dirty.has(b) && add) {
        this.mergeInto(sid, zone, 0, b, add);
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
        this.mergeInto(sid, zone, 1, h, add);
        gather(days, d, add);
      } else {
        this.recompute(sid, shape, 1, h);
        days.set(d, null);
      }
    }
    for (const [d, add] of days) {
      if (add) this.mergeInto(sid, zone, 2, d, add);
      else this.recompute(sid, shape, 2, d);
    }
  }

  /**
   * Merges a partial aggregate of new records into one stored roll-up, whose sub-buckets (for an hour or a day)
   * already hold them. An open row is recomputed from them instead (whether its `upto` covers the records or not),
   * which closes it.
   */
  mergeInto(sid: number, zone: Zone, level: Level, start: number, add: AggMap): void {
    const existing = this.s['rollGet']!.get(sid, level, start) as StoredRollup | undefined;
    if (existing === undefined) {
      this.store(sid, level, start, add);
      return;
    }
    if (existing.upto !== null && level > 0) {
      this.store(sid, level, start, this.fromSubs(sid, zone, level, start));
      return;
    }
    const aggs = decodeAggs(existing.data);
    mergeMaps(aggs, add);
    // in place: cheaper than INSERT OR REPLACE (a delete and an insert) of a row this size
    this.s['rollUpdate']!.run(encodeAggs(aggs), null, sid, level, start);
  }

  private store(sid: number, level: Level, start: number, aggs: AggMap): void {
    if (empty(aggs)) this.s['rollDel']!.run(sid, level, start);
    else this.s['rollPut']!.run(sid, level, start, encodeAggs(aggs), null);
  }

  /** The whole aggregate of an hour (from its 2-minute roll-ups) or a day (from its hours). */
  private fromSubs(sid: number, zone: Zone, level: Level, start: number): AggMap {
    const aggs: AggMap = {};
    for (const sub of resolvedRange(this.s, zone, sid, (level - 1) as Level, start, bucketEnd(zone, level, start))) {
      mergeMaps(aggs, sub.aggs);
    }
    return aggs;
  }

  /** Recomputes one roll-up: 2 minutes from records, hours from 2-minute roll-ups, days from hours. */
  recompute(sid: number, shape: SeriesShape, level: Level, start: number): void {
    if (level > 0) {
      this.store(sid, level, start, this.fromSubs(sid, shape.zone, level, start));
      return;
    }
    const aggs: AggMap = {};
    const keys = variableKeys(shape.variables);
    for (const r of this.chunks.records(sid, start, bucketEnd(shape.zone, 0, start))) addRecord(aggs, r.t, r.values, keys);
    this.store(sid, 0, start, aggs);
  }

  /** Every roll-up of a series computed again from its records (in the shape's zone). */
  rebuild(sid: number, shape: SeriesShape): void {
    this.s['rollDelSeries']!.run(sid);
    const zone = shape.zone;
    let b = NaN;
    let aggs: AggMap = {};
    const keys = variableKeys(shape.variables);
    const buckets: number[] = [];
    const flush = () => {
      if (!Number.isNaN(b)) { this.store(sid, 0, b, aggs); buckets.push(b); }
    };
    // Chunk by chunk, not an open iterator: the connection cannot write while a statement iterates.
    for (const head of this.chunks.heads(sid)) {
      for (const r of this.chunks.decode(sid, head.hi)) {
        const k = bucketOf(zone, 0, r.t);
        if (k !== b) { flush(); b = k; aggs = {}; }
        addRecord(aggs, r.t, r.values, keys);
      }
    }
    flush();
    const hours = new Set(buckets.map((x) => bucketOf(zone, 1, x + 1)));
    const days = new Set([...hours].map((h) => bucketOf(zone, 2, h + 1)));
    for (const h of hours) this.recompute(sid, shape, 1, h);
    for (const d of days) this.recompute(sid, shape, 2, d);
  }
}
