/**
 * A top-level time series page of one asset written from the store's record bytes (issue 14: an OData page at most
 * 1.5× the REST read of the same rows). The REST GET sends the store's page of rendered records nearly as it is;
 * this writes the OData page from the same bytes (SeriesRuns): per record the asset's `{"assetId":…,"timestamp":`
 * head, then the record's bytes after its `{"_time":`, checked byte by byte in the same pass, with no string per
 * record, no row objects and no page string. The rows of a chunk the store keeps rendered are written once and kept
 * (RowCache, per asset and shape). An ascending page is sent as views of its runs' rows (WrittenRows.parts: no copy
 * into a page buffer); a descending one is copied row by row into one. A page over several assets merges the row
 * chunks of each (series-merge.ts).
 *
 * Invariant: the bytes equal, byte for byte, what the row path (rows.ts lanes, raw-rows.ts writeRows, the route's
 * UTF-8) sends for the same request. A record qualifies exactly when raw-rows.ts' exact-order pattern would accept
 * its text: `{"_time":"<TIME>"`, then members `,"key":value` of distinct declared keys (any order), each value a
 * string of CHAR or a SCALAR (the same classes, as byte tables), then `}` — the bytes of such a text are its
 * characters, since every character is printable ASCII. It is written as the raw row is: head + the text after
 * `{"_time":`, with `,"key":null` for each missing key (declaration order) before the `}`. Any other record is
 * decoded, parsed and written as the row path's object row (`parsedRow`, JSON.stringify), as UTF-8. Paging (skip,
 * cursor, limit + 1, next cursor) is rows.ts' one-lane merge: one read of limit + 1 records after the position.
 */
import type { SeriesRecord, SeriesRuns } from '../ports.js';
import { keyOf, type Cursor, type Row } from './order.js';
import type { SeriesPlan } from './plan.js';
import { CHAR, headBytes, type RawShape, SCALAR } from './raw-rows.js';

/**
 * Rows already written as the bytes of a JSON array: `buf[start, end)`, with room around it for the page's envelope;
 * or, with `parts`, the array is those buffers one after the other (views of rows written before, sent without a
 * copy into a page; `buf` is then empty).
 */
export interface WrittenRows {
  readonly buf: Buffer;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly parts?: readonly Buffer[];
}

/** Property name and stored key of each series property, in declaration order. */
export type SeriesProps = readonly (readonly [string, string])[];

/** The object row of a record text (what a record that does not qualify for a raw row becomes). */
export function parsedRow(assetId: string, text: string, props: SeriesProps): Row {
  const rec = JSON.parse(text) as SeriesRecord;
  const row: Row = { assetId, timestamp: rec._time };
  for (const [name, key] of props) row[name] = rec[key] ?? null;
  return row;
}

const table = (cls: string): Uint8Array => {
  const re = new RegExp(`^${cls}$`);
  return Uint8Array.from({ length: 256 }, (_, c) => (re.test(String.fromCharCode(c)) ? 1 : 0));
};
/** Bytes of a string value's characters, and of a scalar (the character classes of raw-rows.ts). */
const IN_STRING = table(CHAR);
const IN_SCALAR = table(SCALAR.slice(0, -1));
/** raw-rows.ts TIME, the 24 characters of toISOString(): 0 where a digit goes. */
const TIME_FORM = Uint8Array.from('0000-00-00T00:00:00.000Z', (ch) => (ch === '0' ? 0 : ch.charCodeAt(0)));
const TIME_START = Buffer.from('{"_time":"');

/** A shape's keys as bytes and what the scan remembers between records. */
interface ByteShape {
  keys: Uint8Array[];
  /** The key index found last at each member position (the order records almost always share); -1 none. */
  expect: Int32Array;
  /** stamp[k] === gen: key k seen in the current record. */
  stamp: Uint32Array;
  gen: number;
  /** `,"key":null` of the missing keys, by their indices. */
  nulls: Map<string, Buffer>;
}

const byteShapes = new WeakMap<RawShape, ByteShape>();

