/**
 * Open hour and day roll-up rows of the SQLite time series store (schema version 6, store/rollup-rows.ts and
 * rollup-buffer.ts): time-major appends across hours and a day boundary, late records, overwrites, a PATCH, a
 * delete and a reopen (the buffer lost, as after a crash) keep every level's roll-ups equal to the aggregate of the
 * records; open rows do not pile up; and a version 5 database opens with its rows read as they were.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import type { ModelVariable } from '../../src/core/model.js';
import { openDatabase } from '../../src/core/db.js';
import { bucketOf, type Level, zoneOf } from '../../src/timeseries/buckets.js';
import { type AggMap, addRecord, variableKeys } from '../../src/timeseries/rollup.js';
import { validateRecords, variableMap } from '../../src/timeseries/records.js';
import type { SeriesKey, SeriesShape } from '../../src/timeseries/store.js';
import { encodeAggs } from '../../src/timeseries/store/rollup-codec.js';
import { SqliteTimeseriesStore, TIMESERIES_MIGRATIONS } from '../../src/timeseries/store/sqlite.js';
import { tempDir } from '../helpers/server.js';

const variables: ModelVariable[] = ['a', 'b'].map((name) => ({ name, dataType: 'DOUBLE', unit: '', length: null,
  qualityCode: name === 'a', searchable: false, defaultValue: null }));
const VARS = variableMap(variables);
const SHAPE: SeriesShape = { zone: zoneOf('Europe/Berlin'), variables: VARS };
// 21:50 UTC: the Berlin day ends 10 minutes later (23:50 local, summer time)
const T0 = Date.parse('2024-06-01T21:50:00.000Z');
const SERIES = 4;
const key = (i: number): SeriesKey => ({ tenant: 't', assetId: `s${i}`, aspect: 'x' });
const ALL = { limit: 1_000_000, desc: false };

const value = (i: number, t: number, salt = 0) => ({ a: ((t / 1000) * 7 + i + salt) % 13 - 6, ...(t % 3000 === 0 ? { a_qc: 0x40000000 } : {}), b: (t / 1000) % 5 });
const recs = (i: number, from: number, n: number, salt = 0) => validateRecords(Array.from({ length: n }, (_, j) => {
  const t = from + j * 1000;
  return { _time: new Date(t).toISOString(), ...value(i, t, salt) };
}), VARS);

/** Every level's roll-ups computed from the records read back. */
async function expected(store: SqliteTimeseriesStore, k: SeriesKey): Promise<Map<number, AggMap>[]> {
  const keys = variableKeys(VARS);
  const out = [0, 1, 2].map(() => new Map<number, AggMap>());
  for (const r of await store.read(k, ALL)) {
    const values = JSON.parse(r.json) as Record<string, unknown>;
    for (const level of [0, 1, 2] as Level[]) {
      const b = bucketOf(SHAPE.zone, level, r.t);
      let aggs = out[level]!.get(b);
      if (!aggs) out[level]!.set(b, aggs = {});
      addRecord(aggs, r.t, values, keys);
    }
  }
  return out;
}

const near = (x: unknown, y: unknown) => typeof x === 'number' && typeof y === 'number'
  ? Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y)) : x === y;

async function check(store: SqliteTimeseriesStore, label: string): Promise<void> {
  for (let i = 0; i < SERIES; i++) {
    const want = await expected(store, key(i));
    for (const level of [0, 1, 2] as Level[]) {
      const have = await store.rollups(key(i), level, -8.64e15, 8.64e15);
      assert.deepEqual(have.map((r) => r.start), [...want[level]!.keys()], `${label}: series ${i} level ${level} buckets`);
      for (const r of have) {
        const w = want[level]!.get(r.start)!;
        assert.deepEqual(Object.keys(r.aggs).sort(), Object.keys(w).sort(), `${label}: variables`);
        for (const name in w) {
          const ok = w[name]!.every((x, f) => near(r.aggs[name]![f], x));
          assert.ok(ok, `${label}: series ${i} level ${level} bucket ${r.start} ${name}: ${JSON.stringify(r.aggs[name])} != ${JSON.stringify(w[name])}`);
        }
      }
    }
  }
}

