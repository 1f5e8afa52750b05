import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { aspectType, call, createAsset, dbl, rootId } from './helpers.js';

describe('asset management CRUD', () => {
  const s = useServer();

  it('creates, reads, updates and deletes an aspect type with etags', async () => {
    const id = `${s().tenant}.Engine`;
    const created = await call(s, 'PUT', `/aspecttypes/${id}`, aspectType('Engine', 'dynamic', [dbl('rpm')]));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.etag, 0);
    assert.equal(created.body.tenantId, s().tenant);
    assert.equal(created.headers.get('etag'), '"0"');
    const got = await call(s, 'GET', `/aspecttypes/${id}`);
    assert.equal(got.body.variables[0].name, 'rpm');
    const updated = await call(s, 'PUT', `/aspecttypes/${id}`, aspectType('Engine', 'dynamic', [dbl('rpm'), dbl('torque')]), { 'if-match': '0' });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.etag, 1);
    assert.equal((await call(s, 'DELETE', `/aspecttypes/${id}`, undefined, { 'if-match': '1' })).status, 204);
    assert.equal((await call(s, 'GET', `/aspecttypes/${id}`)).status, 404);
  });

  it('creates an asset type, an asset under the root, and reads it through the model port', async () => {
    const at = `${s().tenant}.Pump`;
    assert.equal((await call(s, 'PUT', `/aspecttypes/${s().tenant}.Flow`, aspectType('Flow', 'dynamic', [dbl('rate')]))).status, 201);
    const t = await call(s, 'PUT', `/assettypes/${at}`, {
      name: 'Pump', parentTypeId: 'core.basicasset', instantiable: true, scope: 'private',
      aspects: [{ name: 'flow', aspectTypeId: `${s().tenant}.Flow` }], variables: [{ name: 'maxRate', dataType: 'DOUBLE', defaultValue: '5.5' }],
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    assert.equal(t.body.aspects[0].aspectType.id, `${s().tenant}.Flow`);
    const root = await rootId(s);
    const a = await createAsset(s, 'P1', at, root, { timezone: 'Europe/Berlin' });
    assert.match(a.assetId, /^[a-f0-9]{32}$/);
    assert.deepEqual(a.hierarchyPath.map((h: { assetId: string }) => h.assetId), [root]);
    assert.deepEqual(a.variables, [{ name: 'maxRate', value: '5.5' }]);
    const m = await s().platform.assets.model.getAsset(s().tenant, a.assetId);
    assert.equal(m?.timezone, 'Europe/Berlin');
    assert.equal(m?.aspects[0]?.name, 'flow');
    assert.equal(m?.aspects[0]?.variables[0]?.dataType, 'DOUBLE');
    const list = await call(s, 'GET', '/assets?filter=' + encodeURIComponent(JSON.stringify({ typeId: at })));
    assert.equal(list.body.page.totalElements, 1);
    assert.equal(list.body._embedded.assets[0].name, 'P1');
    assert.equal((await call(s, 'DELETE', `/assets/${a.assetId}`, undefined, { 'if-match': '0' })).status, 204);
    assert.equal(await s().platform.assets.model.getAsset(s().tenant, a.assetId), undefined);
  });
});
