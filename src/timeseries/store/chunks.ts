/**
 * The chunk table of the SQLite time series store (issue 17, "Compressed storage"): the records of each series in
 * time chunks, columnar and compressed by chunk-codec.ts, one row per chunk (series, hi, lo, n, data) clustered by
 * series and last timestamp. Every method runs inside the caller's transaction (or read snapshot).
 * Invariants: the chunks of a series are disjoint and ordered (one's hi < the next one's lo), so they are ordered
 * by lo as well as by hi; a row's lo, hi and n are its data's first and last timestamp and record count; no chunk
 * is empty and none holds more than CHUNK_MAX records.
 * Writes: records after the series' last chunk go to new chunks, and the small chunks of the tail (as the
 * time-major shape's 20-record writes make) are merged in tiers (TIER_MERGE of one size tier into one of the next,
 * up to FULL), so a record is encoded about log_TIER_MERGE(FULL / records per write) + 1 times and a write's cost
 * stays flat. (Open chunks of JSON text for small appends were measured: no CPU gained, more bytes on disk.)
 * A write that overlaps chunks decodes them, merges (the later record wins) and re-encodes; records in a gap
 * between chunks get a chunk there.
 */
import type Database from 'better-sqlite3';
import { type ChunkRecord, chunkJson, chunkText, chunkTimes, decodeChunk, encodeChunk } from './chunk-codec.js';
import { JsonPage, type TextCache } from './chunk-json.js';

export type { ChunkRecord };

/** Most records per chunk (a merge of more is split evenly). */
export const CHUNK_MAX = 4000;
/**
 * A chunk of at least this many records is never merged again by the tail compaction (1,000 records of the bench
 * shape take 1.02 B/value, 4,000 take 1.01: merging them further gains nothing).
 */
const FULL = 500;
/** Tail chunks of one size tier merged at once (and the base of the tiers' sizes). */
const TIER_MERGE = 8;
const EMPTY: ReadonlySet<number> = new Set();

/** Whether a read that needs `count` of a chunk's `n` records renders (and caches) the whole chunk. */
const wholeWorth = (n: number, count: number): boolean => count * 8 >= n;

export interface ChunkHead { lo: number; hi: number; n: number }
interface ChunkRow extends ChunkHead { data: Buffer }

const tierOf = (n: number) => Math.floor(Math.log(n) / Math.log(TIER_MERGE));

/** Chunks that may hold a t with from < t <= to: hi > from, up to the first chunk reaching `to` (lo filtered after). */
const RANGE = `series = @sid AND hi > @from AND hi <= coalesce(
  (SELECT hi FROM chunks WHERE series = @sid AND hi >= @to ORDER BY hi LIMIT 1), @to)`;

