/**
 * $expand over a page (read in batches: one lookup per single-valued navigation, one query for the children of
 * a page) answers exactly what the navigation of each entity answers on its own; nested paging continues over
 * `Nav@odata.nextLink`; a response that would hold more entities than the budget is a 400 before it is built.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAsset } from '../assets/helpers.js';
import { useServer } from '../helpers/server.js';
import { buildFixture, json, putRecords, type Fixture } from './helpers.js';

describe('$expand', () => {
  const s = useServer({ odataMaxResponseEntities: 2000 });
  let f: Fixture;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await s().api(path.startsWith('http') ? path.replace(s().url, '') : `${f.service}${path}`, { headers });
    const body = await json(r);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(body)}`);
    return body;
  };

  it('a page expanded in batches equals each entity\'s own navigation', async () => {
    f = await buildFixture(s(), 5);
    const page = await get('Turbine?$orderby=name&$expand=ParentTurbine($select=name,assetId),ChildrenCNGTurbine($orderby=name desc;$count=true;$select=name),AsCNGTurbine($select=gas)');
    assert.equal(page.value.length, 4);
    for (const e of page.value) {
      const key = `Turbine('${e.assetId}')`;
      const parent = await get(`${key}/ParentTurbine?$select=name,assetId`);
      assert.deepEqual(e.ParentTurbine, parent.value === null ? null : { name: parent.name, assetId: parent.assetId }, `${e.name} parent`);
      const children = await get(`${key}/ChildrenCNGTurbine?$orderby=name desc&$count=true&$select=name`);
      assert.deepEqual(e.ChildrenCNGTurbine, children.value, `${e.name} children`);
      assert.equal(e['ChildrenCNGTurbine@odata.count'], children['@odata.count']);
      const derived = await get(`${key}/AsCNGTurbine?$select=gas`);
      assert.deepEqual(e.AsCNGTurbine, derived.value === null ? null : { gas: derived.gas });
    }
    const byName = Object.fromEntries(page.value.map((e: { name: string }) => [e.name, e]));
    assert.equal(byName['Turbine one'].ParentTurbine, null, 'the plant is not a Turbine');
    assert.equal(byName['LPG one'].ParentTurbine.assetId, f.c1);
    assert.deepEqual(byName['Turbine one'].ChildrenCNGTurbine, [{ name: 'CNG two' }]);
    assert.deepEqual(byName['CNG one'].ChildrenCNGTurbine, [{ name: 'LPG one' }]);
    assert.equal(byName['CNG one'].AsCNGTurbine.gas, 'methane');
    assert.equal(byName['Turbine one'].AsCNGTurbine, null);
  });

  it('nested expands batch too, and a series row expands to its asset', async () => {
    const page = await get(`PowerConsumption_PrimaryMotor_Turbine?$filter=timestamp le '2024-03-01T00:01:00'&$expand=asset($select=name;$expand=ParentTurbine($select=name))`);
    assert.deepEqual(page.value.map((r: { asset: { name: string; ParentTurbine: { name: string } | null } }) => [r.asset.name, r.asset.ParentTurbine?.name ?? null]).sort(),
      [['CNG one', null], ['LPG one', 'CNG one'], ['Turbine one', null]]);
  });

  it('continues an expanded collection over its next link when it is longer than a page', async () => {
    for (const name of ['CNG three', 'CNG four']) await createAsset(s(), name, `${s().tenant}.CNGTurbine`, f.c1);
    const direct = await get(`Turbine('${f.c1}')/ChildrenTurbine`);
    assert.equal(direct.value.length, 3);
    const page = await get(`Turbine?$filter=parentId eq '${f.plant}'&$orderby=name&$expand=ChildrenTurbine($count=true)`, { prefer: 'odata.maxpagesize=1' });
    const c1 = page.value[0];
    assert.equal(c1.assetId, f.c1);
    assert.equal(c1['ChildrenTurbine@odata.count'], 3);
    const seen = [...c1.ChildrenTurbine];
    assert.equal(seen.length, 1);
    for (let link: string | undefined = c1['ChildrenTurbine@odata.nextLink']; link;) {
      const next = await get(link, { prefer: 'odata.maxpagesize=1' });
      assert.equal(next['@odata.count'], 3);
      seen.push(...next.value);
      link = next['@odata.nextLink'];
    }
    assert.deepEqual(seen, direct.value);
  });

  it('refuses a response that would hold more entities than the budget, naming it', async () => {
    await putRecords(s(), f.c2, 'PrimaryMotor', 2100);
    const r = await s().api(`${f.service}Turbine?$expand=PrimaryMotor`);
    const body = await json(r);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(body.error.code, 'ironbridge.odata.queryTooLarge');
    assert.match(body.error.message, /at most 2000 entities and expanded lookups in one response; ask for fewer with \$top, a nested \$top/);
    const fewer = await s().api(`${f.service}Turbine?$expand=PrimaryMotor($top=10)`);
    assert.equal(fewer.status, 200, 'a nested $top keeps it within the budget');
  });
});
