/**
 * The GET reply of time series records as bytes (issue 17, 2,000-record read): the rendered records of chunks
 * (ChunkJson, made by chunkJson in chunk-codec.ts), a page of record ranges taken from them (JsonPage), handed to
 * the route as the pieces of the `[…]` where they lie (`pieces`, written to the socket as they are) or copied once
 * into it (`bytes`), or visited where they lie (`runs`) by readers that write their own document; and the bounded
 * cache of chunks' rendered records (TextCache), so records read
 * again are not decoded and rendered again. A cached entry is only used for the very bytes it was rendered from
 * (the chunk's stored data is compared), so writes of this or any other process can never be served stale, and
 * only for a read whose records of the chunk it holds (serves).
 */

/** Records of a chunk as JSON array items: `r0,r1,…` in `bytes` (UTF-8), ascending by time. */
export interface ChunkJson {
  bytes: Buffer;
  /** Where record i starts; offs[n] is bytes.length + 1 (as if a comma followed the last record). */
  offs: Int32Array;
  times: Float64Array;
  /** Every byte is ASCII. */
  ascii: boolean;
}

/** First index whose time is > x (times ascending). */
export function upperBound(times: Float64Array, x: number): number {
  let a = 0;
  let b = times.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (times[m]! <= x) a = m + 1;
    else b = m;
  }
  return a;
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Records s..e-1 of one ChunkJson, in page order. */
interface Span { c: ChunkJson; s: number; e: number }

/** Records of a range, in the order asked (ascending, or descending when desc), as spans of rendered chunks. */
export class JsonPage {
  private readonly spans: Span[] = [];
  /** Records in the page. */
  count = 0;

  constructor(readonly desc: boolean) {}

  /**
   * Adds the records of `c` with from < t <= to, at most `limit` in all; chunks come in page order (descending
   * by time when desc). Returns whether the page is full.
   */
  add(c: ChunkJson, from: number, to: number, limit: number): boolean {
    const a = upperBound(c.times, from);
    const b = Math.max(a, upperBound(c.times, to));
    const n = Math.min(b - a, limit - this.count);
    if (n > 0) {
      const s = this.desc ? b - n : a;
      this.spans.push({ c, s, e: s + n });
      this.count += n;
    }
    return this.count >= limit;
  }

  /** Drops the records after the first `n` (page order). */
  truncate(n: number): void {
    while (this.count > n) {
      const last = this.spans[this.spans.length - 1]!;
      const cut = Math.min(this.count - n, last.e - last.s);
      if (this.desc) last.s += cut;
      else last.e -= cut;
      this.count -= cut;
      if (last.s === last.e) this.spans.pop();
    }
  }

  /** Time of the last record (page order); NaN for an empty page. */
  lastTime(): number {
    const last = this.spans[this.spans.length - 1];
    if (!last) return NaN;
    return last.c.times[this.desc ? last.s : last.e - 1]!;
  }

  /** Each span's records where they lie in its rendered chunk (RecordPage.runs), in page order. */
  runs(visit: (bytes: Buffer, offs: Int32Array, times: Float64Array, s: number, e: number) => void): void {
    for (const { c, s, e } of this.spans) visit(c.bytes, c.offs, c.times, s, e);
  }

  /**
   * The bytes() of the page as pieces to be written one after another, without a copy: `[`, each span's records
   * where they lie in its rendered chunk, `,` between spans, `]`. A descending page reverses its records, so it is
   * copied into one piece (bytes()). The pieces are views of the rendered chunks, which are never written again.
   */
  pieces(): Buffer[] {
    if (this.desc) return [this.bytes()];
    const out: Buffer[] = [OPEN];
    for (const { c, s, e } of this.spans) {
      if (out.length > 1) out.push(COMMA);
      out.push(c.bytes.subarray(c.offs[s]!, c.offs[e]! - 1));
    }
    out.push(CLOSE);
    return out;
  }

  /** The page as the bytes of a JSON array: one allocation, each run of records copied once. */
  bytes(): Buffer {
    let length = 2;
    for (const { c, s, e } of this.spans) length += c.offs[e]! - c.offs[s]!;
    if (this.count > 0) length--; // n records: n - 1 commas, each record's own counted with it
    const out = Buffer.allocUnsafe(length);
    let w = 0;
    out[w++] = 91;
    for (const { c, s, e } of this.spans) {
      const { bytes, offs } = c;
      if (!this.desc) {
        if (w > 1) out[w++] = 44;
        w += bytes.copy(out, w, offs[s]!, offs[e]! - 1);
        continue;
      }
      for (let i = e - 1; i >= s; i--) {
        if (w > 1) out[w++] = 44;
        w += bytes.copy(out, w, offs[i]!, offs[i + 1]! - 1);
      }
    }
    out[w++] = 93;
    return out;
  }
}

/**
 * A chunk's records rendered for a read, and which of the chunk's records it holds: every one with after < t <= upTo
 * (a read's range, or up to where its limit cut it), so a later read within that span is answered from it.
 */
export interface Rendered { json: ChunkJson; after: number; upTo: number }

/**
 * Whether `r` holds every record of its chunk that a read of (from, to], at most `limit` (the last ones when desc),
 * takes from that chunk: the span reaches the read's start (asc; desc: its end), and its end (asc; desc: its start)
 * or the limit's worth of records before it.
 */
export function serves(r: Rendered, from: number, to: number, limit: number, desc: boolean): boolean {
  if (!desc) {
    if (r.after > from) return false;
    if (to <= r.upTo) return true;
    return r.json.times.length - upperBound(r.json.times, from) >= limit;
  }
  if (r.upTo < to) return false;
  if (from >= r.after) return true;
  return upperBound(r.json.times, to) >= limit;
}

interface Entry { data: Buffer; r: Rendered; size: number }

/**
 * Rendered chunks by (series, hi), the last rendering of each, least recently used first out, bounded in bytes (0:
 * nothing kept).
 */
export class TextCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  /** The rendering kept of the chunk stored as `data`, if it was rendered from exactly these bytes. */
  get(sid: number, hi: number, data: Buffer): Rendered | undefined {
    const k = `${sid}:${hi}`;
    const e = this.entries.get(k);
    if (!e) return undefined;
    this.entries.delete(k);
    if (!e.data.equals(data)) {
      this.bytes -= e.size;
      return undefined;
    }
    this.entries.set(k, e);
    return e.r;
  }

  put(sid: number, hi: number, data: Buffer, r: Rendered): void {
    const json = r.json;
    const size = data.length + json.bytes.length + json.offs.byteLength + json.times.byteLength + 100;
    if (size > this.maxBytes) return;
    const k = `${sid}:${hi}`;
    const old = this.entries.get(k);
    if (old) { this.entries.delete(k); this.bytes -= old.size; }
    this.entries.set(k, { data, r, size });
    this.bytes += size;
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= e.size;
    }
  }
}
