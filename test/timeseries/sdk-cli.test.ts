/**
 * The public SDK's TimeSeriesClient and aggregate clients (v3, v4) and the CLI's `mc ts` and `mc ag` against the
 * test server (the public MindConnect Node.js SDK (TimeSeriesClient, REST clients, mc commands, running it against a local server)).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MindSphereSdk } from '@mindconnect/mindconnect-nodejs';
import { mcSession } from '../helpers/mc.js';
import { type TestServer, useServer } from '../helpers/server.js';
import { makeAsset } from './helpers.js';

const t0 = Date.parse('2024-05-01T00:00:00.000Z');

describe('public SDK and CLI against the time series API', () => {
  const server = useServer();
  let s: TestServer;
  let sdk: MindSphereSdk;
  let A: string;
  before(async () => {
    s = server();
    A = await makeAsset(s, 'SdkPump');
    const basicAuth = `Basic ${Buffer.from(`${s.key.clientId}:${s.key.clientSecret}`).toString('base64')}`;
    sdk = new MindSphereSdk({ tenant: s.tenant, gateway: s.url, basicAuth });
  });

  it('TimeSeriesClient writes, reads, pages bulk-style through Link and deletes', async () => {
    const ts = sdk.GetTimeSeriesClient();
    const records = Array.from({ length: 2500 }, (_, i) => ({ _time: new Date(t0 + i * 1000).toISOString(), temperature: i / 2, count: i }));
    await ts.PutTimeSeries(A, 'Env', records.slice(0, 1500));
    await ts.PutTimeSeries(A, 'Env', records.slice(1500));
    const some = await ts.GetTimeSeries(A, 'Env', { from: new Date(t0), to: new Date(t0 + 10_000), select: 'count' });
    assert.deepEqual(some.map((r) => r['count']), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const latest = await ts.GetTimeSeries(A, 'Env');
    assert.deepEqual(latest, [records[2499]]);
    let page = await ts.GetTimeSeriesBulkStyle(A, 'Env', { from: new Date(t0 - 1), to: new Date(t0 + 3_000_000), limit: 1000 });
    const all = [...page.records];
    while (page.nextRecord) {
      page = await ts.GetNextRecordsBulkStyle(page.nextRecord);
      all.push(...page.records);
    }
    assert.deepEqual(all, records);
    await ts.DeleteTimeSeries(A, 'Env', new Date(t0 + 999_000), new Date(t0 + 3_000_000));
    assert.equal((await ts.GetTimeSeries(A, 'Env', { from: new Date(t0 - 1), to: new Date(t0 + 3_000_000) })).length, 1000);
  });

  it('aggregate clients v4 and v3 return numeric aggregates per interval', async () => {
    const v4 = await sdk.GetTimeSeriesAggregateClientV4().GetAggregates({
      assetId: A, aspectName: 'Env', from: new Date(t0).toISOString(), to: new Date(t0 + 3600_000).toISOString(),
      intervalUnit: 'minute', intervalValue: 10 });
    const list = v4.aggregates!;
    assert.equal(list.length, 2); // 0..999 s remain: intervals (00:00, 00:10] and (00:10, 00:20]
    const first = list[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(first['starttime'], new Date(t0).toISOString());
    assert.equal(first['count'].countgood, 600);
    assert.equal(first['count'].sum, (600 * 601) / 2);
    assert.equal(first['count'].firstvalue, 1);
    assert.equal(first['count'].lastvalue, 600);
    const v3 = await sdk.GetTimeSeriesAggregateClient().GetAggregates(A, 'Env', {
      from: new Date(t0), to: new Date(t0 + 3600_000), intervalUnit: 'hour', intervalValue: 1, select: 'temperature' });
    const arr = v3 as unknown as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(Array.isArray(arr));
    assert.equal(arr.length, 1);
    assert.equal(arr[0]!['temperature'].countgood, 999);
    assert.equal(arr[0]!['temperature'].maxvalue, 499.5);
    assert.equal(arr[0]!['count'], undefined);
  });

  it('mc ts lists the records following Link, and mc ag prints the aggregates', async (t) => {
    const session = mcSession('pk');
    t.after(() => session.dispose());
    const add = await session.addServiceCredentials(s.key, s.url, s.tenant);
    assert.equal(add.code, 0, add.out);
    const list = await session.run(['ts', '--assetid', A, '--aspectname', 'Env', '--from', new Date(t0 - 1).toISOString(),
      '--to', new Date(t0 + 3_000_000).toISOString(), '--count', '400', '--passkey', 'pk']);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /There were \S*1000\S* timeseries entries/);
    assert.match(list.out, /2024-05-01T00:16:39\.000Z\s+count: 999\s+temperature: 499\.5/);
    const ag = await session.run(['ag', '--assetid', A, '--aspectname', 'Env', '--from', new Date(t0).toISOString(),
      '--to', new Date(t0 + 3600_000).toISOString(), '--intervalunit', 'hour', '--intervalvalue', '1', '--passkey', 'pk']);
    assert.equal(ag.code, 0, ag.out);
    assert.match(ag.out, /temperature/);
    assert.match(ag.out, /temperature\s+250\.000\s+249750\.000\s+0\.500\s+499\.500\s+144\.193\s+999/); // records 1..999
  });
});
