/**
 * A top-level time series page over several assets (a type family without an assetId filter) written from the
 * store's record bytes (issue 14): a k-way merge (a heap of lanes) of each asset's runs of records (SeriesRuns) in
 * the page's order, each emitted row copied from its asset's row chunk (series-page.ts rowChunk, kept per rendered
 * chunk by the RowCache, with a view per row) into one page buffer — no string per record, no row objects, no sort
 * of a page of them. The rows of 8 assets interleave one by one, so the page is copied, not sent as views.
 *
 * Invariant: the rows, their bytes and the next cursor equal what rows.ts' lanes and order.ts mergeLanes give for
 * the same request (the row path): the order is (timestamp, assetId) ascending, descending its exact reverse;
 * a lane is one asset's records after the position, read in chunks, refilled only once all of its read records
 * were emitted, so the merge's smallest head is always the next row. Records are ordered by their store time
 * (`times`), which the port promises is the `_time` text's instant (SeriesRecordText: canonical, so text order is
 * time order, as the row path compares them); a row written from a parsed record whose timestamp text is not that
 * instant's canonical text declines the page (undefined: the caller takes the row path).
 */
import { iso } from '../../core/instant.js';
import type { SeriesRuns } from '../ports.js';
import { type Cursor, keyOf } from './order.js';
import type { SeriesPlan } from './plan.js';
import type { RawShape } from './raw-rows.js';
import { headBytes } from './raw-rows.js';
import { Bytes, ROOM, type RowCache, type RowChunk, rowChunk, rowTime, type SeriesProps, type WrittenRows } from './series-page.js';

/** Most records one lane asks for in one read (rows.ts LANE_READ). */
const LANE_READ = 10_000;

/** Records b[s, e) of one run of a lane's read; `c` its rows, written when its first record is emitted. */
interface Run {
  readonly b: Buffer;
  readonly offs: Int32Array;
  readonly times: Float64Array;
  readonly s: number;
  readonly e: number;
  c: RowChunk | undefined;
}

/** One asset's records after the position: the runs of its last read and the record at the head (runs[ri], i). */
interface Lane {
  readonly assetId: string;
  /** The asset's place in assetId order (ties of timestamp are broken by it). */
  readonly rank: number;
  readonly h: Buffer;
  /** The window of the next read: (after, upTo]. */
  after: number;
  upTo: number;
  chunk: number;
  done: boolean;
  runs: Run[];
  ri: number;
  i: number;
  /** The head record's time. */
  t: number;
}

export type LaneRead = (assetId: string, after: number, upTo: number, limit: number) => Promise<SeriesRuns>;

/** Reads the lane's next records; false when it has none left. */
async function load(l: Lane, read: LaneRead, desc: boolean): Promise<boolean> {
  while (!l.done) {
    if (l.after >= l.upTo) break;
    const want = l.chunk;
    const page = await read(l.assetId, l.after, l.upTo, want);
    const runs: Run[] = [];
    let n = 0;
    let last = NaN;
    page.runs((b, offs, times, s, e) => {
      if (e <= s) return;
      runs.push({ b: b as Buffer, offs, times, s, e, c: undefined });
      n += e - s;
      last = desc ? times[s]! : times[e - 1]!;
    });
    if (n < want) l.done = true;
    // a lane that needs a second read is denser than its share: read more at a time
    l.chunk = Math.min(l.chunk * 2, LANE_READ);
    if (n === 0) break;
    if (desc) l.upTo = last - 1;
    else l.after = last;
    l.runs = runs;
    l.ri = 0;
    l.i = desc ? runs[0]!.e - 1 : runs[0]!.s;
    l.t = runs[0]!.times[l.i]!;
    return true;
  }
  l.done = true;
  return false;
}

/** Moves the lane's head to its next read record; false when its read records are all emitted. */
function step(l: Lane, desc: boolean): boolean {
  const r = l.runs[l.ri]!;
  if (desc ? --l.i >= r.s : ++l.i < r.e) {
    l.t = r.times[l.i]!;
    return true;
  }
  if (++l.ri >= l.runs.length) return false;
  const next = l.runs[l.ri]!;
  l.i = desc ? next.e - 1 : next.s;
  l.t = next.times[l.i]!;
  return true;
}

/** A binary heap of lanes by their head, first in the page's order at the top. */
class Heap {
  private readonly a: Lane[] = [];
  constructor(private readonly desc: boolean) {}
  get size(): number { return this.a.length; }
  top(): Lane { return this.a[0]!; }
  private before(x: Lane, y: Lane): boolean {
    if (x.t !== y.t) return this.desc ? x.t > y.t : x.t < y.t;
    return this.desc ? x.rank > y.rank : x.rank < y.rank;
  }
  push(l: Lane): void {
    const a = this.a;
    let k = a.length;
    a.push(l);
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.before(l, a[p]!)) break;
      a[k] = a[p]!;
      k = p;
    }
    a[k] = l;
  }
  /** Puts the top back where it belongs after its head moved, or removes it when `gone`. */
  fix(gone: boolean): void {
    if (!gone) { this.sift(this.a[0]!); return; }
    const last = this.a.pop()!;
    if (this.a.length > 0) this.sift(last);
  }
  /** Fills the hole at the top with `l`, moving the children before it up. */
  private sift(l: Lane): void {
    const a = this.a;
    const n = a.length;
    let k = 0;
    for (;;) {
      let c = 2 * k + 1;
      if (c >= n) break;
      if (c + 1 < n && this.before(a[c + 1]!, a[c]!)) c++;
      if (!this.before(a[c]!, l)) break;
      a[k] = a[c]!;
      k = c;
    }
    a[k] = l;
  }
}

