import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { uploadFile } from '../assetfiles/helpers.js';
import { call, createAsset, rootId } from './helpers.js';

describe('asset type variables and file assignments (Asset Management API v3)', () => {
  const s = useServer();
  let T: string;
  let asset: { assetId: string };
  let typefile: string;
  before(async () => {
    T = s().tenant;
    typefile = await uploadFile(s(), 'typefile.txt');
    assert.equal((await call(s, 'PUT', `/assettypes/${T}.Base`, { name: 'Base', parentTypeId: 'core.basicasset',
      variables: [{ name: 'speed', dataType: 'DOUBLE', unit: 'rpm', defaultValue: '10' }, { name: 'label', dataType: 'STRING', length: 5 }],
      fileAssignments: [{ key: 'manual', fileId: typefile }] })).status, 201);
    assert.equal((await call(s, 'PUT', `/assettypes/${T}.Child`, { name: 'Child', parentTypeId: `${T}.Base`,
      variables: [{ name: 'other', dataType: 'INT' }] })).status, 201);
    asset = await createAsset(s, 'A', `${T}.Child`, await rootId(s), { variables: [{ name: 'speed', value: '99' }] });
  });

  const patchVars = (id: string, body: unknown, etag: string) => s().api(`/api/assetmanagement/v3/assettypes/${id}/variables`, {
    method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/merge-patch+json', 'if-match': etag },
  });

  it('changes unit, length and default, renames keeping asset values, and guards the rules', async () => {
    const bad = async (body: unknown, etag: string, status: number, re: RegExp) => {
      const r = await patchVars(`${T}.Base`, body, etag);
      const b = await r.json() as { errors: { message: string }[] };
      assert.equal(r.status, status, JSON.stringify(b));
      assert.match(b.errors[0]!.message, re);
    };
    await bad({ speed: { unit: 'Hz' } }, '', 428, /If-Match/);
    await bad({ speed: { unit: 'Hz' } }, '5', 412, /etag/);
    await bad({ nope: { unit: 'Hz' } }, '0', 400, /not a variable declared/);
    await bad({ label: { length: 3 } }, '0', 400, /only increase/);
    await bad({ speed: { dataType: 'INT' } }, '0', 400, /only name, unit, length and defaultValue/);
    await bad({ speed: { defaultValue: 'fast' } }, '0', 400, /DOUBLE/);
    await bad({ speed: { name: 'other' } }, '0', 400, /Child/);
    const ok = await patchVars(`${T}.Base`, { speed: { name: 'velocity', unit: 'Hz', defaultValue: '12.5' }, label: { length: 50 } }, '0');
    const body = await ok.json() as { etag: number; variables: { name: string; unit: string; length: number | null; defaultValue: string | null }[] };
    assert.equal(ok.status, 200, JSON.stringify(body));
    assert.equal(body.etag, 1);
    assert.deepEqual(body.variables.map((v) => [v.name, v.unit, v.length, v.defaultValue]), [['velocity', 'Hz', null, '12.5'], ['label', '', 50, null]]);
    const a = await call(s, 'GET', `/assets/${asset.assetId}`);
    assert.deepEqual(a.body.variables.find((v: { name: string }) => v.name === 'velocity'), { name: 'velocity', value: '99' });
    await bad({ velocity: { unit: 'x' } }, '0', 412, /etag/);
  });

  it('assigns files on types (inherited) and on assets (own overrides, delete falls back)', async () => {
    const ownfile = await uploadFile(s(), 'ownfile.txt');
    const dwg = await uploadFile(s(), 'drawing.dwg');
    const a0 = await call(s, 'GET', `/assets/${asset.assetId}`);
    assert.deepEqual(a0.body.fileAssignments, [{ key: 'manual', fileId: typefile }]);
    const own = await call(s, 'PUT', `/assets/${asset.assetId}/fileAssignments/manual`, { fileId: ownfile }, { 'if-match': String(a0.body.etag) });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.deepEqual(own.body.fileAssignments, [{ key: 'manual', fileId: ownfile }]);
    const byFile = async (f: unknown) => (await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify({ fileId: f }))}`)).body.page.totalElements;
    assert.equal(await byFile(ownfile), 1);
    assert.equal(await byFile({ startsWith: ownfile.slice(0, 6) }), 1);
    assert.equal(await byFile(typefile), 0); // own assignments only
    assert.equal(await byFile({ in: { value: ['x', ownfile] } }), 1);
    const back = await call(s, 'DELETE', `/assets/${asset.assetId}/fileAssignments/manual`, undefined, { 'if-match': String(own.body.etag) });
    assert.equal(back.status, 200);
    assert.deepEqual(back.body.fileAssignments, [{ key: 'manual', fileId: typefile }]);
    assert.equal((await call(s, 'DELETE', `/assets/${asset.assetId}/fileAssignments/manual`, undefined, { 'if-match': String(back.body.etag) })).status, 404);
    const t = await call(s, 'GET', `/assettypes/${T}.Child`);
    const put = await call(s, 'PUT', `/assettypes/${T}.Child/fileAssignments/drawing`, { fileId: dwg }, { 'if-match': String(t.body.etag) });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const ex = await call(s, 'GET', `/assettypes/${T}.Child?exploded=true`);
    assert.deepEqual(ex.body.fileAssignments.map((f: { key: string }) => f.key).sort(), ['drawing', 'manual']);
    assert.equal((await call(s, 'PUT', `/assettypes/${T}.Child/fileAssignments/bad-key`, { fileId: 'x' }, { 'if-match': String(put.body.etag) })).status, 400);
    assert.equal((await call(s, 'DELETE', `/assettypes/${T}.Child/fileAssignments/drawing`, undefined, { 'if-match': String(put.body.etag) })).status, 204);
    assert.equal((await call(s, 'PUT', '/assettypes/core.basicsite/fileAssignments/x', { fileId: 'x' }, { 'if-match': '0' })).status, 403);
  });
});
