/**
 * Group commit of the SQLite time series store (issue 17): concurrent puts share one transaction, each resolves
 * only after it, a put that fails is refused alone (roll-ups merged across the commit's puts stay exact), the size
 * bound starts the commit at once, and another write of the store first commits the puts queued before it (writes
 * keep their order).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import type { ModelVariable } from '../../src/core/model.js';
import { bucketOf, zoneOf } from '../../src/timeseries/buckets.js';
import { type AggMap, addRecord, variableKeys } from '../../src/timeseries/rollup.js';
import { validateRecords, variableMap } from '../../src/timeseries/records.js';
import { type SeriesKey, type SeriesShape, SeriesZoneError } from '../../src/timeseries/store.js';
import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { tempDir } from '../helpers/server.js';

const variable: ModelVariable = { name: 'v', dataType: 'DOUBLE', unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null };
const VARS = variableMap([variable]);
const UTC: SeriesShape = { zone: zoneOf('UTC'), variables: VARS };
const BERLIN: SeriesShape = { zone: zoneOf('Europe/Berlin'), variables: VARS };
const T0 = Date.parse('2024-06-01T00:00:00.000Z');
const ALL = { limit: 1_000_000, desc: false };
const key = (assetId: string): SeriesKey => ({ tenant: 't', assetId, aspect: 'a' });
const recs = (n: number, offset = 0) =>
  validateRecords(Array.from({ length: n }, (_, i) => ({ _time: new Date(T0 + (offset + i) * 1000).toISOString(), v: i })), VARS);

/** A store whose top-level write transactions are counted. */
function counted(options: { groupCommitRecords?: number } = {}) {
  const dir = tempDir();
  const store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal', ...options });
  const stats = { transactions: 0 };
  const transaction = store.db.transaction.bind(store.db);
  store.db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const t = transaction(fn);
    const immediate = (...args: unknown[]) => {
      if (!store.db.inTransaction) stats.transactions++;
      return t.immediate(...args);
    };
    return Object.assign((...args: unknown[]) => t(...args), { immediate });
  }) as unknown as typeof store.db.transaction;
  return { store, stats, dir };
}

