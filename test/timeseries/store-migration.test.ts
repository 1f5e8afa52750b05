/** timeseries.db schema upgrade: records stored before version 2 (no `_time` in the JSON) read back unchanged. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { openDatabase } from '../../src/core/db.js';
import { renderRecords } from '../../src/timeseries/records.js';
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
});