const openRows = (store: SqliteTimeseriesStore) =>
  (store.db.prepare('SELECT count(*) AS n FROM rollups WHERE upto IS NOT NULL').get() as { n: number }).n;

describe('open hour and day roll-up rows', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  it('time-major appends, late records, overwrites, PATCH, delete and a reopen keep every level exact', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
    const block = (b: number, salt = 0) => Array.from({ length: SERIES }, (_, i) => ({ key: key(i), shape: SHAPE, records: recs(i, T0 + b * 20_000, 20, salt) }));
    // 2 hours 40 minutes of 20-second blocks over a day boundary, 4 in flight (one group commit) at a time;
    // blocks 3 and 4 of each group swapped (they reach the store out of order)
    for (let b = 0; b < 480; b += 4) {
      await Promise.all([0, 1, 3, 2].map((o) => store.put(block(b + o))));
      if (b % 96 === 0) await check(store, `block ${b}`);
    }
    await check(store, 'appended');
    assert.ok(openRows(store) <= 2 * SERIES, `open rows do not pile up: ${openRows(store)}`);
    // reopened: what the buffer kept is gone, the rows (open ones too) go on
    store.close();
    store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
    await check(store, 'reopened');
    for (let b = 480; b < 540; b++) await store.put(block(b));
    await check(store, 'appended after reopen');
    // late records into an earlier hour (a gap left for them) and the day before
    await store.put([{ key: key(0), shape: SHAPE, records: recs(0, T0 + 540 * 20_000 + 1000, 5) }]);
    await store.put([{ key: key(1), shape: SHAPE, records: recs(1, T0 - 3_600_000, 30) }]);
    await Promise.all([store.put(block(541)), store.put([{ key: key(2), shape: SHAPE, records: recs(2, T0 - 7_200_000, 10) }])]);
    await check(store, 'late records');
    // overwrites: in the open 2 minutes (the store recomputes those buckets) and in a closed hour
    await Promise.all([store.put(block(541, 3)), store.put(block(542))]);
    await store.put([{ key: key(3), shape: SHAPE, records: recs(3, T0 + 3_600_000, 40, 5) }]);
    await check(store, 'overwrites');
    await store.patch({ key: key(0), shape: SHAPE, records: recs(0, T0 + 541 * 20_000, 3, 9) });
    assert.equal(await store.deleteRange(key(1), SHAPE, T0 + 530 * 20_000, T0 + 542 * 20_000), 220);
    await check(store, 'patch and delete');
    for (let b = 543; b < 600; b++) await store.put(block(b));
    await check(store, 'appended after the rest');
    store.close();
  });

  it('a version 5 database opens: its rows are whole buckets, read as they were', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const v5 = openDatabase({ dataDir: dir, name: 'timeseries', migrations: TIMESERIES_MIGRATIONS.slice(0, 5), sync: 'normal' });
    v5.prepare("INSERT INTO series (id, tenant, asset_id, aspect, zone) VALUES (1, 't', 's0', 'x', 'Europe/Berlin')").run();
    const aggs = (v: number): AggMap => { const m: AggMap = {}; addRecord(m, T0 + 1000, { b: v }, variableKeys(VARS)); return m; };
    const add = v5.prepare('INSERT INTO rollups (series, level, start, data) VALUES (1, ?, ?, ?)');
    for (const level of [0, 1, 2] as Level[]) add.run(level, bucketOf(SHAPE.zone, level, T0 + 1000), encodeAggs(aggs(level)));
    v5.close();
    const store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
    assert.equal(store.db.prepare('SELECT max(version) FROM schema_migrations').pluck().get(), TIMESERIES_MIGRATIONS.at(-1)!.version);
    for (const level of [0, 1, 2] as Level[]) {
      assert.deepEqual(await store.rollups(key(0), level, -8.64e15, 8.64e15), [{ start: bucketOf(SHAPE.zone, level, T0 + 1000), aggs: aggs(level) }]);
    }
    assert.equal(openRows(store), 0);
    store.close();
  });
});
