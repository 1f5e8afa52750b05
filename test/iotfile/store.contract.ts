/**
 * The IotFileStore contract: every implementation runs this suite through runIotFileStoreContract(name, open).
 * Files are per tenant and entity, inserts refuse an existing file, replaces and deletes are etag-guarded; an
 * upload replaces the one before it, parts belong to their upload, and ending an upload removes its parts;
 * deleteTenant removes one tenant's rows only.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { IotFileRow, IotFileStore, UploadRow } from '../../src/iotfile/store.js';

export function runIotFileStoreContract(name: string, open: (at: string) => Promise<IotFileStore>, newLocation: () => string): void {
  describe(`IotFileStore contract: ${name}`, () => {
    const opened: IotFileStore[] = [];
    const fresh = async () => { const s = await open(newLocation()); opened.push(s); return s; };
    after(() => { for (const s of opened) s.close(); });
    const E = 'e'.repeat(32);
    const file = (tenant: string, over: Partial<IotFileRow> = {}): IotFileRow => ({ tenant, entityId: E, path: 'a/', name: 'f.txt',
      type: 'text/plain', size: 3, description: 'd', timestamp: 1, created: 1, updated: 1, createdBy: 'c', updatedBy: 'c', etag: 0,
      contentKey: `k-${tenant}`, ...over });
    const upload = (id: string, over: Partial<UploadRow> = {}): UploadRow => ({ tenant: 't1', entityId: E, path: 'a/', name: 'big.bin',
      uploadId: id, contentKey: `key-${id}`, type: 'application/octet-stream', description: '', timestamp: 1, ifMatch: null, started: 1, ...over });

    it('keeps files per tenant and entity, with etag-guarded replace and delete', async () => {
      const s = await fresh();
      assert.equal(await s.put(file('t1'), undefined), true);
      assert.equal(await s.put(file('t1'), undefined), false);
      assert.equal(await s.put(file('t2'), undefined), true);
      assert.equal(await s.put(file('t1', { size: 9, etag: 1 }), 4), false);
      assert.equal(await s.put(file('t1', { size: 9, etag: 1 }), 0), true);
      assert.deepEqual([(await s.get('t1', E, 'a/', 'f.txt'))?.size, (await s.get('t2', E, 'a/', 'f.txt'))?.size], [9, 3]);
      assert.equal(await s.get('t1', 'x'.repeat(32), 'a/', 'f.txt'), undefined);
      await s.put(file('t1', { path: '', name: 'top.txt' }), undefined);
      assert.deepEqual((await s.list('t1', E)).map((f) => `${f.path}${f.name}`).sort(), ['a/f.txt', 'top.txt']);
      assert.equal(await s.delete('t1', E, 'a/', 'f.txt', 0), false);
      assert.equal(await s.delete('t1', E, 'a/', 'f.txt', 1), true);
      assert.deepEqual((await s.list('t2', E)).length, 1);
    });

    it('tracks one upload per file with its parts; a new start replaces the old one, ending removes the parts', async () => {
      const s = await fresh();
      assert.equal(await s.startUpload(upload('u1')), undefined);
      assert.equal(await s.addPart(upload('u1'), { partNumber: 2, etag: 'b', size: 5 }), true);
      assert.equal(await s.addPart(upload('u1'), { partNumber: 1, etag: 'a', size: 5 }), true);
      assert.equal(await s.addPart(upload('u1'), { partNumber: 1, etag: 'a2', size: 6 }), true);
      assert.deepEqual(await s.parts(upload('u1')), [{ partNumber: 1, etag: 'a2', size: 6 }, { partNumber: 2, etag: 'b', size: 5 }]);
      assert.equal((await s.startUpload(upload('u2')))?.uploadId, 'u1');
      assert.equal(await s.addPart(upload('u1'), { partNumber: 3, etag: 'c', size: 1 }), false);
      assert.deepEqual(await s.parts(upload('u1')), []);
      assert.equal((await s.getUpload('t1', E, 'a/', 'big.bin'))?.uploadId, 'u2');
      assert.equal(await s.getUpload('t2', E, 'a/', 'big.bin'), undefined);
      assert.equal(await s.endUpload(upload('u2')), true);
      assert.equal(await s.endUpload(upload('u2')), false);
      assert.equal(await s.getUpload('t1', E, 'a/', 'big.bin'), undefined);
    });

    it('deleteTenant drops the tenant\'s files, uploads and parts, returns its open uploads, and keeps other tenants', async () => {
      const s = await fresh();
      for (const tenant of ['t1', 't2']) {
        await s.put(file(tenant), undefined);
        await s.startUpload(upload(`u-${tenant}`, { tenant }));
        await s.addPart(upload(`u-${tenant}`, { tenant }), { partNumber: 1, etag: 'a', size: 5 });
      }
      assert.deepEqual(await s.deleteTenant('t1'), [{ contentKey: 'key-u-t1', uploadId: 'u-t1' }]);
      assert.deepEqual([await s.list('t1', E), await s.getUpload('t1', E, 'a/', 'big.bin'), await s.parts(upload('u-t1'))], [[], undefined, []]);
      assert.deepEqual([(await s.list('t2', E)).length, (await s.getUpload('t2', E, 'a/', 'big.bin'))?.uploadId,
        (await s.parts(upload('u-t2', { tenant: 't2' }))).length], [1, 'u-t2', 1]);
      assert.deepEqual(await s.deleteTenant('t1'), []);
    });
  });
}
