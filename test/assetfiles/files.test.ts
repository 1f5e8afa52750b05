/**
 * Asset Management files (/api/assetmanagement/v3/files) through the public SDK's AssetManagementClient and over
 * the wire: upload, list with filter and paging, download, replace with If-Match, delete, the 5 MB limit, file
 * assignments on assets and asset types checked against the files that exist, deletion refused while assigned.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MindSphereSdk, type AssetManagementClient } from '@mindconnect/mindconnect-nodejs';
import { fetchToken, startServer, type TestServer } from '../helpers/server.js';

for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete process.env[v];

const AM = '/api/assetmanagement/v3';

describe('Asset Management files', () => {
  let s: TestServer;
  let am: AssetManagementClient;
  let other: string;
  before(async () => {
    s = await startServer();
    am = new MindSphereSdk({ tenant: s.tenant, gateway: s.url,
      basicAuth: `Basic ${Buffer.from(`${s.key.clientId}:${s.key.clientSecret}`).toString('base64')}` }).GetAssetManagementClient();
    await s.platform.provisionTenant('other', 'other.com');
    other = await fetchToken(s.url, await s.platform.identity.service.createKey('other', 'k'));
  });
  after(() => s.close());

  const json = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const r = await s.api(`${AM}${path}`, init);
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };

  it('uploads, reads, downloads, lists, replaces and deletes with the public SDK', async () => {
    const made = await am.PostFile(Buffer.from('manual text for pump 1'), 'manual.txt', { description: 'pump manual', scope: 'PRIVATE' as never, mimeType: 'text/plain' });
    assert.match(made.id!, /^[a-f0-9]{32}$/);
    assert.deepEqual([made.name, made.description, made.scope, made.etag, made.isAssigned], ['manual.txt', 'pump manual', 'PRIVATE', 0, false]);
    assert.equal((await am.GetFile(made.id!)).originalFileName, 'manual.txt');
    const raw = await am.DownloadFile(made.id!) as Response;
    assert.equal(await raw.text(), 'manual text for pump 1');
    await am.PostFile(Buffer.from('second'), 'drawing.txt');
    const listed = await am.GetFiles({ filter: JSON.stringify({ name: { startsWith: 'man' } }) });
    assert.deepEqual(listed._embedded?.files?.map((f) => f.name), ['manual.txt']);
    const paged = await am.GetFiles({ size: 1, page: 1, sort: 'name,asc' });
    assert.deepEqual([paged._embedded?.files?.[0]?.name, paged.page?.totalElements, paged.page?.totalPages], ['manual.txt', 2, 2]);
    const replaced = await am.PutFile(made.id!, Buffer.from('revised manual'), 'manual-v2.txt', { ifMatch: '0', description: 'revised', scope: 'PRIVATE' as never });
    assert.deepEqual([replaced.etag, replaced.name, replaced.description], [1, 'manual-v2.txt', 'revised']);
    assert.equal(await (await am.DownloadFile(made.id!) as Response).text(), 'revised manual');
    await assert.rejects(am.PutFile(made.id!, Buffer.from('x'), 'x.txt', { ifMatch: '0' } as never), /412|does not match/);
    await am.DeleteFile(made.id!, { ifMatch: '1' });
    await assert.rejects(am.GetFile(made.id!), new RegExp(made.id!));
  });

  it('refuses a file over 5 MB with 413, a form without a file, a missing If-Match, another tenant', async () => {
    const big = new FormData();
    big.set('file', new Blob([Buffer.alloc(5 * 1024 * 1024 + 1)]), 'big.bin');
    big.set('name', 'big.bin');
    const r = await s.api(`${AM}/files`, { method: 'POST', body: big });
    assert.equal(r.status, 413);
    const exact = new FormData();
    exact.set('file', new Blob([Buffer.alloc(5 * 1024 * 1024)]), 'exact.bin');
    const ok = await s.api(`${AM}/files`, { method: 'POST', body: exact });
    assert.equal(ok.status, 201);
    const id = ((await ok.json()) as { id: string }).id;
    const noFile = new FormData();
    noFile.set('name', 'nothing');
    const missing = await json('/files', { method: 'POST', body: noFile });
    assert.equal(missing.status, 400);
    assert.match(missing.body.errors[0].message, /file/);
    assert.equal((await json('/files', { method: 'POST', body: '{}' })).status, 415);
    assert.equal((await json(`/files/${id}`, { method: 'DELETE' })).status, 428);
    assert.equal((await json(`/files/${id}`, { token: other })).status, 404);
    assert.equal((await json(`/files/${id}/file`, { token: other })).status, 404);
    assert.equal((await json('/files', { token: other })).body._embedded.files.length, 0);
    assert.equal((await json(`/files/${id}`, { method: 'DELETE', headers: { 'if-match': '0' }, token: other })).status, 404);
  });

  it('checks file assignments of assets and asset types against existing files and keeps assigned files', async () => {
    const file = await am.PostFile(Buffer.from('datasheet'), 'datasheet.txt');
    const root = await am.GetRootAsset();
    const T = s.tenant;
    await assert.rejects(am.PutAssetType(`${T}.Pump`, { name: 'Pump', parentTypeId: 'core.basicasset', instantiable: true, scope: 'private',
      description: '', aspects: [], variables: [], fileAssignments: [{ key: 'sheet', fileId: 'abcd' }] } as never), /abcd/);
    const type = await am.PutAssetType(`${T}.Pump`, { name: 'Pump', parentTypeId: 'core.basicasset', instantiable: true, scope: 'private',
      description: '', aspects: [], variables: [], fileAssignments: [{ key: 'sheet', fileId: file.id! }] } as never);
    assert.equal(type.fileAssignments?.[0]?.fileId, file.id);
    const asset = await am.PostAsset({ name: 'P1', typeId: `${T}.Pump`, parentId: root.assetId! } as never);
    assert.equal(asset.fileAssignments?.find((f) => f.key === 'sheet')?.fileId, file.id, 'inherited from the type');
    await assert.rejects(am.PutAssetFileAssignment(asset.assetId!, 'photo', { fileId: 'abcd' }, { ifMatch: '0' }), /abcd/);
    const photo = await am.PostFile(Buffer.from('jpeg'), 'photo.jpg');
    const assigned = await am.PutAssetFileAssignment(asset.assetId!, 'photo', { fileId: photo.id! }, { ifMatch: '0' });
    assert.ok(assigned.fileAssignments?.some((f) => f.key === 'photo' && f.fileId === photo.id));
    assert.equal((await am.GetFile(photo.id!)).isAssigned, true);
    const refused = await json(`/files/${photo.id}`, { method: 'DELETE', headers: { 'if-match': '0' } });
    assert.equal(refused.status, 409);
    assert.match(refused.body.errors[0].message, /assigned/);
    await am.DeleteAssetFileAssignment(asset.assetId!, 'photo', { ifMatch: String(assigned.etag) });
    assert.equal((await am.GetFile(photo.id!)).isAssigned, false);
    await am.DeleteFile(photo.id!, { ifMatch: '0' });
    assert.equal((await json(`/files/${file.id}`, { method: 'DELETE', headers: { 'if-match': '0' } })).status, 409, 'the type assigns it');
    const typeNow = await am.GetAssetType(`${T}.Pump`);
    await am.DeleteAssetTypeFileAssignment(`${T}.Pump`, 'sheet', { ifMatch: String(typeNow.etag) });
    const stillAsset = await am.GetAsset(asset.assetId!);
    assert.equal(stillAsset.fileAssignments?.some((f) => f.key === 'sheet'), false);
    await am.DeleteFile(file.id!, { ifMatch: '0' });
  });
});
