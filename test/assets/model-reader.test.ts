/**
 * The AssetModelReader port (core/model.ts) as other contexts (time series, OData) read it: asset types with their
 * whole chain, and pages of live assets with the values they show, per tenant. Data is made over the wire.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AppError } from '../../src/core/errors.js';
import type { FilterNode } from '../../src/core/filter.js';
import type { AssetModelReader } from '../../src/core/model.js';
import { fetchToken, useServer } from '../helpers/server.js';
import { aspectType, call, createAsset, dbl, rootId } from './helpers.js';

describe('the AssetModelReader port', () => {
  const s = useServer();
  let T: string;
  let model: AssetModelReader;
  const ids: Record<string, string> = {};
  before(async () => {
    T = s().tenant;
    model = s().platform.assets.model;
    assert.equal((await call(s(), 'PUT', `/aspecttypes/${T}.Plate`, aspectType('Plate', 'static', [
      { name: 'serial', dataType: 'STRING', length: 8 }, { name: 'rating', dataType: 'INT', defaultValue: '5' }]))).status, 201);
    assert.equal((await call(s(), 'PUT', `/aspecttypes/${T}.Flow`, aspectType('Flow', 'dynamic', [dbl('rate', { qualityCode: true })]))).status, 201);
    assert.equal((await call(s(), 'PUT', `/assettypes/${T}.Pump`, { name: 'Pump', parentTypeId: 'core.basicdevice',
      aspects: [{ name: 'plate', aspectTypeId: `${T}.Plate` }, { name: 'flow', aspectTypeId: `${T}.Flow` }],
      variables: [{ name: 'maxRate', dataType: 'DOUBLE', defaultValue: '9.5' }] })).status, 201);
    assert.equal((await call(s(), 'PUT', `/assettypes/${T}.BigPump`, { name: 'BigPump', parentTypeId: `${T}.Pump` })).status, 201);
    const root = await rootId(s());
    ids['P1'] = (await createAsset(s(), 'P1', `${T}.Pump`, root, { externalId: 'e1', variables: [{ name: 'maxRate', value: '3' }],
      aspects: [{ name: 'plate', variables: [{ name: 'serial', value: 'SN1' }] }] })).assetId;
    ids['P2'] = (await createAsset(s(), 'P2', `${T}.BigPump`, root, { timezone: 'Europe/Berlin' })).assetId;
    ids['Site'] = (await createAsset(s(), 'Site', 'core.basicsite', root)).assetId;
    ids['Gone'] = (await createAsset(s(), 'P3gone', `${T}.Pump`, root)).assetId;
    assert.equal((await call(s(), 'DELETE', `/assets/${ids['Gone']}`, undefined, { 'if-match': '0' })).status, 204);
    await s().platform.provisionTenant('other', 'other.com');
    const other = await fetchToken(s().url, await s().platform.identity.service.createKey('other', 'k'));
    const otherRoot = (await call(s(), 'GET', '/assets/root', undefined, {}, other)).body.assetId;
    assert.equal((await call(s(), 'POST', '/assets', { name: 'P9', typeId: 'core.basicasset', parentId: otherRoot }, {}, other)).status, 201);
  });

  it('reads an asset type with every member of its chain; core ids in any case; nothing of another tenant', async () => {
    const big = await model.getAssetType(T, `${T}.BigPump`);
    assert.equal(big?.parentTypeId, `${T}.Pump`);
    assert.deepEqual(big?.variables.map((v) => [v.name, v.dataType, v.defaultValue, v.qualityCode]),
      [['serialNumber', 'STRING', null, false], ['firmwareVersion', 'STRING', null, false], ['maxRate', 'DOUBLE', '9.5', false]]);
    assert.deepEqual(big?.aspects.map((a) => [a.name, a.aspectTypeId, a.category, a.variables.map((v) => v.name)]),
      [['plate', `${T}.Plate`, 'static', ['serial', 'rating']], ['flow', `${T}.Flow`, 'dynamic', ['rate']]]);
    assert.equal((await model.getAssetType(T, 'core.BasicDevice'))?.id, 'core.basicdevice');
    assert.equal(await model.getAssetType('other', `${T}.Pump`), undefined);
    assert.equal(await model.getAssetType(T, `${T}.Nope`), undefined);
    const all = (await model.listAssetTypes(T)).map((t) => t.id);
    assert.ok(all.includes(`${T}.BigPump`) && all.includes('core.basicasset'));
    assert.deepEqual(all, [...all].sort());
    assert.ok((await model.listAssetTypes('other')).every((t) => t.tenant === 'core'));
  });

  it('keeps the type list of a tenant until the model changes: same answers, frozen, a change over the wire seen next', async () => {
    const first = await model.listAssetTypes(T);
    const again = await model.listAssetTypes(T);
    assert.deepEqual(again, first);
    assert.ok(Object.isFrozen(again[0]) && Object.isFrozen(again[0]!.variables), 'shared answers cannot be changed');
    again.pop();
    assert.equal((await model.listAssetTypes(T)).length, first.length, 'the returned array is the caller\'s own');
    assert.equal((await call(s(), 'PUT', `/assettypes/${T}.Tiny`, { name: 'Tiny', parentTypeId: 'core.basicasset' })).status, 201);
    const ids2 = (await model.listAssetTypes(T)).map((t) => t.id);
    assert.ok(ids2.includes(`${T}.Tiny`), 'a type made since is listed');
    const pump = (await model.listAssetTypes(T)).find((t) => t.id === `${T}.Pump`);
    assert.deepEqual(pump, await model.getAssetType(T, `${T}.Pump`));
    assert.equal((await call(s(), 'DELETE', `/assettypes/${T}.Tiny`, undefined, { 'if-match': '0' })).status, 204);
    assert.ok(!(await model.listAssetTypes(T)).some((t) => t.id === `${T}.Tiny`), 'a type deleted since is gone');
  });

  it('lists live assets with the values they show, filtered, sorted and paged', async () => {
    const hasPump: FilterNode = { kind: 'eq', field: 'hasType', value: `${T}.Pump` };
    const page = await model.listAssets(T, { filter: hasPump, offset: 0, limit: 10 });
    assert.equal(page.total, 2, 'the deleted P3gone is not there');
    assert.deepEqual(page.items.map((a) => a.name), ['P1', 'P2']);
    const [p1, p2] = page.items;
    assert.equal(p1!.externalId, 'e1');
    assert.deepEqual(p1!.variables, [{ name: 'serialNumber', value: null }, { name: 'firmwareVersion', value: null }, { name: 'maxRate', value: '3' }]);
    assert.deepEqual(p1!.staticAspects, [{ name: 'plate', variables: [{ name: 'serial', value: 'SN1' }, { name: 'rating', value: '5' }] }]);
    assert.deepEqual(p1!.aspects.map((a) => a.name), ['plate', 'flow']);
    assert.equal(p2!.timezone, 'Europe/Berlin');
    assert.equal(p2!.variables.find((v) => v.name === 'maxRate')?.value, '9.5');
    const desc = await model.listAssets(T, { filter: hasPump, sort: [{ field: 'name', direction: 'desc' }], offset: 1, limit: 1 });
    assert.deepEqual([desc.total, desc.items.map((a) => a.name)], [2, ['P1']]);
    const starts = await model.listAssets(T, { filter: { kind: 'startsWith', field: 'name', value: 'P' }, offset: 0, limit: 100 });
    assert.deepEqual(starts.items.map((a) => a.name), ['P1', 'P2']);
    const gone = await model.listAssets(T, { filter: { kind: 'eq', field: 'assetId', value: ids['Gone']! }, offset: 0, limit: 10 });
    assert.equal(gone.total, 0);
    const everything = await model.listAssets(T, { offset: 0, limit: 100 });
    assert.deepEqual(everything.items.map((a) => a.name), ['P1', 'P2', 'Site', T]);
    assert.deepEqual((await model.listAssets('other', { offset: 0, limit: 100 })).items.map((a) => a.name), ['P9', 'other']);
  });

  it('looks up many assets at once as getAsset does one by one, and sees a change made since', async () => {
    const getAssets = model.getAssets!.bind(model);
    const names = async (list: readonly string[]) => (await getAssets(T, list)).map((a) => a?.name);
    const list = [ids['P1']!, 'no-such-asset', ids['Gone']!, ids['P2']!, 'bad id!', ids['P1']!];
    const cold = await names(list);
    assert.deepEqual(cold, ['P1', undefined, undefined, 'P2', undefined, 'P1']);
    assert.deepEqual(await names(list), cold, 'the same from the cache');
    assert.deepEqual(await Promise.all(list.map(async (id) => (await model.getAsset(T, id))?.name)), cold);
    assert.deepEqual(await names([]), []);
    assert.deepEqual((await getAssets('other', [ids['P1']!])).map((a) => a?.name), [undefined], 'nothing of another tenant');
    const tmp = (await createAsset(s(), 'Tmp', `${T}.Pump`, await rootId(s()))).assetId;
    assert.deepEqual(await names([ids['P1']!, tmp]), ['P1', 'Tmp']);
    assert.equal((await call(s(), 'DELETE', `/assets/${tmp}`, undefined, { 'if-match': '0' })).status, 204);
    assert.deepEqual(await names([ids['P1']!, tmp]), ['P1', undefined], 'the deleted asset is gone at the next look');
  });

  it('refuses fields, sorts, pages and trees it cannot serve, naming them', async () => {
    const refused = async (q: Parameters<AssetModelReader['listAssets']>[1], name: string, rule: RegExp) => {
      await assert.rejects(model.listAssets(T, q), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.status, 400);
        assert.equal(err.parameters[0]?.value, name);
        assert.match(err.message, rule);
        return true;
      });
    };
    await refused({ filter: { kind: 'eq', field: 'description', value: 'x' }, offset: 0, limit: 1 }, 'filter', /"description" is not a filterable/);
    await refused({ sort: [{ field: 'description' as never, direction: 'asc' }], offset: 0, limit: 1 }, 'sort', /not sortable/);
    await refused({ offset: -1, limit: 1 }, 'offset', /whole number/);
    await refused({ offset: 0, limit: 1.5 }, 'limit', /whole number/);
    let deep: FilterNode = { kind: 'eq', field: 'name', value: 'P1' };
    for (let i = 0; i < 10_000; i++) deep = { kind: 'not', item: deep };
    await refused({ filter: deep, offset: 0, limit: 1 }, 'filter', /64 levels/);
  });
});
