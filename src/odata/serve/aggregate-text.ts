/**
 * The JSON text of an aggregate row (docs/odata.md "Aggregates"; members in declaration order, AGGREGATE_ROW),
 * exactly what JSON.stringify writes of the full row, made of pieces: per interval and variable a `head`, per
 * interval and aggregation type a `typed` piece, then the value's number text and the value timestamp.
 *
 * Two writers share the pieces: text rows (a string per row, any characters) and byte rows (row-writer.ts): when
 * every piece of a lane call is printable ASCII, the pieces are encoded once per interval into Buffers and each
 * row is written as two piece copies, its number and its value timestamp into one preallocated buffer, instead of
 * a string per row that the page then copies again; a read of intervals whose inputs were seen before copies each
 * interval's rows of a variable as one block (aggregate-blocks.ts). Property test test/odata/aggregate-bytes.property.test.ts:
 * pages of byte rows equal the pages of text rows and of plain objects, byte for byte.
 */
import { iso } from '../../core/instant.js';
import { type AggregationType } from '../model/edm.js';
import type { Row } from './order.js';
import type { AggregatePlan } from './plan.js';
import { ASCII, TEXT } from './raw-rows.js';
import { holdBlocks, inputsOf, laneBlocks, type LaneBlocks, type RowBlock, sameInputs } from './aggregate-blocks.js';
import { AT, BUF, END, type Latin1, RowSink } from './row-writer.js';

/** The properties of an aggregate row in declaration order (model/edm.ts AGGREGATE_FIELDS), which text rows follow. */
export const AGGREGATE_ROW = ['assetId', 'timestamp', 'variableName', 'aggregationType', 'intervalUnit', 'intervalValue',
  'intervalCount', 'endTimestamp', 'value', 'valueTimestamp'] as const;

/** Printable ASCII only: a text row made of such pieces is marked ASCII (raw-rows.ts), sparing the page a scan. */
export const printable = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** JSON text of a number as JSON.stringify writes it (null when not finite), or null. */
const numberJson = (v: number | null) => (v !== null && Number.isFinite(v) ? String(v) : 'null');

/** `head` of aggregateRowText: `{"assetId":…,"timestamp":…,"variableName":…`. */
export const aggregateHead = (assetIdJson: string, timestamp: string, variableJson: string) =>
  `{"assetId":${assetIdJson},"timestamp":${JSON.stringify(timestamp)},"variableName":${variableJson}`;

/** `middle` of aggregateRowText: `,"intervalUnit":…,"endTimestamp":…`. */
export const aggregateMiddle = (plan: Pick<AggregatePlan, 'unitName' | 'value' | 'count'>, endTimestamp: string) =>
  `,"intervalUnit":${JSON.stringify(plan.unitName)},"intervalValue":${numberJson(plan.value)},"intervalCount":${numberJson(plan.count)},"endTimestamp":${JSON.stringify(endTimestamp)}`;

/** The piece from the aggregation type to the value: `,"aggregationType":"…"` `middle` `,"value":`. */
const typed = (type: AggregationType, middle: string) => `,"aggregationType":"${type}"${middle},"value":`;

const VT = ',"valueTimestamp":';

/**
 * The JSON text of the aggregate row these pieces make, member for member what JSON.stringify writes of it
 * (`head` and `middle` are shared by the rows of an interval and variable).
 */
