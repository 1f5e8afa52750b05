/**
 * The rows of an aggregate entity set for one asset ("Insights Hub IIoT for Makers" §8: one row per interval,
 * variable and aggregation type; the row shape is docs/odata.md "Aggregates"): intervals read through the port in
 * pieces no longer than one IoT Time Series Aggregates v4 call may cover, nor much longer than the rows still
 * needed take. Without a timestamp condition the range is the extent of the asset's records.
 *
 * A page sent with every property and no $expand (`text`) gets text rows: the merge and the cursor read only the
 * order key (assetId, timestamp, variableName, aggregationType), so a row carries that and its JSON text, written
 * from per-interval and per-variable pieces in declaration order — the same text JSON.stringify writes of the full
 * row (aggregateRowText, property test test/odata/aggregate-rows.property.test.ts) at a fraction of the cost. When
 * those pieces are printable ASCII the rows are byte rows instead (aggregate-text.ts AggregateBytes: the pieces
 * encoded once per call, each row's bytes written into one buffer as it is read, or copied from the row blocks of
 * an earlier read of the same inputs, aggregate-blocks.ts; the page is written around them).
 * `textRows: false` for a call (the `bytes` argument) keeps the text rows, which the property test uses as the oracle.
 */
import { AGGREGATION_TYPES, type AggregationType, type EdmSet } from '../model/edm.js';
import type { ODataPort, SeriesRecord } from '../ports.js';
import { AggregateBytes, aggregateHead, aggregateMiddle, AGGREGATE_ROW, aggregateRowText, printable, valueTime } from './aggregate-text.js';
import { afterCursor, type Cursor, direction, type Row } from './order.js';
import { type AggregatePlan, intervalLength, T_MAX, T_MIN } from './plan.js';
import { ASCII, TEXT } from './raw-rows.js';

export { AGGREGATE_ROW, aggregateHead, aggregateMiddle, aggregateRowText } from './aggregate-text.js';

/** What a lane call reads: the range (lo, hi], the span of one port read, the variables (sorted) and types asked for. */
export interface LaneRange { lo: number; hi: number; span: number; variables: string[]; types: AggregationType[] }

/** The range, pieces and names of one asset's lane call; undefined when the asset has no records (an unbounded plan). */
export async function laneRange(port: ODataPort, tenant: string, set: EdmSet, plan: AggregatePlan, assetId: string,
  need: number, pos: Cursor | undefined, desc: boolean): Promise<LaneRange | undefined> {
  const aspect = set.aspect!.name;
  let lo = plan.after;
  let hi = plan.upTo;
  if (!plan.bounded) {
    const first = await port.readSeries(tenant, assetId, aspect, { after: T_MIN, upTo: T_MAX, limit: 1, desc: false });
    const last = await port.readSeries(tenant, assetId, aspect, { after: T_MIN, upTo: T_MAX, limit: 1, desc: true });
    if (!first[0] || !last[0]) return undefined;
    lo = Math.max(lo, Date.parse((JSON.parse(first[0]) as SeriesRecord)._time) - 2 * intervalLength(plan.unit, plan.value) - 1);
    hi = Math.min(hi, Date.parse((JSON.parse(last[0]) as SeriesRecord)._time));
  }
  if (pos?.t !== undefined) {
    if (!desc) lo = Math.max(lo, pos.t - 1);
    else hi = Math.min(hi, pos.t);
  }
  const variables = set.aspect!.variables.map((v) => v.name).sort()
    .filter((v) => plan.variableName === undefined || v === plan.variableName);
  const types = AGGREGATION_TYPES.filter((t) => plan.aggregationType === undefined || t === plan.aggregationType);
  const length = intervalLength(plan.unit, plan.value);
  const span = Math.min(port.aggregateMaxRange(plan.unit),
    Math.max(length, Math.ceil(need / Math.max(1, variables.length * types.length)) * length));
  return { lo, hi, span, variables, types };
}

