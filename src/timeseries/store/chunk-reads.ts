/**
 * The read side of the chunk table of the SQLite time series store (issue 17, "Compressed storage"; chunks.ts owns
 * the table's layout, its invariants and the write side, and extends this class): records, stored text, rendered
 * pages and counts of a time range, decoding only the chunks the range touches. Every method runs inside the
 * caller's transaction or read snapshot.
 */
import type Database from 'better-sqlite3';
import { type ChunkRecord, chunkJson, chunkText, chunkTimes, decodeChunk } from './chunk-codec.js';
import { JsonPage, serves, type TextCache } from './chunk-json.js';

export interface ChunkHead { lo: number; hi: number; n: number }
export interface ChunkRow extends ChunkHead { data: Buffer }

/** Chunks that may hold a t with from < t <= to: hi > from, up to the first chunk reaching `to` (lo filtered after). */
const RANGE = `series = @sid AND hi > @from AND hi <= coalesce(
  (SELECT hi FROM chunks WHERE series = @sid AND hi >= @to ORDER BY hi LIMIT 1), @to)`;

export class ChunkReads {
  /** Statements of the reads (and of the writes' look-ups in chunks.ts). */
  protected readonly r;

  constructor(db: Database.Database) {
    this.r = {
      heads: db.prepare<[{ sid: number; from: number; to: number }], ChunkHead>(`SELECT lo, hi, n FROM chunks WHERE ${RANGE} ORDER BY hi`),
      rows: db.prepare<[{ sid: number; from: number; to: number }], ChunkRow>(`SELECT lo, hi, n, data FROM chunks WHERE ${RANGE} ORDER BY hi`),
      rowsDesc: db.prepare<[{ sid: number; from: number; to: number }], ChunkRow>(`SELECT lo, hi, n, data FROM chunks WHERE ${RANGE} ORDER BY hi DESC`),
      data: db.prepare<[number, number], Buffer>('SELECT data FROM chunks WHERE series = ? AND hi = ?').pluck(),
    };
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
    for (const row of (desc ? this.r.rowsDesc : this.r.rows).iterate({ sid, from, to })) {
      if (row.lo > to) continue;
      const part = chunkText(row.data, from, to, limit - out.length, desc);
      for (const s of part) out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * The records with from < t <= to, at most limit, as a page of rendered records (chunk-json.ts). Only the records
   * the read takes from a chunk are rendered; with a cache, that rendering is kept with the span of the chunk's
   * records it holds, and a later read within the span (the same range again, a window that moved forward in the
   * chunk, the next page of a shorter one) takes it from there. Rendering whole chunks for the cache cost a cold read
   * of 2,000 records in chunks of 1,000 half as much again (3,000 rendered).
   */
  json(sid: number, from: number, to: number, limit: number, desc: boolean, cache?: TextCache): JsonPage {
    const page = new JsonPage(desc);
    if (limit <= 0) return page;
    const keep = cache !== undefined && cache.maxBytes > 0;
    for (const row of (desc ? this.r.rowsDesc : this.r.rows).iterate({ sid, from, to })) {
      if (row.lo > to) continue;
      const want = limit - page.count;
      let r = keep ? cache.get(sid, row.hi, row.data) : undefined;
      if (!r || !serves(r, from, to, want, desc)) {
        const json = chunkJson(row.data, from, to, want, desc).json;
        const n = json.times.length;
        // cut by the limit: the span ends at its last record (asc) or starts at its first (desc; times are integers)
        const cut = n >= want && n > 0;
        r = { json, after: desc && cut ? json.times[0]! - 1 : from, upTo: !desc && cut ? json.times[n - 1]! : to };
        if (keep) cache.put(sid, row.hi, row.data, r);
      }
      if (page.add(r.json, from, to, limit)) break;
    }
    return page;
  }

  /** The number of records with from < t <= to: from the headers, decoding the timestamps of the edge chunks only. */
  count(sid: number, from: number, to: number): number {
    let n = 0;
    for (const h of this.r.heads.all({ sid, from, to })) {
      if (h.lo > to) continue;
      if (h.lo > from && h.hi <= to) { n += h.n; continue; }
      for (const t of chunkTimes(this.r.data.get(sid, h.hi)!)) if (t > from && t <= to) n++;
    }
    return n;
  }

  /** Headers of every chunk of a series, ascending. */
  heads(sid: number): ChunkHead[] {
    return this.r.heads.all({ sid, from: -Infinity, to: Infinity });
  }

  decode(sid: number, hi: number): ChunkRecord[] {
    return decodeChunk(this.r.data.get(sid, hi)!);
  }

  protected overlapping(sid: number, from: number, to: number): ChunkRow[] {
    return this.r.rows.all({ sid, from, to }).filter((r) => r.lo <= to);
  }
}