function byteShape(shape: RawShape): ByteShape {
  let b = byteShapes.get(shape);
  if (!b) {
    const n = shape.keys.length;
    b = { keys: shape.keys.map((k) => Buffer.from(k, 'latin1')), expect: new Int32Array(n + 1).fill(-1), stamp: new Uint32Array(n), gen: 0, nulls: new Map() };
    byteShapes.set(shape, b);
  }
  return b;
}

/** Whether key k's bytes followed by `":` start at b[i] (before q). */
function keyAt(b: Uint8Array, i: number, q: number, key: Uint8Array): boolean {
  const n = key.length;
  if (i + n + 2 > q || b[i + n] !== 0x22 || b[i + n + 1] !== 0x3a) return false;
  for (let j = 0; j < n; j++) if (b[i + j] !== key[j]) return false;
  return true;
}

/**
 * Checks the record b[p, q) against the pattern and copies its bytes from `"` after `{"_time":` up to its closing
 * `}` (not included) to out[w…]. Returns the bytes written, or -1 when the record does not qualify; `missing` gets
 * the count of declared keys it lacks (sh.stamp says which).
 */
function copyRecord(b: Uint8Array, p: number, q: number, out: Uint8Array, w: number, sh: ByteShape): number {
  if (q - p < 36 || b[q - 1] !== 0x7d) return -1;
  for (let j = 0; j < 10; j++) if (b[p + j] !== TIME_START[j]) return -1;
  for (let j = 0; j < 24; j++) {
    const c = b[p + 10 + j]!;
    const f = TIME_FORM[j]!;
    if (f === 0 ? c < 0x30 || c > 0x39 : c !== f) return -1;
  }
  if (b[p + 34] !== 0x22) return -1;
  if (sh.gen === 0xffffffff) { sh.stamp.fill(0); sh.gen = 0; }
  const gen = ++sh.gen;
  const { keys, expect, stamp } = sh;
  const end = q - 1;
  let i = p + 35;
  for (let m = 0; i < end; m++) {
    if (b[i] !== 0x2c || b[i + 1] !== 0x22) return -1;
    i += 2;
    let k = m < expect.length ? expect[m]! : -1;
    if (k < 0 || !keyAt(b, i, end, keys[k]!)) {
      k = -1;
      for (let x = 0; x < keys.length; x++) if (keyAt(b, i, end, keys[x]!)) { k = x; break; }
      if (k < 0) return -1;
      if (m < expect.length) expect[m] = k;
    }
    if (stamp[k] === gen) return -1;
    stamp[k] = gen;
    i += keys[k]!.length + 2;
    if (i >= end) return -1;
    if (b[i] === 0x22) {
      for (i++; ; i++) {
        if (i >= end) return -1;
        const c = b[i]!;
        if (c === 0x22) break;
        if (IN_STRING[c] === 0) return -1;
      }
      i++;
    } else {
      const s = i;
      while (i < end && IN_SCALAR[b[i]!] === 1) i++;
      if (i === s) return -1;
    }
  }
  if (i !== end) return -1;
  // every byte of b[p + 9, end) checked: copied as it is
  // a loop: a record is short, and a subarray per record (for out.set or copy) costs more than its bytes
  const n = end - (p + 9);
  for (let j = 0, from = p + 9; j < n; j++) out[w + j] = b[from + j]!;
  return n;
}

/** `,"key":null` of every declared key the record just checked lacks (empty when it has all). */
function nullsOf(sh: ByteShape, shape: RawShape): Buffer {
  const gen = sh.gen;
  const missing: number[] = [];
  for (let k = 0; k < sh.keys.length; k++) if (sh.stamp[k] !== gen) missing.push(k);
  if (missing.length === 0) return EMPTY;
  const id = missing.join(',');
  let nulls = sh.nulls.get(id);
  if (!nulls) {
    nulls = Buffer.from(missing.map((k) => `,"${shape.keys[k]!}":null`).join(''), 'latin1');
    if (sh.nulls.size < 64) sh.nulls.set(id, nulls);
  }
  return nulls;
}
const EMPTY = Buffer.alloc(0);
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Bytes left free before and after the rows, for the page's envelope (raw-rows.ts pageBytes writes it there). */
export const ROOM = 1024;

