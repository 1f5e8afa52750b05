import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MindSphereSdk, type AssetManagementClient } from '@mindconnect/mindconnect-nodejs';
import { useServer } from '../helpers/server.js';

for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete process.env[v];

describe('the public SDK AssetManagementClient against Ironbridge (the public MindConnect Node.js SDK (AssetManagementClient))', () => {
  const s = useServer();
  let am: AssetManagementClient;
  let T: string;
  before(async () => {
    T = s().tenant;
    const sdk = new MindSphereSdk({
      tenant: T, gateway: s().url, basicAuth: `Basic ${Buffer.from(`${s().key.clientId}:${s().key.clientSecret}`).toString('base64')}`,
    });
    am = sdk.GetAssetManagementClient();
  });

  it('reads the billboard, the root asset, and ten aspect types by default', async () => {
    const bb = await am.GetBillboard();
    assert.ok(bb.assets?.href);
    const root = await am.GetRootAsset();
    assert.equal(root.assetId?.length, 32);
    const aspects = await am.GetAspectTypes();
    assert.equal(aspects._embedded?.aspectTypes?.length, 10);
    assert.equal(aspects.page?.size, 10);
    assert.equal(aspects.page?.number, 0);
    const rootAspects = await am.GetAspects(root.assetId!);
    assert.ok((rootAspects._embedded?.aspects?.length ?? 0) > 0);
    const rootVars = await am.GetVariables(root.assetId!);
    assert.ok((rootVars._embedded?.variables?.length ?? 0) > 0);
    // the SDK's callers ask for pages of 2000 (the CLI's tree, an asset's aspects and variables)
    const allAspects = await am.GetAspects(root.assetId!, { size: 2000 });
    assert.equal(allAspects.page?.size, 2000);
    assert.equal(allAspects._embedded?.aspects?.length, allAspects.page?.totalElements);
    const allVars = await am.GetVariables(root.assetId!, { size: 2000 });
    assert.equal(allVars._embedded?.variables?.length, allVars.page?.totalElements);
    assert.equal((await am.GetAssets({ size: 2000 })).page?.size, 2000);
  });

  it('accepts includeShared on every call; nothing is shared between tenants here, so it changes no answer', async () => {
    const root = await am.GetRootAsset();
    await assert.doesNotReject(am.GetAssets({ includeShared: true }));
    assert.deepEqual((await am.GetAssets({ includeShared: true, sort: 'name,asc' }))._embedded?.assets?.map((a) => a.assetId),
      (await am.GetAssets({ sort: 'name,asc' }))._embedded?.assets?.map((a) => a.assetId));
    await assert.doesNotReject(am.GetAspectTypes({ includeShared: true }));
    await assert.doesNotReject(am.GetAssetType('core.basicdevice', { includeShared: true, exploded: true }));
    // (the SDK types this one's includeShared as a number; it sends true)
    await assert.doesNotReject(am.GetAspects(root.assetId!, { includeShared: true as never }));
  });

  it('creates aspect types and an asset type deriving from core.BasicAsset, then an asset; updates, moves and deletes', async () => {
    const env = await am.PutAspectType(`${T}.UnitTestEnvironment`, {
      name: 'UnitTestEnvironment', category: 'dynamic' as never, scope: 'private' as never, description: 'env',
      variables: [
        { name: 'Humidity', dataType: 'INT' as never, unit: '%', searchable: false, qualityCode: true },
        { name: 'Pressure', dataType: 'DOUBLE' as never, unit: 'kPa', searchable: false, qualityCode: true },
      ],
    }, { ifNoneMatch: '*' });
    assert.equal(env.id, `${T}.UnitTestEnvironment`);
    const updated = await am.PatchAspectType(`${T}.UnitTestEnvironment`, {
      name: 'UnitTestEnvironment', category: 'dynamic' as never, description: 'patched',
      variables: [...env.variables, { name: 'Temperature', dataType: 'DOUBLE' as never, unit: 'C', searchable: false, qualityCode: true }],
    }, { ifMatch: `${env.etag}` });
    assert.equal(updated.variables.length, 3);
    const engine = await am.PutAssetType(`${T}.UnitTestEngine`, {
      name: 'UnitTestEngine', description: 'engine', parentTypeId: 'core.BasicAsset', instantiable: true, scope: 'private' as never,
      aspects: [{ name: 'EnvironmentData', aspectTypeId: `${T}.UnitTestEnvironment` }], variables: [], fileAssignments: [],
    });
    assert.equal(engine.aspects?.[0]?.aspectType?.id, `${T}.UnitTestEnvironment`);
    const dev = await am.PutAssetType(`${T}.SdkDevice`, {
      name: 'SdkDevice', parentTypeId: 'core.basicdevice', instantiable: true,
      variables: [{ name: 'own', dataType: 'STRING' as never, unit: '', searchable: true, length: 10 }],
    } as never);
    assert.equal(dev.variables?.length, 1);
    const exploded = await am.GetAssetType(`${T}.SdkDevice`, { exploded: true });
    assert.equal(exploded.variables?.length, 3);

    const root = await am.GetRootAsset();
    const asset = await am.PostAsset({ name: 'SdkEngine', typeId: `${T}.UnitTestEngine`, parentId: root.assetId!, timezone: 'Europe/Berlin' } as never);
    assert.equal(asset.assetId?.length, 32);
    assert.equal(asset.etag, 0);
    const got = await am.GetAsset(asset.assetId!);
    assert.equal(got.name, 'SdkEngine');
    const put = await am.PutAsset(asset.assetId!, { name: 'SdkEngine2' } as never, { ifMatch: '0' });
    assert.equal(put.name, 'SdkEngine2');
    const patched = await am.PatchAsset(asset.assetId!, { description: 'via patch' } as never, { ifMatch: '1' });
    assert.equal(patched.description, 'via patch');
    const loc = await am.PutAssetLocation(asset.assetId!, { country: 'Germany', locality: 'Erlangen' }, { ifMatch: '2' });
    assert.equal(loc.location?.locality, 'Erlangen');
    const noLoc = await am.DeleteAssetLocation(asset.assetId!, { ifMatch: '3' });
    assert.equal(noLoc.location, null);
    const site = await am.PostAsset({ name: 'SdkSite', typeId: 'core.basicsite', parentId: root.assetId! } as never);
    const moved = await am.MoveAsset(asset.assetId!, { newParentId: site.assetId! }, { ifMatch: '4' });
    assert.equal(moved.parentId, site.assetId);
    const filtered = await am.GetAssets({ filter: JSON.stringify({ and: { name: { startsWith: 'Sdk' }, typeId: { contains: 'Engine' } } }), sort: 'name,asc' });
    assert.deepEqual(filtered._embedded?.assets?.map((a) => a.name), ['SdkEngine2']);
    await am.DeleteAsset(asset.assetId!, { ifMatch: '5' });
    await am.DeleteAsset(site.assetId!, { ifMatch: '0' });
    await am.DeleteAssetType(`${T}.UnitTestEngine`, { ifMatch: `${engine.etag}` });
    await am.DeleteAspectType(`${T}.UnitTestEnvironment`, { ifMatch: `${updated.etag}` });
    await assert.rejects(am.GetAspectType(`${T}.UnitTestEnvironment`), /404|not found/i);
  });

  it('pages through all assets to the end, one page past it included', async () => {
    const root = await am.GetRootAsset();
    for (let i = 0; i < 23; i++) await am.PostAsset({ name: `Paged-${String(i).padStart(2, '0')}`, typeId: 'core.basicasset', parentId: root.assetId! } as never);
    const names: string[] = [];
    let page = 0;
    let totalPages = 0;
    do {
      const res = await am.GetAssets({ page, size: 5, sort: 'name,asc', filter: JSON.stringify({ name: { startsWith: 'Paged-' } }) });
      names.push(...(res._embedded?.assets ?? []).map((a) => a.name));
      totalPages = res.page?.totalPages ?? 0;
    } while (page++ < totalPages);
    assert.equal(names.length, 23);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, 23);
  });

  it('reads and sets the model lock', async () => {
    assert.equal((await am.GetModelLock()).enabled, false);
    assert.equal((await am.PutModelLock({ enabled: true })).enabled, true);
    assert.equal((await am.PutModelLock({ enabled: false })).enabled, false);
  });

  it('surfaces errors with the offending id', async () => {
    await assert.rejects(am.GetAsset('abcdabcdabcdabcdabcdabcdabcdabcd'), /abcdabcdabcdabcdabcdabcdabcdabcd/);
  });
});
