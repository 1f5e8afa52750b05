/**
 * Aggregate text rows (src/odata/serve/aggregate-rows.ts) against the generic JSON path: for any asset id,
 * variable name, timestamps, interval, value (finite, NaN, ±Infinity, -0, null) and value timestamp, the text
 * written from the per-interval and per-variable pieces is exactly the text JSON.stringify writes of the full row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AGGREGATE_ROW, aggregateHead, aggregateMiddle, aggregateRowText } from '../../src/odata/serve/aggregate-rows.js';
import { AGGREGATION_TYPES } from '../../src/odata/model/edm.js';

const textArb = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string(), fc.constantFrom('"', '\\', '$&', '\u2028', '\ud800', 'a"b'));
const timeArb = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => new Date(t).toISOString()), textArb);
const valueArb = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, NaN, Infinity, -Infinity, 1e21, 5e-324), fc.constant(null));

describe('aggregate text rows', () => {
  it('are exactly what JSON.stringify writes of the row', () => {
    fc.assert(fc.property(textArb, timeArb, textArb, fc.constantFrom(...AGGREGATION_TYPES), fc.constantFrom('minutes', 'hours', 'days', 'weeks', 'months'),
      fc.integer({ min: 1, max: 90 }), fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }), timeArb, valueArb, fc.option(timeArb, { nil: null }),
      (assetId, timestamp, variableName, aggregationType, intervalUnit, intervalValue, intervalCount, endTimestamp, value, valueTimestamp) => {
        const row = { assetId, timestamp, variableName, aggregationType, intervalUnit, intervalValue, intervalCount, endTimestamp, value, valueTimestamp };
        assert.deepEqual(Object.keys(row), [...AGGREGATE_ROW]);
        const head = aggregateHead(JSON.stringify(assetId), timestamp, JSON.stringify(variableName));
        const middle = aggregateMiddle({ unitName: intervalUnit, value: intervalValue, count: intervalCount }, endTimestamp);
        assert.equal(aggregateRowText(head, aggregationType, middle, value, valueTimestamp), JSON.stringify(row));
      }), { numRuns: 3000 });
  });
});
