/**
 * The chunk table of the SQLite time series store (issue 17, "Compressed storage"): the records of each series in
 * time chunks, columnar and compressed by chunk-codec.ts, one row per chunk (series, hi, lo, n, data) clustered by
 * series and last timestamp; the reads are chunk-reads.ts' (ChunkReads, which this class extends). Every method runs
 * inside the caller's transaction (or read snapshot).
 * Invariants: the chunks of a series are disjoint and ordered (one's hi < the next one's lo), so they are ordered
 * by lo as well as by hi; a row's lo, hi and n are its data's first and last timestamp and record count; no chunk
 * is empty and none holds more than CHUNK_MAX records.
 * Writes: records after the series' last chunk go to new chunks, and the small chunks of the tail (as the
 * time-major shape's 20-record writes make) are merged: all of them into one once they hold FULL records, and
 * before that in tiers (TIER_MERGE of one size tier into one of the next), so a record is encoded twice when a
 * write brings FULL / TIER_MERGE records or more (about log_TIER_MERGE(FULL / records per write) + 1 times below
 * that) and a write's cost stays flat. Each series' tail (its newest chunk and the run of small ones before it,
 * with the records of those this connection wrote) is kept in memory, so an append reads no chunk header and the
 * merge decodes nothing it wrote itself; the store drops it (forget) whenever the database may differ (a rollback,
 * another connection's commit), and every write but an append drops the series' tail -- except records that
 * arrive late into a gap of the tail's run (concurrent requests reach the store out of order), which join it.
 * (Open chunks of JSON text for small appends were measured: no CPU gained, more bytes on disk.) A small chunk
 * of numeric records of one key pattern is written in the open form and kept as a column block
 * (chunk-codec-open.ts); the merge encodes the blocks fully, once. A write of FULL or more first merges the run
 * before it, so no open chunk stays behind a closed one. Records that come as one column block (the writer
 * thread's wire, worker-wire.ts) are put as that block (putColumns): the same chunks, byte for byte, with no record
 * object unless they overlap stored ones.
 * A write that overlaps chunks decodes them, merges (the later record wins) and re-encodes; records in a gap
 * between chunks get a chunk there.
 */
import type Database from 'better-sqlite3';
import { type ChunkRecord, decodeChunk, encodeChunk } from './chunk-codec.js';
import { type ChunkHead, ChunkReads } from './chunk-reads.js';
import { type ColumnBlock, columnsOf, concatColumns, encodeColumns, encodeOpenColumns, recordsOf, sliceColumns }
  from './chunk-codec-open.js';
import { ownBlock } from './write-blocks.js';

export type { ChunkHead, ChunkRecord };

/** Most records per chunk (a merge of more is split evenly). */
export const CHUNK_MAX = 4000;
/**
 * A chunk of at least this many records is never merged again by the tail compaction (1,000 records of the bench
 * shape take 1.02 B/value, 4,000 take 1.01: merging them further gains nothing). Not less: a row of 1.3 to 4 KB
 * is kept whole on a 4 KB page, one to a page, where a longer one keeps ~500 bytes there and fills overflow
 * pages (500-record chunks of the bench shape, ~2.3 KB, took 1.8× their bytes on disk).
 */
const FULL = 1000;
/** Tail chunks of one size tier merged at once (and the base of the tiers' sizes). */
const TIER_MERGE = 64;
/** Most small tail chunks a series can have: fewer than TIER_MERGE in each tier below FULL. */
const TAIL_MAX = (TIER_MERGE - 1) * (Math.floor(Math.log(FULL - 1) / Math.log(TIER_MERGE)) + 1) + 1;
/** Most decoded records kept of tails, over all series (~200 bytes each of 10 doubles; past it every tail is dropped). */
const KEPT_MAX = 200_000;
const EMPTY: ReadonlySet<number> = new Set();