export class Bytes {
  buf: Buffer;
  w: number;
  constructor(size: number, room: number) {
    this.buf = Buffer.allocUnsafe(room + size + room);
    this.w = room;
  }
  /** Room for n more bytes (and `room` after them). */
  ensure(n: number, room = 0): void {
    if (this.w + n + room <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.w + n + room));
    this.buf.copy(grown, 0, 0, this.w);
    this.buf = grown;
  }
}

/**
 * The rows of every record of one rendered chunk (or of a store page without runs, cut by pageRuns) for one asset
 * and shape: `bytes` holds row 0, row 1, … joined by `,`; row i starts at rowOffs[i], rowOffs[n] is bytes.length + 1
 * (as in ChunkJson). `raw[i]` is 1 when record i qualified (its timestamp text is the 24 bytes after its
 * `{"_time":"`). A row is a function of its record's bytes, the asset id and the shape's keys only, so with a
 * RowCache it is written once per chunk, not once per page.
 */
export interface RowChunk {
  readonly shape: RawShape;
  readonly assetId: string;
  readonly offs: Int32Array;
  readonly bytes: Buffer;
  readonly rowOffs: Int32Array;
  readonly raw: Uint8Array;
  /** The cache's list of row chunks of the same rendered bytes (this one is removed from it when dropped). */
  list?: RowChunk[];
  /**
   * A view of each row's bytes (a kept chunk's, made when a merged page first copies from it, RowCache.views):
   * setting a made view into the page costs a third of Buffer.copy, which makes one per call.
   */
  views?: Uint8Array[];
}

/**
 * Row chunks by the rendered bytes they were made from (a WeakMap: an entry is found only while the store keeps
 * those bytes, in its rendered-chunk cache), bounded in bytes, least recently used first out (setting
 * odataRowCacheMb); 0 keeps none. Rows are kept from the second page over the same bytes on: a store page
 * without runs is cut from bytes made for that read alone (pageRuns), which no later page sees again.
 */
export class RowCache {
  private readonly byBytes = new WeakMap<Buffer, RowChunk[]>();
  private readonly seen = new WeakSet<Buffer>();
  private readonly used = new Set<RowChunk>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(b: Buffer, offs: Int32Array, assetId: string, shape: RawShape): RowChunk | undefined {
    const list = this.byBytes.get(b);
    if (!list) return undefined;
    for (const c of list) {
      if (c.offs !== offs || c.shape !== shape || c.assetId !== assetId) continue;
      this.used.delete(c);
      this.used.add(c);
      return c;
    }
    return undefined;
  }

  /** Whether rows of `b` are worth keeping: true from the second time it is asked on. */
  keeps(b: Buffer): boolean {
    if (this.maxBytes === 0) return false;
    if (this.seen.has(b)) return true;
    this.seen.add(b);
    return false;
  }

  /** The views of a kept chunk's rows (made once, counted in its size); undefined for a chunk the cache does not keep. */
  views(c: RowChunk): readonly Uint8Array[] | undefined {
    if (c.views) return c.views;
    if (!this.used.has(c)) return undefined;
    const n = c.raw.length;
    const views = new Array<Uint8Array>(n);
    const { buffer, byteOffset } = c.bytes;
    for (let i = 0; i < n; i++) views[i] = new Uint8Array(buffer, byteOffset + c.rowOffs[i]!, c.rowOffs[i + 1]! - 1 - c.rowOffs[i]!);
    c.views = views;
    this.bytes += n * VIEW_SIZE;
    // the views count in the bound too (a dropped chunk's views still serve the page being written)
    this.evict();
    return views;
  }

  put(b: Buffer, c: RowChunk): void {
    const size = sizeOf(c);
    if (size > this.maxBytes) return;
    let list = this.byBytes.get(b);
    if (!list) {
      list = [];
      this.byBytes.set(b, list);
    }
    list.push(c);
    c.list = list;
    this.used.add(c);
    this.bytes += size;
    this.evict();
  }

