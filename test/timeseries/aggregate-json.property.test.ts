/**
 * The aggregate answer's byte writer (src/timeseries/aggregate-json.ts) against JSON.stringify of the objects
 * renderAgg() builds, with fast-check: random partial aggregates (integers, fractions, -0, non-finite numbers,
 * huge and negative times, string, boolean and missing first/last values), numeric and other variables, and
 * selections of fields, inside v4's `{"aggregates":…}` and v3's bare array.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type AnswerVariable, type IntervalAggs, writeIntervals } from '../../src/timeseries/aggregate-json.js';
import { AGGREGATE_FIELDS, type AggMap, renderAgg, type VarAgg } from '../../src/timeseries/rollup.js';
import { iso } from '../../src/core/instant.js';

const numberArb = fc.oneof(
  fc.integer({ min: -3e9, max: 3e9 }), fc.double(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 1e21, 2 ** 53),
  fc.integer({ min: -1e9, max: 1e9 }).map((m) => m / 1000),
  fc.tuple(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.integer({ min: 0, max: 8 })).map(([m, k]) => m / 10 ** k),
  fc.tuple(fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }), fc.integer({ min: 1, max: 6 })).map(([m, k]) => m / 10 ** k),
);
const timeArb = fc.oneof(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }));
const valueArb = fc.oneof(numberArb, fc.string(), fc.string({ unit: 'grapheme' }), fc.boolean(), fc.constant(undefined));
const aggArb = fc.tuple(fc.nat(1e6), fc.nat(1e6), fc.nat(1e6), fc.nat(1e6), numberArb, numberArb, numberArb, numberArb,
  timeArb, numberArb, timeArb, valueArb, timeArb, valueArb, timeArb).map((a) => a as unknown as VarAgg);
const NAMES = ['a', 'b', 'temperature', 'x_1', 'Z'];
const variableArb = fc.record({
  numeric: fc.boolean(),
  fields: fc.option(fc.subarray([...AGGREGATE_FIELDS], { minLength: 1 }), { nil: undefined }),
});

/** The objects of aggregates.ts's render(), as the reference. */
function expected(intervals: IntervalAggs[], variables: AnswerVariable[]): unknown[] {
  return intervals.map(({ lo, hi, acc }) => {
    const out: Record<string, unknown> = { starttime: iso(lo), endtime: iso(hi) };
    for (const v of variables) {
      const a = acc[v.name];
      if (!a) continue;
      const rendered = renderAgg(a, v.numeric) as unknown as Record<string, unknown>;
      if (v.fields) for (const f of Object.keys(rendered)) if (!v.fields.has(f)) delete rendered[f];
      out[v.name] = rendered;
    }
    return out;
  });
}

describe('aggregate answer bytes', () => {
  it('equal JSON.stringify of the rendered objects (fast-check)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ lo: timeArb, hi: timeArb, aggs: fc.array(fc.option(aggArb, { nil: undefined }), { minLength: NAMES.length, maxLength: NAMES.length }) }), { maxLength: 6 }),
      fc.array(variableArb, { minLength: NAMES.length, maxLength: NAMES.length }),
      fc.boolean(),
      (raw, vars, v4) => {
        const intervals: IntervalAggs[] = raw.map(({ lo, hi, aggs }) => {
          const acc: AggMap = {};
          aggs.forEach((a, i) => { if (a) acc[NAMES[i]!] = a; });
          return { lo, hi, acc };
        });
        const variables: AnswerVariable[] = vars.map((v, i) => ({ name: NAMES[i]!, numeric: v.numeric, fields: v.fields ? new Set(v.fields) : undefined }));
        const objects = expected(intervals, variables);
        const want = v4 ? JSON.stringify({ aggregates: objects }) : JSON.stringify(objects);
        const got = writeIntervals(intervals, variables, v4 ? '{"aggregates":' : '', v4 ? '}' : '');
        assert.equal(got.toString('utf8'), want);
        assert.ok(got.equals(Buffer.from(want)));
      },
    ), { numRuns: 1000 });
  });

  it('writes an answer longer than its first buffer', () => {
    const a: VarAgg = [1, 2, 3, 4, 1.5, 0.375, 2.25, -7.125, 1_700_000_000_123, 9.5, 1_700_000_000_456, 'é"\n', 1_700_000_000_000, true, 1_700_000_000_999];
    const intervals: IntervalAggs[] = Array.from({ length: 2000 }, (_, i) => ({ lo: i * 86_400_000, hi: (i + 1) * 86_400_000, acc: { a, b: a } }));
    const variables: AnswerVariable[] = [{ name: 'a', numeric: true, fields: undefined }, { name: 'b', numeric: false, fields: undefined }];
    assert.equal(writeIntervals(intervals, variables).toString('utf8'), JSON.stringify(expected(intervals, variables)));
  });
});
