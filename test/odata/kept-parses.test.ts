/**
 * The service keeps the parses of a request's path and query (deep-frozen, by their text) and the printed options
 * of next links (serve/service.ts `kept`, `printed`): a request repeated gives the same answer as its first time,
 * whatever it asks for ($filter, $select, $orderby, $expand, $top, $skip, $count, keys, navigation, `/$count`),
 * next links followed twice give the same pages, and a query that fails to parse fails the same way every time
 * (errors are not kept). The read-only check of the routes (a callback hook) still answers writes with 405.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { buildFixture, type Fixture } from './helpers.js';

describe('kept parses', () => {
  const s = useServer();
  let f: Fixture;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await s().api(path.startsWith('http') ? path.replace(s().url, '') : `${f.service}${path}`, { headers });
    return { status: r.status, allow: r.headers.get('allow'), body: await r.text() };
  };
  const TS = 'PowerConsumption_PrimaryMotor_Turbine';

  it('a repeated request answers as the first one, for every kind of resource and option', async () => {
    f = await buildFixture(s(), 12);
    const paths = [
      '', '$metadata', 'Turbine', 'Turbine?$orderby=name desc&$top=2&$skip=1&$count=true', 'Turbine?$select=name,assetId&$filter=startswith(name,\'CNG\')',
      `Turbine('${f.c1}')`, `Turbine('${f.c1}')/ChildrenTurbine?$count=true`, `Turbine('${f.c1}')/ParentTurbine`,
      'Turbine?$expand=ParentTurbine($select=name),ChildrenCNGTurbine($orderby=name desc;$count=true)',
      `${TS}?$filter=assetId eq '${f.c1}'`, `${TS}?$filter=assetId eq '${f.c1}' and timestamp gt '2024-03-01T00:02:00'&$orderby=timestamp desc&$top=5`,
      `${TS}?$filter=timestamp le '2024-03-01T00:05:00'&$select=timestamp,assetId&$count=true`, `${TS}/$count?$filter=assetId eq '${f.t1}'`,
      `${TS}?$expand=asset($select=name)&$top=3`,
    ];
    // the oracle: the same request with a custom option in front (ignored by the service), a text parsed afresh
    let nonce = 0;
    const fresh = (path: string) => path.replace(/^([^?]*)\??/, (_, p: string) => `${p}?custom${nonce++}=1&`);
    for (const path of paths) {
      const first = await get(fresh(path));
      assert.equal(first.status, 200, `${path}: ${first.body.slice(0, 300)}`);
      for (let i = 0; i < 2; i++) assert.deepEqual(await get(path), first, path);
    }
    // and in turns, each path after all the others
    for (const path of paths) assert.deepEqual(await get(path), await get(fresh(path)), path);
  });

  it('next links of a kept query give the same pages when followed again', async () => {
    const walk = async () => {
      const pages: string[] = [];
      for (let next: string | undefined = `${TS}?$filter=timestamp le '2024-03-01T00:10:00'&$orderby=timestamp desc`; next && pages.length < 100;) {
        const r = await get(next, { prefer: 'odata.maxpagesize=4' });
        assert.equal(r.status, 200, r.body.slice(0, 300));
        pages.push(r.body);
        next = (JSON.parse(r.body) as { '@odata.nextLink'?: string })['@odata.nextLink'];
      }
      return pages;
    };
    const once = await walk();
    assert.ok(once.length > 3, `${once.length} pages`);
    assert.deepEqual(await walk(), once);
  });

  it('a query that does not parse is refused the same way each time, and writes are 405', async () => {
    for (const path of [`${TS}?$filter=assetId eq`, 'Turbine?$top=-1', 'Turbine?$top=1&$top=2', 'Turbine?$search=x', 'Turbine?$filter=%ZZ', 'Turbine(', 'Nope']) {
      // each error has its own logref
      const refused = async () => {
        const r = await get(path);
        return { ...r, body: r.body.replace(/"logref":"[^"]*"/, '"logref":""') };
      };
      const first = await refused();
      assert.ok(first.status >= 400 && first.status < 500, `${path}: ${first.status}`);
      assert.match(first.body, /"error":\{"code"/, path);
      for (let i = 0; i < 2; i++) assert.deepEqual(await refused(), first, path);
    }
    for (const method of ['PATCH', 'DELETE', 'PUT']) {
      const r = await s().api(`${f.service}Turbine('${f.c1}')`, { method, body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
  });
});
