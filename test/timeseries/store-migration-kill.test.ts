/**
 * The version 4 conversion of timeseries.db (JSON records rows into compressed chunks, store/convert.ts) survives
 * kill -9: a real `ironbridge serve` child starts on a version 3 database, is killed with SIGKILL as soon as its
 * first converted series is committed, and leaves every series whole (all chunks or all rows, never both or a part);
 * the next start resumes, finishes, and every series reads back with the same text and roll-ups as before.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/core/db.js';
import { zoneOf } from '../../src/timeseries/buckets.js';
import { validateRecords, variableMap } from '../../src/timeseries/records.js';
import { encodeAggs } from '../../src/timeseries/store/rollup-codec.js';
import { SqliteTimeseriesStore, TIMESERIES_MIGRATIONS } from '../../src/timeseries/store/sqlite.js';
import { BIN, spawnServer, tempDir, trackChild } from '../helpers/server.js';

const SERIES = 60;
const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const vars = variableMap([{ name: 'a', dataType: 'DOUBLE', unit: '', length: null, qualityCode: true, searchable: false, defaultValue: null },
  { name: 's', dataType: 'STRING', unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null }]);
const shape = { zone: zoneOf('UTC'), variables: vars };
const keys = Array.from({ length: SERIES }, (_, i) => ({ tenant: 't', assetId: `a${i}`, aspect: 'x' }));
const ALL = { limit: 1e6, desc: false };

it('a conversion killed with SIGKILL leaves whole series, and the next start resumes it and loses nothing', async () => {
  const src = tempDir();
  const dir = tempDir();
  try {
    // The expected state, written by the current store; the same rows then laid out as version 3 had them.
    const ref = new SqliteTimeseriesStore({ dataDir: src, sync: 'normal' });
    for (const [i, key] of keys.entries()) {
      const records = validateRecords(Array.from({ length: 2000 + i * 37 }, (_, j) => ({
        _time: new Date(T0 + j * 1000).toISOString(), a: (j + i) / 8, ...(j % 7 === 0 ? { a_qc: j } : {}), ...(j % 5 === 0 ? { s: `s${j % 11}` } : {}) })), vars);
      await ref.put([{ key, shape, records }]);
    }
    const texts = await Promise.all(keys.map((k) => ref.readText(k, ALL)));
    const rollups = await Promise.all(keys.map((k) => Promise.all([0, 1, 2].map((l) => ref.rollups(k, l as 0 | 1 | 2, -8.64e15, 8.64e15)))));
    const seriesIds = ref.db.prepare('SELECT id FROM series ORDER BY id').pluck().all() as number[];
    // the rows as version 3 held them: each of its whole bucket (the store's open rows resolved)
    const rollupRows: { series: number; level: number; start: number; data: Buffer | string }[] = [];
    for (const [i, k] of keys.entries()) {
      for (const level of [0, 1, 2] as const) {
        for (const r of await ref.rollups(k, level, -8.64e15, 8.64e15)) rollupRows.push({ series: seriesIds[i]!, level, start: r.start, data: encodeAggs(r.aggs) });
      }
    }
    const seriesRows = ref.db.prepare('SELECT id, tenant, asset_id, aspect, zone FROM series').all() as Record<string, unknown>[];
    ref.close();
    const v3 = openDatabase({ dataDir: dir, name: 'timeseries', migrations: TIMESERIES_MIGRATIONS.slice(0, 3), sync: 'normal' });
    const addSeries = v3.prepare('INSERT INTO series (id, tenant, asset_id, aspect, zone) VALUES (@id, @tenant, @asset_id, @aspect, @zone)');
    const addRecord = v3.prepare('INSERT INTO records (series, t, data) VALUES (?, ?, ?)');
    const addRollup = v3.prepare('INSERT INTO rollups (series, level, start, data) VALUES (?, ?, ?, ?)');
    v3.transaction(() => {
      for (const s of seriesRows) addSeries.run(s);
      for (const [i, list] of texts.entries()) for (const json of list) addRecord.run(seriesRows[i]!['id'], Date.parse(json.slice(10, 34)), json);
      for (const r of rollupRows) addRollup.run(r.series, r.level, r.start, r.data);
    })();
    v3.close();

    // A real server starts on it and is killed as soon as its first series is committed as chunks (seen through a
    // connection of this process: the conversion blocks the child's event loop, so its log shows it only after).
    const child = trackChild(spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], {
      env: { ...process.env, IRONBRIDGE_LOG_LEVEL: 'info', IRONBRIDGE_SECRET_HASH_COST: '10' }, stdio: 'ignore' }));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
    const watch = new Database(path.join(dir, 'timeseries.db'), { readonly: true });
    const anyChunk = () => { try { return watch.prepare('SELECT 1 FROM chunks LIMIT 1').get() !== undefined; } catch { return false; } };
    while (!anyChunk() && child.exitCode === null) await new Promise((r) => setTimeout(r, 2));
    watch.close();
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', 'killed by the signal, not exited by itself');
    // What the kill left: each series converted whole or untouched, some of each.
    const db = new Database(path.join(dir, 'timeseries.db'));
    const state = db.prepare(`SELECT s.id, (SELECT count(*) FROM records r WHERE r.series = s.id) AS rows,
      (SELECT coalesce(sum(n), 0) FROM chunks c WHERE c.series = s.id) AS chunked FROM series s ORDER BY s.id`).all() as { id: number; rows: number; chunked: number }[];
    db.close();
    const converted = state.filter((s) => s.chunked > 0).length;
    for (const [i, s] of state.entries()) {
      const n = texts[i]!.length;
      assert.ok((s.rows === n && s.chunked === 0) || (s.rows === 0 && s.chunked === n), `series ${s.id}: ${s.rows} rows, ${s.chunked} chunked of ${n}`);
    }
    assert.ok(converted >= 1 && converted < SERIES, `the kill landed mid-conversion (${converted} of ${SERIES} series converted)`);

    // The next start resumes: done, records table gone, every series as it was.
    const second = await spawnServer(dir);
    assert.match(second.output(), /conversion to chunks done/);
    await second.stop();
    const store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
    try {
      assert.equal((store.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'records'").get() as { n: number }).n, 0, 'records table dropped');
      for (const [i, key] of keys.entries()) {
        assert.deepEqual(await store.readText(key, ALL), texts[i], `series ${i}: the same text`);
        for (const level of [0, 1, 2] as const) {
          assert.deepEqual(await store.rollups(key, level, -8.64e15, 8.64e15), rollups[i]![level], `series ${i}: the same roll-ups of level ${level}`);
        }
      }
    } finally {
      store.close();
    }
  } finally {
    for (const d of [src, dir]) fs.rmSync(d, { recursive: true, force: true });
  }
});
