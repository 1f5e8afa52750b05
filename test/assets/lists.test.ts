import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { assertError, call, createAsset, rootId } from './helpers.js';
import { SqliteAssetStore } from '../../src/assets/store/sqlite.js';
import { AssetService } from '../../src/assets/service.js';
import { ModelEventBus } from '../../src/assets/events.js';
import { createLogger } from '../../src/core/log.js';

describe('asset lists: HAL paging, sort and the filter language (Asset Management API v3: filter parameter, paging)', () => {
  // an operator's lower page limit (the default serves 2000, see below)
  const s = useServer({ assetMaxPageSize: 200 });
  let T: string;
  let root: string;
  const names = ['Motor-01', 'Motor-02', 'Motor-10', 'Pump-A', 'Pump-B', 'Valve', 'mixer', 'Fan-Motor'];
  const ids: Record<string, string> = {};
  const list = async (query: string) => {
    const r = await call(s, 'GET', `/assets?${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const filtered = async (filter: unknown, extra = '') =>
    (await list(`size=200&filter=${encodeURIComponent(JSON.stringify(filter))}${extra}`))._embedded.assets.map((a: { name: string }) => a.name);

  before(async () => {
    T = s().tenant;
    root = await rootId(s);
    assert.equal((await call(s, 'PUT', `/assettypes/${T}.Motor`, { name: 'Motor', parentTypeId: 'core.basicdevice' })).status, 201);
    assert.equal((await call(s, 'PUT', `/assettypes/${T}.BigMotor`, { name: 'BigMotor', parentTypeId: `${T}.Motor` })).status, 201);
    for (const [i, n] of names.entries()) {
      const type = n.startsWith('Motor') ? (i === 2 ? `${T}.BigMotor` : `${T}.Motor`) : 'core.basicasset';
      const a = await createAsset(s, n, type, root, { externalId: `ext-${i}`, timezone: i % 2 ? 'Europe/Berlin' : 'UTC' });
      ids[n] = a.assetId;
    }
  });

  it('pages with HAL links, size default 10, and answers one page past the end with no items', async () => {
    const p0 = await list('size=3&sort=name,asc');
    assert.deepEqual(p0.page, { size: 3, totalElements: 9, totalPages: 3, number: 0 });
    assert.equal(p0._embedded.assets.length, 3);
    assert.ok(p0._links.self.href.includes('page=0'));
    assert.ok(p0._links.next.href.includes('page=1'));
    assert.equal(p0._links.prev, undefined);
    assert.ok(p0._links.last.href.includes('page=2'));
    const p2 = await list('size=3&page=2&sort=name,asc');
    assert.equal(p2._links.next, undefined);
    assert.ok(p2._links.prev.href.includes('page=1'));
    const past = await list('size=3&page=3');
    assert.equal(past._embedded.assets.length, 0);
    assert.equal(past.page.number, 3);
    const def = await list('');
    assert.equal(def.page.size, 10);
    assert.equal((await list('size=0')).page.size, 10);
    const all = [...p0._embedded.assets, ...(await list('size=3&page=1&sort=name,asc'))._embedded.assets, ...p2._embedded.assets];
    assert.equal(new Set(all.map((a: { assetId: string }) => a.assetId)).size, 9);
  });

  it('rejects page sizes over 200 naming the limit, and bad paging parameters', async () => {
    const r = await call(s, 'GET', '/assets?size=201');
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0].message, /maximum page size 200/);
    assert.equal((await call(s, 'GET', '/assets?page=-1')).status, 400);
    assert.equal((await call(s, 'GET', '/assets?size=abc')).status, 400);
    assert.equal((await call(s, 'GET', '/aspecttypes?size=500')).status, 400);
    assert.equal((await call(s, 'GET', '/assettypes?size=500')).status, 400);
  });

  it('sorts Spring-style', async () => {
    const asc = await filtered({ name: { startsWith: 'Motor' } }, '&sort=name,asc');
    assert.deepEqual(asc, ['Motor-01', 'Motor-02', 'Motor-10']);
    assert.deepEqual(await filtered({ name: { startsWith: 'Motor' } }, '&sort=name,desc'), ['Motor-10', 'Motor-02', 'Motor-01']);
    assert.deepEqual(await filtered({ name: { startsWith: 'Motor' } }, '&sort=DESC'), ['Motor-10', 'Motor-02', 'Motor-01']);
    assert.deepEqual(await filtered({ name: { startsWith: 'Pump' } }, '&sort=externalId,desc'), ['Pump-B', 'Pump-A']);
    const bad = await call(s, 'GET', '/assets?sort=colour,asc');
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0].message, /colour/);
    assert.equal((await call(s, 'GET', '/assets?sort=name,sideways')).status, 400);
  });

  it('supports eq, in, startsWith, endsWith, contains, not, and, or', async () => {
    assert.deepEqual(await filtered({ name: 'Valve' }), ['Valve']);
    assert.deepEqual(await filtered({ name: { eq: 'Valve' } }), ['Valve']);
    assert.deepEqual(await filtered({ name: { in: { value: ['Valve', 'mixer', 'nothing'] } } }), ['Valve', 'mixer']);
    assert.deepEqual(await filtered({ name: { endsWith: '-B' } }), ['Pump-B']);
    assert.deepEqual(await filtered({ name: { contains: 'Motor' } }), ['Fan-Motor', 'Motor-01', 'Motor-02', 'Motor-10']);
    assert.deepEqual(await filtered({ name: { startsWith: 'motor' } }), []);
    assert.deepEqual(await filtered({ not: { name: { contains: 'o' } }, parentId: root }), ['Pump-A', 'Pump-B', 'Valve', 'mixer']);
    assert.deepEqual(await filtered({ name: { or: [{ eq: 'Valve' }, { endsWith: '-A' }] } }), ['Pump-A', 'Valve']);
    assert.deepEqual(await filtered({ or: { name: 'Valve', externalId: 'ext-6' } }), ['Valve', 'mixer']);
    assert.deepEqual(await filtered({ or: [{ name: 'Valve' }, { externalId: 'ext-6' }] }), ['Valve', 'mixer']);
    assert.deepEqual(await filtered({ and: { name: { startsWith: 'Motor' }, timezone: 'Europe/Berlin' } }), ['Motor-02']);
    assert.deepEqual(await filtered({ name: { startsWith: 'Motor' }, timezone: 'UTC' }), ['Motor-01', 'Motor-10']);
    assert.deepEqual(await filtered({ name: { not: { startsWith: 'M' } }, typeId: 'core.basicasset' }), ['Fan-Motor', 'Pump-A', 'Pump-B', 'Valve', 'mixer']);
    assert.deepEqual(await filtered({ deleted: null, assetId: ids['Valve'] }), ['Valve']);
    assert.deepEqual(await filtered({ tenantId: 'someoneelse' }), []);
  });

  it('hasType matches derived types, typeId only the exact type', async () => {
    assert.deepEqual(await filtered({ hasType: `${T}.Motor` }), ['Motor-01', 'Motor-02', 'Motor-10']);
    assert.deepEqual(await filtered({ typeId: `${T}.Motor` }), ['Motor-01', 'Motor-02']);
    assert.deepEqual(await filtered({ hasType: `${T}.BigMotor` }), ['Motor-10']);
    assert.deepEqual(await filtered({ hasType: 'core.basicdevice' }), ['Motor-01', 'Motor-02', 'Motor-10']);
    assert.equal((await filtered({ hasType: 'core.basicasset' })).length, 9);
    assert.deepEqual(await filtered({ hasType: { in: { value: [`${T}.BigMotor`, 'core.tenant'] } } }), ['Motor-10', T]);
    assert.deepEqual(await filtered({ hasType: `${T}.Unknown` }), []);
    const bad = await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify({ hasType: { contains: 'Motor' } }))}`);
    assert.equal(bad.status, 400);
  });

  it('ignores unknown fields and rejects malformed clauses naming them', async () => {
    assert.equal((await filtered({ colour: 'red', name: 'Valve' })).length, 1);
    assert.equal((await filtered({ colour: { weird: [1] } })).length, 9);
    assert.equal((await filtered({ toString: '', constructor: { eq: 'x' }, __proto__: 1 })).length, 9);
    const cases: [unknown, string][] = [
      [{ name: { like: 'x' } }, 'name.like'],
      [{ name: { startsWith: 5 } }, 'name.startsWith'],
      [{ name: ['a'] }, 'name'],
      [{ and: 7 }, 'and'],
      [{ or: [{ name: 'a' }, 3] }, 'or[1]'],
      [{ not: { deleted: { before: 'yesterday' } } }, 'not.deleted.before'],
      [{ deleted: { between: '[2020-01-01T00:00:00Z, 2019-01-01T00:00:00Z)' } }, 'deleted.between'],
      [{ deleted: { between: '2020-01-01T00:00:00Z' } }, 'deleted.between'],
      [{ name: { before: '2020-01-01T00:00:00Z' } }, 'name.before'],
      [{ name: { in: 'a' } }, 'name.in'],
      [{ name: {} }, 'name'],
      [[1, 2], ''],
    ];
    for (const [f, clause] of cases) {
      const r = await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify(f))}`);
      assert.equal(r.status, 400, JSON.stringify(f));
      assert.equal(r.body.errors[0].code, 'mdsp.core.generic.invalidParameter');
      assert.equal(r.body.errors[0].messageParameters[0].value, clause ? `filter clause "${clause}"` : 'filter', JSON.stringify(r.body));
    }
    const notJson = await call(s, 'GET', '/assets?filter=%7Bname');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.errors[0].message, /valid JSON/);
  });

  it('filters deleted by date: before, after, between', async () => {
    const a = await createAsset(s, 'Gone', 'core.basicasset', root);
    assert.equal((await call(s, 'DELETE', `/assets/${a.assetId}`, undefined, { 'if-match': '0' })).status, 204);
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    assert.deepEqual(await filtered({ deleted: { after: iso(now - 60_000) } }), ['Gone']);
    assert.deepEqual(await filtered({ deleted: { before: iso(now - 60_000) } }), []);
    assert.deepEqual(await filtered({ deleted: { between: `[${iso(now - 60_000)}, ${iso(now + 60_000)})` } }), ['Gone']);
    assert.equal((await filtered({ deleted: null })).length, 9);
  });

  it('list totals follow writes made by another process on the same data directory', async () => {
    const total = async () => (await list('size=1')).page.totalElements as number;
    const before = await total();
    assert.equal(await total(), before);
    const store = new SqliteAssetStore({ dataDir: s().config.dataDir, sync: 'normal' });
    try {
      const other = new AssetService(store, new ModelEventBus(createLogger('silent')), { defaultTimezone: 'UTC', maxPageSize: 200 });
      await other.createAsset({ tenant: T, admin: true }, { name: 'FromElsewhere', typeId: 'core.basicasset', parentId: root });
    } finally {
      store.close();
    }
    assert.equal(await total(), before + 1);
    await createAsset(s, 'Local', 'core.basicasset', root);
    assert.equal(await total(), before + 2);
  });
});

describe('page size: 2000 by default on every Asset Management list (the official SDK and CLI ask for it)', () => {
  const s = useServer();

  it('serves size=2000 and refuses 2001 naming the limit, on assets, types, and an asset\'s aspects and variables', async () => {
    const root = await rootId(s());
    const lists = ['/assets', '/aspecttypes', '/assettypes', `/assets/${root}/aspects`, `/assets/${root}/variables`];
    for (const path of lists) {
      const ok = await call(s(), 'GET', `${path}?size=2000`);
      assert.equal(ok.status, 200, `${path}: ${JSON.stringify(ok.body)}`);
      assert.equal(ok.body.page.size, 2000, path);
      const tooLarge = await call(s(), 'GET', `${path}?size=2001`);
      assert.equal(tooLarge.status, 400, path);
      assertError(tooLarge, 'mdsp.core.generic.invalidParameter', /larger than the maximum page size 2000/);
    }
  });
});
