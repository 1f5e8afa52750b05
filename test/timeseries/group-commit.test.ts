/**
 * Group commit of the SQLite time series store (issue 17): concurrent puts share one transaction, each resolves
 * only after it, a put that fails is refused alone, the size bound starts the commit at once, and another write
 * of the store first commits the puts queued before it (writes keep their order).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import type { ModelVariable } from '../../src/core/model.js';
import { zoneOf } from '../../src/timeseries/buckets.js';
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