  /** Drops the least recently used chunks until the kept ones fit maxBytes. */
  private evict(): void {
    for (const old of this.used) {
      if (this.bytes <= this.maxBytes) break;
      this.used.delete(old);
      this.bytes -= sizeOf(old);
      const at = old.list!.indexOf(old);
      if (at >= 0) old.list!.splice(at, 1);
    }
  }
}

/** About what one typed array view costs on the heap (its object and the array's slot). */
const VIEW_SIZE = 96;
const sizeOf = (c: RowChunk) => c.bytes.length + c.rowOffs.byteLength + c.raw.length + 200 + (c.views ? c.views.length * VIEW_SIZE : 0);

/**
 * The rows of b's records: from the cache, or written for all `count` records when the cache keeps them, else for
 * records lo..hi-1 only (rowOffs and raw are indexed by the record's index in b either way).
 */
export function rowChunk(b: Buffer, offs: Int32Array, count: number, lo: number, hi: number, assetId: string, h: Buffer, shape: RawShape,
  props: SeriesProps, cache: RowCache | undefined): RowChunk {
  const cached = cache?.get(b, offs, assetId, shape);
  if (cached) return cached;
  const keep = cache?.keeps(b) === true;
  if (keep) { lo = 0; hi = count; }
  const sh = byteShape(shape);
  const out = new Bytes(offs[hi]! - offs[lo]! + (hi - lo) * (h.length - 8), 0);
  const rowOffs = new Int32Array(count + 1);
  const raw = new Uint8Array(count);
  for (let i = lo; i < hi; i++) {
    const p = offs[i]!;
    const q = offs[i + 1]! - 1;
    out.ensure(h.length + q - p + 1);
    let w = out.w;
    if (i > lo) out.buf[w++] = 0x2c;
    rowOffs[i] = w;
    out.buf.set(h, w);
    const n = copyRecord(b, p, q, out.buf, w + h.length, sh);
    if (n >= 0) {
      w += h.length + n;
      const nulls = nullsOf(sh, shape);
      if (nulls.length > 0) {
        out.w = w;
        out.ensure(nulls.length + 1);
        out.buf.set(nulls, w);
        w += nulls.length;
      }
      out.buf[w++] = 0x7d;
      out.w = w;
      raw[i] = 1;
    } else {
      const text = JSON.stringify(parsedRow(assetId, b.toString('utf8', p, q), props));
      out.w = w;
      out.ensure(Buffer.byteLength(text));
      out.w += out.buf.write(text, out.w);
    }
  }
  rowOffs[hi] = out.w + 1;
  if (!keep) return { shape, assetId, offs, bytes: out.buf, rowOffs, raw };
  // an exact copy for the cache: the entry may live as long as the chunk, the slack of the growing buffer need not
  const c: RowChunk = { shape, assetId, offs, bytes: Buffer.from(out.buf.subarray(0, out.w)), rowOffs, raw };
  cache!.put(b, c);
  return c;
}

/** The timestamp text of row i of a row chunk (what the row path's cursor reads). */
export function rowTime(c: RowChunk, b: Buffer, i: number, props: SeriesProps): string {
  const p = c.offs[i]!;
  if (c.raw[i] === 1) return b.toString('latin1', p + 10, p + 34);
  return parsedRow(c.assetId, b.toString('utf8', p, c.offs[i + 1]! - 1), props)['timestamp'] as string;
}

/**
 * Writes up to `limit` records of `page` (page order) as the rows of `assetId`, the rows of each chunk from `cache`
 * when it has them. Returns the rows and the timestamp text of the last one written (undefined when none).
 */
