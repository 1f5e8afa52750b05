/**
 * A top-level aggregate page of one asset, ascending, written as the bytes of its `value` array with no object per
 * row (issue 14: an OData aggregate page at most 1.5× the REST read of the same intervals; its 2000 row objects and
 * the page's pass over them were a fifth of its cost). Rows are written from the lane's pieces (aggregate-text.ts
 * LanePieces) into one buffer with room for the envelope, each interval's rows of a variable copied as one run
 * from its row block when the inputs equal those it was written from (aggregate-blocks.ts, shared with the row
 * path); per row only its end offset and its variable and type indexes are kept, for the page's cut and the cursor.
 *
 * Invariant: the page's rows, their bytes and the next cursor are those of the row path (rows.ts merged over the
 * asset's lane, aggregate-rows.ts assetAggregates with byte rows, raw-rows.ts pageBytes) for the same request:
 * same range reads, same rows in the same order, the cursor's rows kept by the same afterCursor test. Where the
 * row path would write a text row (a timestamp or value timestamp that does not fit the holes) or the pieces are
 * not printable ASCII, this gives undefined and the caller takes the row path. Property test:
 * test/odata/aggregate-page.property.test.ts.
 */
import { iso } from '../../core/instant.js';
import { writeNumber } from '../../core/number-bytes.js';
import type { EdmSet } from '../model/edm.js';
import type { ODataPort } from '../ports.js';
import { holdBlocks, inputsOf, laneBlocks, type LaneBlocks, type RowBlock, sameInputs } from './aggregate-blocks.js';
import { laneRange, textRowSet } from './aggregate-rows.js';
import { type LanePieces, lanePieces, printable, VT_NULL } from './aggregate-text.js';
import { afterCursor, type Cursor, type Row } from './order.js';
import type { AggregatePlan } from './plan.js';
import type { WrittenRows } from './series-page.js';

/** Bytes left free before and after the rows, for the page's envelope (raw-rows.ts writtenPage writes it there). */
const ROOM = 1024;

/** The rows of one page as bytes: row k ends at ends[k] (a `,` follows it), its variable and type in subs[k]. */
class PageRows {
  buf: Buffer;
  o = ROOM;
  readonly ends: number[] = [];
  /** vi * 16 + ti (a lane has at most 10 types). */
  readonly subs: number[] = [];
  /** The interval of each row, an index into `times`. */
  readonly ivs: number[] = [];
  readonly times: string[] = [];

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(ROOM + size + ROOM);
  }

  /** Room for n more bytes and ROOM after them: a larger buffer holds the rows at the same offsets. */
  room(n: number): void {
    if (this.o + n + ROOM <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.o + n + ROOM));
    this.buf.copy(grown, 0, 0, this.o);
    this.buf = grown;
  }

  /** Where row k starts. */
  startOf(k: number): number {
    return k === 0 ? ROOM : this.ends[k - 1]! + 1;
  }
}

/** The rows of one read written into a PageRows; false from rows() when one cannot be written here. */
class PageWriter {
  private readonly blocks: LaneBlocks;
  private current: (RowBlock | undefined)[] | undefined;
  private timestamp = '';
  private endTimestamp = '';
  private iv = -1;
  private startMs = 0;
  private readonly toFill: { block: RowBlock; first: number; n: number }[] = [];
  private noted = 0;

  constructor(private readonly p: LanePieces, private readonly out: PageRows, private readonly assetId: string,
    private readonly variables: readonly string[]) {
    this.blocks = laneBlocks(p.key);
  }

  interval(timestamp: string, endTimestamp: string, start: number): boolean {
    if (!this.p.interval(timestamp, endTimestamp)) return false;
    this.timestamp = timestamp;
    this.endTimestamp = endTimestamp;
    this.current = this.blocks.byStart.get(start);
    this.out.times.push(timestamp);
    this.iv = this.out.times.length - 1;
    this.startMs = start;
    return true;
  }