export class Chunks {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      tail: db.prepare<[number, number], ChunkHead>('SELECT lo, hi, n FROM chunks WHERE series = ? ORDER BY hi DESC LIMIT ?'),
      heads: db.prepare<[{ sid: number; from: number; to: number }], ChunkHead>(`SELECT lo, hi, n FROM chunks WHERE ${RANGE} ORDER BY hi`),
      rows: db.prepare<[{ sid: number; from: number; to: number }], ChunkRow>(`SELECT lo, hi, n, data FROM chunks WHERE ${RANGE} ORDER BY hi`),
      rowsDesc: db.prepare<[{ sid: number; from: number; to: number }], ChunkRow>(`SELECT lo, hi, n, data FROM chunks WHERE ${RANGE} ORDER BY hi DESC`),
      data: db.prepare<[number, number], Buffer>('SELECT data FROM chunks WHERE series = ? AND hi = ?').pluck(),
      insert: db.prepare('INSERT INTO chunks (series, hi, lo, n, data) VALUES (?, ?, ?, ?, ?)'),
      del: db.prepare('DELETE FROM chunks WHERE series = ? AND hi = ?'),
      delSeries: db.prepare('DELETE FROM chunks WHERE series = ?'),
    };
  }

  /**
   * Stores records (ascending, one per timestamp) of a series, replacing stored records at their timestamps.
   * Returns the timestamps that already had a record.
   */
  put(sid: number, recs: readonly ChunkRecord[]): ReadonlySet<number> {
    const min = recs[0]!.t;
    const max = recs[recs.length - 1]!.t;
    const tail = this.s.tail.all(sid, TIER_MERGE);
    if (tail.length === 0 || min > tail[0]!.hi) {
      const written = this.write(sid, recs);
      this.compact(sid, [...written.reverse(), ...tail]);
      return EMPTY;
    }
    const olds = this.overlapping(sid, min - 1, max);
    if (olds.length === 0) {
      this.write(sid, recs);
      return EMPTY;
    }
    const exist = new Set<number>();
    const merged: ChunkRecord[] = [];
    let i = 0;
    for (const old of olds) {
      for (const r of decodeChunk(old.data)) {
        while (i < recs.length && recs[i]!.t < r.t) merged.push(recs[i++]!);
        if (i < recs.length && recs[i]!.t === r.t) { exist.add(r.t); merged.push(recs[i++]!); } else merged.push(r);
      }
      this.s.del.run(sid, old.hi);
    }
    while (i < recs.length) merged.push(recs[i++]!);
    this.write(sid, merged);
    return exist;
  }

  /**
   * Merges records into the stored ones at their timestamps (PATCH), in the given order: given variables replace,
   * the others stay; a timestamp without a record gets one.
   */
  patch(sid: number, recs: readonly ChunkRecord[]): void {
    let min = Infinity;
    let max = -Infinity;
    for (const r of recs) { if (r.t < min) min = r.t; if (r.t > max) max = r.t; }
    const all = new Map<number, Readonly<Record<string, unknown>>>();
    for (const old of this.overlapping(sid, min - 1, max)) {
      for (const r of decodeChunk(old.data)) all.set(r.t, r.values);
      this.s.del.run(sid, old.hi);
    }
    for (const r of recs) {
      const stored = all.get(r.t);
      all.set(r.t, stored ? { ...stored, ...r.values } : r.values);
    }
    this.write(sid, [...all].sort((a, b) => a[0] - b[0]).map(([t, values]) => ({ t, values })));
  }

  /** Deletes the records with from < t <= to; returns how many, and the first and last timestamp deleted. */
  deleteRange(sid: number, from: number, to: number): { deleted: number; lo: number; hi: number } {
    let deleted = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const h of this.s.heads.all({ sid, from, to })) {
      if (h.lo > to) continue;
      if (h.lo > from && h.hi <= to) {
        this.s.del.run(sid, h.hi);
        deleted += h.n;
        if (h.lo < lo) lo = h.lo;
        if (h.hi > hi) hi = h.hi;
        continue;
      }
      const recs = decodeChunk(this.s.data.get(sid, h.hi)!);
      const keep = recs.filter((r) => r.t <= from || r.t > to);
      if (keep.length === recs.length) continue;
      for (const r of recs) {
        if (r.t <= from || r.t > to) continue;
        if (r.t < lo) lo = r.t;
        if (r.t > hi) hi = r.t;
      }
      deleted += recs.length - keep.length;
      this.s.del.run(sid, h.hi);
      if (keep.length > 0) this.write(sid, keep);
    }
    return { deleted, lo, hi };
  }

  /** Records with from < t <= to, ascending. */
  records(sid: number, from: number, to: number): ChunkRecord[] {
    const out: ChunkRecord[] = [];
    for (const row of this.overlapping(sid, from, to)) {
      const all = decodeChunk(row.data);
      if (row.lo > from && row.hi <= to) { for (const r of all) out.push(r); continue; }
      for (const r of all) if (r.t > from && r.t <= to) out.push(r);
    }
    return out;
  }

  /** Stored text of the records with from < t <= to, at most limit: only the chunks the range touches are decoded. */
  text(sid: number, from: number, to: number, limit: number, desc: boolean): string[] {
    const out: string[] = [];
    if (limit <= 0) return out;
    for (const row of (desc ? this.s.rowsDesc : this.s.rows).iterate({ sid, from, to })) {
      if (row.lo > to) continue;
      const part = chunkText(row.data, from, to, limit - out.length, desc);
      for (const s of part) out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * The records with from < t <= to, at most limit, as a page of rendered records (chunk-json.ts). With a cache,
   * a chunk the read needs an eighth of or more is rendered whole and kept (at most 8× the rendering of the range,
   * so pages read one after the other find it); otherwise only the range is rendered (a read of the last few
   * records of a 4,000-record tail chunk that every write changes renders those few).
   */
  json(sid: number, from: number, to: number, limit: number, desc: boolean, cache?: TextCache): JsonPage {
    const page = new JsonPage(desc);
    if (limit <= 0) return page;
    for (const row of (desc ? this.s.rowsDesc : this.s.rows).iterate({ sid, from, to })) {
      if (row.lo > to) continue;
      let c = cache?.get(sid, row.hi, row.data);
      if (!c) {
        const keep = cache !== undefined && cache.maxBytes > 0 ? wholeWorth : undefined;
        const r = chunkJson(row.data, from, to, limit - page.count, desc, keep);
        c = r.json;
        if (r.whole) cache!.put(sid, row.hi, row.data, c);
      }
      if (page.add(c, from, to, limit)) break;
    }
    return page;
  }

  /** The number of records with from < t <= to: from the headers, decoding the timestamps of the edge chunks only. */
  count(sid: number, from: number, to: number): number {
    let n = 0;
    for (const h of this.s.heads.all({ sid, from, to })) {
      if (h.lo > to) continue;
      if (h.lo > from && h.hi <= to) { n += h.n; continue; }
      for (const t of chunkTimes(this.s.data.get(sid, h.hi)!)) if (t > from && t <= to) n++;
    }
    return n;
  }

  /** Headers of every chunk of a series, ascending. */
  heads(sid: number): ChunkHead[] {
    return this.s.heads.all({ sid, from: -Infinity, to: Infinity });
  }

  decode(sid: number, hi: number): ChunkRecord[] {
    return decodeChunk(this.s.data.get(sid, hi)!);
  }

  dropSeries(sid: number): void {
    this.s.delSeries.run(sid);
  }

  private overlapping(sid: number, from: number, to: number): ChunkRow[] {
    return this.s.rows.all({ sid, from, to }).filter((r) => r.lo <= to);
  }

  /**
   * Stores records (ascending, disjoint from every stored chunk) as chunks of at most CHUNK_MAX, evenly split.
   * Values as the service leaves them: `_time` present but undefined, which the codec drops as JSON text does; no
   * nulls (validateRecords removes them).
   */
  write(sid: number, recs: readonly ChunkRecord[]): ChunkHead[] {
    const heads: ChunkHead[] = [];
    if (recs.length === 0) return heads;
    const parts = Math.ceil(recs.length / CHUNK_MAX);
    const size = Math.ceil(recs.length / parts);
    for (let i = 0; i < recs.length; i += size) {
      const part = recs.slice(i, i + size);
      const head = { lo: part[0]!.t, hi: part[part.length - 1]!.t, n: part.length };
      this.s.insert.run(sid, head.hi, head.lo, head.n, encodeChunk(part));
      heads.push(head);
    }
    return heads;
  }

  /**
   * Tail compaction: while the TIER_MERGE newest chunks are all below FULL and of one size tier, they
   * become one (or, past CHUNK_MAX, a few even) chunk(s) of a higher tier. `tail` is newest first.
   */
  private compact(sid: number, tail: ChunkHead[]): void {
    for (;;) {
      if (tail.length < TIER_MERGE) return;
      const group = tail.slice(0, TIER_MERGE);
      const tier = tierOf(group[0]!.n);
      if (!group.every((h) => h.n < FULL && tierOf(h.n) === tier)) return;
      const recs: ChunkRecord[] = [];
      for (const h of group.reverse()) {
        for (const r of decodeChunk(this.s.data.get(sid, h.hi)!)) recs.push(r);
        this.s.del.run(sid, h.hi);
      }
      this.write(sid, recs);
      tail = this.s.tail.all(sid, TIER_MERGE);
    }
  }
}
