/**
 * Roll-up upkeep of the SQLite time series store (sqlite.ts) outside the group commit's buffer: the rows of one
 * series brought up to date after a write that needs more than merging new records (an overwrite, a PATCH, a
 * delete, a realignment to another zone), and the direct merges of a group commit's put once one of its buckets
 * must be recomputed. Runs inside the caller's transaction.
 * Invariant kept: each roll-up equals the aggregate of the records in its bucket; 2-minute roll-ups are computed
 * from records, hours from their 2-minute roll-ups and days from their hours; a bucket without values has no row.
 */
import type Database from 'better-sqlite3';
import { bucketEnd, bucketOf, type Level } from '../buckets.js';
import { type AggMap, addRecord, gather, mergeMaps, variableKeys } from '../rollup.js';
import type { SeriesShape } from '../store.js';
import type { Chunks } from './chunks.js';
import { decodeAggs, encodeAggs } from './rollup-codec.js';

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
  mergeInto(sid: number, level: Level, start: number, add: AggMap): void {
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
  recompute(sid: number, shape: SeriesShape, level: Level, start: number): void {
    const end = bucketEnd(shape.zone, level, start);
    const aggs: AggMap = {};
    if (level === 0) {
      const keys = variableKeys(shape.variables);
      for (const r of this.chunks.records(sid, start, end)) addRecord(aggs, r.t, r.values, keys);
    } else {
      for (const row of this.s['rollRange']!.iterate(sid, level - 1, start, end) as Iterable<{ data: string | Buffer }>) {
        mergeMaps(aggs, decodeAggs(row.data));
      }
    }
    this.store(sid, level, start, aggs);
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