/**
 * Emits the top lane's head: moves it on, reading its next records when its read ones are used up. Synchronous
 * (no promise) unless it reads: an await per row cost more than the rest of the merge.
 */
function advance(heap: Heap, read: LaneRead, desc: boolean): Promise<void> | undefined {
  const l = heap.top();
  if (step(l, desc)) {
    heap.fix(false);
    return undefined;
  }
  return load(l, read, desc).then((more) => heap.fix(!more));
}

/**
 * rows.ts' merged page of a time series plan over `assets` (two or more; skip, cursor, the page's limit + 1),
 * written from the store's bytes; undefined when the row path would write it otherwise (see the invariant).
 */
export async function seriesLanesPage(
  read: LaneRead,
  r: { skip: number; top: number; cursor: Cursor | undefined; pageSize: number; desc: boolean },
  plan: SeriesPlan, assets: readonly string[], shape: RawShape, props: SeriesProps, cache?: RowCache,
): Promise<{ written?: WrittenRows; next?: Cursor; empty?: true } | undefined> {
  const { desc } = r;
  const n0 = r.cursor?.n ?? 0;
  const need = Math.max(0, Math.min(r.pageSize, r.top - n0));
  if (need === 0 || plan.after >= plan.upTo) return { empty: true };
  const pos = r.cursor?.t === undefined ? undefined : r.cursor;
  const skip = r.cursor ? 0 : r.skip;
  // a little more than an even share per lane (as mergeLanes reads), so one read per lane usually suffices
  const chunk = Math.min(LANE_READ, Math.max(16, Math.ceil((Math.min(skip + need + 1, LANE_READ) / assets.length) * 1.25)));
  const ranked = [...assets].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const heap = new Heap(desc);
  for (let k = 0; k < ranked.length; k++) {
    const assetId = ranked[k]!;
    let after = plan.after;
    let upTo = plan.upTo;
    if (pos) {
      // the lane's rows after pos in (timestamp, assetId) order; in reverse order for desc
      if (!desc) after = Math.max(after, assetId > pos.a! ? pos.t! - 1 : pos.t!);
      else upTo = Math.min(upTo, assetId < pos.a! ? pos.t! : pos.t! - 1);
    }
    const l: Lane = { assetId, rank: k, h: headBytes(assetId), after, upTo, chunk, done: false, runs: [], ri: 0, i: 0, t: NaN };
    if (await load(l, read, desc)) heap.push(l);
  }
  for (let left = skip; left > 0; left--) {
    if (heap.size === 0) return { empty: true };
    const reading = advance(heap, read, desc);
    if (reading) await reading;
  }
  // the page as blocks of rows: rows from..to of one row chunk (ascending neighbours of one chunk are one block)
  const chunks: RowChunk[] = [];
  const from = new Int32Array(need);
  const to = new Int32Array(need);
  let count = 0;
  let size = 2;
  // the last row: its lane and record (the next cursor's key)
  let lastLane: Lane | undefined;
  let lastRun: Run | undefined;
  let lastI = 0;
  while (count < need && heap.size > 0) {
    const l = heap.top();
    const run = l.runs[l.ri]!;
    const i = l.i;
    if (!run.c) run.c = rowChunk(run.b, run.offs, run.times.length, desc ? run.s : i, desc ? i + 1 : run.e, l.assetId, l.h, shape, props, cache);
    const c = run.c;
    if (c.raw[i] !== 1 && rowTime(c, run.b, i, props) !== iso(run.times[i]!)) return undefined;
    const k = chunks.length - 1;
    if (!desc && k >= 0 && chunks[k] === c && to[k] === i) to[k] = i + 1;
    else {
      chunks.push(c);
      from[k + 1] = i;
      to[k + 1] = i + 1;
    }
    size += c.rowOffs[i + 1]! - c.rowOffs[i]!;
    count++;
    lastLane = l;
    lastRun = run;
    lastI = i;
    const reading = advance(heap, read, desc);
    if (reading) await reading;
  }
  if (count === 0 || !lastLane || !lastRun) return { empty: true };
  const out = new Bytes(size, ROOM);
  const buf = out.buf;
  let w = out.w;
  buf[w++] = 0x5b;
  for (let k = 0; k < chunks.length; k++) {
    const c = chunks[k]!;
    if (k > 0) buf[w++] = 0x2c;
    const f = from[k]!;
    const t = to[k]!;
    const views = t - f === 1 ? c.views ?? cache?.views(c) : undefined;
    if (views) {
      const v = views[f]!;
      buf.set(v, w);
      w += v.length;
      continue;
    }
    const s = c.rowOffs[f]!;
    const n = c.rowOffs[t]! - 1 - s;
    // a plain view, not Buffer.copy or subarray (a Buffer's view is made through its species, slower)
    buf.set(new Uint8Array(c.bytes.buffer, c.bytes.byteOffset + s, n), w);
    w += n;
  }
  buf[w++] = 0x5d;
  const more = heap.size > 0 && n0 + need < r.top;
  const written: WrittenRows = { buf, start: ROOM, end: w, count };
  if (!more) return { written };
  return { written, next: { ...keyOf({ timestamp: rowTime(lastRun.c!, lastRun.b, lastI, props), assetId: lastLane.assetId }), n: n0 + count } };
}