  /**
   * The rows of variable `vi` of the current interval (a number value, or null for sd), in type order; with `keep`
   * only those it keeps (the cursor's interval). False when a value timestamp does not fit (not written then).
   */
  rows(vi: number, agg: Record<string, unknown>, keep: ((row: Row) => boolean) | undefined): boolean {
    const { p, out } = this;
    const types = p.types;
    const block = keep === undefined ? this.current?.[vi] : undefined;
    const same = block !== undefined && block.timestamp === this.timestamp && block.endTimestamp === this.endTimestamp
      && sameInputs(block.from, agg, types, p.timeField);
    if (same && block.bytes !== undefined) {
      const length = block.offs[block.offs.length - 1]!;
      out.room(length);
      const at = out.o;
      // set, not copy: the block's bytes are a view of their own (Buffer#copy makes one per call)
      out.buf.set(block.bytes, at);
      out.o = at + length;
      const { offs } = block;
      const base = vi * 16;
      for (let i = 0; i < block.types.length; i++) {
        out.ends.push(at + offs[i + 1]! - 1);
        out.subs.push(base + block.types[i]!);
        out.ivs.push(this.iv);
      }
      return true;
    }
    const first = out.ends.length;
    const head = p.heads[vi]!;
    for (let ti = 0; ti < types.length; ti++) {
      const type = types[ti]!;
      const value = agg[type];
      if (typeof value !== 'number' && !(value === null && type === 'sd')) continue;
      if (keep !== undefined && !keep({ assetId: this.assetId, timestamp: this.timestamp, variableName: this.variables[vi], aggregationType: type })) continue;
      const f = p.timeField[ti];
      let tail: Buffer = VT_NULL;
      if (f !== undefined) {
        const t = agg[f];
        if (typeof t === 'string') {
          const piece = p.vt(t);
          if (piece === undefined) return false;
          tail = piece;
        }
      }
      out.room(p.rowMax);
      const buf = out.buf;
      let o = out.o;
      buf.set(head, o);
      o += head.length;
      const piece = p.typed[ti]!;
      buf.set(piece, o);
      o += piece.length;
      if (value === null || !Number.isFinite(value)) {
        buf[o++] = 0x6e; buf[o++] = 0x75; buf[o++] = 0x6c; buf[o++] = 0x6c;
      } else {
        const w = writeNumber(buf, o, value as number);
        if (w >= 0) o = w;
        else {
          const text = String(value);
          for (let i = 0; i < text.length; i++) buf[o++] = text.charCodeAt(i);
        }
      }
      buf.set(tail, o);
      o += tail.length;
      out.ends.push(o);
      out.subs.push(vi * 16 + ti);
      out.ivs.push(this.iv);
      buf[o++] = 0x2c;
      out.o = o;
    }
    const n = out.ends.length - first;
    if (keep !== undefined || n === 0) return true;
    if (same) this.toFill.push({ block, first, n });
    else {
      let list = this.current;
      if (list === undefined) this.blocks.byStart.set(this.startMs, list = this.current = []);
      list[vi] = { timestamp: this.timestamp, endTimestamp: this.endTimestamp, from: inputsOf(agg, types, p.timeField),
        bytes: undefined, offs: [], types: [] };
      this.noted++;
    }
    return true;
  }

  /** Gives the blocks seen again by this read the bytes of their rows (one new buffer for all of them). */
  done(): void {
    const { out, toFill } = this;
    let total = 0;
    for (const f of toFill) total += out.ends[f.first + f.n - 1]! + 1 - out.startOf(f.first);
    const bytes = total > 0 ? Buffer.allocUnsafe(total) : undefined;
    let o = 0;
    for (const f of toFill) {
      const a = out.startOf(f.first);
      const b = out.ends[f.first + f.n - 1]! + 1;
      out.buf.copy(bytes!, o, a, b);
      const offs = [0];
      const types: number[] = [];
      for (let k = f.first; k < f.first + f.n; k++) {
        offs.push(out.ends[k]! + 1 - a);
        types.push(out.subs[k]! & 15);
      }
      f.block.offs = offs;
      f.block.types = types;
      // a view of its own per block, so a copy of it needs no new view
      f.block.bytes = bytes!.subarray(o, o + b - a);
      o += b - a;
    }
    if (this.noted > 0 || total > 0) holdBlocks(this.blocks, this.noted, total);
  }
}

