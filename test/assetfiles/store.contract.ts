/**
 * The AssetFileStore contract (the file index of Asset Management files): every implementation runs this suite
 * through runAssetFileStoreContract(name, open, newLocation); `open(dir)` gives a store on an empty location.
 * Files are per tenant, updates and deletes are etag-guarded, lists filter, order and page in the store with a
 * total, `missing` names the ids a tenant has no file for, what was written survives a reopen, and deleteTenant
 * removes one tenant's rows only.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseFilter, toSql } from '../../src/core/filter.js';
import type { AssetFileStore, FileListQuery, FileRow } from '../../src/assetfiles/store.js';

const COLUMNS: Record<string, string> = { id: 'id', name: 'name', description: 'description', scope: 'scope', mediaType: 'media_type', size: 'size' };

export function runAssetFileStoreContract(name: string, open: (at: string) => Promise<AssetFileStore>, newLocation: () => string): void {
  describe(`AssetFileStore contract: ${name}`, () => {
    const opened: AssetFileStore[] = [];
    const fresh = async (at = newLocation()) => { const s = await open(at); opened.push(s); return { s, at }; };
    after(() => { for (const s of opened) s.close(); });

    let serial = 0;
    const idOf = (n: number) => n.toString(16).padStart(32, '0');
    const file = (tenant: string, over: Partial<FileRow> = {}): FileRow => {
      const n = ++serial;
      return { tenant, id: idOf(n), name: `file-${n}.txt`, originalFileName: `orig-${n}.txt`, description: `d${n}`, scope: 'PRIVATE',
        mediaType: 'text/plain', size: n, sha256: 'ab'.repeat(32), contentKey: `assetfiles/${tenant}/${idOf(n)}/0`, etag: 0,
        uploaded: 1_700_000_000_000 + n, lastModified: 1_700_000_000_000 + n, ...over };
    };
    const query = (over: Partial<FileListQuery> = {}): FileListQuery => ({ where: { sql: '1', params: [] }, orderBy: 'name asc, id', offset: 0, limit: 100, ...over });
    const filtered = (filter: object, over: Partial<FileListQuery> = {}) => query({
      where: toSql(parseFilter(JSON.stringify(filter), { id: 'string', name: 'string', description: 'string', scope: 'string',
        mediaType: 'string', size: 'number' }), (f) => COLUMNS[f]!), ...over });

    it('creates and reads a row field for field, per tenant; an unknown id or tenant reads as undefined', async () => {
      const { s } = await fresh();
      const a = file('t1', { sha256: null, scope: 'PUBLIC', description: '' });
      await s.create(a);
      await s.create({ ...a, tenant: 't2', name: 'other.txt' });
      assert.deepEqual(await s.get('t1', a.id), a);
      assert.equal((await s.get('t2', a.id))?.name, 'other.txt');
      assert.equal(await s.get('t3', a.id), undefined);
      assert.equal(await s.get('t1', idOf(999_999)), undefined);
    });

    it('refuses a second create of the same tenant and id and keeps the first row', async () => {
      const { s } = await fresh();
      const a = file('t1');
      await s.create(a);
      await assert.rejects(s.create({ ...a, name: 'dup.txt' }));
      assert.equal((await s.get('t1', a.id))?.name, a.name);
    });

    it('updates only while the etag is unchanged, and only that tenant\'s row', async () => {
      const { s } = await fresh();
      const a = file('t1');
      await s.create(a);
      await s.create({ ...a, tenant: 't2' });
      const next: FileRow = { ...a, name: 'renamed.txt', originalFileName: 'new.bin', description: 'new', scope: 'PUBLIC', mediaType: 'application/octet-stream',
        size: 42, sha256: null, contentKey: `assetfiles/t1/${a.id}/1`, etag: 1, lastModified: a.lastModified + 5 };
      assert.equal(await s.update(next, 7), false);
      assert.deepEqual(await s.get('t1', a.id), a);
      assert.equal(await s.update(next, 0), true);
      assert.deepEqual(await s.get('t1', a.id), next);
      assert.equal(await s.update({ ...next, etag: 2 }, 0), false, 'the old etag no longer matches');
      assert.deepEqual(await s.get('t2', a.id), { ...a, tenant: 't2' });
      assert.equal(await s.update({ ...next, tenant: 't3' }, 0), false, 'no row of another tenant');
      assert.equal(await s.update({ ...next, id: idOf(888_888), etag: 1 }, 0), false, 'no such file');
    });

    it('deletes only while the etag is unchanged, and only that tenant\'s row', async () => {
      const { s } = await fresh();
      const a = file('t1', { etag: 3 });
      await s.create(a);
      await s.create({ ...a, tenant: 't2' });
      assert.equal(await s.delete('t1', a.id, 2), false);
      assert.equal((await s.get('t1', a.id))?.etag, 3);
      assert.equal(await s.delete('t3', a.id, 3), false);
      assert.equal(await s.delete('t1', a.id, 3), true);
      assert.equal(await s.get('t1', a.id), undefined);
      assert.equal(await s.delete('t1', a.id, 3), false);
      assert.equal((await s.get('t2', a.id))?.etag, 3);
    });

    it('lists one tenant\'s rows in the given order, pages them, and counts the total before paging', async () => {
      const { s } = await fresh();
      const rows = ['c', 'a', 'e', 'b', 'd'].map((n, i) => file('t1', { name: `${n}.txt`, size: [30, 10, 30, 20, 10][i]! }));
      for (const r of rows) await s.create(r);
      await s.create(file('t2', { name: 'a0.txt' }));
      const names = (l: { rows: FileRow[] }) => l.rows.map((r) => r.name);
      const all = await s.list('t1', query());
      assert.deepEqual([names(all), all.total], [['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt'], 5]);
      assert.deepEqual(all.rows[0], rows[1]);
      assert.deepEqual(names(await s.list('t1', query({ orderBy: 'name desc, id' }))), ['e.txt', 'd.txt', 'c.txt', 'b.txt', 'a.txt']);
      assert.deepEqual(names(await s.list('t1', query({ orderBy: 'size asc, id' }))), ['a.txt', 'd.txt', 'b.txt', 'c.txt', 'e.txt'], 'ties by id');
      const page1 = await s.list('t1', query({ offset: 2, limit: 2 }));
      assert.deepEqual([names(page1), page1.total], [['c.txt', 'd.txt'], 5]);
      const past = await s.list('t1', query({ offset: 10, limit: 2 }));
      assert.deepEqual([past.rows, past.total], [[], 5]);
      const other = await s.list('t2', query());
      assert.deepEqual([names(other), other.total], [['a0.txt'], 1]);
      assert.deepEqual(await s.list('t3', query()), { rows: [], total: 0 });
    });

    it('filters with the where fragment inside the tenant, and counts only the matches', async () => {
      const { s } = await fresh();
      await s.create(file('t1', { name: 'x.txt', scope: 'PUBLIC', size: 5 }));
      await s.create(file('t1', { name: 'y.txt', scope: 'PUBLIC', size: 50 }));
      await s.create(file('t1', { name: 'z.txt', scope: 'PRIVATE', size: 500 }));
      await s.create(file('t2', { name: 'w.txt', scope: 'PUBLIC', size: 5 }));
      const pub = await s.list('t1', filtered({ scope: 'PUBLIC' }));
      assert.deepEqual([pub.rows.map((r) => r.name), pub.total], [['x.txt', 'y.txt'], 2]);
      const big = await s.list('t1', filtered({ size: { in: [50, 500] } }, { orderBy: 'size desc, id', limit: 1 }));
      assert.deepEqual([big.rows.map((r) => r.name), big.total], [['z.txt'], 2]);
      const quoted = await s.list('t1', filtered({ name: "it's'; DELETE FROM files; --" }));
      assert.deepEqual([quoted.rows, quoted.total], [[], 0], 'values are bound parameters');
      assert.equal((await s.list('t1', query())).total, 3);
    });

    it('missing names the ids without a file of that tenant, each once', async () => {
      const { s } = await fresh();
      const a = file('t1');
      const b = file('t2');
      await s.create(a);
      await s.create(b);
      assert.deepEqual(await s.missing('t1', []), []);
      assert.deepEqual(await s.missing('t1', [a.id]), []);
      assert.deepEqual((await s.missing('t1', [a.id, b.id, idOf(777_777), b.id])).sort(), [b.id, idOf(777_777)].sort());
      assert.deepEqual(await s.missing('t2', [a.id, b.id]), [a.id]);
    });

    it('keeps what was written across a reopen', async () => {
      const { s, at } = await fresh();
      const a = file('t1');
      const b = file('t1');
      await s.create(a);
      await s.create(b);
      await s.update({ ...a, name: 'kept.txt', etag: 1 }, 0);
      await s.delete('t1', b.id, 0);
      s.close();
      opened.splice(opened.indexOf(s), 1);
      const { s: again } = await fresh(at);
      assert.deepEqual(await again.get('t1', a.id), { ...a, name: 'kept.txt', etag: 1 });
      assert.equal(await again.get('t1', b.id), undefined);
      assert.deepEqual((await again.list('t1', query())).total, 1);
    });

    it('deleteTenant removes that tenant\'s rows only and returns how many', async () => {
      const { s } = await fresh();
      const a = file('t1');
      await s.create(a);
      await s.create(file('t1'));
      await s.create({ ...a, tenant: 't2' });
      assert.equal(await s.deleteTenant('t1'), 2);
      assert.deepEqual(await s.list('t1', query()), { rows: [], total: 0 });
      assert.equal(await s.get('t1', a.id), undefined);
      assert.deepEqual(await s.get('t2', a.id), { ...a, tenant: 't2' });
      assert.equal(await s.deleteTenant('t1'), 0);
      assert.equal(await s.deleteTenant('t3'), 0);
      await s.create(a);
      assert.equal((await s.get('t1', a.id))?.name, a.name, 'the tenant can start again');
    });
  });
}
