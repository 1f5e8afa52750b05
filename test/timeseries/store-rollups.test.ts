/**
 * Roll-up invariant at the store level: after a change of the asset's time zone the roll-ups are realigned, and
 * equal those of a store that had the new zone from the start (real SQLite, no HTTP).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { validateRecords, variableMap } from '../../src/timeseries/records.js';
import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { zoneOf } from '../../src/timeseries/time.js';
import { tempDir } from '../helpers/server.js';

const vars = variableMap([{ name: 'v', dataType: 'DOUBLE', unit: '', length: null, qualityCode: true, searchable: false, defaultValue: null }]);
const key = { tenant: 't', assetId: 'a', aspect: 'x' };
const T0 = Date.parse('2024-03-30T00:00:00Z');
const batch = (from: number, n: number) => validateRecords(Array.from({ length: n }, (_, i) =>
  ({ _time: new Date(T0 + (from + i) * 97_000).toISOString(), v: (from + i) % 13, v_qc: (from + i) % 3 === 0 ? 0x40000000 : 0 })), vars);

describe('roll-ups after a time zone change', () => {
  it('are rebuilt to equal those of a store that always had the new zone', async () => {
    const dirA = tempDir();
    const dirB = tempDir();
    const a = new SqliteTimeseriesStore({ dataDir: dirA, sync: 'normal' });
    const b = new SqliteTimeseriesStore({ dataDir: dirB, sync: 'normal' });
    try {
      const utc = { zone: zoneOf('UTC'), variables: vars };
      const kolkata = { zone: zoneOf('Asia/Kolkata'), variables: vars };
      await a.put([{ key, shape: utc, records: batch(0, 1500) }]);
      assert.equal(await a.zoneOf(key), 'UTC');
      await a.put([{ key, shape: kolkata, records: batch(1500, 500) }]);
      assert.equal(await a.zoneOf(key), 'Asia/Kolkata');
      await b.put([{ key, shape: kolkata, records: batch(0, 1500) }]);
      await b.put([{ key, shape: kolkata, records: batch(1500, 500) }]);
      for (const level of [0, 1, 2] as const) {
        const ra = await a.rollups(key, level, 0, 8.64e15);
        const rb = await b.rollups(key, level, 0, 8.64e15);
        assert.ok(ra.length > 0);
        assert.deepEqual(ra.map((r) => r.start), rb.map((r) => r.start), `level ${level} bucket starts`);
        for (let i = 0; i < ra.length; i++) {
          const x = ra[i]!.aggs['v']!;
          const y = rb[i]!.aggs['v']!;
          assert.deepEqual([x[0], x[1], x[2], x[3], x[7], x[9], x[11], x[13]], [y[0], y[1], y[2], y[3], y[7], y[9], y[11], y[13]]);
          assert.ok(Math.abs(x[4] - y[4]) < 1e-9 && Math.abs(x[6] - y[6]) < 1e-6);
        }
      }
      // Kolkata is UTC+05:30: its hours start at :30 UTC.
      const hours = await a.rollups(key, 1, 0, 8.64e15);
      assert.ok(hours.every((h) => new Date(h.start).getUTCMinutes() === 30));
    } finally {
      a.close();
      b.close();
      fs.rmSync(dirA, { recursive: true, force: true });
      fs.rmSync(dirB, { recursive: true, force: true });
    }
  });
});