/** Whether a set's rows are text rows: every property of AGGREGATE_ROW, in its order (a page with all properties). */
export const textRowSet = (set: EdmSet) => set.properties.length === AGGREGATE_ROW.length && set.properties.every((p, i) => p.name === AGGREGATE_ROW[i]);

/** At least `need` rows of one asset after `pos` (fewer only at the end of the range), sorted. */
export async function assetAggregates(port: ODataPort, tenant: string, set: EdmSet, plan: AggregatePlan, assetId: string,
  need: number, pos: Cursor | undefined, desc: boolean, text = false, bytes = true): Promise<Row[]> {
  const aspect = set.aspect!.name;
  const range = await laneRange(port, tenant, set, plan, assetId, need, pos, desc);
  if (range === undefined) return [];
  let { lo, hi } = range;
  const { span, variables, types } = range;
  const cursor = pos?.t === undefined ? undefined : afterCursor(pos, desc);
  const keep = cursor ?? (() => true);
  const textRows = text && textRowSet(set);
  const assetIdJson = JSON.stringify(assetId);
  const variableJson = new Map(variables.map((v) => [v, JSON.stringify(v)]));
  // pieces shared by every row of this call; timestamps are checked per interval, value timestamps per row
  const asciiBase = printable(assetIdJson) && printable(JSON.stringify(plan.unitName)) && [...variableJson.values()].every(printable);
  const writer = textRows && bytes && asciiBase
    ? new AggregateBytes(assetId, assetIdJson, variables, variables.map((v) => variableJson.get(v)!), types, plan, need + 1) : undefined;
  const out: Row[] = [];
  // pieces (a, b] of the range, ascending or descending
  while (lo < hi && out.length < need) {
    const a = desc ? Math.max(lo, hi - span) : lo;
    const b = desc ? hi : Math.min(hi, lo + span);
    const intervals = await port.readAggregates(tenant, assetId, aspect, { unit: plan.unit, value: plan.value, from: a + 1, to: b + 1 });
    for (const iv of intervals) {
      if (iv.start <= a || iv.start > b) continue;
      const timestamp = iv.startTime;
      const endTimestamp = iv.endTime;
      // text pieces only when a text row needs them (not for byte rows)
      let middle: string | undefined;
      let head: string | undefined;
      let asciiInterval: boolean | undefined;
      const byteRows = writer?.interval(timestamp, endTimestamp, iv.start) === true;
      for (let vi = 0; vi < variables.length; vi++) {
        const v = variables[vi]!;
        const agg = iv.variables[v];
        if (!agg) continue;
        head = undefined;
        const textRow = (type: AggregationType, value: number | null): Row | undefined => {
          const row: Row & { [TEXT]?: string; [ASCII]?: boolean } = { assetId, timestamp, variableName: v, aggregationType: type };
          if (!keep(row)) return undefined;
          const vt = valueTime(agg, type);
          head ??= aggregateHead(assetIdJson, timestamp, variableJson.get(v)!);
          middle ??= aggregateMiddle(plan, endTimestamp);
          row[TEXT] = aggregateRowText(head, type, middle, value, vt);
          asciiInterval ??= textRows && asciiBase && printable(timestamp) && printable(endTimestamp);
          if (asciiInterval && (vt === null || printable(vt))) row[ASCII] = true;
          return row;
        };
        if (byteRows) {
          writer!.rows(vi, agg, cursor, out, textRow);
          continue;
        }
        for (const type of types) {
          const value = agg[type];
          if (typeof value !== 'number' && !(type === 'sd' && value === null)) continue;
          if (textRows) {
            const row = textRow(type, value);
            if (row) out.push(row);
            continue;
          }
          const row: Row = {
            assetId, timestamp, variableName: v, aggregationType: type, intervalUnit: plan.unitName,
            intervalValue: plan.value, intervalCount: plan.count, endTimestamp, value, valueTimestamp: valueTime(agg, type),
          };
          if (keep(row)) out.push(row);
        }
      }
    }
    if (desc) hi = a;
    else lo = b;
  }
  writer?.done(out);
  return desc ? out.sort(direction(true)) : out;
}
