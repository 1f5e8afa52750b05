/**
 * The OAuthStore contract (the web app sign-in's clients, grant families, codes and refresh tokens), run against
 * every implementation through runOAuthStoreContract(name, open, newLocation): `open(at)` opens a store on the data at
 * `at`; a second open of the same location is a second connection, as another worker process has.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OAuthFamilyRecord, OAuthGrantRecord, OAuthStore } from '../../src/identity/oauth/store.js';

type Closable<T> = T & { close(): void };

const family = (familyId: string, over: Partial<OAuthFamilyRecord> = {}): OAuthFamilyRecord => ({
  familyId, clientId: 'ta-app-1', tenant: 'ta', userId: 'u1', createdAt: 100, expiresAt: 1000, revokedAt: null, ...over,
});
const grant = (hash: string, familyId: string, over: Partial<Omit<OAuthGrantRecord, 'usedAt'>> = {}): Omit<OAuthGrantRecord, 'usedAt'> => ({
  hash, kind: 'refresh', familyId, clientId: 'ta-app-1', tenant: 'ta', userId: 'u1', scope: 'iot.tim.r', redirectUri: '',
  codeChallenge: '', expiresAt: 1000, ...over,
});

export function runOAuthStoreContract(name: string, open: (at: string) => Promise<Closable<OAuthStore>>, newLocation: () => string): void {
  describe(`OAuthStore contract: ${name}`, () => {
    const location = newLocation();
    let store: Closable<OAuthStore>;
    before(async () => { store = await open(location); });
    after(() => store.close());

    it('clients: public and confidential, redirect URIs in order', async () => {
      await store.createClient({ clientId: 'ta-app-1', tenant: 'ta', name: 'Dash', redirectUris: ['https://b/cb', 'https://a/cb'], secretHash: null, createdAt: 5 });
      await store.createClient({ clientId: 'ta-app-2', tenant: 'ta', name: 'Back', redirectUris: ['https://c/cb'], secretHash: 'scrypt$x', createdAt: 6 });
      assert.deepEqual(await store.getClient('ta-app-1'),
        { clientId: 'ta-app-1', tenant: 'ta', name: 'Dash', redirectUris: ['https://b/cb', 'https://a/cb'], secretHash: null, createdAt: 5 });
      assert.equal((await store.getClient('ta-app-2'))?.secretHash, 'scrypt$x');
      assert.equal(await store.getClient('ta-app-3'), undefined);
      await assert.rejects(store.createClient({ clientId: 'ta-app-1', tenant: 'tb', name: 'x', redirectUris: [], secretHash: null, createdAt: 7 }),
        'a client id is unique');
    });

    it('families: extend, revoke once (the first time wins), unknown ids', async () => {
      await store.createFamily(family('f1'));
      assert.deepEqual(await store.getFamily('f1'), family('f1'));
      await store.extendFamily('f1', 5000);
      assert.equal((await store.getFamily('f1'))?.expiresAt, 5000);
      assert.equal(await store.revokeFamily('f1', 200), true);
      assert.equal(await store.revokeFamily('f1', 300), true);
      assert.equal((await store.getFamily('f1'))?.revokedAt, 200);
      assert.equal(await store.revokeFamily('nope', 300), false);
      assert.equal(await store.getFamily('nope'), undefined);
    });

    it('grants: saved unused, used exactly once', async () => {
      await store.createFamily(family('f2'));
      await store.saveGrant(grant('code-1', 'f2', { kind: 'code', redirectUri: 'https://b/cb', codeChallenge: 'ch' }));
      assert.deepEqual(await store.getGrant('code-1'), { ...grant('code-1', 'f2', { kind: 'code', redirectUri: 'https://b/cb', codeChallenge: 'ch' }), usedAt: null });
      const first = await store.useGrant('code-1', 400);
      assert.equal(first?.firstUse, true);
      assert.equal(first?.grant.usedAt, 400);
      const second = await store.useGrant('code-1', 500);
      assert.equal(second?.firstUse, false);
      assert.equal(second?.grant.usedAt, 400, 'the first use time stays');
      assert.equal(await store.useGrant('unknown', 500), undefined);
      assert.equal(await store.getGrant('unknown'), undefined);
    });

    it('of concurrent uses through two connections exactly one is the first', async () => {
      const other = await open(location);
      try {
        await store.createFamily(family('f3'));
        for (let i = 0; i < 20; i++) await store.saveGrant(grant(`race-${i}`, 'f3'));
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          Promise.all([store.useGrant(`race-${i}`, 600), other.useGrant(`race-${i}`, 601)])));
        for (const pair of results) assert.deepEqual(pair.map((r) => r?.firstUse).sort(), [false, true]);
      } finally {
        other.close();
      }
    });

    it('deleteExpiredFamilies removes ended families with their grants, and only those', async () => {
      await store.createFamily(family('ended', { expiresAt: 700 }));
      await store.saveGrant(grant('ended-code', 'ended', { kind: 'code' }));
      await store.saveGrant(grant('ended-refresh', 'ended'));
      await store.createFamily(family('living', { expiresAt: 9000 }));
      await store.saveGrant(grant('living-refresh', 'living'));
      const removed = await store.deleteExpiredFamilies(1000);
      assert.ok(removed >= 1);
      assert.equal(await store.getFamily('ended'), undefined);
      assert.equal(await store.getGrant('ended-code'), undefined);
      assert.equal(await store.getGrant('ended-refresh'), undefined);
      assert.ok(await store.getFamily('living'));
      assert.ok(await store.getGrant('living-refresh'));
      assert.equal(await store.deleteExpiredFamilies(1000), 0, 'nothing left to remove');
    });
  });
}
