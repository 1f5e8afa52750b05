/**
 * The AssetStore contract (src/assets/store.ts): every implementation (SQLite now, PostgreSQL later) runs this
 * suite through runAssetStoreContract(name, open, newLocation, otherWritersMs). `open(at)` opens a store on the data
 * at `at`; a second open of the same location is a second connection (another process, the CLI), whose commits
 * the implementation promises to see within `otherWritersMs`. The store owns the hierarchy invariants: a child
 * only under a live parent, no soft delete with live children, no move into the own subtree, all checked in the
 * writing transaction; and every write is guarded by the etag the caller read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FilterNode } from '../../src/core/filter.js';
import { subtreePrefix, type AspectTypeRecord, type AssetRecord, type AssetTypeRecord } from '../../src/assets/records.js';
import { ParentGone, StoreConflict, type AssetQuery, type AssetStore } from '../../src/assets/store.js';

export function runAssetStoreContract(name: string, open: (at: string) => Promise<AssetStore>, newLocation: () => string,
  otherWritersMs: number): void {
  const settle = () => (otherWritersMs > 0 ? new Promise((r) => setTimeout(r, otherWritersMs + 2)) : Promise.resolve());
  let serial = 0;
  const newId = () => (++serial).toString(16).padStart(32, '0');

  const aspectType = (tenant: string, n: string, over: Partial<AspectTypeRecord> = {}): AspectTypeRecord => ({
    id: `${tenant}.${n}`, tenant, name: n, category: 'static', scope: 'private', description: `${n} aspect`,
    variables: [{ name: 'v', dataType: 'STRING', unit: '', searchable: true, length: 10, qualityCode: false, defaultValue: 'x' }],
    etag: 0, ...over,
  });
  const assetType = (tenant: string, n: string, over: Partial<AssetTypeRecord> = {}): AssetTypeRecord => ({
    id: `${tenant}.${n}`, tenant, name: n, description: '', parentTypeId: 'core.basicasset', instantiable: true, scope: 'private',
    aspects: [{ name: 'a', aspectTypeId: `${tenant}.A` }], variables: [], fileAssignments: [{ key: 'manual', fileId: 'f' }],
    etag: 0, ...over,
  });
  const asset = (tenant: string, n: string, parent: AssetRecord | null, over: Partial<AssetRecord> = {}): AssetRecord => ({
    assetId: newId(), tenant, name: n, externalId: null, description: '', typeId: 'core.basicasset',
    parentId: parent?.assetId ?? null, path: parent ? subtreePrefix(parent) : '', timezone: 'UTC', twinType: 'performance',
    subTenant: null, location: null, variables: [], aspects: [], fileAssignments: [], etag: 0, deleted: null, createdAt: 1,
    ...over,
  });
  const query = (over: Partial<AssetQuery> = {}): AssetQuery => ({
    filter: null, includeDeleted: false, sort: [{ field: 'name', direction: 'asc' }], offset: 0, limit: 100, ...over,
  });

  describe(`AssetStore contract: ${name}`, () => {
    const location = newLocation();
    let store: AssetStore;
    before(async () => { store = await open(location); });
    after(() => store.close());

    /** The tenant's root (created on first use) and a new chain of children below it, root first, as stored. */
    const tree = async (tenant: string, ...names: string[]): Promise<AssetRecord[]> => {
      let root = await store.getRootAsset(tenant);
      if (!root) {
        root = asset(tenant, tenant, null, { typeId: 'core.tenant' });
        await store.createAsset(root);
      }
      const out = [root];
      for (const n of names) {
        const child = asset(tenant, n, out[out.length - 1]!);
        await store.createAsset(child);
        out.push((await store.getAsset(tenant, child.assetId))!);
      }
      return out;
    };

    // Aspect types and asset types share one contract: the same operations over records of the two kinds.
    const typeKinds = [
      { kind: 'aspect types', make: aspectType as (t: string, n: string, o?: Record<string, unknown>) => AspectTypeRecord | AssetTypeRecord,
        change: { description: 'changed' },
        list: (t: string) => store.listAspectTypes(t), get: (t: string, id: string) => store.getAspectType(t, id),
        create: (r: AspectTypeRecord | AssetTypeRecord) => store.createAspectType(r as AspectTypeRecord),
        update: (r: AspectTypeRecord | AssetTypeRecord, e: number) => store.updateAspectType(r as AspectTypeRecord, e),
        remove: (t: string, id: string, e: number) => store.deleteAspectType(t, id, e) },
      { kind: 'asset types', make: assetType as (t: string, n: string, o?: Record<string, unknown>) => AspectTypeRecord | AssetTypeRecord,
        change: { instantiable: false },
        list: (t: string) => store.listAssetTypes(t), get: (t: string, id: string) => store.getAssetType(t, id),
        create: (r: AspectTypeRecord | AssetTypeRecord) => store.createAssetType(r as AssetTypeRecord),
        update: (r: AspectTypeRecord | AssetTypeRecord, e: number) => store.updateAssetType(r as AssetTypeRecord, e),
        remove: (t: string, id: string, e: number) => store.deleteAssetType(t, id, e) },
    ];
    for (const k of typeKinds) {
      it(`${k.kind}: create, read back whole, unique id and name per tenant, etag-guarded update and delete, per tenant`, async () => {
        const a = k.make('ta', 'A');
        await k.create(a);
        await k.create(k.make('ta', 'B'));
        assert.deepEqual(await k.get('ta', 'ta.A'), a);
        assert.deepEqual((await k.list('ta')).map((t) => t.id).sort(), ['ta.A', 'ta.B']);
        await assert.rejects(k.create(k.make('ta', 'A', { description: 'again' })), StoreConflict, 'same id');
        await assert.rejects(k.create(k.make('ta', 'A', { id: 'ta.Other' })), StoreConflict, 'same name');
        // another tenant sees nothing, changes nothing, and may use the same name
        assert.equal(await k.get('tb', 'ta.A'), undefined);
        assert.deepEqual(await k.list('tb'), []);
        assert.equal(await k.update({ ...a, tenant: 'tb', etag: 1 }, 0), false);
        assert.equal(await k.remove('tb', 'ta.A', 0), false);
        await k.create(k.make('tb', 'A', { id: 'tb.A' }));

        const changed = { ...a, ...k.change, etag: 1 };
        assert.equal(await k.update(changed, 0), true);
        assert.deepEqual(await k.get('ta', 'ta.A'), changed);
        assert.deepEqual((await k.list('ta')).find((t) => t.id === 'ta.A'), changed, 'the list shows the change');
        assert.equal(await k.update({ ...a, etag: 2 }, 0), false, 'stale etag');
        await assert.rejects(k.update({ ...changed, name: 'B', etag: 2 }, 1), StoreConflict, 'a name taken by another type');
        assert.equal(await k.remove('ta', 'ta.A', 0), false, 'stale etag');
        assert.equal(await k.remove('ta', 'ta.A', 1), true);
        assert.equal(await k.get('ta', 'ta.A'), undefined);
        assert.deepEqual((await k.list('ta')).map((t) => t.id), ['ta.B']);
        assert.equal((await k.get('tb', 'tb.A'))?.tenant, 'tb');
      });
    }

    it('root assets: one per tenant', async () => {
      const [root] = await tree('tr');
      assert.equal((await store.getRootAsset('tr'))?.assetId, root!.assetId);
      await assert.rejects(store.createAsset(asset('tr', 'second root', null)), StoreConflict);
      assert.equal(await store.getRootAsset('tr-none'), undefined);
      const [other] = await tree('tr2');
      assert.notEqual(other!.assetId, root!.assetId);
    });

    it('creates an asset only under a live parent of its tenant, with the path taken from the parent', async () => {
      const [root, site] = await tree('tc', 'Site');
      const child = asset('tc', 'Child', site!, { path: 'made-up' });
      await store.createAsset(child);
      const stored = await store.getAsset('tc', child.assetId);
      assert.equal(stored?.path, `${root!.assetId}/${site!.assetId}`);
      assert.deepEqual({ ...stored, path: '' }, { ...child, path: '' }, 'every field reads back');
      await assert.rejects(store.createAsset({ ...child, name: 'same id' }), StoreConflict);
      await assert.rejects(store.createAsset(asset('tc', 'Orphan', null, { parentId: newId() })), ParentGone);
      const [otherRoot] = await tree('td');
      await assert.rejects(store.createAsset(asset('tc', 'Across', otherRoot!)), ParentGone, "another tenant's parent");
      assert.equal(await store.softDeleteAsset({ ...stored!, deleted: 5, etag: 1 }, 0), 'deleted');
      await assert.rejects(store.createAsset(asset('tc', 'UnderDeleted', stored!)), ParentGone, 'a deleted parent');
      assert.equal(await store.getAsset('td', child.assetId), undefined);
    });

    it('updates an asset only with the etag read, only in its tenant', async () => {
      const [, a] = await tree('tu', 'A');
      const next = { ...a!, name: 'A2', externalId: 'x', location: { country: 'AT', latitude: 1.5 }, variables: [{ name: 'v', value: '1' }],
        aspects: [{ name: 'p', variables: [{ name: 'w', value: null }] }], fileAssignments: [{ key: 'k', fileId: 'f' }], etag: 1 };
      assert.equal(await store.updateAsset({ ...next, tenant: 'tv' }, 0), false);
      assert.equal(await store.updateAsset(next, 3), false, 'stale etag');
      assert.equal(await store.updateAsset(next, 0), true);
      assert.deepEqual(await store.getAsset('tu', a!.assetId), next);
      assert.equal(await store.updateAsset({ ...next, name: 'A3', etag: 2 }, 0), false);
    });

    it('moves a subtree: the descendants\' paths follow; stale, gone and cyclic moves change nothing', async () => {
      const [root, a, b, c] = await tree('tm', 'A', 'B', 'C');
      const [, x] = await tree('tm', 'X');
      assert.equal(await store.moveAsset({ ...b!, parentId: x!.assetId, etag: 1 }, b!.path, 0), 'moved');
      const prefix = `${root!.assetId}/${x!.assetId}`;
      assert.equal((await store.getAsset('tm', b!.assetId))?.path, prefix);
      assert.equal((await store.getAsset('tm', c!.assetId))?.path, `${prefix}/${b!.assetId}`, 'a descendant follows');
      assert.equal((await store.getAsset('tm', c!.assetId))?.etag, 0, "a descendant's etag does not change");
      const bNow = (await store.getAsset('tm', b!.assetId))!;
      assert.equal(await store.moveAsset({ ...bNow, parentId: a!.assetId, etag: 2 }, bNow.path, 0), 'stale');
      assert.equal(await store.moveAsset({ ...bNow, parentId: c!.assetId, etag: 2 }, bNow.path, 1), 'cycle', 'into its own subtree');
      assert.equal(await store.moveAsset({ ...bNow, parentId: b!.assetId, etag: 2 }, bNow.path, 1), 'cycle', 'under itself');
      assert.equal(await store.moveAsset({ ...bNow, parentId: newId(), etag: 2 }, bNow.path, 1), 'parentGone');
      assert.deepEqual(await store.getAsset('tm', b!.assetId), bNow, 'nothing changed');
    });

    it('soft-deletes only without live children; a deleted asset stays readable; children are counted live', async () => {
      const [, p, kid] = await tree('ts', 'P', 'Kid');
      assert.equal(await store.countChildren('ts', p!.assetId), 1);
      assert.equal(await store.softDeleteAsset({ ...p!, deleted: 10, etag: 1 }, 0), 'hasChildren');
      assert.equal(await store.softDeleteAsset({ ...kid!, deleted: 10, etag: 1 }, 5), 'stale');
      assert.equal(await store.softDeleteAsset({ ...kid!, deleted: 10, etag: 1 }, 0), 'deleted');
      assert.equal(await store.countChildren('ts', p!.assetId), 0);
      assert.equal((await store.getAsset('ts', kid!.assetId))?.deleted, 10);
      assert.equal(await store.softDeleteAsset({ ...p!, deleted: 11, etag: 1 }, 0), 'deleted');
      assert.equal(await store.countChildren('tt', p!.assetId), 0);
    });

    it('lists: filter, deleted only when asked, sort with ties by id, offset and limit, totals, per tenant', async () => {
      const [root] = await tree('tl');
      const made: AssetRecord[] = [];
      for (const [i, n] of ['b', 'a', 'c', 'a', 'd'].entries()) {
        const rec = asset('tl', n, root!, { externalId: `e${i % 2}`, typeId: i < 3 ? 'tl.T1' : 'tl.T2',
          fileAssignments: i === 4 ? [{ key: 'k1', fileId: 'f1' }, { key: 'k2', fileId: 'f2' }] : [] });
        await store.createAsset(rec);
        made.push(rec);
      }
      assert.equal(await store.softDeleteAsset({ ...made[4]!, deleted: 100, etag: 1 }, 0), 'deleted');
      const names = async (q: Partial<AssetQuery>) => (await store.listAssets('tl', query(q))).items.map((a) => a.name);
      const all = await store.listAssets('tl', query());
      assert.equal(all.total, 5, 'root and four live assets');
      assert.deepEqual(all.items.map((a) => a.name), ['a', 'a', 'b', 'c', 'tl']);
      const [a1, a2] = all.items;
      assert.ok(a1!.assetId < a2!.assetId, 'equal names come in assetId order');
      assert.deepEqual(await names({ sort: [{ field: 'name', direction: 'desc' }] }), ['tl', 'c', 'b', 'a', 'a']);
      assert.deepEqual(await names({ sort: [{ field: 'externalId', direction: 'desc' }, { field: 'name', direction: 'asc' }],
        filter: { kind: 'in', field: 'externalId', values: ['e0', 'e1'] } }), ['a', 'a', 'b', 'c']);
      const byType: FilterNode = { kind: 'eq', field: 'typeId', value: 'tl.T1' };
      assert.deepEqual(await names({ filter: byType }), ['a', 'b', 'c']);
      assert.deepEqual(await names({ filter: { kind: 'not', item: byType } }), ['a', 'tl']);
      assert.deepEqual(await names({ filter: { kind: 'startsWith', field: 'name', value: 't' } }), ['tl']);
      assert.deepEqual(await names({ filter: { kind: 'eq', field: 'fileId', value: 'f2' } }), [], 'the deleted one is left out');
      assert.deepEqual(await names({ filter: { kind: 'eq', field: 'fileId', value: 'f2' }, includeDeleted: true }), ['d']);
      assert.deepEqual(await names({ filter: { kind: 'after', field: 'deleted', value: 50 }, includeDeleted: true }), ['d']);
      const page = await store.listAssets('tl', query({ offset: 1, limit: 2 }));
      assert.deepEqual([page.total, page.items.map((a) => a.assetId)], [5, [a2!.assetId, all.items[2]!.assetId]]);
      assert.deepEqual((await store.listAssets('tl', query({ offset: 9, limit: 2 }))).items, []);
      const foreign = await store.listAssets('tl-other', query({ filter: { kind: 'eq', field: 'tenantId', value: 'tl' } }));
      assert.deepEqual([foreign.total, foreign.items], [0, []]);
      assert.equal(await store.countAssetsOfTypes('tl', ['tl.T1', 'tl.T2']), 4, 'live assets only');
      assert.equal(await store.countAssetsOfTypes('tl-other', ['tl.T1']), 0);
      assert.equal(await store.countAssetsOfTypes('tl', []), 0);
    });

    it('lists asset values: the same rows, order and totals as listAssets, cut to the values view', async () => {
      const [root] = await tree('tv');
      for (const [i, n] of ['b', 'a', 'c', 'a'].entries()) {
        await store.createAsset(asset('tv', n, root!, { typeId: i < 2 ? 'tv.T1' : 'tv.T2', description: `d${i}`, externalId: i ? null : 'e',
          variables: i === 1 ? [{ name: 'v', value: '1' }] : [],
          aspects: i === 2 ? [{ name: 'a', variables: [{ name: 'v', value: 'y' }] }] : [] }));
      }
      const cut = (a: AssetRecord) => ({ tenant: a.tenant, assetId: a.assetId, name: a.name, externalId: a.externalId,
        typeId: a.typeId, parentId: a.parentId, timezone: a.timezone, description: a.description, variables: a.variables, aspects: a.aspects });
      const queries: Partial<AssetQuery>[] = [{}, { sort: [{ field: 'name', direction: 'desc' }] }, { offset: 1, limit: 2 },
        { filter: { kind: 'eq', field: 'typeId', value: 'tv.T1' } }, { offset: 9, limit: 2 },
        { sort: [{ field: 'typeId', direction: 'asc' }, { field: 'name', direction: 'desc' }] }];
      for (const q of queries) {
        const full = await store.listAssets('tv', query(q));
        assert.deepEqual(await store.listAssetValues('tv', query(q)), { total: full.total, items: full.items.map(cut) }, JSON.stringify(q));
      }
      assert.equal((await store.listAssetValues('tv', query())).items.length, 5);
      assert.deepEqual(await store.listAssetValues('tv-other', query()), { total: 0, items: [] });
    });

    it('summaries: names and own locations of the tenant\'s assets; renames and values follow writes', async () => {
      const [root, a] = await tree('ty', 'A');
      assert.equal(await store.updateAsset({ ...a!, location: { locality: 'Linz' }, variables: [{ name: 'old', value: '1' }], etag: 1 }, 0), true);
      const summaries = await store.getAssetSummaries('ty', [root!.assetId, a!.assetId, newId()]);
      assert.deepEqual(summaries.sort((x, y) => (x.name < y.name ? -1 : 1)),
        [{ assetId: a!.assetId, name: 'A', location: { locality: 'Linz' } }, { assetId: root!.assetId, name: 'ty', location: null }]);
      assert.deepEqual(await store.getAssetSummaries('tz', [a!.assetId]), []);
      assert.equal(await store.updateAsset({ ...(await store.getAsset('ty', a!.assetId))!, name: 'A2', etag: 2 }, 1), true);
      assert.equal((await store.getAssetSummaries('ty', [a!.assetId]))[0]?.name, 'A2', 'a rename shows at once');
      await store.renameVariableValues('ty', ['core.other'], 'old', 'new');
      assert.deepEqual((await store.getAsset('ty', a!.assetId))?.variables, [{ name: 'old', value: '1' }], 'another type: untouched');
      await store.renameVariableValues('tz', ['core.basicasset'], 'old', 'new');
      assert.deepEqual((await store.getAsset('ty', a!.assetId))?.variables, [{ name: 'old', value: '1' }], 'another tenant: untouched');
      await store.renameVariableValues('ty', ['core.basicasset'], 'old', 'new');
      assert.deepEqual((await store.getAsset('ty', a!.assetId))?.variables, [{ name: 'new', value: '1' }]);
      assert.equal((await store.getAsset('ty', a!.assetId))?.etag, 2, 'a rename of values is no change of the asset');
    });

    it('the model lock is per tenant and off until set', async () => {
      assert.equal(await store.getModelLock('tk'), false);
      await store.setModelLock('tk', true);
      assert.equal(await store.getModelLock('tk'), true);
      assert.equal(await store.getModelLock('tk2'), false);
      await store.setModelLock('tk', false);
      assert.equal(await store.getModelLock('tk'), false);
    });

    it('sees what another connection commits (types, lists and their totals, summaries) within the promised time', async () => {
      const [root, a] = await tree('to', 'A');
      await store.createAspectType(aspectType('to', 'A'));
      const other = await open(location);
      try {
        // read everything once first, so that an implementation's caches are warm
        assert.equal((await store.listAspectTypes('to')).length, 1);
        assert.equal((await store.listAssets('to', query())).total, 2);
        assert.equal((await store.getAssetSummaries('to', [a!.assetId]))[0]?.name, 'A');
        await other.createAspectType(aspectType('to', 'B'));
        await other.createAsset(asset('to', 'FromOther', root!));
        assert.equal(await other.updateAsset({ ...a!, name: 'Renamed', etag: 1 }, 0), true);
        await other.setModelLock('to', true);
        await settle();
        assert.deepEqual((await store.listAspectTypes('to')).map((t) => t.id).sort(), ['to.A', 'to.B']);
        const list = await store.listAssets('to', query());
        assert.deepEqual([list.total, list.items.map((x) => x.name)], [3, ['FromOther', 'Renamed', 'to']]);
        assert.equal((await store.getAssetSummaries('to', [a!.assetId]))[0]?.name, 'Renamed');
        assert.equal(await store.getModelLock('to'), true);
        assert.equal(await store.updateAsset({ ...a!, name: 'Lost', etag: 1 }, 0), false, 'the etag moved on in the other connection');
      } finally {
        other.close();
      }
    });

    it('modelVersion moves on every write of types and assets, its own and another connection\'s, and not on reads', async () => {
      const [root, a] = await tree('mv', 'A');
      const other = await open(location);
      try {
        let seen = store.modelVersion();
        const moved = async (what: string, write: () => Promise<unknown>) => {
          await write();
          await settle();
          const now = store.modelVersion();
          assert.notEqual(now, seen, `${what} moves the version`);
          seen = now;
          await store.getAsset('mv', a!.assetId);
          await store.listAssetTypes('mv');
          assert.equal(store.modelVersion(), seen, `reads after ${what} leave it`);
        };
        await moved('an aspect type created', () => store.createAspectType(aspectType('mv', 'A')));
        await moved('an aspect type updated', () => store.updateAspectType(aspectType('mv', 'A', { description: 'x', etag: 1 }), 0));
        await moved('an asset type created', () => store.createAssetType(assetType('mv', 'T')));
        await moved('an asset type deleted', () => store.deleteAssetType('mv', 'mv.T', 0));
        await moved('an asset updated', () => store.updateAsset({ ...a!, timezone: 'Europe/Berlin', etag: 1 }, 0));
        await moved('an asset created by another connection', () => other.createAsset(asset('mv', 'B', root!)));
        await moved('an aspect type updated by another connection',
          () => other.updateAspectType(aspectType('mv', 'A', { description: 'y', etag: 2 }), 1));
        const fresh = (await store.getAsset('mv', a!.assetId))!;
        await moved('an asset soft-deleted by another connection', () => other.softDeleteAsset({ ...fresh, deleted: 5, etag: 2 }, 1));
        assert.notEqual((await store.getAsset('mv', a!.assetId))!.deleted, null);
      } finally {
        other.close();
      }
    });

    it('deleteTenant drops the tenant\'s types, assets and model lock (warm caches too) and nothing of another tenant', async () => {
      for (const t of ['dx', 'dy']) {
        await tree(t, 'Pump');
        await store.createAspectType(aspectType(t, 'A'));
        await store.createAssetType(assetType(t, 'T'));
        await store.setModelLock(t, true);
      }
      assert.equal((await store.listAspectTypes('dx')).length, 1, 'read once: caches are warm');
      assert.equal((await store.listAssets('dx', query())).total, 2);
      assert.ok((await store.deleteTenant('dx')) >= 5);
      assert.deepEqual([await store.listAspectTypes('dx'), await store.listAssetTypes('dx'), (await store.listAssets('dx', query())).total,
        await store.getRootAsset('dx'), await store.getModelLock('dx')], [[], [], 0, undefined, false]);
      assert.deepEqual([(await store.listAspectTypes('dy')).length, (await store.listAssetTypes('dy')).length,
        (await store.listAssets('dy', query())).total, await store.getModelLock('dy')], [1, 1, 2, true]);
      assert.equal(await store.deleteTenant('dx'), 0);
    });
  });
}
