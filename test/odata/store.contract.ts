/**
 * The ContractStore contract (OData Contract Registry): every implementation runs this suite through
 * runContractStoreContract(name, open, newLocation); `open(at)` gives a store on that location, empty when new.
 * Tenants are apart, name + version is unique per tenant, create enforces the contract and folder-contract limits,
 * updates and deletes are etag-guarded, lists are ordered by name then version, the catalog company is set once,
 * what was written survives a reopen, deleteTenant removes one tenant's rows only, and changeStamp() moves on every write,
 * its own and those of another store on the same location, and only then.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ContractRecord } from '../../src/odata/contract.js';
import { ContractConflict, type ContractStore } from '../../src/odata/store.js';

export function runContractStoreContract(name: string, open: (at: string) => Promise<ContractStore>, newLocation: () => string): void {
  describe(`ContractStore contract: ${name}`, () => {
    const opened: ContractStore[] = [];
    const fresh = async (at = newLocation()) => { const s = await open(at); opened.push(s); return { s, at }; };
    const shut = (s: ContractStore) => { s.close(); opened.splice(opened.indexOf(s), 1); };
    after(() => { for (const s of opened) s.close(); });

    let serial = 0;
    const contract = (tenant: string, over: Partial<ContractRecord> = {}): ContractRecord => ({ tenant,
      id: `00000000-0000-4000-8000-${(++serial).toString().padStart(12, '0')}`, kind: 'assets', name: `C${serial}`, version: '1.0.0',
      description: `contract ${serial}`, environmentName: 'dev', environmentType: 'sandbox', applicationName: `mdsp_${tenant}`,
      assetTypes: [`${tenant}.Pump`], folders: [], aliases: { 'Pump/temperature': 'temp' }, published: false, publishedAt: null,
      publishedBy: null, etag: 0, createdAt: 1_700_000_000_000 + serial, updatedAt: 1_700_000_000_000 + serial, ...over });
    const folders = (tenant: string, over: Partial<ContractRecord> = {}) =>
      contract(tenant, { kind: 'folders', assetTypes: [], folders: ['plant/line1/'], ...over });
    const conflict = async (p: Promise<unknown>, message: string) =>
      assert.rejects(p, (err: unknown) => err instanceof ContractConflict && err.message === message);
    const ids = (rs: ContractRecord[]) => rs.map((r) => r.id);

    it('creates and reads contracts back whole, by id and by name + version, within the tenant only', async () => {
      const { s } = await fresh();
      const a = contract('t1', { published: true, publishedAt: 5, publishedBy: 'ann@example.com' });
      await s.create(a, 10, 10);
      assert.deepEqual(await s.get('t1', a.id), a);
      assert.deepEqual(await s.getByName('t1', a.name, '1.0.0'), a);
      assert.equal(await s.getByName('t1', a.name, '2.0.0'), undefined);
      assert.equal(await s.get('t2', a.id), undefined);
      assert.equal(await s.getByName('t2', a.name, '1.0.0'), undefined);
      assert.equal(await s.get('t1', 'no-such-id'), undefined);
      assert.deepEqual([await s.list('t2'), await s.listPublished('t2')], [[], []]);
    });

    it('refuses a second name + version in a tenant (exists), allows it in another tenant and as another version', async () => {
      const { s } = await fresh();
      const a = contract('t1', { name: 'Plant' });
      await s.create(a, 10, 10);
      await conflict(s.create(contract('t1', { name: 'Plant' }), 10, 10), 'exists');
      await conflict(s.create({ ...contract('t1', { name: 'Other' }), id: a.id }, 10, 10), 'exists');
      await s.create(contract('t1', { name: 'Plant', version: '2.0.0' }), 10, 10);
      await s.create(contract('t2', { name: 'Plant' }), 10, 10);
      await s.create({ ...contract('t2', { name: 'Again' }), id: a.id }, 10, 10);
      assert.deepEqual([(await s.list('t1')).length, (await s.list('t2')).length], [2, 2]);
      assert.deepEqual((await s.get('t1', a.id))?.name, 'Plant');
      assert.deepEqual((await s.get('t2', a.id))?.name, 'Again');
    });

    it('enforces the per-tenant contract limit (limit) and folder-contract limit (folderLimit), counting one tenant only', async () => {
      const { s } = await fresh();
      await s.create(contract('t1'), 2, 1);
      await s.create(folders('t1'), 2, 1);
      await conflict(s.create(contract('t1'), 2, 1), 'limit');
      await conflict(s.create(folders('t1'), 3, 1), 'folderLimit');
      await s.create(contract('t1'), 3, 1);
      assert.equal((await s.list('t1')).length, 3);
      await s.create(folders('t2'), 1, 1);
      await conflict(s.create(folders('t2'), 5, 1), 'folderLimit');
      await s.create(contract('t2'), 5, 1);
      await conflict(s.create(contract('t1', { name: 'Same' }), 3, 10), 'limit');
      assert.deepEqual([(await s.list('t1')).length, (await s.list('t2')).length], [3, 2]);
    });

    it('lists a tenant\'s contracts ordered by name then version, listPublished only the published ones', async () => {
      const { s } = await fresh();
      const b2 = contract('t1', { name: 'Beta', version: '2.0.0', published: true });
      const a1 = contract('t1', { name: 'Alpha', version: '1.0.0' });
      const b1 = contract('t1', { name: 'Beta', version: '1.0.0', published: true });
      const other = contract('t2', { name: 'Aardvark', published: true });
      for (const r of [b2, a1, b1, other]) await s.create(r, 10, 10);
      assert.deepEqual(ids(await s.list('t1')), [a1.id, b1.id, b2.id]);
      assert.deepEqual(ids(await s.listPublished('t1')), [b1.id, b2.id]);
      assert.deepEqual(ids(await s.listPublished('t2')), [other.id]);
    });

    it('update replaces the record only when the etag matches, may rename, and throws on a name clash', async () => {
      const { s } = await fresh();
      const a = contract('t1', { name: 'Alpha' });
      const b = contract('t1', { name: 'Beta' });
      const twin = contract('t2', { name: 'Alpha' });
      for (const r of [a, b, twin]) await s.create(r, 10, 10);
      const next = { ...a, name: 'Gamma', published: true, publishedAt: 9, publishedBy: 'client-1', etag: 1, updatedAt: a.updatedAt + 1 };
      assert.equal(await s.update(next, 7), false);
      assert.deepEqual(await s.get('t1', a.id), a);
      assert.equal(await s.update(next, 0), true);
      assert.deepEqual(await s.get('t1', a.id), next);
      assert.deepEqual(await s.getByName('t1', 'Gamma', '1.0.0'), next);
      assert.equal(await s.getByName('t1', 'Alpha', '1.0.0'), undefined);
      assert.deepEqual(ids(await s.listPublished('t1')), [a.id]);
      assert.equal(await s.update({ ...next, etag: 2 }, 0), false);
      await conflict(s.update({ ...next, name: 'Beta', etag: 2 }, 1), 'exists');
      assert.deepEqual(await s.get('t1', a.id), next);
      assert.deepEqual(await s.get('t2', twin.id), twin);
      assert.equal(await s.update({ ...next, tenant: 't2', etag: 2 }, 1), false);
      assert.equal(await s.update({ ...contract('t1'), etag: 1 }, 0), false);
      assert.equal(await s.update({ ...next, published: false, etag: 2 }, 1), true);
      assert.deepEqual(await s.listPublished('t1'), []);
    });

    it('delete removes a contract only when the etag matches and only in its tenant', async () => {
      const { s } = await fresh();
      const a = contract('t1');
      await s.create(a, 10, 10);
      await s.create({ ...contract('t2'), id: a.id }, 10, 10);
      assert.equal(await s.delete('t1', a.id, 3), false);
      assert.equal(await s.delete('t3', a.id, 0), false);
      assert.ok(await s.get('t1', a.id));
      assert.equal(await s.delete('t1', a.id, 0), true);
      assert.equal(await s.get('t1', a.id), undefined);
      assert.equal(await s.delete('t1', a.id, 0), false);
      assert.equal((await s.get('t2', a.id))?.tenant, 't2');
      await s.create(contract('t1', { name: a.name }), 10, 10);
    });

    it('catalogCompany stores the first proposal per tenant and keeps it', async () => {
      const { s } = await fresh();
      assert.equal(await s.catalogCompany('t1'), undefined);
      assert.equal(await s.catalogCompany('t1', 'example.com'), 'example.com');
      assert.equal(await s.catalogCompany('t1', 'other.org'), 'example.com');
      assert.equal(await s.catalogCompany('t1'), 'example.com');
      assert.equal(await s.catalogCompany('t2'), undefined);
      assert.equal(await s.catalogCompany('t2', 'other.org'), 'other.org');
    });

    it('what was written survives a reopen', async () => {
      const { s, at } = await fresh();
      const a = contract('t1', { name: 'Alpha' });
      const f = folders('t1', { name: 'Lake', published: true });
      await s.create(a, 10, 10);
      await s.create(f, 10, 10);
      const next = { ...a, description: 'changed', etag: 1 };
      assert.equal(await s.update(next, 0), true);
      await s.catalogCompany('t1', 'example.com');
      shut(s);
      const { s: again } = await fresh(at);
      assert.deepEqual(await again.list('t1'), [next, f]);
      assert.deepEqual(await again.listPublished('t1'), [f]);
      assert.equal(await again.catalogCompany('t1', 'other.org'), 'example.com');
      await conflict(again.create(contract('t1', { name: 'Alpha' }), 10, 10), 'exists');
      await conflict(again.create(folders('t1'), 10, 1), 'folderLimit');
      assert.equal(await again.delete('t1', a.id, 0), false);
      assert.equal(await again.delete('t1', a.id, 1), true);
    });

    it('deleteTenant drops the tenant\'s contracts and catalog company and nothing of another tenant', async () => {
      const { s } = await fresh();
      for (const t of ['t1', 't2']) {
        await s.create(contract(t, { name: 'Alpha', published: true }), 10, 10);
        await s.create(folders(t, { name: 'Lake' }), 10, 10);
        await s.catalogCompany(t, `${t}.example.com`);
      }
      assert.equal(await s.deleteTenant('t1'), 3);
      assert.deepEqual([await s.list('t1'), await s.listPublished('t1'), await s.catalogCompany('t1')], [[], [], undefined]);
      assert.equal(await s.getByName('t1', 'Alpha', '1.0.0'), undefined);
      assert.deepEqual([(await s.list('t2')).length, (await s.listPublished('t2')).length, await s.catalogCompany('t2')], [2, 1, 't2.example.com']);
      assert.equal(await s.deleteTenant('t1'), 0);
      await s.create(contract('t1', { name: 'Alpha' }), 1, 1);
      assert.equal(await s.catalogCompany('t1', 'new.example.com'), 'new.example.com');
    });

    it('changeStamp() moves on each write of this store and of another one on the same location, and stays otherwise', async () => {
      const { s, at } = await fresh();
      const { s: other } = await fresh(at);
      let last = s.changeStamp();
      const moved = () => { const now = s.changeStamp(); const m = now !== last; last = now; return m; };
      const a = contract('t1', { name: 'Alpha' });
      await s.get('t1', a.id);
      assert.equal(moved(), false);
      await s.create(a, 10, 10);
      assert.equal(moved(), true);
      await s.getByName('t1', 'Alpha', '1.0.0');
      await s.list('t1');
      assert.equal(moved(), false);
      assert.equal(await s.update({ ...a, published: true, etag: 1 }, 0), true);
      assert.equal(moved(), true);
      assert.equal(await other.update({ ...a, published: false, etag: 2 }, 1), true);
      assert.equal(moved(), true);
      assert.equal((await s.get('t1', a.id))?.etag, 2);
      assert.equal(moved(), false);
      const b = contract('t1', { name: 'Beta' });
      await other.create(b, 10, 10);
      assert.equal(moved(), true);
      assert.equal(await other.delete('t1', b.id, 0), true);
      assert.equal(moved(), true);
      assert.equal(await s.delete('t1', a.id, 2), true);
      assert.equal(moved(), true);
      await s.create(contract('t1', { name: 'Gamma' }), 10, 10);
      assert.equal(moved(), true);
      assert.equal(await other.deleteTenant('t1'), 1);
      assert.equal(moved(), true);
      assert.equal(moved(), false);
    });
  });
}
