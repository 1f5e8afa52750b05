/**
 * readJson of the SQLite time series store (store/chunk-json.ts): the GET reply's bytes equal readText's texts
 * as one JSON array for any range, limit and direction, with the rendered-chunk cache off, tiny (every read evicts)
 * and large, and never stale after overwrites, patches and deletes rewrite the chunks it rendered; truncate and
 * lastTime give what the service's paging needs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ModelVariable } from '../../src/core/model.js';
import { zoneOf } from '../../src/timeseries/buckets.js';
import { recordJson, validateRecords, variableMap } from '../../src/timeseries/records.js';
import type { SeriesShape } from '../../src/timeseries/store.js';
import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { tempDir } from '../helpers/server.js';

const variable = (name: string, dataType: ModelVariable['dataType']): ModelVariable =>
  ({ name, dataType, unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null });
const VARS = variableMap([variable('a', 'DOUBLE'), variable('1', 'INT'), variable('s', 'STRING')]);
const SHAPE: SeriesShape = { zone: zoneOf('UTC'), variables: VARS };
const T0 = Date.parse('2024-05-01T00:00:00.000Z');
type Rec = { a?: number; 1?: number; s?: string };
const recs = (list: readonly (Rec & { t: number })[]) =>
  validateRecords(list.map(({ t, ...v }) => ({ _time: new Date(t).toISOString(), ...v })), VARS);

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

for (const [label, textCacheBytes] of [['no cache', 0], ['a cache smaller than a chunk', 50_000], ['a cache', 64 << 20]] as const) {
  describe(`readJson with ${label}`, () => {
    it('equals readText joined, for any range, limit and direction, across overwrites, patches and deletes', async () => {
      const dir = tempDir();
      dirs.push(dir);
      const store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal', textCacheBytes });
      const key = { tenant: 't', assetId: 'x', aspect: 'env' };
      const model = new Map<number, Rec>();
      const rec = (i: number, gen: number): Rec => (i % 7 === 0 ? { s: `ü${gen}` } : { a: (i * gen) / 8, 1: i + gen });
      const write = async (from: number, n: number, step: number, gen: number) => {
        const list = Array.from({ length: n }, (_, j) => ({ t: T0 + (from + j * step) * 1000, ...rec(from + j * step, gen) }));
        await store.put([{ key, shape: SHAPE, records: recs(list) }]);
        for (const { t, ...v } of list) model.set(t, v);
      };
      const check = async (step: string) => {
        const times = [...model.keys()].sort((x, y) => x - y);
        await fc.assert(fc.asyncProperty(fc.integer({ min: -5, max: 9000 }), fc.integer({ min: 0, max: 9000 }),
          fc.integer({ min: 1, max: 5000 }), fc.boolean(), async (x, len, limit, desc) => {
            const from = T0 + x * 1000 + (x % 3) * 400;
            const to = from + len * 1000;
            const inRange = times.filter((t) => t > from && t <= to);
            const want = (desc ? inRange.reverse() : inRange).slice(0, limit);
            const page = await store.readJson(key, { from, to, limit, desc });
            assert.equal(page.count, want.length, step);
            assert.equal(page.bytes().toString(), `[${want.map((t) => recordJson(t, model.get(t) as Record<string, unknown>)).join(',')}]`, step);
            assert.equal(page.bytes().toString(), `[${(await store.readText(key, { from, to, limit, desc })).join(',')}]`, step);
            if (want.length > 1) {
              const keep = Math.ceil(want.length / 2);
              page.truncate(keep);
              assert.equal(page.count, keep);
              assert.equal(page.lastTime(), want[keep - 1]);
              assert.deepEqual(JSON.parse(page.bytes().toString()).map((r: { _time: string }) => Date.parse(r._time)), want.slice(0, keep));
            }
          }), { numRuns: 40 });
      };
      await write(0, 6000, 1, 1); // chunks of 4,000 and 2,000 records
      for (let i = 6000; i < 8000; i += 20) await write(i, 20, 1, 1); // the tail, 20 at a time, compacted
      await check('written');
      await write(3000, 2000, 1, 2); // overwrite across a chunk boundary
      await check('overwritten');
      await store.patch({ key, shape: SHAPE, records: recs([{ t: T0 + 4500 * 1000, s: 'patched' }]) });
      model.set(T0 + 4500 * 1000, { ...model.get(T0 + 4500 * 1000), s: 'patched' });
      await check('patched');
      await store.deleteRange(key, SHAPE, T0 + 1000 * 1000, T0 + 7000 * 1000);
      for (const t of [...model.keys()]) if (t > T0 + 1000 * 1000 && t <= T0 + 7000 * 1000) model.delete(t);
      await write(2500, 100, 3, 3); // late data into the gap
      await check('deleted and refilled');
      assert.equal((await store.readJson({ ...key, assetId: 'nobody' }, { limit: 10, desc: false })).bytes().toString(), '[]');
      store.close();
    });
  });
}