export function writeSeriesRows(page: SeriesRuns, limit: number, desc: boolean, assetId: string, shape: RawShape,
  props: SeriesProps, cache?: RowCache): { rows: WrittenRows; last: string | undefined } {
  const h = headBytes(assetId);
  const want = Math.min(limit, page.count);
  const runs: { c: RowChunk; b: Buffer; s: number; e: number }[] = [];
  let size = 2;
  let left = want;
  page.runs((b, offs, times, s, e) => {
    if (left <= 0 || e <= s) return;
    const n = Math.min(e - s, left);
    if (!desc) e = s + n;
    else s = e - n;
    const c = rowChunk(b as Buffer, offs, times.length, s, e, assetId, h, shape, props, cache);
    left -= n;
    size += c.rowOffs[e]! - c.rowOffs[s]!;
    runs.push({ c, b: b as Buffer, s, e });
  });
  if (!desc) {
    // the rows of each run are one view: `[`, run, `,`, run, …, `]` go out as they are
    const parts: Buffer[] = [OPEN];
    let count = 0;
    for (const { c, s, e } of runs) {
      if (count > 0) parts.push(COMMA);
      parts.push(c.bytes.subarray(c.rowOffs[s]!, c.rowOffs[e]! - 1));
      count += e - s;
    }
    parts.push(CLOSE);
    const end = runs[runs.length - 1];
    const last = end ? rowTime(end.c, end.b, end.e - 1, props) : undefined;
    return { rows: { buf: EMPTY, start: 0, end: 0, count, parts }, last };
  }
  const out = new Bytes(size, ROOM);
  const buf = out.buf;
  let w = out.w;
  buf[w++] = 0x5b;
  let count = 0;
  for (const { c, s, e } of runs) {
    const { bytes, rowOffs } = c;
    for (let i = e - 1; i >= s; i--) {
      if (count > 0 || i < e - 1) buf[w++] = 0x2c;
      w += bytes.copy(buf, w, rowOffs[i]!, rowOffs[i + 1]! - 1);
    }
    count += e - s;
  }
  buf[w++] = 0x5d;
  const end = runs[runs.length - 1];
  const last = end ? rowTime(end.c, end.b, end.s, props) : undefined;
  return { rows: { buf, start: ROOM, end: w, count }, last };
}

/** Most records one read may skip ($skip is read through, as the row path does, then dropped). */
const SKIP_READ = 100_000;

/**
 * rows.ts' one-lane page of a time series plan for one asset (skip, cursor, the page's limit + 1), written from the
 * store's bytes: the same rows and the same next cursor as RowReader.merged over the asset's lane.
 */
export async function seriesBytesPage(
  read: (after: number, upTo: number, limit: number) => Promise<SeriesRuns>,
  r: { skip: number; top: number; cursor: Cursor | undefined; pageSize: number; desc: boolean },
  plan: SeriesPlan, assetId: string, shape: RawShape, props: SeriesProps, cache?: RowCache,
): Promise<{ written?: WrittenRows; next?: Cursor; empty?: true }> {
  const { desc } = r;
  let after = plan.after;
  let upTo = plan.upTo;
  const pos = r.cursor?.t === undefined ? undefined : r.cursor;
  if (pos) {
    // the lane's rows after pos in (timestamp, assetId) order; in reverse order for desc
    if (!desc) after = Math.max(after, assetId > pos.a! ? pos.t! - 1 : pos.t!);
    else upTo = Math.min(upTo, assetId < pos.a! ? pos.t! : pos.t! - 1);
  }
  if (!r.cursor) {
    for (let left = r.skip; left > 0;) {
      if (after >= upTo) return { empty: true };
      const want = Math.min(left, SKIP_READ);
      let n = 0;
      let t = NaN;
      const skipped = await read(after, upTo, want);
      skipped.runs((_, __, times, s, e) => {
        if (e > s) t = desc ? times[s]! : times[e - 1]!;
        n += e - s;
      });
      if (n < want) return { empty: true };
      if (desc) upTo = t - 1;
      else after = t;
      left -= n;
    }
  }
  const n0 = r.cursor?.n ?? 0;
  const need = Math.max(0, Math.min(r.pageSize, r.top - n0));
  if (need === 0 || after >= upTo) return { empty: true };
  const page = await read(after, upTo, need + 1);
  if (page.count === 0) return { empty: true };
  const { rows, last } = writeSeriesRows(page, need, desc, assetId, shape, props, cache);
  const more = page.count > need && n0 + need < r.top;
  return { written: rows, ...(more ? { next: { ...keyOf({ timestamp: last, assetId }), n: n0 + rows.count } } : {}) };
}
