/**
 * The stored form of roll-up rows (src/timeseries/store/rollup-codec.ts): numeric aggregates round-trip exactly
 * through the binary row, others through JSON text, and JSON rows of earlier versions read as they were.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { type AggMap, addValue, newAgg } from '../../src/timeseries/rollup.js';
import { decodeAggs, encodeAggs } from '../../src/timeseries/store/rollup-codec.js';

const numbers = fc.array(fc.tuple(fc.double({ noNaN: true, min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 1e12 })), { minLength: 1, maxLength: 20 });

it('numeric aggregates round-trip exactly through the binary row', () => {
  fc.assert(fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'v0', 'temperature'), numbers, { minKeys: 1 }), (vars) => {
    const aggs: AggMap = {};
    for (const [name, values] of Object.entries(vars)) {
      const [first, ...rest] = values as [number, number][];
      const a = newAgg(first![0], first![1], undefined);
      for (const [v, t] of rest) addValue(a, v, t, 0x40000000);
      aggs[name] = a;
    }
    const row = encodeAggs(aggs);
    assert.ok(Buffer.isBuffer(row));
    assert.deepEqual(decodeAggs(row), aggs);
  }));
});

it('aggregates with string or boolean first/last values stay JSON text, and JSON rows read as they were', () => {
  const aggs: AggMap = { label: newAgg('on', 5, undefined), on: newAgg(true, 5, undefined), v: newAgg(1.5, 5, undefined) };
  const row = encodeAggs(aggs);
  assert.equal(typeof row, 'string');
  assert.deepEqual(decodeAggs(row), aggs);
  const legacy = JSON.stringify({ v: newAgg(2, 7, 0) });
  assert.deepEqual(decodeAggs(legacy), { v: newAgg(2, 7, 0) });
});
