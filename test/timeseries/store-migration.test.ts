/**
 * timeseries.db schema upgrades: records stored before version 2 (no `_time` in the JSON) read back unchanged;
 * version 4 converts the JSON records rows of version 3 into compressed chunks, resumably.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { openDatabase } from '../../src/core/db.js';
import { zoneOf } from '../../src/timeseries/buckets.js';
import { renderRecords, validateRecords, variableMap } from '../../src/timeseries/records.js';
import { Chunks } from '../../src/timeseries/store/chunks.js';
import { convertRecords } from '../../src/timeseries/store/convert.js';
import { encodeAggs } from '../../src/timeseries/store/rollup-codec.js';
import { SqliteTimeseriesStore, TIMESERIES_MIGRATIONS } from '../../src/timeseries/store/sqlite.js';
import { tempDir } from '../helpers/server.js';

describe('time series store migrations', () => {
  it('version 2 puts the canonical _time first in records written by version 1', async () => {
    const dir = tempDir();
    try {
      const v1 = openDatabase({ dataDir: dir, name: 'timeseries', migrations: TIMESERIES_MIGRATIONS.slice(0, 1), sync: 'normal' });
      v1.prepare("INSERT INTO series (id, tenant, asset_id, aspect, zone) VALUES (1, 't', 'a', 'x', 'UTC')").run();
      v1.prepare('INSERT INTO records (series, t, data) VALUES (1, ?, ?), (1, ?, ?)').run(1000, '{"v":1.5,"v_qc":0}', 2001, '{}');
      v1.close();
      const store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
      const rows = await store.read({ tenant: 't', assetId: 'a', aspect: 'x' }, { limit: 10, desc: false });
      assert.deepEqual(JSON.parse(renderRecords(rows)), [
        { _time: '1970-01-01T00:00:01.000Z', v: 1.5, v_qc: 0 }, { _time: '1970-01-01T00:00:02.001Z' }]);
      assert.ok(rows[0]!.json.startsWith('{"_time":'));
      store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('version 4 converts JSON records rows into chunks: the same reads, counts and roll-ups; an interrupted conversion resumes', async () => {
    const src = tempDir();
    const dir = tempDir();
    const T0 = Date.parse('2024-05-01T00:00:00.000Z');
    const vars = variableMap([{ name: 'a', dataType: 'DOUBLE', unit: '', length: null, qualityCode: true, searchable: false, defaultValue: null },
      { name: 's', dataType: 'STRING', unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null }]);
    const shape = { zone: zoneOf('UTC'), variables: vars };
    const keys = [0, 1, 2, 3].map((i) => ({ tenant: 't', assetId: `a${i}`, aspect: 'x' }));
    try {
      // The expected state, written by the current store; the same rows are then laid out as version 3 had them.
      const ref = new SqliteTimeseriesStore({ dataDir: src, sync: 'normal' });
      for (const [i, key] of keys.entries()) {
        const records = validateRecords(Array.from({ length: 3000 + i * 1500 }, (_, j) => ({
          _time: new Date(T0 + j * 1000).toISOString(), a: j / 8, ...(j % 7 === 0 ? { a_qc: j } : {}), ...(j % 5 === 0 ? { s: `s"${j}` } : {}) })), vars);
        await ref.put([{ key, shape, records }]);
      }
      const texts = await Promise.all(keys.map((k) => ref.readText(k, { limit: 1e6, desc: false })));
      const rollups = await Promise.all(keys.map((k) => ref.rollups(k, 0, -8.64e15, 8.64e15)));
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
      for (const s of seriesRows) addSeries.run(s);
      const addRecord = v3.prepare('INSERT INTO records (series, t, data) VALUES (?, ?, ?)');
      const addRollup = v3.prepare('INSERT INTO rollups (series, level, start, data) VALUES (?, ?, ?, ?)');
      v3.transaction(() => {
        for (const [i, list] of texts.entries()) for (const json of list) addRecord.run(seriesRows[i]!['id'], Date.parse(json.slice(10, 34)), json);
        for (const r of rollupRows) addRollup.run(r.series, r.level, r.start, r.data);
      })();
      v3.close();
      // Interrupted after one series (as a kill between two series' transactions leaves it): the rest stays rows.
      const messages: string[] = [];
      const partial = openDatabase({ dataDir: dir, name: 'timeseries', migrations: TIMESERIES_MIGRATIONS, sync: 'normal' });
      assert.equal(convertRecords(partial, new Chunks(partial), { maxSeries: 1, log: { info: (_, m) => messages.push(m) } }), 1);
      assert.equal((partial.prepare('SELECT count(DISTINCT series) AS n FROM records').get() as { n: number }).n, 3);
      partial.close();
      assert.ok(messages.some((m) => m.includes('series converted')), messages.join('; '));
      const store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal', logger: { info: (_, m) => messages.push(m) } });
      assert.ok(messages.some((m) => m.includes('conversion to chunks done')), messages.join('; '));
      assert.equal((store.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'records'").get() as { n: number }).n, 0, 'records table dropped');
      for (const [i, key] of keys.entries()) {
        assert.deepEqual(await store.readText(key, { limit: 1e6, desc: false }), texts[i], `series ${i}: the same text`);
        assert.deepEqual(await store.readText(key, { limit: 100, desc: true }), texts[i]!.slice(-100).reverse());
        assert.equal(await store.count(key, T0 + 500, T0 + 2_500_000), texts[i]!.filter((s) => { const t = Date.parse(s.slice(10, 34)); return t > T0 + 500 && t <= T0 + 2_500_000; }).length);
        assert.deepEqual(await store.rollups(key, 0, -8.64e15, 8.64e15), rollups[i], `series ${i}: the same roll-ups`);
      }
      // and the converted series take writes on top: an overwrite inside and new records after
      await store.put([{ key: keys[0]!, shape, records: validateRecords([{ _time: new Date(T0 + 1000).toISOString(), a: 99 }], vars) }]);
      assert.equal((await store.readText(keys[0]!, { from: T0, to: T0 + 1000, limit: 5, desc: false }))[0], `{"_time":"${new Date(T0 + 1000).toISOString()}","a":99}`);
      store.close();
      const again = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
      assert.equal((await again.readText(keys[1]!, { limit: 1e6, desc: false })).length, texts[1]!.length, 'reopened: nothing converted twice');
      again.close();
    } finally {
      for (const d of [src, dir]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