/**
 * What is kept of a series' newest chunks: `newest` is its newest chunk (undefined: it has none), `small` a run of
 * its newest chunks below FULL (maybe not all of them), oldest first, with their records when this connection
 * wrote them.
 */
interface Tail { newest: ChunkHead | undefined; small: Kept[] }
/** A small chunk of a tail, with its records (as a column block where they are of that shape) when kept. */
interface Kept { head: ChunkHead; recs?: readonly ChunkRecord[]; cols?: ColumnBlock }
/** A chunk just written, with its records. */
interface Written { head: ChunkHead; recs?: readonly ChunkRecord[]; cols?: ColumnBlock }

const keptCount = (k: Kept): number => (k.recs || k.cols ? k.head.n : 0);

const tierOf = (n: number) => Math.floor(Math.log(n) / Math.log(TIER_MERGE));

/** The chunk table: the reads of ChunkReads, and the writes, with the tails they keep. */
export class Chunks extends ChunkReads {
  private readonly s;
  /** Tails of the series this connection appended to, as the database holds them (see Tail). */
  private readonly tails = new Map<number, Tail>();
  private keptRecords = 0;

  constructor(db: Database.Database) {
    super(db);
    this.s = {
      tail: db.prepare<[number, number], ChunkHead>('SELECT lo, hi, n FROM chunks WHERE series = ? ORDER BY hi DESC LIMIT ?'),
      before: db.prepare<[number, number], number>('SELECT hi FROM chunks WHERE series = ? AND hi < ? ORDER BY hi DESC LIMIT 1').pluck(),
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
    const tail = this.tailOf(sid);
    if (!tail.newest || min > tail.newest.hi) {
      this.append(sid, tail, recs);
      this.compact(sid, tail);
      return EMPTY;
    }
    if (recs.length < FULL && this.insertInTail(sid, tail, min, max, () => this.writeOpen(sid, recs)[0]!)) {
      this.compact(sid, tail);
      return EMPTY;
    }
    this.dropTail(sid);
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
   * put() of the records of a column block (blockTimesFit): the same chunks, byte for byte (encodeColumns is
   * encodeChunk of the block's records), with no record object where they append to the series or fill a gap of
   * its tail; an overlap goes through put().
   */
  putColumns(sid: number, b: ColumnBlock): ReadonlySet<number> {
    const min = b.data[0]!;
    const max = b.data[b.n - 1]!;
    const tail = this.tailOf(sid);
    if (!tail.newest || min > tail.newest.hi) {
      if (b.n < FULL) this.placed(sid, tail, [this.writeBlock(sid, b)], tail.small.length);
      else {
        if (tail.small.length > 0) this.merge(sid, tail, 0);
        this.placed(sid, tail, this.writeColumns(sid, b), tail.small.length);
      }
      this.compact(sid, tail);
      return EMPTY;
    }
    if (b.n < FULL && this.insertInTail(sid, tail, min, max, () => this.writeBlock(sid, b))) {
      this.compact(sid, tail);
      return EMPTY;
    }
    return this.put(sid, recordsOf(b));
  }

  /**
   * Merges records into the stored ones at their timestamps (PATCH), in the given order: given variables replace,
   * the others stay; a timestamp without a record gets one.
   */
  patch(sid: number, recs: readonly ChunkRecord[]): void {
    this.dropTail(sid);
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
    this.dropTail(sid);
    let deleted = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const h of this.r.heads.all({ sid, from, to })) {
      if (h.lo > to) continue;
      if (h.lo > from && h.hi <= to) {
        this.s.del.run(sid, h.hi);
        deleted += h.n;
        if (h.lo < lo) lo = h.lo;
        if (h.hi > hi) hi = h.hi;
        continue;
      }
      const recs = decodeChunk(this.r.data.get(sid, h.hi)!);
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

  dropSeries(sid: number): void {
    this.dropTail(sid);
    this.s.delSeries.run(sid);
  }

  /** Drops every kept tail: the database may hold other chunks than this connection wrote. */
  forget(): void {
    this.tails.clear();
    this.keptRecords = 0;
  }

  private dropTail(sid: number): void {
    const tail = this.tails.get(sid);
    if (!tail) return;
    for (const k of tail.small) this.keptRecords -= keptCount(k);
    this.tails.delete(sid);
  }

  /** The kept tail of a series, or one read from its newest chunk headers. */
  private tailOf(sid: number): Tail {
    let tail = this.tails.get(sid);
    if (!tail) {
      const heads = this.s.tail.all(sid, TAIL_MAX + 1);
      let k = 0;
      while (k < heads.length && heads[k]!.n < FULL) k++;
      tail = { newest: heads[0], small: heads.slice(0, k).reverse().map((head) => ({ head })) };
      this.tails.set(sid, tail);
    }
    return tail;
  }

  /**
   * Writes records after the newest chunk and keeps them in the tail. A write below FULL is a small chunk of the
   * tail's run, written in the open form where its records allow (the compaction encodes them fully); a bigger one
   * closes the run, whose chunks are first merged into one fully encoded chunk (an open one must not stay).
   */
  private append(sid: number, tail: Tail, recs: readonly ChunkRecord[]): void {
    if (recs.length < FULL) {
      this.placed(sid, tail, this.writeOpen(sid, recs), tail.small.length);
      return;
    }
    if (tail.small.length > 0) this.merge(sid, tail, 0);
    this.placed(sid, tail, this.write(sid, recs), tail.small.length);
  }

  /** Chunks just written after the newest one: kept in the tail's run (at `at`) below FULL, ending it otherwise. */
  private placed(sid: number, tail: Tail, written: readonly Written[], at: number): void {
    for (const w of written) {
      if (w.head.n >= FULL) tail.small = [];
      else this.keep(sid, tail, at++, w);
      tail.newest = w.head;
    }
  }

  /** A chunk below FULL: the open form when the records are a column block, else fully encoded. */
  private writeOpen(sid: number, recs: readonly ChunkRecord[]): Written[] {
    const cols = columnsOf(recs);
    return cols ? [this.writeBlock(sid, cols)] : this.write(sid, recs);
  }

  /** A block below FULL as an open chunk (disjoint from every stored chunk). */
  private writeBlock(sid: number, cols: ColumnBlock): Written {
    const head = { lo: cols.data[0]!, hi: cols.data[cols.n - 1]!, n: cols.n };
    this.s.insert.run(sid, head.hi, head.lo, head.n, encodeOpenColumns(cols));
    return { head, cols };
  }

  /** A column block (disjoint from every stored chunk) as fully encoded chunks of at most CHUNK_MAX, evenly split. */
  private writeColumns(sid: number, b: ColumnBlock): Written[] {
    const out: Written[] = [];
    const parts = Math.ceil(b.n / CHUNK_MAX);
    const size = Math.ceil(b.n / parts);
    for (let i = 0; i < b.n; i += size) {
      const part = parts === 1 ? b : sliceColumns(b, i, Math.min(b.n, i + size));
      const head = { lo: part.data[0]!, hi: part.data[part.n - 1]!, n: part.n };
      this.s.insert.run(sid, head.hi, head.lo, head.n, encodeColumns(part));
      out.push({ head, cols: part });
    }
    return out;
  }

  /**
   * Records of a write that arrived after a later one (concurrent writers: their requests reach the store in any
   * order) usually fall in the gap just before one of the tail's small chunks: they become a chunk of the run
   * there, so the tail (and its records) is kept. False, and nothing written, when they do not (they overlap a
   * chunk, or lie before the run's chunk before); `write` writes them (fewer than FULL) when they do.
   */
  private insertInTail(sid: number, tail: Tail, min: number, max: number, write: () => Written): boolean {
    const small = tail.small;
    let j = small.length;
    while (j > 0 && small[j - 1]!.head.lo > max) j--;
    if (j === small.length) return false;
    // the chunk before small[j] (in the run, or the one before the run) must end before the records
    const before = j > 0 ? small[j - 1]!.head.hi : this.s.before.get(sid, small[0]!.head.hi);
    if (before !== undefined && before >= min) return false;
    this.keep(sid, tail, j, write());
    return true;
  }

  /**
   * Puts a written chunk below FULL into the tail's run at index `at`, with its records: its column block (its
   * own arrays), else a copy of the records.
   */
  private keep(sid: number, tail: Tail, at: number, w: Written): void {
    if (this.keptRecords + w.head.n > KEPT_MAX) {
      // every tail goes but this one, which keeps its heads (its records are read again when merged)
      this.forget();
      for (const k of tail.small) { delete k.recs; delete k.cols; }
      this.tails.set(sid, tail);
    }
    // copies: the caller's records may change after the put (and their stored text is not needed here), and a
    // block may be a view of the caller's buffer
    const kept: Kept = w.cols ? { head: w.head, cols: ownBlock(w.cols) }
      : { head: w.head, recs: w.recs!.map((r) => ({ t: r.t, values: { ...r.values } })) };
    tail.small.splice(at, 0, kept);
    this.keptRecords += w.head.n;
  }

  /**
   * Stores records (ascending, disjoint from every stored chunk) as chunks of at most CHUNK_MAX, evenly split.
   * Values as the service leaves them: `_time` present but undefined, which the codec drops as JSON text does; no
   * nulls (validateRecords removes them).
   */
  write(sid: number, recs: readonly ChunkRecord[]): Written[] {
    const out: Written[] = [];
    if (recs.length === 0) return out;
    const parts = Math.ceil(recs.length / CHUNK_MAX);
    const size = Math.ceil(recs.length / parts);
    for (let i = 0; i < recs.length; i += size) {
      const part = recs.slice(i, i + size);
      const head = { lo: part[0]!.t, hi: part[part.length - 1]!.t, n: part.length };
      this.s.insert.run(sid, head.hi, head.lo, head.n, encodeChunk(part));
      out.push({ head, recs: part });
    }
    return out;
  }

  /**
   * Tail compaction: once the newest chunks below FULL hold FULL records together (or are more than TAIL_MAX, as
   * writes of mixed sizes can make them), they become one (or, past CHUNK_MAX, a few even) chunk(s); before that, while the TIER_MERGE newest are all below FULL
   * and of one size tier, they become one chunk of a higher tier.
   */
  private compact(sid: number, tail: Tail): void {
    for (;;) {
      const small = tail.small;
      let records = 0;
      for (const k of small) records += k.head.n;
      let from: number;
      if (records >= FULL || small.length > TAIL_MAX) from = 0;
      else if (small.length >= TIER_MERGE
        && small.slice(-TIER_MERGE).every((k) => tierOf(k.head.n) === tierOf(small[small.length - 1]!.head.n))) {
        from = small.length - TIER_MERGE;
      } else return;
      this.merge(sid, tail, from);
    }
  }

  /**
   * Merges the tail's small chunks from index `from` on into fully encoded chunk(s) in their place: from their
   * column blocks when all have one (of the same keys), else from their records (kept or decoded).
   */
  private merge(sid: number, tail: Tail, from: number): void {
    const run = tail.small.slice(from);
    const block = run.every((k) => k.cols) ? concatColumns(run.map((k) => k.cols!)) : undefined;
    const recs: ChunkRecord[] = [];
    if (!block) {
      for (const k of run) {
        for (const r of k.recs ?? (k.cols ? recordsOf(k.cols) : decodeChunk(this.r.data.get(sid, k.head.hi)!))) recs.push(r);
      }
    }
    for (const k of run) {
      this.s.del.run(sid, k.head.hi);
      this.keptRecords -= keptCount(k);
    }
    tail.small = tail.small.slice(0, from);
    this.placed(sid, tail, block ? this.writeColumns(sid, block) : this.write(sid, recs), from);
  }
}
