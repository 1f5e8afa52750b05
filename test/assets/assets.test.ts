import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fetchToken, useServer } from '../helpers/server.js';
import { SCOPES } from '../../src/core/scopes.js';
import { aspectType, call, createAsset, rootId, assertError } from './helpers.js';

describe('assets and the hierarchy (Asset Management API v3, assets)', () => {
  const s = useServer();
  let T: string;
  let root: string;
  let userToken: string;
  before(async () => {
    T = s().tenant;
    root = await rootId(s);
    const key = await s().platform.identity.service.createKey(T, 'user', {
      scopes: [SCOPES.assetRead, SCOPES.assetWrite],
    });
    userToken = await fetchToken(s().url, key);
    assert.equal((await call(s, 'PUT', `/aspecttypes/${T}.Info`, aspectType('Info', 'static', [
      { name: 'serial', dataType: 'STRING', length: 8 }, { name: 'count', dataType: 'INT', defaultValue: '0' }]))).status, 201);
    assert.equal((await call(s, 'PUT', `/aspecttypes/${T}.Live`, aspectType('Live', 'dynamic', [{ name: 'v', dataType: 'DOUBLE' }]))).status, 201);
    const t = await call(s, 'PUT', `/assettypes/${T}.Machine`, { name: 'Machine', parentTypeId: 'core.basicdevice',
      aspects: [{ name: 'info', aspectTypeId: `${T}.Info` }, { name: 'live', aspectTypeId: `${T}.Live` }],
      variables: [{ name: 'rated', dataType: 'DOUBLE', defaultValue: '1.0' }, { name: 'since', dataType: 'TIMESTAMP' }] });
    assert.equal(t.status, 201, JSON.stringify(t.body));
  });

  it('has one root asset per tenant with an empty hierarchyPath and the core.tenant type', async () => {
    const r = await call(s, 'GET', '/assets/root');
    assert.equal(r.body.assetId, root);
    assert.equal(r.body.typeId, 'core.tenant');
    assert.deepEqual(r.body.hierarchyPath, []);
    assert.equal(r.body.parentId, null);
    assert.ok(r.body.aspects.length > 0 && r.body.variables.length > 0);
    const del = await call(s, 'DELETE', `/assets/${root}`, undefined, { 'if-match': '0' });
    assertError(del, 'mdsp.core.generic.conflict', /root asset/);
  });

  it('builds a tree with hierarchyPath and moves a subtree', async () => {
    const site = await createAsset(s, 'Site', 'core.basicsite', root);
    const area = await createAsset(s, 'Area', 'core.basicarea', site.assetId);
    const dev = await createAsset(s, 'Dev', `${T}.Machine`, area.assetId);
    assert.deepEqual(dev.hierarchyPath.map((h: { name: string }) => h.name), [T, 'Site', 'Area']);
    const site2 = await createAsset(s, 'Site2', 'core.basicsite', root);
    const cycle = await call(s, 'POST', `/assets/${site.assetId}/move`, { newParentId: dev.assetId }, { 'if-match': '0' });
    assertError(cycle, 'mdsp.core.generic.invalidRequestBodyProperty', /cannot be moved/);
    assert.equal((await call(s, 'POST', `/assets/${area.assetId}/move`, { newParentId: site2.assetId })).status, 428);
    assert.equal((await call(s, 'POST', `/assets/${area.assetId}/move`, { newParentId: site2.assetId }, { 'if-match': '9' })).status, 412);
    const moved = await call(s, 'POST', `/assets/${area.assetId}/move`, { newParentId: site2.assetId }, { 'if-match': '0' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.parentId, site2.assetId);
    assert.equal(moved.body.etag, 1);
    const devNow = await call(s, 'GET', `/assets/${dev.assetId}`);
    assert.deepEqual(devNow.body.hierarchyPath.map((h: { name: string }) => h.name), [T, 'Site2', 'Area']);
    assert.equal(devNow.body.etag, 0);
    // the SDK's MoveAsset posts to /assets/{id} without /move
    const back = await call(s, 'POST', `/assets/${area.assetId}`, { newParentId: site.assetId }, { 'if-match': '1' });
    assert.equal(back.status, 200);
    assert.deepEqual((await call(s, 'GET', `/assets/${dev.assetId}`)).body.hierarchyPath.map((h: { name: string }) => h.name), [T, 'Site', 'Area']);
    // children block deletion
    const blocked = await call(s, 'DELETE', `/assets/${area.assetId}`, undefined, { 'if-match': '2' });
    assert.equal(blocked.status, 409);
    assertError(blocked, 'mdsp.core.generic.conflict', /child asset/);
    const children = await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify({ parentId: area.assetId }))}`);
    assert.deepEqual(children.body._embedded.assets.map((a: { name: string }) => a.name), ['Dev']);
  });

  it('shows a renamed ancestor in the hierarchyPath of its descendants at once', async () => {
    const top = await createAsset(s, 'OldName', 'core.basicsite', root);
    const leaf = await createAsset(s, 'Leaf', 'core.basicasset', top.assetId);
    const path = async () => (await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify({ assetId: leaf.assetId }))}`))
      .body._embedded.assets[0].hierarchyPath.map((h: { name: string }) => h.name);
    assert.deepEqual(await path(), [T, 'OldName']);
    assert.equal((await call(s, 'PUT', `/assets/${top.assetId}`, { name: 'NewName' }, { 'if-match': '0' })).status, 200);
    assert.deepEqual(await path(), [T, 'NewName']);
  });

  it('the store re-checks the hierarchy in the write transaction (a decision made on a stale read cannot corrupt the tree)', async () => {
    const store = s().platform.assets.store;
    const a = await createAsset(s, 'GuardA', 'core.basicasset', root);
    const b = await createAsset(s, 'GuardB', 'core.basicasset', a.assetId);
    const recA = (await store.getAsset(T, a.assetId))!;
    // as if B had been read as a sibling before a concurrent move put it below A
    assert.equal(await store.moveAsset({ ...recA, parentId: b.assetId, etag: 1 }, recA.path, 0), 'cycle');
    const recB = (await store.getAsset(T, b.assetId))!;
    assert.equal(await store.softDeleteAsset({ ...recA, deleted: Date.now(), etag: 1 }, 0), 'hasChildren');
    assert.equal(await store.softDeleteAsset({ ...recB, deleted: Date.now(), etag: 1 }, 0), 'deleted');
    await assert.rejects(store.createAsset({ ...recB, assetId: 'c'.repeat(32), parentId: b.assetId, etag: 0, deleted: null }), { name: 'Error', message: b.assetId });
    assert.equal(await store.moveAsset({ ...recA, parentId: b.assetId, etag: 1 }, recA.path, 0), 'parentGone');
    assert.equal(await store.moveAsset({ ...recA, parentId: root, etag: 1 }, recA.path, 7), 'stale');
    assert.equal((await call(s, 'GET', `/assets/${a.assetId}`)).body.parentId, root);
  });

  it('requires a known parent and an instantiable known type', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const r = await call(s, 'POST', '/assets', { name: 'x', typeId: 'core.basicasset', parentId: root, ...body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.ok(JSON.stringify(r.body.errors[0].messageParameters).includes(field), JSON.stringify(r.body));
    };
    await bad({ parentId: undefined }, 'parentId');
    await bad({ parentId: 'f'.repeat(32) }, 'parentId');
    await bad({ typeId: `${T}.Nope` }, 'typeId');
    await bad({ typeId: 'core.tenant' }, 'core.tenant');
    await bad({ name: '' }, 'name');
    await bad({ twinType: 'digital' }, 'twinType');
    await bad({ location: { latitude: 91 } }, 'location.latitude');
  });

  it('takes the timezone at creation only, with the offset rules', async () => {
    const ok = await createAsset(s, 'tz', 'core.basicasset', root, { timezone: 'Etc/GMT+2' });
    assert.equal(ok.timezone, 'Etc/GMT+2');
    assert.equal((await createAsset(s, 'tz2', 'core.basicasset', root, { timezone: 'Asia/Kolkata' })).timezone, 'Asia/Kolkata');
    assert.equal((await createAsset(s, 'tz3', 'core.basicasset', root)).timezone, 'UTC');
    for (const tz of ['Asia/Kathmandu', 'Mars/Olympus', '+02:00', 'Australia/Eucla']) {
      const r = await call(s, 'POST', '/assets', { name: 'x', typeId: 'core.basicasset', parentId: root, timezone: tz });
      assert.equal(r.status, 400, tz);
      assert.equal(r.body.errors[0].messageParameters[0].value, 'timezone');
    }
    const change = await call(s, 'PUT', `/assets/${ok.assetId}`, { name: 'tz', timezone: 'Europe/Berlin' }, { 'if-match': '0' });
    assertError(change, 'mdsp.core.generic.invalidRequestBodyProperty', /cannot be changed after the creation/);
    const twin = await createAsset(s, 'sim', 'core.basicasset', root, { twinType: 'simulation' });
    assert.equal(twin.twinType, 'simulation');
  });

  it('validates static aspect and variable values against the type', async () => {
    const mk = (body: Record<string, unknown>) => call(s, 'POST', '/assets', { name: 'm', typeId: `${T}.Machine`, parentId: root, ...body });
    const e = async (body: Record<string, unknown>, field: string, rule: RegExp) => {
      const r = await mk(body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.errors[0].messageParameters[0].value, field);
      assert.match(r.body.errors[0].message, rule);
    };
    await e({ variables: [{ name: 'rated', value: 'fast' }] }, 'variables[0].value', /DOUBLE/);
    await e({ variables: [{ name: 'nope', value: '1' }] }, 'variables[0].name', /not a variable/);
    await e({ variables: [{ name: 'since', value: 12 }] }, 'variables[0].value', /string/);
    await e({ aspects: [{ name: 'info', variables: [{ name: 'serial', value: '123456789' }] }] }, 'aspects[0].variables[0].value', /longer than 8/);
    await e({ aspects: [{ name: 'info', variables: [{ name: 'count', value: '1.5' }] }] }, 'aspects[0].variables[0].value', /INT/);
    await e({ aspects: [{ name: 'live', variables: [] }] }, 'aspects[0].name', /dynamic/);
    await e({ aspects: [{ name: 'ghost', variables: [] }] }, 'aspects[0].name', /not an aspect/);
    const ok = await mk({ variables: [{ name: 'serialNumber', value: 'SN1' }, { name: 'since', value: '2024-01-01T00:00:00Z' }],
      aspects: [{ name: 'info', variables: [{ name: 'serial', value: 'AB' }] }] });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const vars = Object.fromEntries(ok.body.variables.map((v: { name: string; value: string }) => [v.name, v.value]));
    assert.deepEqual(vars, { serialNumber: 'SN1', firmwareVersion: null, rated: '1.0', since: '2024-01-01T00:00:00Z' });
    assert.deepEqual(ok.body.aspects, [{ name: 'info', variables: [{ name: 'serial', value: 'AB' }, { name: 'count', value: '0' }] }]);
    // merge-patch changes one value and keeps the others
    const res = await s().api(`/api/assetmanagement/v3/assets/${ok.body.assetId}`, {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json', 'if-match': '0' },
      body: JSON.stringify({ description: 'patched', variables: [{ name: 'rated', value: '2.5' }] }),
    });
    const patched = await res.json() as { description: string; etag: number; variables: { name: string; value: string }[] };
    assert.equal(res.status, 200, JSON.stringify(patched));
    assert.equal(patched.description, 'patched');
    assert.equal(patched.etag, 1);
    assert.deepEqual(Object.fromEntries(patched.variables.map((v) => [v.name, v.value])),
      { serialNumber: 'SN1', firmwareVersion: null, rated: '2.5', since: '2024-01-01T00:00:00Z' });
    // PUT replaces own values: what is not sent falls back to the default
    const put = await call(s, 'PUT', `/assets/${ok.body.assetId}`, { name: 'm2' }, { 'if-match': '1' });
    assert.equal(put.status, 200);
    assert.equal(put.body.name, 'm2');
    assert.equal(put.body.variables.find((v: { name: string }) => v.name === 'rated').value, '1.0');
    const stale = await call(s, 'PUT', `/assets/${ok.body.assetId}`, { name: 'm3' }, { 'if-match': '1' });
    assert.equal(stale.status, 412);
    assert.equal((await call(s, 'PUT', `/assets/${ok.body.assetId}`, { name: 'm3' })).status, 428);
    const r304 = await s().api(`/api/assetmanagement/v3/assets/${ok.body.assetId}`, { headers: { 'if-none-match': '"2"' } });
    assert.equal(r304.status, 304);
  });

  it('inherits locations: PUT sets the own one, DELETE shows the inherited one again', async () => {
    const parent = await createAsset(s, 'LocP', 'core.basicsite', root);
    const child = await createAsset(s, 'LocC', 'core.basicasset', parent.assetId);
    assert.equal(child.location, null);
    const loc = { country: 'Germany', locality: 'Munich', latitude: 48.1, longitude: 11.5 };
    const setP = await call(s, 'PUT', `/assets/${parent.assetId}/location`, loc, { 'if-match': '0' });
    assert.equal(setP.status, 200, JSON.stringify(setP.body));
    assert.deepEqual(setP.body.location, loc);
    assert.deepEqual((await call(s, 'GET', `/assets/${child.assetId}`)).body.location, loc);
    const own = { country: 'Austria', locality: 'Vienna' };
    const setC = await call(s, 'PUT', `/assets/${child.assetId}/location`, own, { 'if-match': '0' });
    assert.deepEqual(setC.body.location, own);
    const del = await call(s, 'DELETE', `/assets/${child.assetId}/location`, undefined, { 'if-match': '1' });
    assert.equal(del.status, 200);
    assert.deepEqual(del.body.location, loc);
    assert.equal(del.body.etag, 2);
    assert.equal((await call(s, 'PUT', `/assets/${child.assetId}/location`, own)).status, 428);
  });

  it('keeps deleted assets readable by admins only and refuses to modify them', async () => {
    const a = await createAsset(s, 'ToDelete', 'core.basicasset', root);
    assert.equal((await call(s, 'DELETE', `/assets/${a.assetId}`, undefined, {}, userToken)).status, 403);
    assert.equal((await call(s, 'DELETE', `/assets/${a.assetId}`)).status, 428);
    assert.equal((await call(s, 'DELETE', `/assets/${a.assetId}`, undefined, { 'if-match': '0' })).status, 204);
    const admin = await call(s, 'GET', `/assets/${a.assetId}`);
    assert.equal(admin.status, 200);
    assert.match(admin.body.deleted, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal((await call(s, 'GET', `/assets/${a.assetId}`, undefined, {}, userToken)).status, 404);
    const mod = await call(s, 'PUT', `/assets/${a.assetId}`, { name: 'again' }, { 'if-match': '1' });
    assertError(mod, 'mdsp.core.generic.conflict', /is deleted/);
    // lists leave deleted assets out unless an admin filters on deleted
    const byName = encodeURIComponent(JSON.stringify({ name: 'ToDelete' }));
    assert.equal((await call(s, 'GET', `/assets?filter=${byName}`)).body.page.totalElements, 0);
    const deletedFilter = encodeURIComponent(JSON.stringify({ name: 'ToDelete', deleted: { after: '2000-01-01T00:00:00Z' } }));
    assert.equal((await call(s, 'GET', `/assets?filter=${deletedFilter}`)).body.page.totalElements, 1);
    assert.equal((await call(s, 'GET', `/assets?filter=${deletedFilter}`, undefined, {}, userToken)).body.page.totalElements, 0);
  });

  it('announces created, updated, moved and deleted assets after commit', async () => {
    const seen: { type: string; assetId?: string }[] = [];
    const off = s().platform.assets.events.on(async (e) => {
      const id = 'assetId' in e ? e.assetId : undefined;
      // listeners run after commit: the change is visible to the model port
      if (e.type === 'asset.created') assert.ok(await s().platform.assets.model.getAsset(T, id!));
      seen.push({ type: e.type, assetId: id });
    });
    const a = await createAsset(s, 'Ev', 'core.basicasset', root);
    const b = await createAsset(s, 'Ev2', 'core.basicasset', root);
    await call(s, 'PUT', `/assets/${a.assetId}`, { name: 'Ev1' }, { 'if-match': '0' });
    await call(s, 'POST', `/assets/${a.assetId}/move`, { newParentId: b.assetId }, { 'if-match': '1' });
    await call(s, 'DELETE', `/assets/${a.assetId}`, undefined, { 'if-match': '2' });
    off();
    assert.deepEqual(seen.map((x) => x.type), ['asset.created', 'asset.created', 'asset.updated', 'asset.moved', 'asset.deleted']);
    assert.equal(seen[4]!.assetId, a.assetId);
  });

  it('answers 404 for unknown or malformed asset ids and the billboard lists the collections', async () => {
    assert.equal((await call(s, 'GET', `/assets/${'0'.repeat(32)}`)).status, 404);
    assert.equal((await call(s, 'GET', '/assets/not-an-id')).status, 404);
    const bb = await s().api('/api/assetmanagement/v3/');
    const body = await bb.json() as Record<string, { href: string }>;
    assert.equal(bb.status, 200);
    assert.ok(body['assets']!.href.endsWith('/api/assetmanagement/v3/assets'));
    assert.ok(body['aspectTypes'] && body['assetTypes'] && body['files'] && body['self']);
  });

  it('model lock blocks type changes and deletion until released', async () => {
    assert.deepEqual((await call(s, 'GET', '/model/lock')).body, { enabled: false });
    assert.deepEqual((await call(s, 'PUT', '/model/lock?enabled=true')).body, { enabled: true });
    const r = await call(s, 'PUT', `/aspecttypes/${T}.Info`, aspectType('Info', 'static', []), { 'if-match': '0' });
    assert.equal(r.status, 409);
    assertError(r, 'mdsp.core.generic.conflict', /model of this tenant is locked/);
    assertError((await call(s, 'DELETE', `/assettypes/${T}.Machine`, undefined, { 'if-match': '0' })), 'mdsp.core.generic.conflict', /model of this tenant is locked/);
    assert.equal((await call(s, 'PUT', '/model/lock?enabled=maybe')).status, 400);
    assert.deepEqual((await call(s, 'PUT', '/model/lock?enabled=false')).body, { enabled: false });
  });
});