export function aggregateRowText(head: string, type: AggregationType, middle: string, value: number | null, valueTimestamp: string | null): string {
  return `${head}${typed(type, middle)}${numberJson(value)}${VT}${valueTimestamp === null ? 'null' : JSON.stringify(valueTimestamp)}}`;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
/** The end of a row without a value timestamp. */
const VT_NULL = latin1(`${VT}null}`);
const VT_OPEN = latin1(`${VT}"`);
/** More than the longest text String(number) writes of a finite double (`-0.0000012345678901234567`: 25). */
export const MAX_NUMBER = 32;

/** A byte row: the order key the merge and the cursor read, and its text in a buffer (TEXT for any other writer). */
class AggregateByteRow {
  declare readonly assetId: string;
  declare readonly timestamp: string;
  declare readonly variableName: string;
  declare readonly aggregationType: string;
  declare [BUF]: Buffer;
  declare [AT]: number;
  declare [END]: number;
  // assignments, not class fields: fields are defined (DefineOwnProperty), which costs more per row
  constructor(assetId: string, timestamp: string, variableName: string, aggregationType: string, buf: Buffer) {
    this.assetId = assetId;
    this.timestamp = timestamp;
    this.variableName = variableName;
    this.aggregationType = aggregationType;
    this[BUF] = buf;
    this[AT] = 0;
    this[END] = 0;
  }

  get [TEXT](): string { return this[BUF].toString('latin1', this[AT], this[END]); }
  get [ASCII](): boolean { return true; }
}

/** Where two texts first differ (the start of the part one placeholder fills in a template). */
function hole(x: string, y: string): number {
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  return i;
}

const PLACE_A = '0000-00-00T00:00:00.000Z';
const PLACE_B = '1111-11-11T11:11:11.111Z';
/** A timestamp that JSON.stringify writes as `"` + itself + `"` in the length of the template's holes. */
const plainTime = (t: string) => t.length === PLACE_A.length && /^[ !#-[\]-~]*$/.test(t);

/** Value fields of an aggregation type (AGGREGATION_TYPES order) and the field of its value timestamp. */
const TIME_OF: Partial<Record<AggregationType, string>> = { minvalue: 'mintime', maxvalue: 'maxtime', firstvalue: 'firsttime', lastvalue: 'lasttime' };

/** The value timestamp of a type's value: the rendered field as it is when canonical, else re-printed. */
export function valueTime(agg: Record<string, unknown>, type: AggregationType): string | null {
  const f = TIME_OF[type];
  const v = f ? agg[f] : undefined;
  return timeText(v);
}

const timeText = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  return v.length === 24 && v.endsWith('Z') ? v : iso(Date.parse(v));
};

/** Value timestamp pieces remembered per lane call: the first and last times are shared by the variables of an interval. */
const VT_CACHE = 8;

/**
 * The byte pieces of one lane (one asset, its variables and types, one interval unit and value; all printable
 * ASCII), encoded once with placeholder timestamps and kept per lane key (LANE_PIECES of them), so a read of the
 * same lane builds none. `interval()` writes an interval's start and end into the holes; a reader uses the pieces
 * right after, in the same turn of the event loop (no await between), so readers of one lane may share them.
 */
export class LanePieces {
  /** Per variable `{"assetId":…,"timestamp":"…","variableName":…`; the timestamp at `tAt`. */
  readonly heads: Buffer[];
  private readonly tAt: number;
  /** Per type `,"aggregationType":"…",…,"endTimestamp":"…","value":`; the end timestamp at `eAt[t]`. */
  readonly typed: Buffer[];
  private readonly eAt: number[];
  /** Per type the field of its value timestamp (undefined: none). */
  readonly timeField: (string | undefined)[];
  /** Most bytes of one row and its `,`. */
  readonly rowMax: number;
  /** The interval's start and end as bytes, copied into the holes. */
  private readonly start = Buffer.alloc(24) as Latin1;
  private readonly end = Buffer.alloc(24) as Latin1;
  /** `,"valueTimestamp":"…"}` of the value timestamps seen last, by the text the interval held (valueTime of it). */
  private readonly vtKey: unknown[] = new Array<unknown>(VT_CACHE).fill(undefined);
  private readonly vtPiece: Latin1[] = Array.from({ length: VT_CACHE }, () => latin1(`${VT}"${PLACE_A}"}`) as Latin1);
  private vtNext = 0;

  constructor(readonly key: string, assetIdJson: string, variableJson: readonly string[], readonly types: readonly AggregationType[],
    plan: Pick<AggregatePlan, 'unitName' | 'value' | 'count'>) {
    const head = (t: string, v: string) => aggregateHead(assetIdJson, t, v);
    this.heads = variableJson.map((v) => latin1(head(PLACE_A, v)));
    this.tAt = hole(head(PLACE_A, variableJson[0] ?? '""'), head(PLACE_B, variableJson[0] ?? '""'));
    const piece = (t: AggregationType, end: string) => typed(t, aggregateMiddle(plan, end));
    this.typed = types.map((t) => latin1(piece(t, PLACE_A)));
    this.eAt = types.map((t) => hole(piece(t, PLACE_A), piece(t, PLACE_B)));
    this.timeField = types.map((t) => TIME_OF[t]);
    let max = 0;
    for (const h of this.heads) max = Math.max(max, h.length);
    for (const t of this.typed) max = Math.max(max, t.length);
    this.rowMax = 2 * max + MAX_NUMBER + VT_OPEN.length + 24 + 2;
  }

  /** Writes an interval's start and end into the holes; false when they do not fit (not plainTime). */
  interval(timestamp: string, endTimestamp: string): boolean {
    if (!plainTime(timestamp) || !plainTime(endTimestamp)) return false;
    // plainTime: 24 characters below U+007F, so 24 latin1 bytes
    this.start.latin1Write(timestamp, 0, 24);
    this.end.latin1Write(endTimestamp, 0, 24);
    for (const h of this.heads) h.set(this.start, this.tAt);
    for (let i = 0; i < this.typed.length; i++) this.typed[i]!.set(this.end, this.eAt[i]!);
    return true;
  }

  /**
   * `,"valueTimestamp":"…"}` of a value timestamp field's value `v` (a string: valueTime's text of it), or
   * undefined when that text cannot be written as it is (not 24 printable characters without `"` or `\`).
   */
  vt(v: string): Buffer | undefined {
    const keys = this.vtKey;
    for (let i = 0; i < VT_CACHE; i++) if (keys[i] === v) return this.vtPiece[i];
    const t = timeText(v)!;
    if (!plainTime(t)) return undefined;
    const i = this.vtNext;
    this.vtNext = (i + 1) % VT_CACHE;
    const piece = this.vtPiece[i]!;
    piece.latin1Write(t, VT_OPEN.length, 24);
    keys[i] = v;
    return piece;
  }
  /**
   * The end of type `ti`'s row of `agg` from its value timestamp field: VT_NULL when the type has none or the
   * field holds no string, else vt()'s piece (undefined when it cannot be written as it is).
   */
  tail(agg: Record<string, unknown>, ti: number): Buffer | undefined {
    const f = this.timeField[ti];
    if (f === undefined) return VT_NULL;
    const t = agg[f];
    return typeof t === 'string' ? this.vt(t) : VT_NULL;
  }

}

/** Lanes whose pieces are kept (a lane key names an asset and a query shape). */
const LANE_PIECES = 256;
const pieces = new Map<string, LanePieces>();

/** The pieces of a lane, kept per lane key (the asset id, variables and types as JSON text, unit, value, count). */
export function lanePieces(assetIdJson: string, variableJson: readonly string[], types: readonly AggregationType[],
  plan: Pick<AggregatePlan, 'unitName' | 'value' | 'count'>): LanePieces {
  // JSON texts (no raw U+0000 or U+0001 in them) and the unit's name: one key per set of pieces
  const key = `${assetIdJson}\u0000${variableJson.join('\u0000')}\u0001${types.join(',')}\u0001${plan.unitName}\u0001${plan.value}\u0001${plan.count}`;
  let p = pieces.get(key);
  if (p === undefined) {
    if (pieces.size >= LANE_PIECES) pieces.clear();
    pieces.set(key, p = new LanePieces(key, assetIdJson, variableJson, types, plan));
  }
  return p;
}

/**
 * Byte rows of one lane call (one asset, one interval unit and value; its pieces printable ASCII), from the lane's
 * pieces: `interval()` starts an interval, `rows()` then writes one variable's rows.
 */
export class AggregateBytes {
  private readonly sink: RowSink;
  private readonly p: LanePieces;
  private readonly types: readonly AggregationType[];
  private timestamp = '';
  /** Row blocks of this lane (aggregate-blocks.ts) and those of the current interval, by variable index. */
  private readonly blocks: LaneBlocks;
  private current: (RowBlock | undefined)[] | undefined;
  private startMs = 0;
  private endTimestamp = '';
  /** Blocks seen again by this read, to get the bytes of their rows (`out[first…]`) at the end (done()). */
  private readonly toFill: { block: RowBlock; first: number; n: number }[] = [];
  /** Blocks this read noted for the first time. */
  private noted = 0;

  /** `variables`, their JSON and `types` in the order the caller's indexes refer to. */
  constructor(private readonly assetId: string, assetIdJson: string, private readonly variables: readonly string[],
    variableJson: readonly string[], types: readonly AggregationType[],
    plan: Pick<AggregatePlan, 'unitName' | 'value' | 'count'>, rows: number) {
    this.p = lanePieces(assetIdJson, variableJson, types, plan);
    this.types = this.p.types;
    this.blocks = laneBlocks(this.p.key);
    // a row is about 290 bytes; the sink grows by new buffers when the estimate is short
    this.sink = new RowSink(Math.min(Math.max(rows, 16), 20_000) * (this.p.rowMax - MAX_NUMBER));
  }

  /**
   * Starts an interval (`start`: its start in epoch ms); false when its timestamps do not fit the holes (no byte
   * rows for it then: text rows).
   */
  interval(timestamp: string, endTimestamp: string, start: number): boolean {
    if (!this.p.interval(timestamp, endTimestamp)) return false;
    this.timestamp = timestamp;
    this.endTimestamp = endTimestamp;
    this.startMs = start;
    this.current = this.blocks.byStart.get(start);
    return true;
  }

  /**
   * The rows of variable `vi` of the current interval for every type with a value (a number, or null for sd),
   * in type order, pushed to `out` when `keep` says so (undefined: every row). A value timestamp that cannot be
   * written as it is (not 24 printable characters without `"` or `\`, which JSON escapes) gets `textRow(type,
   * value)` instead.
   */
  rows(vi: number, agg: Record<string, unknown>, keep: ((row: Row) => boolean) | undefined, out: Row[],
    textRow: (type: AggregationType, value: number | null) => Row | undefined): void {
    const s = this.sink;
    const variable = this.variables[vi]!;
    // without a cursor every row is kept: the rows of the same inputs are copied as they were written last
    const block = keep === undefined ? this.current?.[vi] : undefined;
    const same = block !== undefined && block.timestamp === this.timestamp && block.endTimestamp === this.endTimestamp
      && sameInputs(block.from, agg, this.types, this.p.timeField);
    if (same && block.bytes !== undefined) {
      this.replay(block, variable, out);
      return;
    }
    const first = out.length;
    let whole = keep === undefined;
    const p = this.p;
    const head = p.heads[vi]!;
    for (let ti = 0; ti < this.types.length; ti++) {
      const type = this.types[ti]!;
      const value = agg[type];
      if (typeof value !== 'number' && !(value === null && type === 'sd')) continue;
      // the cursor first, as text rows do: a row not kept is not looked at further
      const row = new AggregateByteRow(this.assetId, this.timestamp, variable, type, s.buf);
      if (keep !== undefined && !keep(row as unknown as Row)) continue;
      const tail = p.tail(agg, ti);
      if (tail === undefined) {
        const text = textRow(type, value as number | null);
        if (text) out.push(text);
        whole = false;
        continue;
      }
      const at = s.begin(p.rowMax);
      const buf = s.buf;
      row[BUF] = buf;
      buf.set(head, at);
      const piece = p.typed[ti]!;
      buf.set(piece, at + head.length);
      s.o = at + head.length + piece.length;
      if (value === null || !Number.isFinite(value)) s.ascii('null');
      else s.number(value as number);
      buf.set(tail, s.o);
      s.o += tail.length;
      row[AT] = at;
      row[END] = s.end();
      out.push(row as unknown as Row);
    }
    if (!whole || out.length === first) return;
    if (same) this.toFill.push({ block, first, n: out.length - first });
    else {
      let list = this.current;
      if (list === undefined) this.blocks.byStart.set(this.startMs, list = this.current = []);
      list[vi] = { timestamp: this.timestamp, endTimestamp: this.endTimestamp, from: inputsOf(agg, this.types, p.timeField),
        bytes: undefined, offs: [], types: [] };
      this.noted++;
    }
  }

  /**
   * Ends the read whose rows are `out` (before anything else writes into the rows' buffers, e.g. a page around
   * them): the blocks seen again get the bytes of their rows, all in one new buffer, when those rows are one run.
   */
  done(out: Row[]): void {
    const fill = this.toFill;
    if (fill.length === 0) {
      if (this.noted > 0) holdBlocks(this.blocks, this.noted, 0);
      this.noted = 0;
      return;
    }
    const runs: [Buffer, number, number][] = [];
    let total = 0;
    for (const f of fill) {
      const r0 = out[f.first] as unknown as AggregateByteRow;
      const buf = r0[BUF];
      let end = r0[AT];
      f.block.offs = [0];
      f.block.types = [];
      for (let i = 0; i < f.n; i++) {
        const r = out[f.first + i] as unknown as AggregateByteRow;
        if (r[BUF] !== buf || r[AT] !== end) break;
        end = r[END] + 1;
        f.block.offs.push(end - r0[AT]);
        f.block.types.push(this.types.indexOf(r.aggregationType as AggregationType));
      }
      runs.push(f.block.types.length === f.n ? [buf, r0[AT], end] : [buf, 0, 0]);
      total += end - r0[AT];
    }
    const bytes = Buffer.allocUnsafe(total);
    let o = 0;
    for (let i = 0; i < fill.length; i++) {
      const [buf, a, b] = runs[i]!;
      if (b === 0) continue;
      buf.copy(bytes, o, a, b);
      // a view of its own per block, so a copy of it needs no new view
      fill[i]!.block.bytes = bytes.subarray(o, o + b - a);
      o += b - a;
    }
    holdBlocks(this.blocks, this.noted, total);
    this.noted = 0;
    fill.length = 0;
  }

  /** The rows of a block, copied into the sink as one run. */
  private replay(block: RowBlock, variable: string, out: Row[]): void {
    const s = this.sink;
    const length = block.offs[block.offs.length - 1]!;
    const at = s.begin(length);
    const buf = s.buf;
    s.o = at + length;
    const { offs, types } = block;
    buf.set(block.bytes!, at);
    for (let i = 0; i < types.length; i++) {
      const row = new AggregateByteRow(this.assetId, this.timestamp, variable, this.types[types[i]!]!, buf);
      row[AT] = at + offs[i]!;
      row[END] = at + offs[i + 1]! - 1;
      out.push(row as unknown as Row);
    }
  }
}
