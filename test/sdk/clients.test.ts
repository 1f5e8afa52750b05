/**
 * The typed clients against a real server: asset management with HAL paging to the end, time series reads that
 * follow Link headers over 10,000 records, writes split under the body limit, aggregates v4 with the parameter
 * rules checked client-side (and the platform agreeing), and typed errors from every client method.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Authenticator, checkAggregateParams, IronbridgeClient, IronbridgeError, type TimeSeriesRecord } from '@ironbridge/sdk';
import { startServer, type TestServer } from '../helpers/server.js';

/** Records every request the client sends (method and URL), passing it to the real fetch. */
function recordingFetch(): { fetch: typeof fetch; log: string[] } {
  const log: string[] = [];
  return {
    log,
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      log.push(`${init?.method ?? 'GET'} ${String(input instanceof Request ? input.url : input)}`);
      return fetch(input, init);
    }) as typeof fetch,
  };
}

const rejection = async (p: Promise<unknown>): Promise<IronbridgeError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof IronbridgeError, `expected an IronbridgeError, got ${String(err)}`);
  return err;
};

describe('sdk typed clients', () => {
  let s: TestServer;
  let client: IronbridgeClient;
  let requests: string[];
  let T: string;
  let rootId: string;
  let assetId: string;

  before(async () => {
    s = await startServer();
    T = s.tenant;
    const rec = recordingFetch();
    requests = rec.log;
    client = new IronbridgeClient({
      baseUrl: s.url, fetch: rec.fetch,
      auth: new Authenticator({ tokenUrl: s.key.tokenUrl, clientId: s.key.clientId, clientSecret: s.key.clientSecret }),
    });
    await client.assets.putAspectType(`${T}.Env`, {
      name: 'Env', category: 'dynamic', scope: 'private',
      variables: [{ name: 'temperature', dataType: 'DOUBLE', unit: 'C', searchable: false, qualityCode: false },
        { name: 'count', dataType: 'INT', unit: '', searchable: false, qualityCode: false }],
    });
    await client.assets.putAssetType(`${T}.Sensor`, { name: 'Sensor', parentTypeId: 'core.basicasset', instantiable: true,
      aspects: [{ name: 'env', aspectTypeId: `${T}.Env` }] });
    rootId = (await client.assets.root()).assetId;
    assetId = (await client.assets.createAsset({ name: 'probe', typeId: `${T}.Sensor`, parentId: rootId })).assetId;
  });
  after(() => s.close());

  it('reads tenant info', async () => {
    assert.equal((await client.tenants.tenantInfo()).name, T);
  });

  it('pages through assets to the end as an async iterator', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `paged-${String(i).padStart(2, '0')}`);
    for (const name of names) await client.assets.createAsset({ name, typeId: `${T}.Sensor`, parentId: rootId });
    requests.length = 0;
    const seen: string[] = [];
    for await (const a of client.assets.assets({ size: 5, sort: 'name,asc', filter: { name: { startsWith: 'paged-' } } })) seen.push(a.name);
    assert.deepEqual(seen, names);
    assert.equal(requests.filter((r) => r.includes('/assets?')).length, 5, 'ceil(23/5) pages');
    const children = [];
    for await (const c of client.assets.children(rootId, { size: 7 })) children.push(c.name);
    assert.equal(children.length, 24);
    const types = [];
    for await (const t of client.assets.aspectTypes({ size: 1, filter: { id: { startsWith: `${T}.` } } })) types.push(t.id);
    assert.deepEqual(types, [`${T}.Env`]);
    await assert.rejects(async () => { for await (const _ of client.assets.assets({ size: 500 })) break; },
      (e: unknown) => e instanceof IronbridgeError && e.statusCode === 400 && /size/.test(e.message));
  });

  it('creates, patches and deletes types with optimistic locking', async () => {
    const id = `${T}.Spare`;
    const created = await client.assets.putAspectType(id, { name: 'Spare', category: 'static', description: 'one',
      variables: [{ name: 'serial', dataType: 'STRING', length: 20, unit: '', searchable: true, qualityCode: false }] });
    const again = await rejection(client.assets.putAspectType(id, { name: 'Spare', category: 'static', variables: [] }));
    assert.ok(again.statusCode === 409 || again.statusCode === 412, String(again.statusCode));
    const patched = await client.assets.patchAspectType(id, { description: 'two' }, { ifMatch: created.etag });
    assert.equal(patched.description, 'two');
    assert.equal((await client.assets.getAspectType(id)).etag, patched.etag);
    assert.equal((await rejection(client.assets.deleteAspectType(id, { ifMatch: created.etag }))).statusCode, 412);
    await client.assets.deleteAspectType(id, { ifMatch: patched.etag });
    assert.equal((await rejection(client.assets.getAspectType(id))).statusCode, 404);
    const inUse = await client.assets.getAssetType(`${T}.Sensor`);
    assert.equal((await rejection(client.assets.deleteAssetType(`${T}.Sensor`, { ifMatch: inUse.etag }))).statusCode, 409);
  });

  it('throws typed errors carrying the platform fields from every kind of call', async () => {
    const missing = await rejection(client.assets.getAsset('0123456789abcdef0123456789abcdef'));
    assert.equal(missing.statusCode, 404);
    assert.match(missing.code, /^mdsp\.core\./);
    assert.ok(missing.logref);
    assert.equal(missing.method, 'GET');
    assert.match(missing.describe(), /^GET http:\/\/.*\/assets\/0123456789abcdef0123456789abcdef: .* \(HTTP 404 mdsp\.core\.[\w.]+, logref [\w-]+\)$/);
    const a = await client.assets.getAsset(assetId);
    const stale = await rejection(client.assets.patchAsset(assetId, { description: 'x' }, { ifMatch: a.etag + 5 }));
    assert.equal(stale.statusCode, 412);
    const ts = await rejection(client.timeSeries.readAll(assetId, 'nope', { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' }));
    assert.equal(ts.statusCode, 404); // legacy {id,message} shape: code derived from the status
    assert.ok(ts.logref);
    const unreachable = await rejection(new IronbridgeClient({ baseUrl: 'http://127.0.0.1:1' }).tenants.tenantInfo());
    assert.equal(unreachable.code, 'network');
  });

  it('writes 10,000 records and reads them back following Link headers', async () => {
    const start = Date.parse('2024-03-01T00:00:00Z');
    const records: TimeSeriesRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
      _time: new Date(start + i * 1000).toISOString(), temperature: 20 + (i % 100) / 10, count: i,
    }));
    const progress: number[] = [];
    requests.length = 0;
    await client.timeSeries.write(assetId, 'env', records, (done) => progress.push(done));
    assert.equal(progress.at(-1), 10_000);
    assert.equal(requests.filter((r) => r.startsWith('PUT')).length, progress.length);
    requests.length = 0;
    const range = { from: new Date(start - 1), to: new Date(start + 10_000 * 1000) };
    const back = await client.timeSeries.readAll(assetId, 'env', range);
    assert.equal(back.length, 10_000);
    assert.deepEqual(back.map((r) => r['count']), records.map((r) => r['count']));
    assert.equal(back[9999]!._time, records[9999]!._time);
    assert.equal(requests.length, 5, '2000 per page by default, the last page without a Link');
    requests.length = 0;
    let n = 0;
    for await (const r of client.timeSeries.read(assetId, 'env', { ...range, limit: 999, sort: 'desc' })) {
      assert.equal(r['count'], 9999 - n);
      n++;
    }
    assert.equal(n, 10_000);
    assert.equal(requests.length, 11);
    const latest = await client.timeSeries.latest(assetId, 'env');
    assert.equal(latest?.['count'], 9999);
    await client.timeSeries.delete(assetId, 'env', new Date(start + 4999 * 1000), range.to);
    assert.equal((await client.timeSeries.readAll(assetId, 'env', range)).length, 5000);
  });

  it('checks aggregates v4 parameters before sending, in agreement with the platform', async () => {
    const base = { assetId, aspectName: 'env' };
    const bad: [Record<string, unknown>, string][] = [
      [{ intervalUnit: 'minute', intervalValue: 3 }, 'intervalValue'],
      [{ intervalUnit: 'hour', intervalValue: 25 }, 'intervalValue'],
      [{ intervalUnit: 'month', intervalValue: 4 }, 'intervalValue'],
      [{ intervalUnit: 'year', intervalValue: 1 }, 'intervalUnit'],
      [{ intervalValue: 2 }, 'intervalUnit'],
      [{ count: 0 }, 'count'],
      [{ from: '2024-03-01T00:00:00Z', to: '2024-03-03T00:00:00Z', intervalUnit: 'minute', intervalValue: 2 }, 'to'],
      [{ from: '2024-03-01T00:00:00Z', to: '2024-03-09T00:00:00Z', intervalUnit: 'hour', intervalValue: 1 }, 'to'],
      [{ from: '2024-03-02Z', to: '2024-03-01Z' }, 'from'],
      [{ from: 'yesterday' }, 'from'],
    ];
    for (const [params, field] of bad) {
      requests.length = 0;
      const err = await rejection(client.aggregates.get({ ...base, ...params } as never));
      assert.equal(err.statusCode, 400, JSON.stringify(params));
      assert.equal(err.messageParameters[0]?.value, field, JSON.stringify(params));
      assert.equal(requests.length, 0, 'nothing sent');
      // the platform rejects the same parameters
      const qs = new URLSearchParams(Object.entries({ ...base, ...params }).map(([k, v]) => [k, String(v)] as [string, string]));
      const res = await s.api(`/api/iottsaggregates/v4/aggregates?${qs}`);
      assert.equal(res.status, 400, `platform on ${JSON.stringify(params)}`);
    }
    assert.doesNotThrow(() => checkAggregateParams({ ...base, from: '2020-02-20Z', to: '2020-02-20T10Z', intervalUnit: 'hour', intervalValue: 2 }));
    assert.doesNotThrow(() => checkAggregateParams({ ...base, from: '2020-02-20T10:30-05:00', intervalUnit: 'minute' }));
    const aggs = await client.aggregates.get({ ...base, from: '2024-03-01T00:00:00Z', to: '2024-03-01T02:00:00Z', intervalUnit: 'hour', intervalValue: 1 });
    assert.equal(aggs.length, 2);
    assert.equal(Date.parse(aggs[0]!.starttime), Date.parse('2024-03-01T00:00:00Z'));
    assert.ok(aggs[0]!['count'] && typeof aggs[0]!['count'] === 'object');
  });
});
