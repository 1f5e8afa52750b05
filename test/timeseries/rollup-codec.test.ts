/**
 * The stored form of roll-up rows (src/timeseries/store/rollup-codec.ts): numeric aggregates round-trip exactly
 * through the binary row (version 2, or version 1 for times it cannot hold), others through JSON text, and JSON
 * and version 1 rows of earlier versions read as they were.
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

/** The version 1 binary row as earlier versions wrote it (a u32 length of the names, then 15 float64 a variable). */
function encodeV1(aggs: AggMap): Buffer {
  const names = Object.keys(aggs);
  const head = Buffer.from(JSON.stringify(names));
  const buf = Buffer.alloc(4 + head.length + names.length * 15 * 8);
  buf.writeUInt32LE(head.length, 0);
  head.copy(buf, 4);
  let p = 4 + head.length;
  for (const n of names) for (let i = 0; i < 15; i++, p += 8) buf.writeDoubleLE(aggs[n]![i] as number, p);
  return buf;
}

it('version 1 binary rows read as they were; version 2 rows are about a third smaller; extreme times stay version 1', () => {
  fc.assert(fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'v0'), numbers, { minKeys: 1 }), fc.integer({ min: -8.64e15, max: 8.64e15 }), (vars, shift) => {
    const aggs: AggMap = {};
    for (const [name, values] of Object.entries(vars)) {
      const [first, ...rest] = values as [number, number][];
      const a = newAgg(first![0], first![1] + shift, undefined);
      for (const [v, t] of rest) addValue(a, v, t + shift, 0x80000000);
      aggs[name] = a;
    }
    assert.deepEqual(decodeAggs(encodeV1(aggs)), aggs);
    const row = encodeAggs(aggs) as Buffer;
    assert.deepEqual(decodeAggs(row), aggs);
    if (row.readUInt32LE(0) === 0xffffffff) assert.ok(row.length < encodeV1(aggs).length);
  }));
  const ten: AggMap = {};
  for (let v = 0; v < 10; v++) {
    const a = newAgg(v + 0.5, Date.parse('2024-06-01T00:00:00.000Z'), undefined);
    for (let i = 1; i < 120; i++) addValue(a, Math.sin(i + v), Date.parse('2024-06-01T00:00:00.000Z') + i * 1000, undefined);
    ten[`v${v}`] = a;
  }
  const row = encodeAggs(ten) as Buffer;
  assert.equal(row.readUInt32LE(0), 0xffffffff);
  assert.ok(row.length <= 0.7 * encodeV1(ten).length, `${row.length} bytes against ${encodeV1(ten).length}`);
  const far: AggMap = { v: newAgg(1, 8.64e15, undefined) };
  assert.notEqual((encodeAggs(far) as Buffer).readUInt32LE(0), 0xffffffff);
  assert.deepEqual(decodeAggs(encodeAggs(far)), far);
});
