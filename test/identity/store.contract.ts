/**
 * The IdentityStore contract: every implementation (SQLite now, PostgreSQL later) runs this suite through
 * runIdentityStoreContract(name, open, newLocation, otherWritersMs): `open(at)` opens a store on the data at `at`,
 * a second open of the same location is a second connection (as a second process or the CLI would have), whose
 * commits the implementation promises to see within `otherWritersMs`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuplicateError, type ClientRecord, type IdentityStore, type SigningKeyRecord } from '../../src/identity/store.js';

export function runIdentityStoreContract(name: string, open: (at: string) => Promise<IdentityStore>, newLocation: () => string,
  otherWritersMs: number): void {
  const settle = () => new Promise((r) => setTimeout(r, otherWritersMs + 2));
  describe(`IdentityStore contract: ${name}`, () => {
    const location = newLocation();
    let store: IdentityStore;
    before(async () => {
      store = await open(location);
      for (const t of ['ta', 'tb']) {
        await store.createTenant({ name: t, displayName: t, companyDomain: `${t}.com`, createdAt: 1, etag: 0 });
      }
    });
    after(() => store.close());

    const client = (over: Partial<ClientRecord>): ClientRecord => ({
      clientId: 'ta-app-1', tenant: 'ta', name: 'app', secretHash: 'h', kind: 'service', appName: null, appVersion: null,
      scopes: ['a.b.r'], createdAt: 10, revokedAt: null, revSig: 'sig1', ...over,
    });
    const key = (kid: string, createdAt: number): SigningKeyRecord => ({
      kid, alg: 'RS256', privatePem: 'p', publicPem: 'q', createdAt, retiredAt: null,
    });

    it('tenants: create, get, list, duplicate', async () => {
      assert.equal((await store.getTenant('ta'))?.companyDomain, 'ta.com');
      assert.deepEqual((await store.listTenants()).map((t) => t.name), ['ta', 'tb']);
      await assert.rejects(store.createTenant({ name: 'ta', displayName: 'x', companyDomain: 'x.com', createdAt: 1, etag: 0 }), DuplicateError);
      assert.equal(await store.getTenant('zz'), undefined);
    });

    it('users are unique per tenant and invisible across tenants', async () => {
      const u = { id: 'u1', tenant: 'ta', email: 'a@ta.com', passwordHash: 'h', role: 'admin' as const, createdAt: 1, revSig: 'r' };
      await store.createUser(u);
      await assert.rejects(store.createUser({ ...u, id: 'u2' }), DuplicateError);
      await store.createUser({ ...u, id: 'u3', tenant: 'tb' });
      assert.equal((await store.getUserByEmail('ta', 'a@ta.com'))?.id, 'u1');
      assert.equal(await store.getUser('tb', 'u1'), undefined);
      assert.deepEqual((await store.listUsers('tb')).map((x) => x.id), ['u3']);
      assert.equal(await store.activeUserRevSig('ta', 'u1'), 'r');
      assert.equal(await store.activeUserRevSig('tb', 'u1'), undefined);
    });

    it('users: an update replaces hash, role and revSig; delete removes; neither reaches another tenant', async () => {
      const u = { id: 'u5', tenant: 'ta', email: 'e@ta.com', passwordHash: 'h', role: 'user' as const, createdAt: 1, revSig: 'r1' };
      await store.createUser(u);
      assert.equal(await store.activeUserRevSig('ta', 'u5'), 'r1');
      assert.equal(await store.updateUser('tb', 'u5', { role: 'admin', revSig: 'x' }), false);
      assert.equal(await store.updateUser('ta', 'u5', { role: 'admin', revSig: 'r2' }), true);
      assert.equal(await store.activeUserRevSig('ta', 'u5'), 'r2', 'tokens with the old revSig stop');
      assert.deepEqual([(await store.getUser('ta', 'u5'))?.role, (await store.getUser('ta', 'u5'))?.passwordHash], ['admin', 'h']);
      assert.equal(await store.updateUser('ta', 'u5', { passwordHash: 'h2', revSig: 'r3' }), true);
      assert.deepEqual([(await store.getUser('ta', 'u5'))?.role, (await store.getUser('ta', 'u5'))?.passwordHash], ['admin', 'h2']);
      assert.equal(await store.deleteUser('tb', 'u5'), false);
      assert.equal(await store.deleteUser('ta', 'u5'), true);
      assert.equal(await store.activeUserRevSig('ta', 'u5'), undefined);
      assert.equal(await store.getUserByEmail('ta', 'e@ta.com'), undefined);
    });

    it('clients: one active per name, revocation, revSig lookups, scopes round-trip', async () => {
      await store.createClient(client({}));
      await assert.rejects(store.createClient(client({ clientId: 'ta-app-2' })), DuplicateError);
      assert.deepEqual((await store.getClient('ta-app-1'))?.scopes, ['a.b.r']);
      assert.equal(await store.activeClientRevSig('ta-app-1'), 'sig1');
      assert.equal(await store.revokeClient('tb', 'app', 20), undefined, 'other tenant cannot revoke');
      assert.equal((await store.revokeClient('ta', 'app', 20))?.revokedAt, 20);
      assert.equal(await store.activeClientRevSig('ta-app-1'), undefined);
      await store.createClient(client({ clientId: 'ta-app-2', revSig: 'sig2' }));
      assert.equal((await store.listClients('ta')).length, 2);
      assert.equal((await store.listClients('tb')).length, 0);
    });

    it('clients: a rotation keeps the secret before with its deadline and the revSig; never another tenant\'s or a revoked key', async () => {
      await store.createClient(client({ clientId: 'ta-rot-1', name: 'rot', secretHash: 'old', revSig: 'sig-rot' }));
      assert.equal(await store.rotateClientSecret('tb', 'rot', 'x', 99), undefined, 'other tenant cannot rotate');
      const rotated = await store.rotateClientSecret('ta', 'rot', 'new', 500);
      assert.deepEqual([rotated?.secretHash, rotated?.previousSecretHash, rotated?.previousSecretExpiresAt], ['new', 'old', 500]);
      const again = await store.rotateClientSecret('ta', 'rot', 'newer', 900);
      assert.deepEqual([again?.secretHash, again?.previousSecretHash, again?.previousSecretExpiresAt], ['newer', 'new', 900]);
      assert.deepEqual([(await store.getClient('ta-rot-1'))?.secretHash, await store.activeClientRevSig('ta-rot-1')], ['newer', 'sig-rot']);
      await store.revokeClient('ta', 'rot', 1000);
      assert.equal(await store.rotateClientSecret('ta', 'rot', 'late', 2000), undefined, 'a revoked key is not rotated');
    });

    it('a revocation committed through another connection is seen within the promised time', async () => {
      await store.createClient(client({ clientId: 'ta-other-1', name: 'other', revSig: 'sig9' }));
      const other = await open(location);
      try {
        assert.equal(await store.activeClientRevSig('ta-other-1'), 'sig9');
        assert.equal(await other.activeClientRevSig('ta-other-1'), 'sig9');
        assert.equal(await store.activeClientRevSig('ta-other-1'), 'sig9', 'asked twice: may be answered from a cache');
        assert.equal((await other.revokeClient('ta', 'other', 30))?.clientId, 'ta-other-1');
        await settle();
        assert.equal(await store.activeClientRevSig('ta-other-1'), undefined);
        assert.equal(await store.activeClientRevSig('ta-other-2'), undefined);
        await other.createClient(client({ clientId: 'ta-other-2', name: 'other', revSig: 'sig10' }));
        await settle();
        assert.equal(await store.activeClientRevSig('ta-other-2'), 'sig10');
      } finally {
        other.close();
      }
    });

    it('signing keys: rotation only when the newest is older than the limit; prune', async () => {
      let keys = await store.rotateSigningKey(key('k1', 100), 50);
      assert.deepEqual(keys.map((k) => k.kid), ['k1']);
      keys = await store.rotateSigningKey(key('k2', 150), 50);
      assert.deepEqual(keys.map((k) => k.kid), ['k1'], 'k1 is young enough');
      keys = await store.rotateSigningKey(key('k3', 300), 200);
      assert.deepEqual(keys.map((k) => [k.kid, k.retiredAt]), [['k3', null], ['k1', 300]]);
      await store.pruneSigningKeys(301);
      assert.deepEqual((await store.listSigningKeys()).map((k) => k.kid), ['k3']);
    });

    it('signing keys: replacePrivateKeys replaces a key only while it still holds the expected value', async () => {
      await store.rotateSigningKey(key('k4', 10_000), 5_000);
      const changed = await store.replacePrivateKeys([{ kid: 'k4', from: 'p', to: 'sealed-p' }, { kid: 'k3', from: 'not-p', to: 'x' },
        { kid: 'nope', from: 'p', to: 'y' }]);
      assert.equal(changed, 1);
      const byKid = new Map((await store.listSigningKeys()).map((k) => [k.kid, k.privatePem]));
      assert.equal(byKid.get('k4'), 'sealed-p');
      assert.equal(byKid.get('k3'), 'p', 'another value than expected (another process sealed it first): left alone');
      assert.equal(await store.replacePrivateKeys([]), 0);
    });

    it('deleteTenant forgets the tenant, its users and clients (their tokens stop) and keeps the others and the signing keys', async () => {
      for (const t of ['tx', 'ty']) {
        await store.createTenant({ name: t, displayName: t, companyDomain: `${t}.com`, createdAt: 1, etag: 0 });
        await store.createUser({ id: `${t}-u`, tenant: t, email: `a@${t}.com`, passwordHash: 'h', role: 'admin', createdAt: 1, revSig: 'r' });
        await store.createClient(client({ clientId: `${t}-app`, tenant: t, revSig: `s-${t}` }));
      }
      assert.equal(await store.activeClientRevSig('tx-app'), 's-tx', 'cached before the delete');
      assert.equal(await store.activeUserRevSig('tx', 'tx-u'), 'r');
      const keys = (await store.listSigningKeys()).length;
      assert.equal(await store.deleteTenant('tx'), 3);
      assert.deepEqual([await store.getTenant('tx'), await store.listUsers('tx'), await store.listClients('tx'), await store.getClient('tx-app')],
        [undefined, [], [], undefined]);
      assert.deepEqual([await store.activeClientRevSig('tx-app'), await store.activeUserRevSig('tx', 'tx-u')], [undefined, undefined]);
      assert.deepEqual([(await store.getTenant('ty'))?.name, (await store.listUsers('ty')).length, await store.activeClientRevSig('ty-app')],
        ['ty', 1, 's-ty']);
      assert.equal((await store.listSigningKeys()).length, keys);
      assert.equal(await store.deleteTenant('tx'), 0);
    });
  });
}
