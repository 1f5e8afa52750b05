/**
 * The multi-entity PUT at plant scale (issue 17, "Many series per write"): Insights Hub's limits (5 pairs, 100
 * records, 100 KB) raised to this server's settings (1 MB, 10,000 records, any number of pairs by default), the
 * per-pair report kept, every accepted pair stored in one transaction; the limits follow the settings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { json, makeAsset, TS } from './helpers.js';

const t0 = Date.parse('2024-05-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms).toISOString();
const VARS = [{ name: 'v', dataType: 'DOUBLE', unit: '' }];

describe('multi-entity PUT with the default limits', () => {
  const server = useServer();

  it('takes 200 pairs × 50 records (10,000 records) in one request and reports a bad pair among them', async () => {
    const s = server();
    const ids: string[] = [];
    for (let a = 0; a < 4; a++) ids.push(await makeAsset(s, `Plant${a}`, { aspect: 'Line', variables: VARS }));
    // 200 pairs over 4 assets: each asset's series gets 50 distinct slices of 50 timestamps.
    const timeseries = Array.from({ length: 200 }, (_, p) => ({
      entityId: ids[p % 4]!, propertySetName: p === 7 ? 'Nope' : 'Line',
      data: Array.from({ length: 50 }, (_, i) => ({ _time: at((Math.floor(p / 4) * 50 + i) * 1000 + 1), v: p + i / 100 })),
    }));
    const res = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries }) });
    assert.equal(res.status, 202);
    const body = await json(res);
    assert.deepEqual(body.errors.map((e: { index: number; status: number }) => [e.index, e.status]), [[7, 404]]);
    let stored = 0;
    for (const id of ids) {
      let next: string | undefined = `${TS}/${id}/Line?from=${at(0)}&to=${at(1e9)}`;
      while (next) {
        const r: Response = await s.api(next);
        assert.equal(r.status, 200);
        stored += (await json(r) as unknown[]).length;
        next = /^<([^>]+)>; rel="next"$/.exec(r.headers.get('link') ?? '')?.[1];
      }
    }
    assert.equal(stored, 199 * 50);
  });

  it('answers 413 for a body over 1 MB', async () => {
    const s = server();
    const id = await makeAsset(s, 'PlantBig', { aspect: 'Line', variables: VARS });
    const data = Array.from({ length: 9000 }, (_, i) => ({ _time: at(i * 1000 + 1), v: 1234567.123456789 + i }));
    const body = JSON.stringify({ timeseries: [{ entityId: id, propertySetName: 'Line', data }, { entityId: id, propertySetName: 'Line', data }] });
    assert.ok(body.length > 1024 * 1024);
    const res = await s.api(TS, { method: 'PUT', body });
    assert.equal(res.status, 413);
  });
});

describe('multi-entity PUT with limits from the settings', () => {
  const server = useServer({ timeseriesBatchMaxPairs: 5, timeseriesBatchMaxRecords: 100 });

  it('refuses more pairs or records than the settings allow, naming the field and the rule', async () => {
    const s = server();
    const id = await makeAsset(s, 'Small', { aspect: 'Line', variables: VARS });
    const pairs = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: Array.from({ length: 6 }, () => ({ entityId: id, propertySetName: 'Line', data: [] })) }) });
    assert.equal(pairs.status, 400);
    assert.match((await json(pairs)).message, /timeseries must hold 1 to 5 asset\/aspect pairs \(it holds 6\)/);
    const records = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: [{ entityId: id, propertySetName: 'Line',
      data: Array.from({ length: 101 }, (_, i) => ({ _time: at(i + 1), v: i })) }] }) });
    assert.equal(records.status, 400);
    assert.match((await json(records)).message, /101 records; at most 100/);
  });
});
