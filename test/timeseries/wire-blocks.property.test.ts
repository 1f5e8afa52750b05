/**
 * Writes whose records reach the store as one column block (src/timeseries/store/worker-wire.ts decodeWrites,
 * chunks.ts putColumns, write-blocks.ts): the fast path must leave the database as the records' path does.
 * - blockPartials gives what the loop of addRecord over the block's records gives (every number, key order);
 * - a sequence of puts through the writer thread's wire (blocks where the records allow) and the same puts as plain
 *   records leave the same chunk rows (byte for byte), roll-up rows and series rows, whatever the writes are:
 *   appends of few or FULL records, late records in gaps of the tail, overlaps and overwrites, unsorted and
 *   duplicate times, strings, quality codes and missing values.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { it } from 'node:test';
import fc from 'fast-check';
import { bucketOf, zoneOf } from '../../src/timeseries/buckets.js';
import { recordJson } from '../../src/timeseries/records.js';
import { addRecord, type AggMap, variableKeys } from '../../src/timeseries/rollup.js';
import type { SeriesShape, SeriesWrite } from '../../src/timeseries/store.js';
import { type ColumnBlock, recordsOf } from '../../src/timeseries/store/chunk-codec-open.js';

import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { blockPartials, writeBlock } from '../../src/timeseries/store/write-blocks.js';
import { decodeWrites, encodeWrites, VarTable } from '../../src/timeseries/store/worker-wire.js';
import { tempDir } from '../helpers/server.js';

const T0 = Date.UTC(2026, 0, 1, 23, 50);
const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -5, max: 5 }));

it('blockPartials equals addRecord over the block\'s records', () => {
  const zones = ['UTC', 'Asia/Kathmandu', 'America/St_Johns'];
  const block = fc.tuple(fc.uniqueArray(fc.constantFrom('a', 'b', 'a_qc', 'b_qc', 'c', 'x'), { minLength: 1, maxLength: 5 }),
    fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 40 }))
    .chain(([keys, steps]) => fc.array(value, { minLength: keys.length * steps.length, maxLength: keys.length * steps.length })
      .map((vals): ColumnBlock => {
        const n = steps.length;
        const data = new Float64Array((keys.length + 1) * n);
        let t = T0;
        steps.forEach((dt, i) => { t += dt; data[i] = t; });
        vals.forEach((v, i) => { data[n + i] = keys[Math.floor(i / n)]!.endsWith('_qc') ? Math.round(v) : v; });
        return { n, keys, data };
      }));
  fc.assert(fc.property(block, fc.constantFrom(...zones), fc.constantFrom(['a', 'b'], ['b', 'c', 'a'], ['z']), (b, zoneId, names) => {
    const zone = zoneOf(zoneId);
    const keys = variableKeys(new Map(names.map((n) => [n, {}])));
    const expected = new Map<number, AggMap>();
    for (const r of recordsOf(b)) {
      const start = bucketOf(zone, 0, r.t);
      if (!expected.has(start)) expected.set(start, {});
      addRecord(expected.get(start)!, r.t, r.values as Record<string, unknown>, keys);
    }
    const got = blockPartials(zone, b, keys);
    assert.deepStrictEqual([...got.keys()], [...expected.keys()]);
    for (const [start, aggs] of expected) {
      assert.deepStrictEqual(Object.keys(got.get(start)!), Object.keys(aggs));
      assert.deepStrictEqual(got.get(start), aggs);
    }
  }), { numRuns: 500 });
});

const shape: SeriesShape = { zone: zoneOf('UTC'), variables: new Map([['a', {}], ['b', {}], ['s', {}]]) };
const series = [{ tenant: 't', assetId: 'x', aspect: 'p' }, { tenant: 't', assetId: 'y', aspect: 'p' }];

/** One put of one series: where its times start (after the last, before it, anywhere), how many, and their shape. */
interface Put { series: number; where: string; back: number; n: number; step: number; kind: string; vals: number[] }
const putArb: fc.Arbitrary<Put> = fc.record({
  series: fc.nat(1),
  where: fc.constantFrom('append', 'append', 'append', 'back', 'inside'),
  back: fc.integer({ min: 1, max: 3000 }),
  n: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 30 }) }, { weight: 1, arbitrary: fc.integer({ min: 1000, max: 1100 }) }),
  step: fc.constantFrom(1, 1000, 7000),
  kind: fc.constantFrom('num', 'num', 'num', 'qc', 'string', 'missing', 'unsorted'),
  vals: fc.array(value, { minLength: 3, maxLength: 3 }),
});

function recordsOfPut(p: Put, last: number): SeriesWrite['records'] {
  const start = p.where === 'append' ? last + p.step : p.where === 'back' ? last - p.back * p.step : T0 + p.back;
  const out: SeriesWrite['records'] = [];
  for (let i = 0; i < p.n; i++) {
    const t = p.kind === 'unsorted' ? start + ((i * 7) % Math.max(1, p.n - 1)) * p.step : start + i * p.step;
    const values: Record<string, unknown> = { _time: undefined, a: p.vals[0]! + i, b: p.vals[1]! * i };
    if (p.kind === 'qc') values['a_qc'] = [0, 2 ** 30, 2 ** 31][i % 3];
    if (p.kind === 'string') values['s'] = `v${i % 4}`;
    if (p.kind === 'missing' && i % 5 === 2) delete values['b'];
    out.push({ t, values, json: recordJson(t, values) });
  }
  return out;
}

function dump(store: SqliteTimeseriesStore): unknown {
  const tables = store.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' ORDER BY name").all();
  return tables.map(({ name }) => [name, store.db.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2, 3`).all()]);
}

it('puts through the wire\'s column blocks leave the database as the same puts of records do', async () => {
  let runs = 0;
  let blocks = 0;
  await fc.assert(fc.asyncProperty(fc.array(putArb, { minLength: 1, maxLength: 14 }), async (puts) => {
    const dirs = [tempDir(), tempDir()];
    const [viaWire, plain] = dirs.map((dataDir) => new SqliteTimeseriesStore({ dataDir, sync: 'normal', textCacheBytes: 0 }));
    try {
      const last = [T0, T0];
      const vars = new VarTable();
      for (const p of puts) {
        const records = recordsOfPut(p, last[p.series]!);
        for (const r of records) last[p.series] = Math.max(last[p.series]!, r.t);
        const write: SeriesWrite = { key: series[p.series]!, shape, records };
        const decoded = decodeWrites(encodeWrites([write], vars).data, () => shape);
        if (writeBlock(decoded[0]!)) blocks++;
        await viaWire!.put(decoded);
        await plain!.put([{ key: write.key, shape, records: decodeWrites(encodeWrites([write], new VarTable()).data, () => shape)[0]!.records }]);
      }
      assert.deepStrictEqual(dump(viaWire!), dump(plain!));
      runs++;
    } finally {
      viaWire!.close();
      plain!.close();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  }), { numRuns: 60 });
  // the property saw the fast path (a test that never took it could not fail)
  assert.ok(runs === 60 && blocks > 100, `${blocks} block writes in ${runs} runs`);
});
