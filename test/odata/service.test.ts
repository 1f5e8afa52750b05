/**
 * An OData service over the wire: bearer auth (401 + WWW-Authenticate), read-only (405 + Allow), every
 * unsupported query and enumeration error in the OData error shape (never a 500), 404 for a missing key, exact
 * counts, server-driven paging without gap or duplicate (also past 2000 rows), POST {set}/$query, and the request
 * sequence a Mendix data grid sends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { buildFixture, json, putRecords, type Fixture } from './helpers.js';

describe('OData service', () => {
  const s = useServer();
  let f: Fixture;
  const get = (path: string, init: RequestInit & { token?: string | null } = {}) => s().api(`${f.service}${path}`, init);
  const TS = 'PowerConsumption_PrimaryMotor_Turbine';
  const AGG = 'AGGR_PowerConsumption_PrimaryMotor_Turbine';

  async function error(path: string, status: number, code: string, message: RegExp, init: RequestInit = {}) {
    const r = await get(path, init);
    const body = await json(r);
    assert.equal(r.status, status, `${path}: ${JSON.stringify(body)}`);
    assert.equal(body.error.code, code, path);
    assert.match(body.error.message, message, path);
    return { r, body };
  }

  it('needs a bearer token: 401 with WWW-Authenticate', async () => {
    f = await buildFixture(s(), 30);
    for (const init of [{ token: null }, { token: 'not-a-jwt' }]) {
      const r = await get('Turbine', init);
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate')!, /^Bearer/);
      assert.ok((await json(r)).error.message);
    }
  });

  it('is read-only: 405 with Allow for every write', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const { r } = await error(`Turbine('${f.t1}')`, 405, 'ironbridge.odata.readOnly', /read-only/, { method, body: '{}' });
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
    await error('Turbine', 405, 'ironbridge.odata.readOnly', /POST is not allowed/, { method: 'POST', body: '{}' });
    // before the body is read: malformed JSON, a foreign media type, a write on an unknown set
    for (const [type, body] of [['application/json', '{'], ['application/xml', '<a'], ['application/octet-stream', 'x']] as const) {
      const { r } = await error('Turbine', 405, 'ironbridge.odata.readOnly', /POST is not allowed/, { method: 'POST', body, headers: { 'content-type': type } });
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
    await error('Nope(1)', 405, 'ironbridge.odata.readOnly', /PATCH is not allowed/, { method: 'PATCH', body: '{', headers: { 'content-type': 'application/json' } });
    const anonymous = await get('Turbine', { method: 'DELETE', token: null });
    assert.equal(anonymous.status, 401, 'the token is checked first');
  });

  it('answers every unsupported query with a 400 that says what is supported', async () => {
    const cases: [string, RegExp][] = [
      ["Turbine?$filter=description eq 'x'", /Filtering on description is not supported.*Filter assets with eq, contains/],
      ["Turbine?$filter=name ne 'x'", /name ne is not supported/],
      ["Turbine?$filter=name eq 'a' or name eq 'b'", /The operator or is not supported/],
      ["Turbine?$filter=length(name) eq 3", /only a property compared with a literal/],
      [`${TS}?$filter=timestamp lt 2024-03-01T00:10:00Z`, /timestamp lt .*gt, meaning after, and le/],
      [`${TS}?$orderby=current desc`, /Sorting PowerConsumption_PrimaryMotor_Turbine by current is not supported.*only be sorted by timestamp/],
      [`${TS}?$filter=current gt 3`, /Filtering on current is not supported/],
      ['Turbine?$search=pump', /Free-text \$search is not supported/],
      ['Turbine?$apply=groupby((name))', /Data aggregation/],
    ];
    for (const [path, message] of cases) await error(path, 400, 'ironbridge.odata.notSupported', message);
    await error('Turbine?$filter=name eq', 400, 'ironbridge.odata.invalidQuery', /expected a property, a literal/);
    await error('Turbine?$top=-1', 400, 'ironbridge.odata.invalidQuery', /\$top is invalid/);
    await error('Turbine?$select=nope', 400, 'ironbridge.odata.invalidQuery', /nope is not a property of Turbine/);
    await error('Turbine?$skiptoken=abc', 400, 'ironbridge.odata.invalidQuery', /not a continuation/);
    await error('Turbine?$expand=Nope', 400, 'ironbridge.odata.invalidQuery', /Nope is not a navigation property/);
    await error('Nope', 404, 'ironbridge.odata.notFound', /entity set Nope/);
    await error("Turbine('0000')", 404, 'ironbridge.odata.notFound', /entity of Turbine/);
  });

  it('bounds hostile queries before work and never answers 500', async () => {
    await error(`Turbine?$filter=${'('.repeat(100)}name eq 'a'${')'.repeat(100)}`, 400, 'ironbridge.odata.queryTooLarge', /nesting deeper than 32/);
    await error(`Turbine?$filter=${'a eq 1 and '.repeat(600)}a eq 1`, 400, 'ironbridge.odata.queryTooLarge', /at most 1000 tokens/);
    await error(`Turbine?$filter=${'x'.repeat(9000)}`, 400, 'ironbridge.odata.queryTooLarge', /at most 8192 characters/);
    await error('Turbine?$expand=ChildrenTurbine($expand=ChildrenTurbine($expand=ChildrenTurbine($expand=ChildrenTurbine)))', 400, 'ironbridge.odata.queryTooLarge', /\$expand nested deeper than 3/);
    for (const q of ["$filter='", '$filter=%E0%A4%A', '$orderby=,', '$filter=name eq 1e999', "$filter=contains(name)", '$top=99999999999']) {
      const r = await get(`Turbine?${q}`);
      assert.equal(r.status, 400, q);
    }
  });

  it('checks enumerations and lists the allowed values (seed §8.4)', async () => {
    await error(`${AGG}?$filter=intervalUnit eq 'day'`, 400, 'ironbridge.odata.invalidEnumerationValue', /'day' is not a valid value of intervalUnit; allowed values are minutes, hours, days, weeks, months/);
    await error(`${AGG}?$filter=aggregationType eq 'avg'`, 400, 'ironbridge.odata.invalidEnumerationValue', /allowed values are average, countbad/);
    await error(`${AGG}?$filter=variableName eq 'rpm'`, 400, 'ironbridge.odata.invalidEnumerationValue', /allowed values are current, voltage, state/);
    await error(`${AGG}?$filter=intervalUnit eq 'minutes' and intervalValue eq 3`, 400, 'ironbridge.odata.invalidEnumerationValue', /2, 4, 6, …, 60/);
  });

  it('reads entities by key, time series with both literal forms, aggregates and $expand', async () => {
    const one = await json(await get(`${TS}(assetId='${f.t1}',timestamp='2024-03-01T00:05:00')`));
    assert.equal(one.current, 2);
    assert.equal(one['@odata.context'].endsWith(`$metadata#${TS}/$entity`), true);
    const a = await json(await get(`${TS}?$filter=assetId eq '${f.t1}' and timestamp gt 2024-03-01T00:05:00Z and timestamp le '2024-03-01T00:07:00'&$select=timestamp,current`));
    assert.deepEqual(a.value, [{ timestamp: '2024-03-01T00:06:00.000Z', current: 2.5 }, { timestamp: '2024-03-01T00:07:00.000Z', current: 3 }]);
    const agg = await json(await get(`${AGG}?$filter=assetId eq '${f.t1}' and variableName eq 'current' and aggregationType eq 'sum' and intervalUnit eq 'minutes' and intervalValue eq 10 and timestamp gt 2024-02-29T23:59:59Z and intervalCount eq 2`));
    assert.deepEqual(agg.value.map((r: { timestamp: string; value: number }) => [r.timestamp, r.value]),
      [['2024-03-01T00:00:00.000Z', 22.5], ['2024-03-01T00:10:00.000Z', 72.5]]);
    const expanded = await json(await get(`CNGTurbine('${f.l1}')?$expand=AsTurbine($select=name),ParentCNGTurbine,PrimaryMotor($top=2;$orderby=timestamp desc;$count=true)`));
    assert.equal(expanded.AsTurbine.name, 'LPG one');
    assert.equal(expanded.ParentCNGTurbine.assetId, f.c1);
    assert.equal(expanded['PrimaryMotor@odata.count'], 30);
    assert.deepEqual(expanded.PrimaryMotor.map((r: { timestamp: string }) => r.timestamp), ['2024-03-01T00:30:00.000Z', '2024-03-01T00:29:00.000Z']);
    assert.equal(expanded['PrimaryMotor@odata.nextLink'], undefined, '$top=2 asked for two');
    const nav = await json(await get(`Turbine('${f.c1}')/ChildrenLPGTurbine`));
    assert.deepEqual(nav.value.map((t: { assetId: string }) => t.assetId), [f.l1]);
    assert.equal(await (await get(`Turbine('${f.l1}')/PrimaryMotor/$count`)).text(), '30');
  });

  it('pages on the server with next links that end with no gap and no duplicate, past 2000 rows too', async () => {
    await putRecords(s(), f.c2, 'PrimaryMotor', 2500);
    const walk = async (first: string, headers: Record<string, string> = {}) => {
      const rows: string[] = [];
      let url: string | undefined = `${f.service}${first}`;
      let count: number | undefined;
      let pages = 0;
      while (url) {
        const r = await s().api(url.replace(s().url, ''), { headers });
        const body = await json(r);
        assert.equal(r.status, 200, JSON.stringify(body));
        assert.ok(body.value.length <= 2000);
        count ??= body['@odata.count'];
        rows.push(...body.value.map((v: { assetId: string; timestamp?: string }) => `${v.assetId}|${v.timestamp ?? ''}`));
        url = body['@odata.nextLink'];
        pages++;
      }
      return { rows, count, pages };
    };
    const all = await walk(`${TS}?$count=true`);
    assert.equal(all.count, 90 + 2500);
    assert.equal(all.rows.length, 2590);
    assert.equal(new Set(all.rows).size, 2590);
    assert.equal(all.pages, 2);
    const small = await walk(`${TS}?$filter=assetId eq '${f.c2}'&$orderby=timestamp desc&$skip=5&$top=33`, { prefer: 'odata.maxpagesize=7' });
    assert.equal(small.pages, 5);
    assert.deepEqual(small.rows, Array.from({ length: 33 }, (_, i) => `${f.c2}|${new Date(Date.parse('2024-03-01T00:00:00Z') + (2500 - 5 - i) * 60_000).toISOString()}`));
    const assets = await walk('Turbine?$orderby=name desc', { prefer: 'odata.maxpagesize=1' });
    assert.deepEqual(assets.rows.map((r) => r.split('|')[0]), [f.t1, f.l1, f.c2, f.c1]);
    const agg = await walk(`${AGG}?$filter=assetId eq '${f.c2}' and intervalUnit eq 'minutes' and variableName eq 'current' and aggregationType eq 'countgood'&$count=true`, { prefer: 'odata.maxpagesize=400' });
    assert.equal(agg.count, 1250, 'records at minutes 1..2500 fall into 1250 two-minute intervals');
    assert.equal(new Set(agg.rows).size, 1250);
    assert.equal(agg.pages, 4);
  });

  it('serves POST {set}/$query with the query as text/plain', async () => {
    const r = await s().api(`${f.service}Turbine/$query`, { method: 'POST', body: "$filter=name eq 'CNG two'&$select=name", headers: { 'content-type': 'text/plain' } });
    assert.deepEqual((await json(r)).value, [{ name: 'CNG two' }]);
    const bad = await s().api(`${f.service}Turbine/$query`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 415);
  });

  it('answers the request sequence of a Mendix data grid', async () => {
    const headers = { accept: 'application/json', 'odata-maxversion': '4.0', 'odata-version': '4.0' };
    const meta = await get('$metadata', { headers: { accept: 'application/xml' } });
    assert.equal(meta.status, 200);
    // first grid page: count, then the rows with $select/$filter/$orderby/$top/$skip
    const filter = `$filter=${encodeURIComponent(`assetId eq '${f.c1}' and timestamp gt '2024-03-01T00:00:00' and timestamp le '2024-03-01T00:20:00'`)}`;
    assert.equal(await (await get(`${TS}/$count?${filter}`, { headers })).text(), '20');
    const page1 = await json(await get(`${TS}?$select=assetId,timestamp,current,voltage&${filter}&$orderby=timestamp desc&$top=10&$skip=0&$count=true`, { headers }));
    assert.equal(page1['@odata.count'], 20);
    assert.equal(page1.value.length, 10);
    assert.equal(page1.value[0].timestamp, '2024-03-01T00:20:00.000Z');
    assert.deepEqual(Object.keys(page1.value[0]), ['assetId', 'timestamp', 'current', 'voltage']);
    assert.match(page1['@odata.context'], /#PowerConsumption_PrimaryMotor_Turbine\(assetId,timestamp,current,voltage\)$/);
    const page2 = await json(await get(`${TS}?$select=assetId,timestamp,current,voltage&${filter}&$orderby=timestamp desc&$top=10&$skip=10&$count=true&$format=json`, { headers }));
    assert.equal(page2.value[9].timestamp, '2024-03-01T00:01:00.000Z');
    assert.equal(page2['@odata.nextLink'], undefined);
    const assets = await json(await get(`Turbine?$select=name,typeId&$filter=${encodeURIComponent("startswith(name,'CNG') and contains(typeId,'CNG')")}&$orderby=name&$top=20&$skip=0&$count=true`, { headers }));
    assert.deepEqual(assets.value, [{ name: 'CNG one', typeId: 'local.CNGTurbine' }, { name: 'CNG two', typeId: 'local.CNGTurbine' }]);
  });
});