describe('group commit of the SQLite time series store', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  it('concurrent puts share one transaction and each resolves after it', async () => {
    const { store, stats, dir } = counted();
    dirs.push(dir);
    const puts = Array.from({ length: 20 }, (_, i) => store.put([{ key: key(`s${i}`), shape: UTC, records: recs(10) }]));
    await Promise.all(puts);
    assert.equal(stats.transactions, 1);
    for (let i = 0; i < 20; i++) assert.equal((await store.read(key(`s${i}`), ALL)).length, 10);
    store.close();
  });

  it('a put that fails is refused alone; the others of its commit are stored', async () => {
    const { store, stats, dir } = counted();
    dirs.push(dir);
    await store.put([{ key: key('berlin'), shape: BERLIN, records: recs(1) }]);
    stats.transactions = 0;
    const results = await Promise.allSettled([
      store.put([{ key: key('x1'), shape: UTC, records: recs(5) }]),
      // the series is aligned to Europe/Berlin: refused, with its other series in the same put undone with it
      store.put([{ key: key('x2'), shape: UTC, records: recs(5) }, { key: key('berlin'), shape: UTC, records: recs(5, 100) }]),
      store.put([{ key: key('x3'), shape: UTC, records: recs(5) }]),
    ]);
    assert.equal(stats.transactions, 1);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof SeriesZoneError);
    assert.equal((await store.read(key('x1'), ALL)).length, 5);
    assert.equal((await store.read(key('x2'), ALL)).length, 0);
    assert.equal(await store.zoneOf(key('x2')), undefined, 'the refused put created no series');
    assert.equal((await store.read(key('berlin'), ALL)).length, 1);
    assert.equal((await store.read(key('x3'), ALL)).length, 5);
    store.close();
  });

  it('roll-ups stay exact across the puts of one commit, with one that recomputes buckets and then fails', async () => {
    const { store, stats, dir } = counted();
    dirs.push(dir);
    await store.put([{ key: key('berlin'), shape: BERLIN, records: recs(1) }]);
    await store.put([{ key: key('s'), shape: UTC, records: recs(10) }]);
    stats.transactions = 0;
    const results = await Promise.allSettled([
      // appends: merged in memory, written before the COMMIT
      store.put([{ key: key('s'), shape: UTC, records: recs(150, 10) }]),
      // an overwrite (its buckets recomputed from rows, so the merges so far are written first), then refused:
      // its savepoint undoes those rows too, and they must still be written
      store.put([{ key: key('s'), shape: UTC, records: recs(3, 2) }, { key: key('berlin'), shape: UTC, records: recs(5, 100) }]),
      store.put([{ key: key('s'), shape: UTC, records: recs(100, 160) }]),
      store.put([{ key: key('s'), shape: UTC, records: recs(2, 5) }]),
    ]);
    assert.equal(stats.transactions, 1);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const stored = await store.read(key('s'), ALL);
    assert.equal(stored.length, 260);
    for (const level of [0, 1, 2] as const) {
      const expected = new Map<number, AggMap>();
      for (const r of stored) {
        const b = bucketOf(UTC.zone, level, r.t);
        if (!expected.has(b)) expected.set(b, {});
        addRecord(expected.get(b)!, r.t, JSON.parse(r.json) as Record<string, unknown>, variableKeys(VARS));
      }
      const got = await store.rollups(key('s'), level, -8.64e15, 8.64e15);
      assert.deepEqual(got.map((g) => g.start), [...expected.keys()], `level ${level} buckets`);
      for (const g of got) {
        const [want, have] = [expected.get(g.start)!['v']!, g.aggs['v']!];
        // counts, sum, min, max, first and last are exact; mean and m2 depend on the order of merging
        for (const i of [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14]) assert.equal(have[i], want[i], `level ${level} field ${i}`);
        assert.ok(Math.abs((have[5] as number) - (want[5] as number)) < 1e-9);
      }
    }
    store.close();
  });

  it('chunks of a refused put are not merged into the tail by later appends', async () => {
    const { store, dir } = counted();
    dirs.push(dir);
    await store.put([{ key: key('berlin'), shape: BERLIN, records: recs(1) }]);
    await store.put([{ key: key('s'), shape: UTC, records: recs(20) }]);
    const results = await Promise.allSettled([
      store.put([{ key: key('s'), shape: UTC, records: recs(20, 20) }, { key: key('berlin'), shape: UTC, records: recs(5, 100) }]),
      store.put([{ key: key('s'), shape: UTC, records: recs(20, 40) }]),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled']);
    // enough small appends that the tail is merged (twice) into full chunks
    for (let i = 3; i < 120; i++) await store.put([{ key: key('s'), shape: UTC, records: recs(20, i * 20) }]);
    const stored = await store.read(key('s'), ALL);
    assert.equal(stored.length, 20 * 119);
    assert.ok(stored.every((r) => r.t < T0 + 20_000 || r.t >= T0 + 40_000), 'no record of the refused put');
    assert.equal(await store.count(key('s'), T0 - 1, T0 + 10_000_000), 20 * 119);
    store.close();
  });

  it('commits at once when the queued records reach the size bound', async () => {
    const { store, stats, dir } = counted({ groupCommitRecords: 25 });
    dirs.push(dir);
    const first = store.put([{ key: key('a'), shape: UTC, records: recs(10) }]);
    assert.equal(stats.transactions, 0, 'below the bound: waits for others');
    const second = store.put([{ key: key('b'), shape: UTC, records: recs(20) }]);
    assert.equal(stats.transactions, 1, 'at the bound: committed within the call');
    await Promise.all([first, second]);
    assert.equal(stats.transactions, 1);
    store.close();
  });

  it('another write first commits the puts queued before it', async () => {
    const { store, dir } = counted();
    dirs.push(dir);
    const put = store.put([{ key: key('d'), shape: UTC, records: recs(10) }]);
    const deleted = await store.deleteRange(key('d'), UTC, T0 - 1, T0 + 4_000);
    await put;
    assert.equal(deleted, 5);
    assert.equal((await store.read(key('d'), ALL)).length, 5);
    store.close();
  });
});
