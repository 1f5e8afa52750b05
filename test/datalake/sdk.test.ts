/** The public SDK's DataLakeClient (@mindconnect/mindconnect-nodejs, Integrated Data Lake API v3) against Ironbridge. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataLakeModels, MindSphereSdk, type DataLakeClient } from '@mindconnect/mindconnect-nodejs';
import { startServer, type TestServer } from '../helpers/server.js';
import { pattern, sha256 } from './helpers.js';

for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete process.env[v];

describe('the public SDK DataLakeClient against Ironbridge', () => {
  let s: TestServer;
  let lake: DataLakeClient;
  before(async () => {
    s = await startServer();
    const sdk = new MindSphereSdk({
      tenant: s.tenant, gateway: s.url, basicAuth: `Basic ${Buffer.from(`${s.key.clientId}:${s.key.clientSecret}`).toString('base64')}`,
    });
    lake = sdk.GetDataLakeClient();
  });
  after(() => s.close());

  it('uploads to and downloads from signed URLs, reads and writes metadata, searches', async () => {
    const data = pattern(500_000, 9);
    const up = await lake.GenerateUploadObjectUrls({ paths: [{ path: 'sdk/data.bin' }] });
    assert.equal(up.objectUrls?.[0]?.path, 'sdk/data.bin');
    await lake.PutFile(data, up.objectUrls![0]!.signedUrl!);
    const meta = await lake.GetObjectMetaData('sdk/data.bin');
    assert.equal(meta.size, data.length);
    assert.equal(meta.name, 'data.bin');
    const tagged = await lake.PutObjectMetaData('sdk/data.bin', { tags: ['raw', 'line1'] }) as DataLakeModels.ObjectMetaDataResponse;
    assert.deepEqual(tagged.tags, ['raw', 'line1']);
    const found = await lake.GetObjectMetaDatas('sdk', { filter: JSON.stringify({ and: { tags: { in: ['line1'] }, size: { gt: 1000 } } }) });
    assert.deepEqual(found.objectMetadata?.map((o) => o.location), ['sdk/data.bin']);
    const none = await lake.GetObjectMetaDatas('', { filter: JSON.stringify({ none: { name: { startswith: 'zzz' } } }) });
    assert.equal(none.page?.totalElements, 0);
    const down = await lake.GenerateDownloadObjectUrls({ paths: [{ path: 'sdk/data.bin' }] });
    const bytes = Buffer.from(await (await fetch(down.objectUrls![0]!.signedUrl!)).arrayBuffer());
    assert.equal(sha256(bytes), sha256(data));
    await assert.rejects(lake.PutObjectMetaData('sdk/data.bin', { tags: Array.from({ length: 9 }, (_, i) => `t${i}`) }), /at most 8 tags/);
  });

  it('manages event subscriptions and access token permissions', async () => {
    const sub = await lake.PostObjectEventSubscriptions({ path: 'sdk/', destination: 'https://example.invalid/hook' }) as unknown as DataLakeModels.SubscriptionResponse;
    assert.equal(sub.status, 'ACTIVE');
    const listed = await lake.GetObjectEventSubscriptions();
    assert.equal(listed.subscriptions?.length, 1);
    const patched = await lake.PatchObjectEventSubscription(sub.id, { status: 'INACTIVE' }, { ifMatch: Number(sub.eTag) } as never);
    assert.equal(patched.status, 'INACTIVE');
    await lake.DeleteObjectEventSubscription(sub.id, { ifMatch: Number(patched.eTag) } as never);
    assert.equal((await lake.GetObjectEventSubscriptions()).subscriptions?.length, 0);
    const perm = await lake.PostAccessTokenPermissions({ path: 'sdk/', permission: DataLakeModels.AccessPermission.WRITE });
    assert.equal(perm.path, 'sdk/');
    assert.equal((await lake.GetAccessTokenPermission(perm.id)).id, perm.id);
    assert.equal((await lake.GetAccessTokenPermissions()).accessTokenPermissions?.length, 1);
    await lake.DeleteAccessTokenPermission(perm.id);
    await assert.rejects(lake.GetAccessTokenPermission(perm.id), /No access token permission/);
    await assert.rejects(lake.GenerateAccessToken({ permission: DataLakeModels.AccessTokenPermission.READ }), /No endpoint POST/);
  });
});
