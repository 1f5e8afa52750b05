/**
 * A top-level aggregate page of one asset, ascending, written as the bytes of its `value` array with no object per
 * row (issue 14: an OData aggregate page at most 1.5× the REST read of the same intervals; its 2000 row objects and
 * the page's pass over them were a fifth of its cost). Rows are written from the lane's pieces (aggregate-text.ts
 * LanePieces) into one buffer, each interval's rows of a variable taken as they are from its row block when the
 * inputs equal those it was written from (aggregate-blocks.ts, shared with the row path); the page is sent as
 * views of those runs (aggregate-parts.ts PageRows, WrittenRows.parts), not copied into a page buffer. Per row only
 * its end offset and its variable and type indexes are kept, for the page's cut and the cursor.
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
import { type LanePieces, lanePieces, printable } from './aggregate-text.js';
import { PageRows } from './aggregate-parts.js';
import { afterCursor, type Cursor, type Row } from './order.js';
import type { AggregatePlan } from './plan.js';
import type { WrittenRows } from './series-page.js';

const EMPTY = Buffer.alloc(0);

/** The rows of one read written into a PageRows; false from rows() when one cannot be written here. */
class PageWriter {
  private readonly blocks: LaneBlocks;
  private current: (RowBlock | undefined)[] | undefined;
  private timestamp = '';
  private endTimestamp = '';
  private iv = -1;
  private startMs = 0;
  /** Whether the lane's pieces hold the current interval's start and end (written when a row is, not for blocks). */
  private holes = false;
  private readonly toFill: { block: RowBlock; first: number; n: number }[] = [];
  private noted = 0;

  constructor(private readonly p: LanePieces, private readonly out: PageRows, private readonly assetId: string,
    private readonly variables: readonly string[]) {
    this.blocks = laneBlocks(p.key);
  }

  /**
   * Starts an interval. Its times go into the lane's pieces only when one of its rows is written (rows()): a block
   * is used only with the times it was written with, which fitted the holes then.
   */
  interval(timestamp: string, endTimestamp: string, start: number): void {
    this.timestamp = timestamp;
    this.endTimestamp = endTimestamp;
    this.holes = false;
    this.current = this.blocks.byStart.get(start);
    this.out.times.push(timestamp);
    this.iv = this.out.times.length - 1;
    this.startMs = start;
  }

  /**
   * The rows of variable `vi` of the current interval (a number value, or null for sd), in type order; with `keep`
   * only those it keeps (the cursor's interval). False when the interval's times or a value timestamp do not fit
   * the holes (not written then: the row path writes text rows there).
   */
  rows(vi: number, agg: Record<string, unknown>, keep: ((row: Row) => boolean) | undefined): boolean {
    const { p, out } = this;
    const types = p.types;
    const block = keep === undefined ? this.current?.[vi] : undefined;
    const same = block !== undefined && block.timestamp === this.timestamp && block.endTimestamp === this.endTimestamp
      && sameInputs(block.from, agg, types, p.timeField);
    if (same && block.bytes !== undefined) {
      // the block's bytes go out as they are (no copy into the page)
      out.block(block.bytes, block.offs, block.types, vi * 16, this.iv);
      return true;
    }
    // the pieces are written in this turn of the event loop, right before the rows that use them (LanePieces)
    if (!this.holes) {
      if (!p.interval(this.timestamp, this.endTimestamp)) return false;
      this.holes = true;
    }
    const first = out.rows;
    const head = p.heads[vi]!;
    // room for all of this variable's rows: they follow one another in one buffer (a block's bytes are one run)
    out.room(p.rowMax * types.length);
    for (let ti = 0; ti < types.length; ti++) {
      const type = types[ti]!;
      const value = agg[type];
      if (typeof value !== 'number' && !(value === null && type === 'sd')) continue;
      if (keep !== undefined && !keep({ assetId: this.assetId, timestamp: this.timestamp, variableName: this.variables[vi], aggregationType: type })) continue;
      const tail = p.tail(agg, ti);
      if (tail === undefined) return false;
      const buf = out.buf!;
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
      buf[o] = 0x2c;
      out.endRow(o, vi * 16 + ti, this.iv);
    }
    const n = out.rows - first;
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
    // the blocks filled by one read share one buffer in page order: a later page of them is one run
    const bytes = total > 0 ? Buffer.allocUnsafe(total) : undefined;
    let o = 0;
    for (const f of toFill) {
      const a = out.startOf(f.first);
      const length = out.copyRows(f.first, f.n, bytes!, o);
      const offs = [0];
      const types: number[] = [];
      for (let k = f.first; k < f.first + f.n; k++) {
        offs.push(out.ends[k]! + 1 - a);
        types.push(out.subs[k]! & 15);
      }
      f.block.offs = offs;
      f.block.types = types;
      f.block.bytes = bytes!.subarray(o, o + length);
      o += length;
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
  // room for every row at its longest (numbers of 32 characters), allocated when a row is written (not for blocks)
  const out = new PageRows(Math.min(Math.max(want, 16), 20_000) * p.rowMax);
  const writer = new PageWriter(p, out, assetId, variables);
  const cursor = pos === undefined ? undefined : afterCursor(pos, false);
  // the cursor's timestamp text, as afterCursor compares rows with it (order.ts)
  const cursorAt = pos === undefined ? undefined : iso(pos.t!);
  const aspect = set.aspect!.name;
  while (lo < hi && out.rows < want) {
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
      writer.interval(iv.startTime, iv.endTime, iv.start);
      for (let vi = 0; vi < variables.length; vi++) {
        const agg = iv.variables[variables[vi]!];
        if (!agg) continue;
        if (!writer.rows(vi, agg, keep)) return undefined;
      }
    }
    lo = b;
  }
  writer.done();
  const rows = out.rows;
  if (rows === 0) return {};
  const count = Math.min(rows, need);
  const written: WrittenRows = { buf: EMPTY, start: 0, end: 0, count, parts: out.parts(count) };
  if (!(rows > need && n0 + need < r.top)) return { written };
  const k = count - 1;
  const sub = out.subs[k]!;
  const timestamp = out.times[out.ivs[k]!]!;
  const next: Cursor = { n: n0 + count, t: Date.parse(timestamp), a: assetId, s: `${variables[sub >> 4]!}\u0000${types[sub & 15]!}` };
  return { written, next };
}

