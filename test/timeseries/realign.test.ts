/**
 * Roll-ups follow the asset's time zone (the service's rule): when the zone an asset has differs from the one its
 * series' roll-ups were aligned to, aggregates are answered from the records in the asset's zone without writing
 * anything, and the next write (PUT, PATCH, DELETE, multi-series) realigns the series. The asset model is a stub
 * here, because the Asset Management API fixes an asset's zone at creation.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import type { AssetLookup, ModelAsset } from '../../src/core/model.js';
import { AggregatesService } from '../../src/timeseries/aggregates.js';
import { parseAggregateQuery, parseReadQuery } from '../../src/timeseries/params.js';
import { TimeseriesService } from '../../src/timeseries/service.js';
import { SqliteTimeseriesStore } from '../../src/timeseries/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { brute, keyOf, type Point, sameAggregate } from './oracle.js';

const asset: ModelAsset = {
  tenant: 't', assetId: 'a1', name: 'a1', typeId: 't.T', parentId: null, timezone: 'UTC',
  aspects: [{ name: 'env', aspectTypeId: 't.env', aspectTypeName: 'env', category: 'dynamic', variables: [
    { name: 'v', dataType: 'DOUBLE', unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null }] }],
};
const model: AssetLookup = { getAsset: async (tenant, id) => (tenant === 't' && id === 'a1' ? asset : undefined) };
const T0 = Date.parse('2024-03-30T00:00:00Z');
const NOW = T0 + 2 * 86_400_000;

describe('roll-ups after the asset\'s time zone changed', () => {
  const dir = tempDir();
  const store = new SqliteTimeseriesStore({ dataDir: dir, sync: 'normal' });
  const series = new TimeseriesService(store, model, () => NOW);
  const aggregates = new AggregatesService(store, series, () => NOW);
  const key = { tenant: 't', assetId: 'a1', aspect: 'env' };
  after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const points = Array.from({ length: 1500 }, (_, i): Point => [T0 + (i + 1) * 97_000, (i % 13) / 2, undefined]);
  const hourly = () => aggregates.v4('t', 'a1', 'env', parseAggregateQuery({
    from: new Date(T0).toISOString(), to: new Date(T0 + 2 * 86_400_000).toISOString(), intervalUnit: 'hour', intervalValue: '1' }));
  /** Hourly aggregates as the oracle computes them in `zone`. */
  const expectHourly = async (zone: string) => {
    const groups = new Map<string, Point[]>();
    const ref = zone === 'Asia/Kolkata' ? T0 - 1_800_000 : T0; // the start of a local hour (UTC+05:30)
    const k = (t: number) => keyOf(zone, t, 'hour', 1, ref);
    for (const p of points) groups.set(k(p[0]), [...(groups.get(k(p[0])) ?? []), p]);
    const got = (await hourly()).aggregates;
    assert.equal(got.length, groups.size);
    for (const interval of got) {
      const g = groups.get(k(Date.parse(interval.starttime) + 1));
      assert.ok(g, interval.starttime);
      const wrong = sameAggregate(interval['v'] as Record<string, unknown>, brute(g), interval.starttime);
      assert.equal(wrong, undefined, wrong);
    }
    return got;
  };

  it('aggregates answer in the new zone without writing, the next write realigns', async () => {
    await series.put('t', 'a1', 'env', points.map(([t, v]) => ({ _time: new Date(t).toISOString(), v })));
    assert.equal(await store.zoneOf(key), 'UTC');
    await expectHourly('UTC');

    asset.timezone = 'Asia/Kolkata';
    const fromRecords = await expectHourly('Asia/Kolkata');
    assert.ok(fromRecords.every((i) => new Date(i.starttime).getUTCMinutes() === 30), 'Kolkata hours start at :30 UTC');
    assert.equal(await store.zoneOf(key), 'UTC', 'a read does not realign');
    assert.ok((await store.rollups(key, 1, 0, 8.64e15)).every((h) => new Date(h.start).getUTCMinutes() === 0));

    await series.put('t', 'a1', 'env', []);
    assert.equal(await store.zoneOf(key), 'UTC', 'a write of nothing writes nothing');
    const last = points[points.length - 1]!;
    await series.put('t', 'a1', 'env', [{ _time: new Date(last[0]).toISOString(), v: last[1] }]);
    assert.equal(await store.zoneOf(key), 'Asia/Kolkata');
    const realigned = await expectHourly('Asia/Kolkata');
    assert.deepEqual(realigned.map((i) => i.starttime), fromRecords.map((i) => i.starttime), 'the same intervals as from the records');
  });

  it('PATCH, DELETE and the multi-series write realign too', async () => {
    asset.timezone = 'Europe/Berlin';
    await series.patch('t', 'a1', 'env', [{ _time: new Date(NOW - 1000).toISOString(), v: 1 }]);
    assert.equal(await store.zoneOf(key), 'Europe/Berlin');
    points.push([NOW - 1000, 1, undefined]);
    await expectHourly('Europe/Berlin');

    asset.timezone = 'UTC';
    assert.equal(await series.delete('t', 'a1', 'env', NOW - 2000, NOW), 1);
    points.pop();
    assert.equal(await store.zoneOf(key), 'UTC');
    await expectHourly('UTC');

    asset.timezone = 'Asia/Kolkata';
    await series.writeSeries('t', [{ assetId: 'a1', aspect: 'env', records: [{ _time: new Date(T0 + 97_000).toISOString(), v: 0 }] }]);
    assert.equal(await store.zoneOf(key), 'Asia/Kolkata');
    await expectHourly('Asia/Kolkata');
    assert.equal(JSON.parse(String((await series.read('t', 'a1', 'env', parseReadQuery({}))).json)).length, 1);
  });
});
