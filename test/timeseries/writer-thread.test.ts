/**
 * Time series writes on a writer thread (`--timeseries-writer thread`, worker-store.ts, issue 17): an acknowledged
 * PUT is read back at once over the wire, also for a multi-entity PUT and an overwrite; a thread that stops fails
 * the writes it had not answered with TimeseriesWriterStopped (never a hang) and the next write starts a new one;
 * close() commits what the thread was given before it ends it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { before, describe, it } from 'node:test';
import type { ModelVariable } from '../../src/core/model.js';
import { zoneOf } from '../../src/timeseries/buckets.js';
import type { TimeseriesContext } from '../../src/timeseries/index.js';
import { validateRecords, variableMap } from '../../src/timeseries/records.js';
import { type SeriesKey, SeriesZoneError } from '../../src/timeseries/store.js';
import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { TimeseriesWriterStopped, WorkerTimeseriesStore } from '../../src/timeseries/store/worker-store.js';
import { errorOf, wireError } from '../../src/timeseries/store/worker-wire.js';
import { tempDir, useServer } from '../helpers/server.js';
import { json, makeAsset, put, TS } from './helpers.js';

const t0 = Date.parse('2024-04-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms).toISOString();

describe('time series writes on a writer thread, over the wire', () => {
  const server = useServer({ timeseriesWriter: 'thread' });
  let A: string;
  let B: string;
  before(async () => {
    A = await makeAsset(server(), 'ThreadA');
    B = await makeAsset(server(), 'ThreadB');
  });
  const read = async (asset: string) => {
    const res = await server().api(`${TS}/${asset}/Env?from=${at(-1)}&to=${at(1e9)}`);
    assert.equal(res.status, 200);
    return json(res) as Promise<Record<string, unknown>[]>;
  };

  it('the store of the context is the writer-thread store', () => {
    const ctx = server().platform.contexts.find((c) => c.name === 'timeseries') as unknown as TimeseriesContext;
    assert.ok(ctx.store instanceof WorkerTimeseriesStore);
  });

  it('an acknowledged PUT is read back at once, each time (new records, overwrites, multi-entity)', async () => {
    const want: Record<string, unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const rec = { _time: at(i * 1000), temperature: i, count: i };
      assert.equal((await put(server(), A, 'Env', [rec])).status, 204);
      want.push(rec);
      assert.deepEqual(await read(A), want, `after PUT ${i}`);
    }
    const over = { _time: at(5000), count: 500 };
    assert.equal((await put(server(), A, 'Env', [over])).status, 204);
    want[5] = over;
    assert.deepEqual(await read(A), want, 'after an overwrite');
    const res = await server().api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: [
      { entityId: A, propertySetName: 'Env', data: [{ _time: at(30_000), count: 30 }] },
      { entityId: B, propertySetName: 'Env', data: [{ _time: at(1), on: true }] }] }) });
    assert.ok(res.status < 300, `multi-entity PUT: ${res.status} ${await res.text()}`);
    assert.deepEqual(await read(A), [...want, { _time: at(30_000), count: 30 }]);
    assert.deepEqual(await read(B), [{ _time: at(1), on: true }]);
  });
});

const VARS = variableMap([{ name: 'a', dataType: 'DOUBLE', unit: '', length: null, qualityCode: false, searchable: false,
  defaultValue: null } satisfies ModelVariable]);
const UTC = { zone: zoneOf('UTC'), variables: VARS };
const recs = (from: number, n: number) => validateRecords(Array.from({ length: n }, (_, i) => ({ _time: at(from + i), a: i })), VARS);
const ALL = { limit: 1_000_000, desc: false };

describe('the writer thread: stops and close', () => {
  it('a thread that stops fails the writes it had not answered; the next write starts a new thread', async () => {
    const dir = tempDir();
    // a put of one record waits (in the thread's group commit) for a minute or 1,000 records: it is unanswered
    const store = new WorkerTimeseriesStore({ dataDir: dir, sync: 'normal', groupCommitMs: 60_000, groupCommitRecords: 1000 });
    const key: SeriesKey = { tenant: 't', assetId: 'x', aspect: 'e' };
    try {
      const first = store.thread!;
      const waiting = store.put([{ key, shape: UTC, records: recs(0, 1) }]);
      await first.terminate();
      await assert.rejects(waiting, (err: Error) => err instanceof TimeseriesWriterStopped && /may or may not have been stored/.test(err.message));
      await store.put([{ key, shape: UTC, records: recs(10, 1000) }]);
      assert.notEqual(store.thread, first);
      assert.equal((await store.read(key, ALL)).length, 1000, 'the write of the new thread is read back');
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() commits the writes the thread holds before it ends it', async () => {
    const dir = tempDir();
    const store = new WorkerTimeseriesStore({ dataDir: dir, sync: 'normal', groupCommitMs: 60_000, groupCommitRecords: 1000 });
    const key: SeriesKey = { tenant: 't', assetId: 'y', aspect: 'e' };
    try {
      const waiting = store.put([{ key, shape: UTC, records: recs(0, 3) }]);
      store.close();
      await waiting;
      await assert.rejects(store.put([{ key, shape: UTC, records: recs(5, 1) }]), /closed/);
      const again = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
      assert.equal((await again.read(key, ALL)).length, 3);
      again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('errors of the writer thread', () => {
  it('come back as the classes the store threw (SeriesZoneError, SqliteError with its code)', () => {
    const key: SeriesKey = { tenant: 't', assetId: 'z', aspect: 'e' };
    const zone = errorOf(wireError(new SeriesZoneError(key, 'UTC', 'Europe/Berlin')));
    assert.ok(zone instanceof SeriesZoneError);
    assert.deepEqual([zone.key, zone.stored, zone.given, zone.message], [key, 'UTC', 'Europe/Berlin',
      new SeriesZoneError(key, 'UTC', 'Europe/Berlin').message]);
    const sqlite = errorOf(wireError(new Database.SqliteError('UNIQUE constraint failed: series.id', 'SQLITE_CONSTRAINT_UNIQUE')));
    assert.ok(sqlite instanceof Database.SqliteError);
    assert.equal((sqlite as { code?: string }).code, 'SQLITE_CONSTRAINT_UNIQUE');
    const other = errorOf(wireError(Object.assign(new RangeError('out of range'), { code: 'X' })));
    assert.deepEqual([other.name, other.message, (other as { code?: string }).code], ['RangeError', 'out of range', 'X']);
  });
});
