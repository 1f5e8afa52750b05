/** IoT Time Series v3 over HTTP (IoT Time Series API v3): writes validated against the asset model, reads, paging, deletes. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fetchToken, type TestServer, useServer } from '../helpers/server.js';
import { SCOPES } from '../../src/core/scopes.js';
import { call } from '../assets/helpers.js';
import { json, makeAsset, put, TS } from './helpers.js';

const t0 = Date.parse('2024-03-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms).toISOString();

describe('IoT Time Series v3', () => {
  const server = useServer();
  let s: TestServer;
  let A: string;
  before(async () => {
    s = server();
    A = await makeAsset(s, 'Pump1');
  });

  const get = async (asset: string, query: string) => {
    const res = await s.api(`${TS}/${asset}/Env${query}`);
    return { status: res.status, body: await json(res), link: res.headers.get('link') };
  };

  it('stores records of every data type and reads them back at millisecond precision', async () => {
    const records = [
      { _time: at(1), temperature: 21.5, temperature_qc: 0, count: 7, total: 9007199254740991, on: true, label: 'abc',
        note: 'x'.repeat(900), seen: '2024-01-01T00:00:00Z' },
      { _time: '2024-03-01T01:00:00.002+01:00', temperature: -3 },
    ];
    const res = await put(s, A, 'Env', records);
    assert.equal(res.status, 204, await res.text());
    const r = await get(A, `?from=${at(0)}&to=${at(10)}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [
      { _time: at(1), temperature: 21.5, temperature_qc: 0, count: 7, total: 9007199254740991, on: true, label: 'abc',
        note: 'x'.repeat(900), seen: '2024-01-01T00:00:00.000Z' },
      { _time: at(2), temperature: -3 },
    ]);
  });

  it('replaces the whole record at an existing timestamp', async () => {
    assert.equal((await put(s, A, 'Env', [{ _time: at(100), temperature: 1, count: 1 }])).status, 204);
    assert.equal((await put(s, A, 'Env', [{ _time: at(100), count: 2 }])).status, 204);
    const r = await get(A, `?from=${at(99)}&to=${at(100)}`);
    assert.deepEqual(r.body, [{ _time: at(100), count: 2 }]);
  });

  it('rejects bad records naming the index and field, and stores nothing of the request', async () => {
    const cases: [unknown, RegExp][] = [
      [[{ _time: at(200), temperature: 1 }, { _time: at(201), nope: 1 }], /Record 1: field nope is not a variable/],
      [[{ _time: at(200), temperature: 'hot' }], /Record 0: field temperature must be a number/],
      [[{ _time: at(200), count: 1.5 }], /Record 0: field count must be a whole number/],
      [[{ _time: at(200), count: 2147483648 }], /field count must be a whole number between/],
      [[{ _time: at(200), on: 1 }], /field on must be true or false/],
      [[{ _time: at(200), label: '123456789' }], /field label is 9 characters long; at most 8/],
      [[{ _time: at(200), seen: 'yesterday' }], /field seen must be an ISO-8601/],
      [[{ _time: at(200), count_qc: 0 }], /count_qc is a quality code, but variable count has qualityCode false/],
      [[{ _time: at(200), temperature_qc: 'good' }], /temperature_qc must be a whole number/],
      [[{ _time: '2024-03-01 00:00:00', temperature: 1 }], /Record 0: field _time must be an ISO-8601/],
      [[{ _time: '2024-02-30T00:00:00Z', temperature: 1 }], /field _time is not a valid calendar date/],
      [[{ _time: '2024-03-01T00:00:00.0001Z', temperature: 1 }], /sub-millisecond/],
      [[{ temperature: 1 }], /Record 0: field _time is required/],
      [[5], /Record 0: field \(record\) must be a JSON object/],
      [{ _time: at(200) }, /must be a JSON array/],
    ];
    for (const [body, message] of cases) {
      const res = await put(s, A, 'Env', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const b = await json(res);
      assert.ok(b.id, 'legacy shape has id');
      assert.match(b.message, message);
      assert.deepEqual(Object.keys(b).sort(), ['id', 'message']);
    }
    const r = await get(A, `?from=${at(199)}&to=${at(300)}`);
    assert.deepEqual(r.body, []);
  });

  it('404 for an unknown asset or aspect, naming it', async () => {
    const r1 = await put(s, '0123456789abcdef0123456789abcdef', 'Env', [{ _time: at(1), temperature: 1 }]);
    assert.equal(r1.status, 404);
    assert.match((await json(r1)).message, /Asset 0123456789abcdef0123456789abcdef does not exist/);
    const r2 = await put(s, A, 'Nope', [{ _time: at(1), temperature: 1 }]);
    assert.equal(r2.status, 404);
    assert.match((await json(r2)).message, /has no aspect Nope; its aspects are: Env/);
    assert.equal((await get('0123456789abcdef0123456789abcdef', '')).status, 404);
  });

  it('413 for a body over the configured limit', async () => {
    const big = Array.from({ length: 6000 }, (_, i) => ({ _time: at(10_000 + i), note: 'y'.repeat(200) }));
    const res = await put(s, A, 'Env', big);
    assert.equal(res.status, 413);
    assert.deepEqual(await get(A, `?from=${at(9_999)}&to=${at(20_000)}`).then((r) => r.body), []);
  });

  it('GET: from exclusive, to inclusive, select with quality codes, sort desc, latest record without range', async () => {
    const B = await makeAsset(s, 'Pump2');
    const recs = [1, 2, 3, 4].map((i) => ({ _time: at(i * 1000), temperature: i, temperature_qc: i, count: i }));
    assert.equal((await put(s, B, 'Env', recs)).status, 204);
    assert.deepEqual((await get(B, `?from=${at(1000)}&to=${at(3000)}`)).body.map((r: { count: number }) => r.count), [2, 3]);
    assert.deepEqual((await get(B, `?from=${at(0)}&to=${at(9000)}&sort=desc`)).body.map((r: { count: number }) => r.count), [4, 3, 2, 1]);
    assert.deepEqual((await get(B, `?from=${at(0)}&to=${at(1000)}&select=temperature`)).body,
      [{ _time: at(1000), temperature: 1, temperature_qc: 1 }]);
    assert.deepEqual((await get(B, '')).body, [{ _time: at(4000), temperature: 4, temperature_qc: 4, count: 4 }]);
    assert.deepEqual((await get(B, `?from=${at(0)}`)).body.length, 4);
    assert.deepEqual((await get(B, `?to=${at(2000)}`)).body.length, 2);
  });

  it('GET: latestValue gives the newest value of each variable, possibly from different records', async () => {
    const C = await makeAsset(s, 'Pump3');
    await put(s, C, 'Env', [{ _time: at(1000), temperature: 1, count: 1 }, { _time: at(2000), temperature: 2 }]);
    const r = await get(C, '?latestValue=true&select=temperature,count');
    assert.deepEqual(r.body, [{ _time: at(1000), count: 1 }, { _time: at(2000), temperature: 2 }]);
  });

  it('GET parameters: 400 naming the parameter and listing the allowed values', async () => {
    const cases: [string, RegExp][] = [
      ['?from=yesterday', /from is invalid/],
      [`?from=${at(5)}&to=${at(1)}`, /from .* must be earlier than to/],
      ['?limit=2001', /limit is invalid: must be a whole number from 1 to 2000/],
      ['?limit=0', /limit/],
      ['?sort=up', /sort is invalid: must be one of asc, desc/],
      ['?latestValue=yes', /latestValue is invalid: must be one of true, false/],
      ['?select=nope', /select is invalid: nope is not a variable/],
    ];
    for (const [q, m] of cases) {
      const r = await get(A, q);
      assert.equal(r.status, 400, q);
      assert.match(r.body.message, m);
    }
  });

  it('continues with a Link header over 10,000 records with no gap or duplicate, both sort orders', async () => {
    const D = await makeAsset(s, 'Pump4');
    for (let b = 0; b < 10; b++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ _time: at((b * 1000 + i) * 7 + 1), count: b * 1000 + i }));
      assert.equal((await put(s, D, 'Env', batch)).status, 204);
    }
    for (const sort of ['asc', 'desc']) {
      const seen: number[] = [];
      let url: string | null = `${TS}/${D}/Env?from=${at(0)}&to=${at(70_000)}&sort=${sort}`;
      let pages = 0;
      while (url) {
        const res: Response = await s.api(url);
        assert.equal(res.status, 200);
        const page = await json(res) as { count: number }[];
        seen.push(...page.map((r) => r.count));
        const link = res.headers.get('link');
        url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
        pages++;
      }
      assert.equal(pages, 5);
      const expected = Array.from({ length: 10_000 }, (_, i) => i);
      assert.deepEqual(seen, sort === 'asc' ? expected : expected.reverse());
    }
  });

  it('a read written in pieces carries its exact length, its Link and JSON type; HEAD the same headers, no body', async () => {
    const G = await makeAsset(s, 'Pump7');
    const batch = (b: number) => Array.from({ length: 1000 }, (_, i) => ({ _time: at((b * 1000 + i) * 3 + 1), temperature: i / 8, label: 'é' }));
    for (let b = 0; b < 3; b++) assert.equal((await put(s, G, 'Env', batch(b))).status, 204);
    // spans of three chunks (the first and last in part), then a page ending inside the last chunk, asc and desc
    for (const q of [`?from=${at(1000)}&to=${at(8000)}&limit=1500`, `?from=${at(0)}&to=${at(10_000)}`, `?from=${at(500)}&to=${at(7000)}&sort=desc`]) {
      const res = await s.api(`${TS}/${G}/Env${q}`);
      assert.equal(res.status, 200);
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(res.headers.get('content-length'), String(body.length), q);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      const records = JSON.parse(body.toString()) as { _time: string }[];
      assert.ok(records.length > 1000 && records.every((r) => typeof r._time === 'string'), q);
      assert.ok(res.headers.get('link') !== null, q);
      const head = await s.api(`${TS}/${G}/Env${q}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(body.length), q);
      assert.equal(head.headers.get('link'), res.headers.get('link'), q);
      assert.equal((await head.arrayBuffer()).byteLength, 0);
    }
  });
  it('multi-entity PUT: 202 with per-pair errors, the good pairs stored', async () => {
    const E = await makeAsset(s, 'Pump5');
    const res = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: [
      { entityId: E, propertySetName: 'Env', data: [{ _time: at(1), temperature: 5 }] },
      { entityId: E, propertySetName: 'Env2', data: [{ _time: at(1), temperature: 5 }] },
      { entityId: E, propertySetName: 'Env', data: [{ _time: at(2), bad: 5 }] },
    ] }) });
    assert.equal(res.status, 202);
    const body = await json(res);
    assert.deepEqual(body.errors.map((e: { index: number; status: number }) => [e.index, e.status]), [[1, 404], [2, 400]]);
    assert.match(body.errors[1].message, /Record 0: field bad/);
    assert.deepEqual((await get(E, `?from=${at(0)}&to=${at(10)}`)).body, [{ _time: at(1), temperature: 5 }]);
    const none = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: [] }) });
    assert.equal(none.status, 400);
    assert.match((await json(none)).message, /timeseries must hold at least one asset\/aspect pair/);
    const records = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: [{ entityId: E, propertySetName: 'Env',
      data: Array.from({ length: 10_001 }, (_, i) => ({ _time: at(i + 1), count: i })) }] }) });
    assert.equal(records.status, 400);
    assert.match((await json(records)).message, /10001 records; at most 10000/);
  });

  it('PATCH merges given variables, within 24 hours, at most 10 records, no BIG_STRING', async () => {
    const F = await makeAsset(s, 'Pump6');
    const now = Date.now() - 60_000;
    const t = new Date(now).toISOString();
    await put(s, F, 'Env', [{ _time: t, temperature: 1, count: 1 }]);
    const patch = (body: unknown) => s.api(`${TS}/${F}/Env`, { method: 'PATCH', body: JSON.stringify(body) });
    assert.equal((await patch([{ _time: t, count: 2, label: 'x' }])).status, 204);
    assert.deepEqual((await get(F, '')).body, [{ _time: t, temperature: 1, count: 2, label: 'x' }]);
    const old = await patch([{ _time: new Date(now - 25 * 3600_000).toISOString(), count: 1 }]);
    assert.equal(old.status, 400);
    assert.match((await json(old)).message, /_time must lie between/);
    assert.match((await json(await patch([{ _time: t, note: 'n' }]))).message, /BIG_STRING, which this operation does not accept/);
    const many = await patch(Array.from({ length: 11 }, (_, i) => ({ _time: new Date(now - i).toISOString(), count: i })));
    assert.match((await json(many)).message, /11 records; at most 10/);
  });

  it('DELETE removes from (exclusive) to (inclusive) and requires both', async () => {
    const G = await makeAsset(s, 'Pump7');
    await put(s, G, 'Env', [1, 2, 3, 4].map((i) => ({ _time: at(i), count: i })));
    const del = await s.api(`${TS}/${G}/Env?from=${at(1)}&to=${at(3)}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.deepEqual((await get(G, `?from=${at(0)}&to=${at(9)}`)).body.map((r: { count: number }) => r.count), [1, 4]);
    const missing = await s.api(`${TS}/${G}/Env?from=${at(1)}`, { method: 'DELETE' });
    assert.equal(missing.status, 400);
    assert.match((await json(missing)).message, /to is missing/);
  });

  it('deleting the asset deletes its series; removing the aspect from the type hides and deletes them', async () => {
    const H = await makeAsset(s, 'Gone', { aspect: 'Vib', variables: [{ name: 'v', dataType: 'DOUBLE', unit: '' }] });
    await put(s, H, 'Vib', [{ _time: at(1), v: 1 }]);
    const asset = await call(s, 'GET', `/assets/${H}`);
    const del = await call(s, 'DELETE', `/assets/${H}`, undefined, { 'if-match': String(asset.body.etag) });
    assert.equal(del.status, 204, JSON.stringify(del.body));
    assert.equal((await s.api(`${TS}/${H}/Vib`)).status, 404);
    const store = s.platform.contexts.find((c) => c.name === 'timeseries') as unknown as { store: { assetsWithAspect(t: string, a: string): Promise<string[]> } };
    assert.deepEqual(await store.store.assetsWithAspect(s.tenant, 'Vib'), []);

    const K = await makeAsset(s, 'Kept', { aspect: 'Vib2', variables: [{ name: 'v', dataType: 'DOUBLE', unit: '' }] });
    await put(s, K, 'Vib2', [{ _time: at(1), v: 1 }]);
    const type = await call(s, 'GET', `/assettypes/${s.tenant}.TypeVib2`);
    const upd = await call(s, 'PUT', `/assettypes/${s.tenant}.TypeVib2`, { name: 'TypeVib2', parentTypeId: 'core.basicasset', aspects: [] },
      { 'if-match': String(type.body.etag) });
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    assert.equal((await s.api(`${TS}/${K}/Vib2`)).status, 404);
    assert.deepEqual(await store.store.assetsWithAspect(s.tenant, 'Vib2'), []);
  });

  it('isolates tenants and enforces scopes', async () => {
    await s.platform.provisionTenant('other', 'other.localhost');
    const key = await s.platform.identity.service.createKey('other', 'k');
    const otherToken = await fetchToken(s.url, key);
    const r = await s.api(`${TS}/${A}/Env?from=${at(0)}&to=${at(10)}`, { token: otherToken });
    assert.equal(r.status, 404);
    const w = await s.api(`${TS}/${A}/Env`, { method: 'PUT', token: otherToken, body: JSON.stringify([{ _time: at(3), count: 1 }]) });
    assert.equal(w.status, 404);
    const agg = await s.api(`/api/iottsaggregates/v4/aggregates?assetId=${A}&aspectName=Env&from=${at(0)}&to=${at(3600_000)}&intervalUnit=hour&intervalValue=1`, { token: otherToken });
    assert.equal(agg.status, 404);
    const del = await s.api(`${TS}/${A}/Env?from=${at(0)}&to=${at(10)}`, { method: 'DELETE', token: otherToken });
    assert.equal(del.status, 404);
    assert.equal((await get(A, `?from=${at(0)}&to=${at(10)}`)).body.length, 2, 'the owner still has its records');
    const readOnly = await s.platform.identity.service.createKey(s.tenant, 'ro', { scopes: [SCOPES.timeseriesRead] });
    const roToken = await fetchToken(s.url, readOnly);
    const denied = await s.api(`${TS}/${A}/Env`, { method: 'PUT', token: roToken, body: JSON.stringify([{ _time: at(3), count: 1 }]) });
    assert.equal(denied.status, 403);
  });
});
