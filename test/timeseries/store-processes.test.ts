/**
 * Two connections on one time series database, as two worker processes have: a series dropped by one must not
 * be written through a stale id by the other, whose id SQLite may hand to a new series (real SQLite, no HTTP).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { validateRecords, variableMap } from '../../src/timeseries/records.js';
import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { zoneOf } from '../../src/timeseries/time.js';
import { tempDir } from '../helpers/server.js';

const vars = variableMap([{ name: 'v', dataType: 'DOUBLE', unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null }]);
const shape = { zone: zoneOf('UTC'), variables: vars };
const at = (iso: string, v: number) => validateRecords([{ _time: iso, v }], vars);
const all = { limit: 100, desc: false };

describe('series ids across processes', () => {
  it('a series dropped and its id reused by another connection is looked up again', async () => {
    const dir = tempDir();
    const a = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
    const b = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
    try {
      const first = { tenant: 't', assetId: 'first', aspect: 'x' };
      const second = { tenant: 't', assetId: 'second', aspect: 'x' };
      await a.put([{ key: first, shape, records: at('2024-01-01T00:00:00.000Z', 1) }]);
      await b.dropAsset('t', 'first');
      // the highest rowid was freed: the new series gets the id `a` still remembers for `first`
      await b.put([{ key: second, shape, records: at('2024-01-01T00:00:00.000Z', 2) }]);
      await a.put([{ key: first, shape, records: at('2024-01-02T00:00:00.000Z', 3) }]);
      assert.deepEqual((await b.read(second, all)).map((r) => JSON.parse(r.json).v), [2]);
      assert.deepEqual((await b.read(first, all)).map((r) => JSON.parse(r.json).v), [3]);
      assert.equal(await b.zoneOf(first), 'UTC');
    } finally {
      a.close();
      b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
