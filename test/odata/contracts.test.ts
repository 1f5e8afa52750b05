/**
 * The OData Contract Registry over the wire: validation at save time (the 128-character CSDL limit beside the
 * seed's 200 for AGGR_ names, with an alias offered and accepted; unknown types; duplicates; invalid characters),
 * etags, publish/unpublish (seen by the next service request, also when another connection to the store wrote it:
 * the registry keeps the published contracts until the store changes), a contract that follows type changes and shows a deleted type as its state, and the
 * catalog's company visibility (two e-mail domains in one tenant, a second tenant, binding keys).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scopesOfRole } from '../../src/core/scopes.js';
import { SqliteContractStore } from '../../src/odata/store/sqlite.js';
import { aspectType, call } from '../assets/helpers.js';
import { fetchToken, useServer, type TestServer } from '../helpers/server.js';
import { buildFixture, json, REG, type Fixture } from './helpers.js';

const post = (s: TestServer, path: string, body: unknown, token?: string) =>
  s.api(`${REG}${path}`, { method: 'POST', body: JSON.stringify(body), ...(token ? { token } : {}) });

async function userToken(s: TestServer, tenant: string, email: string): Promise<string> {
  const ids = s.platform.identity;
  if (!(await ids.store.getUserByEmail(tenant, email))) await ids.service.addUser(tenant, email, 'correct-horse-battery', 'admin');
  const u = (await ids.store.getUserByEmail(tenant, email))!;
  return (await ids.tokens.issueUserToken(u, scopesOfRole('admin'))).access_token;
}

describe('OData contract registry', () => {
  const s = useServer();
  let f: Fixture;
  const T = () => s().tenant;

  it('names every problem of a contract with a 400 instead of failing at publish', async () => {
    f = await buildFixture(s(), 3);
    const unknown = await json(await post(s(), '/contracts', { name: 'Bad', assetTypes: [`${T()}.Nope`, `${T()}.Turbine`, `${T()}.Turbine`] }));
    assert.equal(unknown.errors[0].code, 'ironbridge.odatacontracts.invalidContract');
    assert.match(unknown.errors[0].message, /assetTypes\[0\] "local\.Nope" is not an asset type of this tenant \(unknown or deleted\)/);
    assert.match(unknown.errors[0].message, /assetTypes\[2\] "local\.Turbine" is listed twice/);
    const missing = await post(s(), '/contracts', { name: 'NoTypes' });
    assert.equal(missing.status, 400);
    assert.match((await json(missing)).errors[0].message, /assetTypes is missing/);
    const badName = await json(await post(s(), '/contracts', { name: 'has space', assetTypes: [`${T()}.Turbine`] }));
    assert.match(badName.errors[0].message, /name is invalid: must start with a letter/);
    const folders = await json(await post(s(), '/contracts', { kind: 'folders', name: 'Lake', assetTypes: [`${T()}.Turbine`] }));
    assert.match(folders.errors[0].message, /assetTypes .*belongs to contracts of kind assets; a folders contract lists folders/);
  });

  it('refuses names above the CSDL limit of 128 (saying the seed allows 200 for AGGR_) and keeps the offered alias', async () => {
    const aspectName = `Vibration${'X'.repeat(48)}`; // 57 characters
    const typeName = `Compressor${'Y'.repeat(50)}`; // 60 characters
    const aspectTypeName = 'Spectrum';
    assert.equal((await call(s(), 'PUT', `/aspecttypes/${T()}.Spectrum`, aspectType(aspectTypeName, 'dynamic', [{ name: 'rms', dataType: 'DOUBLE', unit: 'g' }]), { 'if-none-match': '*' })).status, 201);
    assert.equal((await call(s(), 'PUT', `/assettypes/${T()}.Compressor`, { name: typeName, parentTypeId: 'core.basicasset',
      aspects: [{ name: aspectName, aspectTypeId: `${T()}.Spectrum` }] }, { 'if-none-match': '*' })).status, 201);
    const aggr = `AGGR_${aspectTypeName}_${aspectName}_${typeName}`;
    assert.ok(aggr.length > 128 && aggr.length <= 200);
    const r = await post(s(), '/contracts', { name: 'Compressors', assetTypes: [`${T()}.Compressor`] });
    assert.equal(r.status, 400);
    const message: string = (await json(r)).errors[0].message;
    assert.ok(message.includes(`"${aggr}" has ${aggr.length} characters; an OData (CSDL) identifier may have at most 128`), message);
    assert.match(message, /Insights Hub's own limit for AGGR_\{AspectType\}_\{AspectName\}_\{AssetType\} names is 200/);
    const offered = [...message.matchAll(/"aliases": \{("[^"]+"): ("[^"]+")\}/g)].map((m) => [JSON.parse(m[1]!), JSON.parse(m[2]!)] as [string, string]);
    assert.ok(offered.some(([k]) => k === aggr), 'an alias is offered for the AGGR_ name');
    for (const [, alias] of offered) assert.ok(alias.length <= 128);
    const ok = await post(s(), '/contracts', { name: 'Compressors', assetTypes: [`${T()}.Compressor`], aliases: Object.fromEntries(offered), publish: true });
    assert.equal(ok.status, 201, JSON.stringify(await json(ok.clone())));
    const doc = await json(await s().api('/api/odata/v4/Compressors/1.0.0/'));
    assert.ok(doc.value.some((e: { name: string }) => e.name === Object.fromEntries(offered)[aggr]));
  });

  it('names an invalid character and clashing names', async () => {
    assert.equal((await call(s(), 'PUT', `/assettypes/${T()}.Pump1`, { name: 'Pump-1', parentTypeId: 'core.basicasset',
      variables: [{ name: 'assetid', dataType: 'STRING', length: 10, unit: '' }] }, { 'if-none-match': '*' })).status, 201);
    const r = await json(await post(s(), '/contracts', { name: 'Pumps', assetTypes: [`${T()}.Pump1`] }));
    assert.match(r.errors[0].message, /entity set of asset type "Pump-1" contains "-" \(U\+002D\) at position 5; an OData identifier has only letters, digits and underscores/);
    const aliased = await json(await post(s(), '/contracts', { name: 'Pumps', assetTypes: [`${T()}.Pump1`], aliases: { 'Pump-1': 'Pump_1' } }));
    assert.match(aliased.errors[0].message, /property "assetid" in entity type Pump_1 clashes with property "assetId"/);
    const fixed = await post(s(), '/contracts', { name: 'Pumps', assetTypes: [`${T()}.Pump1`], aliases: { 'Pump-1': 'Pump_1', 'Pump-1/assetid': 'legacyAssetId' } });
    assert.equal(fixed.status, 201);
  });

  it('has etags: If-None-Match 304, If-Match required to update and delete, 412 on a stale one', async () => {
    const first = await s().api(`${REG}/contracts/${f.contractId}`);
    const etag = first.headers.get('etag')!;
    const body = await json(first);
    assert.equal(body.applicationName, `mdsp_${T()}`);
    assert.equal(body.serviceRoot, `${s().url}/api/odata/v4/Turbines/1.0.0/`);
    assert.equal((await s().api(`${REG}/contracts/${f.contractId}`, { headers: { 'if-none-match': etag } })).status, 304);
    const update = { ...body, description: 'changed' };
    assert.equal((await s().api(`${REG}/contracts/${f.contractId}`, { method: 'PUT', body: JSON.stringify(update) })).status, 428);
    const put = await s().api(`${REG}/contracts/${f.contractId}`, { method: 'PUT', body: JSON.stringify(update), headers: { 'if-match': etag } });
    assert.equal(put.status, 200);
    assert.equal((await json(put)).description, 'changed');
    assert.equal((await s().api(`${REG}/contracts/${f.contractId}`, { method: 'PUT', body: JSON.stringify(update), headers: { 'if-match': etag } })).status, 412);
    const dup = await post(s(), '/contracts', { name: 'Turbines', version: '1.0.0', assetTypes: [`${T()}.Turbine`] });
    assert.equal(dup.status, 409);
  });

  it('publishes and unpublishes: an unpublished contract has no service', async () => {
    const c = await json(await post(s(), '/contracts', { name: 'Solo', assetTypes: [`${T()}.Turbine`] }));
    assert.equal(c.published, false);
    assert.equal((await s().api('/api/odata/v4/Solo/1.0.0/')).status, 404);
    assert.equal((await post(s(), `/contracts/${c.id}/publish`, {})).status, 200);
    assert.equal((await s().api('/api/odata/v4/Solo/1.0.0/')).status, 200);
    assert.equal((await post(s(), `/contracts/${c.id}/unpublish`, {})).status, 200);
    const gone = await s().api('/api/odata/v4/Solo/1.0.0/');
    assert.equal(gone.status, 404);
    assert.equal((await json(gone)).error.code, 'ironbridge.odata.notFound');
    const etag = (await s().api(`${REG}/contracts/${c.id}`)).headers.get('etag')!;
    assert.equal((await s().api(`${REG}/contracts/${c.id}`, { method: 'DELETE', headers: { 'if-match': etag } })).status, 204);
    assert.equal((await s().api(`${REG}/contracts/${c.id}`)).status, 404);
  });

  it('a service request sees a publish, update, unpublish or delete at once, also one written by another connection', async () => {
    const sets = async (root: string) => {
      const res = await s().api(root);
      return res.status === 200 ? (await json(res)).value.map((v: { name: string }) => v.name).join(',') : res.status;
    };
    const root = '/api/odata/v4/Kept/1.0.0/';
    const c = await json(await post(s(), '/contracts', { name: 'Kept', assetTypes: [`${T()}.Turbine`] }));
    // the absence of a service is not kept past a change either
    assert.equal(await sets(root), 404);
    assert.equal((await post(s(), `/contracts/${c.id}/publish`, {})).status, 200);
    assert.equal(await sets(root), 'Turbine,PowerConsumption_PrimaryMotor_Turbine,AGGR_PowerConsumption_PrimaryMotor_Turbine');
    assert.equal((await s().api(`${root}Turbine?$top=1`)).status, 200);
    const etag = () => s().api(`${REG}/contracts/${c.id}`).then((r) => r.headers.get('etag')!);
    const put = await s().api(`${REG}/contracts/${c.id}`, { method: 'PUT', headers: { 'if-match': await etag() },
      body: JSON.stringify({ name: 'Kept', assetTypes: [`${T()}.CNGTurbine`] }) });
    assert.equal(put.status, 200, await put.text());
    assert.equal(await sets(root), 'CNGTurbine,PowerConsumption_PrimaryMotor_CNGTurbine,AGGR_PowerConsumption_PrimaryMotor_CNGTurbine');
    assert.equal((await s().api(`${root}Turbine?$top=1`)).status, 404);
    assert.equal((await post(s(), `/contracts/${c.id}/unpublish`, {})).status, 200);
    assert.equal(await sets(root), 404);
    assert.equal((await post(s(), `/contracts/${c.id}/publish`, {})).status, 200);
    assert.equal(await sets(root), 'CNGTurbine,PowerConsumption_PrimaryMotor_CNGTurbine,AGGR_PowerConsumption_PrimaryMotor_CNGTurbine');

    // another connection (as the CLI or a second worker would be): its commits are seen by the next request
    const other = new SqliteContractStore({ dataDir: s().config.dataDir, sync: 'normal' });
    try {
      const rec = (await other.get(T(), c.id))!;
      assert.equal(await other.update({ ...rec, assetTypes: [`${T()}.LPGTurbine`], etag: rec.etag + 1 }, rec.etag), true);
      assert.equal(await sets(root), 'LPGTurbine,PowerConsumption_PrimaryMotor_LPGTurbine,AGGR_PowerConsumption_PrimaryMotor_LPGTurbine,PowerConsumption_Aux_LPGTurbine,AGGR_PowerConsumption_Aux_LPGTurbine');
      const next = (await other.get(T(), c.id))!;
      assert.equal(await other.update({ ...next, published: false, publishedAt: null, publishedBy: null, etag: next.etag + 1 }, next.etag), true);
      assert.equal(await sets(root), 404);
      const last = (await other.get(T(), c.id))!;
      assert.equal(await other.update({ ...last, published: true, publishedAt: 1, publishedBy: 'cli', etag: last.etag + 1 }, last.etag), true);
      assert.equal((await sets(root) as string).split(',')[0], 'LPGTurbine');
      assert.equal(await other.delete(T(), c.id, last.etag + 1), true);
      assert.equal(await sets(root), 404);
    } finally {
      other.close();
    }
  });

  it('follows type changes, and shows a deleted type as the contract state instead of failing', async () => {
    assert.equal((await call(s(), 'PUT', `/assettypes/${T()}.Blower`, { name: 'Blower', parentTypeId: 'core.basicasset' }, { 'if-none-match': '*' })).status, 201);
    const c = await json(await post(s(), '/contracts', { name: 'Blowers', assetTypes: [`${T()}.Blower`, `${T()}.Turbine`], publish: true }));
    const blower = await call(s(), 'GET', `/assettypes/${T()}.Blower`);
    const patched = await call(s(), 'PATCH', `/assettypes/${T()}.Blower`, { variables: [{ name: 'rpm', dataType: 'INT', unit: '1/min' }] },
      { 'if-match': `"${blower.body.etag}"`, 'content-type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.match(await (await s().api('/api/odata/v4/Blowers/1.0.0/$metadata')).text(), /<Property Name="rpm" Type="Edm.Int32"\/>/);
    const now = await call(s(), 'GET', `/assettypes/${T()}.Blower`);
    assert.equal((await call(s(), 'DELETE', `/assettypes/${T()}.Blower`, undefined, { 'if-match': `"${now.body.etag}"` })).status, 204);
    const view = await json(await s().api(`${REG}/contracts/${c.id}`));
    assert.equal(view.state, 'degraded');
    assert.match(view.problems[0].item, /local\.Blower/);
    const meta = await s().api('/api/odata/v4/Blowers/1.0.0/$metadata');
    assert.equal(meta.status, 200);
    assert.doesNotMatch(await meta.text(), /Name="Blower"/);
    const set = await s().api('/api/odata/v4/Blowers/1.0.0/Blower');
    assert.equal(set.status, 404);
    assert.match((await json(set)).error.message, /entity set Blower/);
  });

  it('the catalog shows published contracts to the publishing company only, and to the tenant\'s binding keys', async () => {
    const ann = await userToken(s(), T(), 'ann@acme.com');
    const bob = await userToken(s(), T(), 'bob@other.org');
    const fresh = await json(await post(s(), '/contracts', { name: 'Catalogued', assetTypes: [`${T()}.Turbine`] }, ann));
    // the tenant's company was fixed by the first publisher (the fixture's binding key → the tenant's domain)
    assert.equal((await post(s(), `/contracts/${fresh.id}/publish`, {}, ann)).status, 200);
    const names = async (token?: string, search = '') =>
      (await json(await s().api(`${REG}/catalog${search}`, token ? { token } : {}))).contracts.map((c: { name: string }) => c.name).sort();
    const company = `${T()}.localhost`;
    const own = await userToken(s(), T(), `carol@${company}`);
    assert.deepEqual(await names(own), ['Blowers', 'Catalogued', 'Compressors', 'Pumps', 'Turbines'].filter((n) => n !== 'Pumps'));
    assert.deepEqual(await names(ann), [], 'another e-mail domain of the same tenant sees none');
    assert.deepEqual(await names(bob), []);
    assert.deepEqual(await names(), await names(own), 'binding keys see the tenant\'s contracts');
    assert.deepEqual(await names(own, '?search=catalog'), ['Catalogued']);
    const entry = (await json(await s().api(`${REG}/catalog?search=Turbines`, { token: own }))).contracts.find((c: { name: string }) => c.name === 'Turbines');
    assert.equal(entry.metadataUrl, `${s().url}/api/odata/v4/Turbines/1.0.0/$metadata`);
    assert.ok(entry.entitySets.includes('AGGR_PowerConsumption_PrimaryMotor_Turbine'));
    // a second tenant, even with the same e-mail domain, sees nothing of this one
    await s().platform.provisionTenant('beta', company);
    const key = await s().platform.identity.service.createKey('beta', 'app');
    const betaKey = await fetchToken(s().url, key);
    const betaUser = await userToken(s(), 'beta', `dave@${company}`);
    assert.deepEqual(await names(betaKey), []);
    assert.deepEqual(await names(betaUser), []);
    assert.equal((await s().api('/api/odata/v4/Turbines/1.0.0/', { token: betaKey })).status, 404);
    assert.equal((await s().api(`${REG}/contracts/${f.contractId}`, { token: betaKey })).status, 404);
  });
});
