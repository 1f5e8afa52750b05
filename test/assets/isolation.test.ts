import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fetchToken, useServer } from '../helpers/server.js';
import { aspectType, call, createAsset, dbl, rootId } from './helpers.js';

describe('tenant isolation of the asset model', () => {
  const s = useServer();
  let T: string;
  let other: string;
  let asset: { assetId: string };
  before(async () => {
    T = s().tenant;
    await s().platform.provisionTenant('other', 'other.com');
    const key = await s().platform.identity.service.createKey('other', 'k');
    other = await fetchToken(s().url, key);
    assert.equal((await call(s, 'PUT', `/aspecttypes/${T}.Secret`, aspectType('Secret', 'static', [dbl('v')]))).status, 201);
    assert.equal((await call(s, 'PUT', `/assettypes/${T}.Secret`, { name: 'Secret', parentTypeId: 'core.basicasset',
      aspects: [{ name: 's', aspectTypeId: `${T}.Secret` }] })).status, 201);
    asset = await createAsset(s, 'Hidden', `${T}.Secret`, await rootId(s));
  });

  it('gives each tenant its own root', async () => {
    const mine = await call(s, 'GET', '/assets/root');
    const theirs = await call(s, 'GET', '/assets/root', undefined, {}, other);
    assert.equal(theirs.status, 200);
    assert.notEqual(mine.body.assetId, theirs.body.assetId);
    assert.equal(theirs.body.tenantId, 'other');
    assert.equal(theirs.body.name, 'other');
  });

  it('shows another tenant nothing of the first', async () => {
    const g = (p: string) => call(s, 'GET', p, undefined, {}, other);
    assert.equal((await g(`/assets/${asset.assetId}`)).status, 404);
    assert.equal((await g(`/assettypes/${T}.Secret`)).status, 404);
    assert.equal((await g(`/aspecttypes/${T}.Secret`)).status, 404);
    assert.equal((await g(`/assets/${asset.assetId}/aspects`)).status, 404);
    const list = await g('/assets?size=200');
    assert.deepEqual(list.body._embedded.assets.map((a: { name: string }) => a.name), ['other']);
    const byTenant = await g(`/assets?filter=${encodeURIComponent(JSON.stringify({ tenantId: T }))}`);
    assert.equal(byTenant.body.page.totalElements, 0);
    const types = await g('/assettypes?size=200');
    assert.ok(types.body._embedded.assetTypes.every((t: { tenantId: string }) => t.tenantId === 'core'));
    const aspects = await g('/aspecttypes?size=200');
    assert.ok(aspects.body._embedded.aspectTypes.every((t: { tenantId: string }) => t.tenantId === 'core'));
    assert.equal(await s().platform.assets.model.getAsset('other', asset.assetId), undefined);
  });

  it('cannot modify, move into, derive from or delete the first tenant\'s model', async () => {
    const w = (m: string, p: string, body?: unknown) => call(s, m, p, body, { 'if-match': '0' }, other);
    assert.equal((await w('PUT', `/assets/${asset.assetId}`, { name: 'pwned' })).status, 404);
    assert.equal((await w('DELETE', `/assets/${asset.assetId}`)).status, 404);
    assert.equal((await w('PUT', `/assets/${asset.assetId}/location`, { country: 'X' })).status, 404);
    assert.equal((await w('DELETE', `/assettypes/${T}.Secret`)).status, 404);
    assert.equal((await w('DELETE', `/aspecttypes/${T}.Secret`)).status, 404);
    // ids carry the tenant prefix: another tenant cannot create or overwrite them
    assert.equal((await w('PUT', `/aspecttypes/${T}.Secret`, aspectType('Secret', 'static', []))).status, 400);
    assert.equal((await w('PUT', `/assettypes/other.Sub`, { name: 'Sub', parentTypeId: `${T}.Secret` })).status, 400);
    const otherRoot = (await call(s, 'GET', '/assets/root', undefined, {}, other)).body.assetId;
    const mine = await call(s, 'POST', '/assets', { name: 'x', typeId: `${T}.Secret`, parentId: otherRoot });
    assert.equal(mine.status, 400);
    const into = await call(s, 'POST', '/assets', { name: 'x', typeId: 'core.basicasset', parentId: asset.assetId }, {}, other);
    assert.equal(into.status, 400);
    const moved = await call(s, 'POST', `/assets/${asset.assetId}/move`, { newParentId: otherRoot }, { 'if-match': '0' });
    assert.equal(moved.status, 400);
    assert.equal((await call(s, 'GET', `/assets/${asset.assetId}`)).body.name, 'Hidden');
  });

  it('keeps type names per tenant: both may use the same name', async () => {
    assert.equal((await call(s, 'PUT', '/aspecttypes/other.Secret', aspectType('Secret', 'static', []), {}, other)).status, 201);
    assert.equal((await call(s, 'GET', `/aspecttypes/${T}.Secret`)).body.tenantId, T);
  });

  it('keeps the model lock per tenant', async () => {
    assert.equal((await call(s, 'PUT', '/model/lock?enabled=true', undefined, {}, other)).body.enabled, true);
    assert.equal((await call(s, 'GET', '/model/lock')).body.enabled, false);
    await call(s, 'PUT', '/model/lock?enabled=false', undefined, {}, other);
  });
});
