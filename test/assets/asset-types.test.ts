import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { aspectType, call, createAsset, dbl, rootId, assertError } from './helpers.js';
import { uploadFile } from '../assetfiles/helpers.js';

describe('asset types and inheritance (Asset Management API v3, asset types)', () => {
  const s = useServer();
  let T: string;
  const putType = (name: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(s, 'PUT', `/assettypes/${T}.${name}`, { name, ...body }, headers);

  before(async () => {
    T = s().tenant;
    for (const [n, c] of [['Temp', 'dynamic'], ['Plate', 'static'], ['Vib', 'dynamic']] as const) {
      const r = await call(s, 'PUT', `/aspecttypes/${T}.${n}`, aspectType(n, c, [dbl('value', c === 'static' ? { defaultValue: '1.5' } : {})]));
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });

  it('seeds the core types the SDK assumes; core.basicdevice has two variables', async () => {
    for (const id of ['core.basicasset', 'core.basicsite', 'core.basicarea', 'core.basicdevice', 'core.basicagent', 'core.mclib', 'core.tenant']) {
      const r = await call(s, 'GET', `/assettypes/${id}`);
      assert.equal(r.status, 200, id);
      assert.equal(r.body.tenantId, 'core');
    }
    assert.equal((await call(s, 'GET', '/assettypes/core.BasicAsset')).body.id, 'core.basicasset');
    const dev = await putType('Dev', { parentTypeId: 'core.basicdevice', variables: [{ name: 'own', dataType: 'INT' }] });
    assert.equal(dev.status, 201, JSON.stringify(dev.body));
    assert.equal(dev.body.variables.length, 1);
    const exploded = await call(s, 'GET', `/assettypes/${T}.Dev?exploded=true`);
    assert.equal(exploded.body.variables.length, 3);
    const mclib = await call(s, 'GET', '/assettypes/core.mclib?exploded=true');
    assert.deepEqual(mclib.body.aspects.map((a: { name: string }) => a.name), ['connectivity', 'agentDiagnostics']);
    const ro = await call(s, 'PUT', '/assettypes/core.basicsite', { name: 'basicsite', parentTypeId: 'core.basicasset' }, { 'if-match': '0' });
    assert.equal(ro.status, 403);
  });

  it('inherits aspects, variables, defaults and file assignments three levels deep, with _links.origin', async () => {
    const f1 = await uploadFile(s(), 'f1.txt');
    const f2 = await uploadFile(s(), 'f2.txt');
    assert.equal((await putType('L1', { parentTypeId: 'core.basicasset', aspects: [{ name: 'temp', aspectTypeId: `${T}.Temp` }],
      variables: [{ name: 'v1', dataType: 'STRING', defaultValue: 'one' }], fileAssignments: [{ key: 'manual', fileId: f1 }] })).status, 201);
    assert.equal((await putType('L2', { parentTypeId: `${T}.L1`, aspects: [{ name: 'plate', aspectTypeId: `${T}.Plate` }],
      variables: [{ name: 'v2', dataType: 'INT', defaultValue: '2' }], fileAssignments: [{ key: 'manual', fileId: f2 }] })).status, 201);
    const l3 = await putType('L3', { parentTypeId: `${T}.L2`, aspects: [{ name: 'vib', aspectTypeId: `${T}.Vib` }],
      variables: [{ name: 'v3', dataType: 'BOOLEAN' }] });
    assert.equal(l3.status, 201, JSON.stringify(l3.body));
    assert.deepEqual(l3.body.aspects.map((a: { name: string }) => a.name), ['vib']);
    assert.equal(l3.body._links.parent.href.endsWith(`/assettypes/${T}.L2`), true);
    const ex = (await call(s, 'GET', `/assettypes/${T}.L3?exploded=true`)).body;
    assert.deepEqual(ex.aspects.map((a: { name: string }) => a.name), ['temp', 'plate', 'vib']);
    assert.ok(ex.aspects[0]._links.origin.href.endsWith(`/assettypes/${T}.L1`));
    assert.ok(ex.aspects[1]._links.origin.href.endsWith(`/assettypes/${T}.L2`));
    assert.equal(ex.aspects[2]._links, undefined);
    assert.equal(ex.aspects[0].aspectType.id, `${T}.Temp`);
    assert.deepEqual(ex.variables.map((v: { name: string; defaultValue: string | null }) => [v.name, v.defaultValue]),
      [['v1', 'one'], ['v2', '2'], ['v3', null]]);
    assert.ok(ex.variables[0]._links.origin.href.endsWith(`${T}.L1`));
    assert.deepEqual(ex.fileAssignments.map((f: { key: string; fileId: string }) => [f.key, f.fileId]), [['manual', f2]]);
    // own view: 304 on a matching etag; exploded view: always fresh (it changes with the ancestors)
    assert.equal((await s().api(`/api/assetmanagement/v3/assettypes/${T}.L3`, { headers: { 'if-none-match': '"0"' } })).status, 304);
    assert.equal((await s().api(`/api/assetmanagement/v3/assettypes/${T}.L3?exploded=true`, { headers: { 'if-none-match': '"0"' } })).status, 200);
    // assets of L3 see the whole chain
    const a = await createAsset(s, 'deep', `${T}.L3`, await rootId(s), { variables: [{ name: 'v3', value: 'true' }] });
    assert.deepEqual(a.variables, [{ name: 'v1', value: 'one' }, { name: 'v2', value: '2' }, { name: 'v3', value: 'true' }]);
    assert.deepEqual(a.aspects, [{ name: 'plate', variables: [{ name: 'value', value: '1.5' }] }]);
    const aspects = await call(s, 'GET', `/assets/${a.assetId}/aspects`);
    assert.deepEqual(aspects.body._embedded.aspects.map((x: { name: string }) => x.name).sort(), ['plate', 'temp', 'vib']);
    const vars = await call(s, 'GET', `/assets/${a.assetId}/variables`);
    assert.equal(vars.body.page.totalElements, 3);
    const model = await s().platform.assets.model.getAsset(T, a.assetId);
    assert.deepEqual(model?.aspects.map((x) => [x.name, x.category]), [['temp', 'dynamic'], ['plate', 'static'], ['vib', 'dynamic']]);
  });

  it('rejects aspect and variable names used elsewhere in the type family (ancestors and descendants)', async () => {
    assert.equal((await putType('F1', { parentTypeId: 'core.basicasset', aspects: [{ name: 'a1', aspectTypeId: `${T}.Temp` }], variables: [{ name: 'x1', dataType: 'INT' }] })).status, 201);
    assert.equal((await putType('F2', { parentTypeId: `${T}.F1` })).status, 201);
    assert.equal((await putType('F3', { parentTypeId: `${T}.F2`, aspects: [{ name: 'a3', aspectTypeId: `${T}.Temp` }], variables: [{ name: 'x3', dataType: 'INT' }] })).status, 201);
    // a grandchild reusing the grandparent's aspect name
    const down = await putType('F4', { parentTypeId: `${T}.F2`, aspects: [{ name: 'a1', aspectTypeId: `${T}.Vib` }] });
    assert.equal(down.status, 400);
    assertError(down, 'mdsp.core.generic.invalidRequestBodyProperty', /same type family/);
    assert.match(down.body.errors[0].message, new RegExp(`${T}\\.F1`));
    // the middle type taking a name its descendant already has
    const up = await putType('F2', { parentTypeId: `${T}.F1`, variables: [{ name: 'x3', dataType: 'INT' }] }, { 'if-match': '0' });
    assert.equal(up.status, 400);
    assert.match(up.body.errors[0].message, new RegExp(`${T}\\.F3`));
    const upAspect = await putType('F2', { parentTypeId: `${T}.F1`, aspects: [{ name: 'a3', aspectTypeId: `${T}.Temp` }] }, { 'if-match': '0' });
    assertError(upAspect, 'mdsp.core.generic.invalidRequestBodyProperty', /same type family/);
    // siblings may share names
    assert.equal((await putType('F5', { parentTypeId: `${T}.F2`, aspects: [{ name: 'a3', aspectTypeId: `${T}.Temp` }] })).status, 201);
    // a name taken by a core ancestor
    const core = await putType('F6', { parentTypeId: 'core.basicdevice', variables: [{ name: 'serialNumber', dataType: 'STRING' }] });
    assertError(core, 'mdsp.core.generic.invalidRequestBodyProperty', /same type family/);
  });

  it('validates references, scope, instantiable and immutable fields', async () => {
    assertError((await putType('Bad', { parentTypeId: `${T}.Missing` })), 'mdsp.core.generic.invalidRequestBodyProperty', /refers to nothing/);
    assert.equal((await putType('Bad', {})).body.errors[0].code, 'mdsp.core.generic.missingRequestBodyProperty');
    assert.equal((await putType('Bad', { parentTypeId: 'core.basicasset', scope: 'public' })).status, 400);
    assert.equal((await putType('Bad', { parentTypeId: 'core.basicasset', aspects: [{ name: 'q', aspectTypeId: `${T}.Nope` }] })).body.errors[0].messageParameters[0].value, 'aspects[0].aspectTypeId');
    assert.equal((await putType('Bad', { parentTypeId: 'core.basicasset', variables: [{ name: 'b', dataType: 'BIG_STRING' }] })).status, 400);
    assert.equal((await putType('Abstract', { parentTypeId: 'core.basicasset', instantiable: false })).status, 201);
    const notInst = await call(s, 'POST', '/assets', { name: 'x', typeId: `${T}.Abstract`, parentId: await rootId(s) });
    assertError(notInst, 'mdsp.core.generic.invalidRequestBodyProperty', /not instantiable/);
    assert.equal((await putType('Abstract', { parentTypeId: 'core.basicasset', instantiable: true }, { 'if-match': '0' })).status, 200);
    const back = await putType('Abstract', { parentTypeId: 'core.basicasset', instantiable: false }, { 'if-match': '1' });
    assert.match(back.body.errors[0].message, /false to true only/);
    assertError((await putType('Abstract', { parentTypeId: 'core.basicsite', instantiable: true }, { 'if-match': '1' })), 'mdsp.core.generic.invalidRequestBodyProperty', /cannot be changed after the creation/);
    assertError((await putType('Self', { parentTypeId: `${T}.Self` })), 'mdsp.core.generic.invalidRequestBodyProperty', /refers to nothing/);
  });

  it('deletes only without child types and assets', async () => {
    assert.equal((await putType('P', { parentTypeId: 'core.basicasset' })).status, 201);
    assert.equal((await putType('C', { parentTypeId: `${T}.P` })).status, 201);
    const withChild = await call(s, 'DELETE', `/assettypes/${T}.P`, undefined, { 'if-match': '0' });
    assert.equal(withChild.status, 409);
    assert.match(withChild.body.errors[0].message, new RegExp(`${T}\\.C derives`));
    const a = await createAsset(s, 'c1', `${T}.C`, await rootId(s));
    const withAsset = await call(s, 'DELETE', `/assettypes/${T}.C`, undefined, { 'if-match': '0' });
    assert.equal(withAsset.status, 409);
    assert.equal((await call(s, 'DELETE', `/assets/${a.assetId}`, undefined, { 'if-match': '0' })).status, 204);
    assert.equal((await call(s, 'DELETE', `/assettypes/${T}.C`, undefined, { 'if-match': '0' })).status, 204);
    assert.equal((await call(s, 'DELETE', `/assettypes/${T}.P`, undefined, { 'if-match': '0' })).status, 204);
  });

  it('removing an aspect from a type is allowed and announced', async () => {
    assert.equal((await putType('R', { parentTypeId: 'core.basicasset', aspects: [{ name: 'gone', aspectTypeId: `${T}.Temp` }] })).status, 201);
    const seen: unknown[] = [];
    const off = s().platform.assets.events.on((e) => { seen.push(e); });
    const r = await putType('R', { parentTypeId: 'core.basicasset', aspects: [] }, { 'if-match': '0' });
    off();
    assert.equal(r.status, 200);
    assert.deepEqual(seen, [{ type: 'assettype.updated', tenant: T, typeId: `${T}.R` },
      { type: 'assettype.aspectRemoved', tenant: T, typeId: `${T}.R`, aspectName: 'gone' }]);
  });

  it('lists types with hasType matching derived types, and filters by parentTypeId', async () => {
    const q = (f: unknown) => call(s, 'GET', `/assettypes?size=200&filter=${encodeURIComponent(JSON.stringify(f))}`);
    const fam = await q({ hasType: `${T}.L1` });
    assert.deepEqual(fam.body._embedded.assetTypes.map((t: { id: string }) => t.id), [`${T}.L1`, `${T}.L2`, `${T}.L3`]);
    const agents = await q({ hasType: 'core.basicagent' });
    assert.deepEqual(agents.body._embedded.assetTypes.map((t: { id: string }) => t.id).sort(), ['core.basicagent', 'core.mciot2040', 'core.mclib', 'core.mcnano']);
    const kids = await q({ parentTypeId: `${T}.F2` });
    assert.deepEqual(kids.body._embedded.assetTypes.map((t: { id: string }) => t.id), [`${T}.F3`, `${T}.F5`]);
  });

  it('takes back the body a GET returned (embedded aspectType instead of aspectTypeId)', async () => {
    assert.equal((await putType('RoundTrip', { parentTypeId: 'core.basicasset', aspects: [{ name: 't', aspectTypeId: `${T}.Temp` }] })).status, 201);
    const got = (await call(s, 'GET', `/assettypes/${T}.RoundTrip`)).body;
    const back = await call(s, 'PUT', `/assettypes/${T}.RoundTrip`, { ...got, description: 'round trip' }, { 'if-match': String(got.etag) });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.description, 'round trip');
    assert.equal(back.body.aspects[0].aspectType.id, `${T}.Temp`);
  });
});