/**
 * rows.ts' one-lane page of an aggregate plan for one asset, ascending, without $skip before a cursor: the page's
 * rows (at most `need`) written as bytes and the next cursor when more rows follow (read: need + 1 rows, as the
 * row path reads). Undefined when the row path has to write it (see the header).
 */
export async function aggregateBytesPage(port: ODataPort, tenant: string, set: EdmSet, plan: AggregatePlan, assetId: string,
  r: { top: number; cursor: Cursor | undefined; pageSize: number }): Promise<{ written?: WrittenRows; next?: Cursor } | undefined> {
  if (!textRowSet(set)) return undefined;
  const n0 = r.cursor?.n ?? 0;
  const need = Math.max(0, Math.min(r.pageSize, r.top - n0));
  if (need === 0) return {};
  const pos = r.cursor?.t === undefined ? undefined : r.cursor;
  // the lane call of the row path: need + 1 rows
  const want = need + 1;
  const range = await laneRange(port, tenant, set, plan, assetId, want, pos, false);
  if (range === undefined) return {};
  const { span, variables, types } = range;
  let { lo } = range;
  const hi = range.hi;
  const assetIdJson = JSON.stringify(assetId);
  const variableJson = variables.map((v) => JSON.stringify(v));
  if (!printable(assetIdJson) || !printable(JSON.stringify(plan.unitName)) || !variableJson.every(printable)) return undefined;
  const p = lanePieces(assetIdJson, variableJson, types, plan);
  // room for every row at its longest (numbers of 32 characters): a grown buffer would copy the rows written so far
  const out = new PageRows(Math.min(Math.max(want, 16), 20_000) * p.rowMax);
  const writer = new PageWriter(p, out, assetId, variables);
  const cursor = pos === undefined ? undefined : afterCursor(pos, false);
  // the cursor's timestamp text, as afterCursor compares rows with it (order.ts)
  const cursorAt = pos === undefined ? undefined : iso(pos.t!);
  const aspect = set.aspect!.name;
  while (lo < hi && out.ends.length < want) {
    const a = lo;
    const b = Math.min(hi, lo + span);
    const intervals = await port.readAggregates(tenant, assetId, aspect, { unit: plan.unit, value: plan.value, from: a + 1, to: b + 1 });
    for (const iv of intervals) {
      if (iv.start <= a || iv.start > b) continue;
      // compareRows orders by the timestamp text first: only the cursor's own interval needs a row by row test
      let keep: ((row: Row) => boolean) | undefined;
      if (cursor !== undefined) {
        if (iv.startTime < cursorAt!) continue;
        if (iv.startTime === cursorAt) keep = cursor;
      }
      if (!writer.interval(iv.startTime, iv.endTime, iv.start)) return undefined;
      for (let vi = 0; vi < variables.length; vi++) {
        const agg = iv.variables[variables[vi]!];
        if (!agg) continue;
        if (!writer.rows(vi, agg, keep)) return undefined;
      }
    }
    lo = b;
  }
  writer.done();
  const rows = out.ends.length;
  if (rows === 0) return {};
  const count = Math.min(rows, need);
  const buf = out.buf;
  buf[ROOM - 1] = 0x5b;
  const end = out.ends[count - 1]!;
  buf[end] = 0x5d;
  const written: WrittenRows = { buf, start: ROOM - 1, end: end + 1, count };
  if (!(rows > need && n0 + need < r.top)) return { written };
  const k = count - 1;
  const sub = out.subs[k]!;
  const timestamp = out.times[out.ivs[k]!]!;
  const next: Cursor = { n: n0 + count, t: Date.parse(timestamp), a: assetId, s: `${variables[sub >> 4]!}\u0000${types[sub & 15]!}` };
  return { written, next };
}

