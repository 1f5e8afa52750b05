/**
 * The JSON text of an aggregate row (docs/odata.md "Aggregates"; members in declaration order, AGGREGATE_ROW),
 * exactly what JSON.stringify writes of the full row, made of pieces: per interval and variable a `head`, per
 * interval and aggregation type a `typed` piece, then the value's number text and the value timestamp.
 *
 * Two writers share the pieces: text rows (a string per row, any characters) and byte rows (row-writer.ts): when
 * every piece of a lane call is printable ASCII, the pieces are encoded once per interval into Buffers and each
 * row is written as two piece copies, its number and its value timestamp into one preallocated buffer, instead of
 * a string per row that the page then copies again. Property test test/odata/aggregate-bytes.property.test.ts:
 * pages of byte rows equal the pages of text rows and of plain objects, byte for byte.
 */
import { type AggregationType } from '../model/edm.js';
import type { Row } from './order.js';
import type { AggregatePlan } from './plan.js';
import { ASCII, TEXT } from './raw-rows.js';
import { AT, BUF, END, RowSink } from './row-writer.js';

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
const VT_NULL = latin1(`${VT}null}`);
const VT_OPEN = latin1(`${VT}"`);
/** More than the longest text String(number) writes of a finite double (`-0.0000012345678901234567`: 25). */
const MAX_NUMBER = 32;

/** A byte row: the order key the merge and the cursor read, and its text in a buffer (TEXT for any other writer). */
class AggregateByteRow {
  [BUF]: Buffer;
  [AT] = 0;
  [END] = 0;
  constructor(readonly assetId: string, readonly timestamp: string, readonly variableName: string, readonly aggregationType: string,
    buf: Buffer) { this[BUF] = buf; }

  get [TEXT](): string { return this[BUF].toString('latin1', this[AT], this[END]); }
  get [ASCII](): boolean { return true; }
}

/**
 * Byte rows of one lane call (one asset, one interval unit and value): `interval()` once per interval, then
 * `row()` per variable and type. Only for pieces that are printable ASCII (`usable`); a row whose value
 * timestamp is not (or needs escaping) is not written (row() undefined: the caller makes a text row of it).
 */
export class AggregateBytes {
  private readonly sink: RowSink;
  private heads: Buffer[] = [];
  private typed: Buffer[] = [];
  private rowMax = 0;

  /** `variables` and `types` in the order the caller's indexes refer to. */
  constructor(private readonly assetId: string, private readonly assetIdJson: string, private readonly variableJson: readonly string[],
    private readonly types: readonly AggregationType[], private readonly plan: Pick<AggregatePlan, 'unitName' | 'value' | 'count'>,
    rows: number) {
    // a row is about 290 bytes; the sink grows by new buffers when the estimate is short
    this.sink = new RowSink(Math.min(Math.max(rows, 16), 20_000) * 300);
  }

  /** The pieces of one interval; false when its timestamps are not printable ASCII (no byte rows for it then). */
  interval(timestamp: string, endTimestamp: string): boolean {
    const ts = JSON.stringify(timestamp);
    const middle = aggregateMiddle(this.plan, endTimestamp);
    if (!printable(ts) || !printable(middle)) return false;
    this.heads = this.variableJson.map((v) => latin1(aggregateHead(this.assetIdJson, timestamp, v)));
    this.typed = this.types.map((t) => latin1(typed(t, middle)));
    let max = 0;
    for (const h of this.heads) max = Math.max(max, h.length);
    for (const t of this.typed) max = Math.max(max, t.length);
    this.rowMax = 2 * max + MAX_NUMBER;
    return true;
  }

  /**
   * The row of variable `vi` and type `ti` of the current interval, written; undefined when `valueTimestamp`
   * cannot be written as it is (not printable ASCII, or `"` or `\`, which JSON escapes).
   */
  row(timestamp: string, vi: number, variable: string, ti: number, value: number | null, valueTimestamp: string | null,
    keep: (row: Row) => boolean): Row | false | undefined {
    const s = this.sink;
    s.begin(this.rowMax + VT_OPEN.length + 2 + (valueTimestamp?.length ?? 0));
    const row = new AggregateByteRow(this.assetId, timestamp, variable, this.types[ti]!, s.buf);
    if (!keep(row as unknown as Row)) return false;
    row[AT] = s.o;
    s.bytes(this.heads[vi]!);
    s.bytes(this.typed[ti]!);
    if (value === null || !Number.isFinite(value)) s.ascii('null');
    else if ((value | 0) === value && value >= 0) s.uint(value);
    else s.ascii(String(value));
    if (valueTimestamp === null) s.bytes(VT_NULL);
    else {
      s.bytes(VT_OPEN);
      const buf = s.buf;
      let o = s.o;
      for (let i = 0; i < valueTimestamp.length; i++) {
        const c = valueTimestamp.charCodeAt(i);
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
          s.drop();
          return undefined;
        }
        buf[o++] = c;
      }
      buf[o++] = 0x22;
      buf[o++] = 0x7d;
      s.o = o;
    }
    row[END] = s.end();
    return row as unknown as Row;
  }
}
