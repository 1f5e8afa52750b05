/**
 * The gateway's store contracts, run against every implementation (SQLite now, PostgreSQL later):
 * runRegistryStoreContract (the Gateway Registry) and runSessionStoreContract (web sessions). `open(at)` opens a store
 * on the data at `at`; a second open of the same location is a second connection (another worker, the CLI), whose
 * commits the implementation promises to see within `otherWritersMs`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuplicateRegistration, type AppRegistration, type GatewayStore, type RegistryStore, type SessionRecord, type SessionStore } from '../../src/gateway/store.js';

type Closable<T> = T & { close(): void };

const reg = (over: Partial<AppRegistration> = {}): AppRegistration => ({
  tenant: 'ta', type: 'webapp', name: 'dash', provider: '', target: 'http://127.0.0.1:1', patterns: ['/**', '/a/*.jsp'],
  cacheControl: null, csp: null, createdAt: 10, ...over,
});

export function runRegistryStoreContract(name: string, open: (at: string) => Promise<Closable<RegistryStore>>, newLocation: () => string,
  otherWritersMs: number): void {
  const settle = () => new Promise((r) => setTimeout(r, otherWritersMs + 2));
  describe(`RegistryStore contract: ${name}`, () => {
    const location = newLocation();
    let store: Closable<RegistryStore>;
    before(async () => { store = await open(location); });
    after(() => store.close());

    it('registers, reads back every field, lists by tenant in (type, name, provider) order, and removes', async () => {
      await store.register(reg({ cacheControl: 'private, max-age=10', csp: "default-src 'self'" }));
      await store.register(reg({ type: 'api', name: 'metrics', provider: 'acme', patterns: ['/v1/**'] }));
      await store.register(reg({ name: 'board', provider: 'acme' }));
      await store.register(reg({ tenant: 'tb' }));
      assert.deepEqual(await store.getRegistration('ta', 'webapp', 'dash', ''),
        reg({ cacheControl: 'private, max-age=10', csp: "default-src 'self'" }));
      assert.deepEqual((await store.listRegistrations('ta')).map((r) => [r.type, r.name, r.provider]),
        [['api', 'metrics', 'acme'], ['webapp', 'board', 'acme'], ['webapp', 'dash', '']]);
      assert.deepEqual((await store.listRegistrations()).map((r) => r.tenant), ['ta', 'ta', 'ta', 'tb'], 'all tenants, by tenant');
      assert.equal(await store.removeRegistration('ta', 'webapp', 'board', 'acme'), true);
      assert.equal(await store.removeRegistration('ta', 'webapp', 'board', 'acme'), false, 'gone');
      assert.equal(await store.getRegistration('ta', 'webapp', 'board', 'acme'), undefined);
    });

    it('one registration per (tenant, type, name, provider); tenants are apart', async () => {
      await assert.rejects(store.register(reg()), DuplicateRegistration);
      await assert.doesNotReject(store.register(reg({ provider: 'other' })), 'another provider is another registration');
      await assert.doesNotReject(store.register(reg({ type: 'api', provider: 'x', patterns: ['/v1/**'] })), 'another type too');
      assert.equal(await store.getRegistration('tc', 'webapp', 'dash', ''), undefined);
      assert.equal(await store.removeRegistration('tc', 'webapp', 'dash', ''), false, 'another tenant cannot remove it');
      assert.ok(await store.getRegistration('ta', 'webapp', 'dash', ''));
    });

    it('the change marker moves when another connection changes the registry, and only then', async () => {
      const other = await open(location);
      try {
        const m0 = await store.changeMarker();
        await settle();
        assert.equal(await store.changeMarker(), m0, 'no change, no move');
        await other.register(reg({ name: 'fromcli' }));
        await settle();
        const m1 = await store.changeMarker();
        assert.notEqual(m1, m0);
        await other.removeRegistration('ta', 'webapp', 'fromcli', '');
        await settle();
        assert.notEqual(await store.changeMarker(), m1, 'a removal moves it too');
        assert.equal(await store.getRegistration('ta', 'webapp', 'fromcli', ''), undefined);
      } finally {
        other.close();
      }
    });
  });
}

const session = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  idHash: 'id-1', regionHash: 'region-1', tenant: 'ta', userId: 'u1', email: 'a@ta.com', xsrfHash: 'xsrf-1',
  createdAt: 1000, lastSeenAt: 1000, ...over,
});

export function runSessionStoreContract(name: string, open: (at: string) => Promise<Closable<SessionStore>>, newLocation: () => string): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: Closable<SessionStore>;
    before(async () => { store = await open(newLocation()); });
    after(() => store.close());

    it('creates and reads a session with every field; unknown ids are undefined', async () => {
      await store.createSession(session());
      assert.deepEqual(await store.getSession('id-1'), session());
      assert.equal(await store.getSession('id-unknown'), undefined);
    });

    it('touch moves the last activity forward only', async () => {
      await store.touchSession('id-1', 5000);
      assert.equal((await store.getSession('id-1'))?.lastSeenAt, 5000);
      await store.touchSession('id-1', 3000);
      assert.equal((await store.getSession('id-1'))?.lastSeenAt, 5000, 'a late, older touch does not move it back');
      await assert.doesNotReject(store.touchSession('id-unknown', 9000));
    });

    it('deletes one session, and sweeps those created or last seen too long ago', async () => {
      await store.createSession(session({ idHash: 'old-created', createdAt: 10, lastSeenAt: 9000 }));
      await store.createSession(session({ idHash: 'idle', createdAt: 2000, lastSeenAt: 2000 }));
      await store.createSession(session({ idHash: 'fresh', createdAt: 8000, lastSeenAt: 9000 }));
      await store.createSession(session({ idHash: 'gone' }));
      await store.deleteSession('gone');
      assert.equal(await store.getSession('gone'), undefined);
      assert.equal(await store.deleteSessionsBefore(100, 4000), 2, 'old-created (by creation) and idle (by activity)');
      assert.deepEqual(await Promise.all(['id-1', 'old-created', 'idle', 'fresh'].map(async (id) => (await store.getSession(id)) !== undefined)),
        [true, false, false, true]);
      assert.equal(await store.deleteSessionsBefore(100, 4000), 0);
    });
  });
}

/** The whole GatewayStore: deleteTenant drops the tenant's registrations (moving the change marker) and sessions only. */
export function runGatewayStoreContract(name: string, open: (at: string) => Promise<GatewayStore>, newLocation: () => string): void {
  describe(`GatewayStore contract: ${name}`, () => {
    let store: GatewayStore;
    before(async () => { store = await open(newLocation()); });
    after(() => store.close());

    it('deleteTenant drops the tenant\'s registrations and sessions, moves the change marker, keeps other tenants', async () => {
      for (const tenant of ['tx', 'ty']) {
        await store.register(reg({ tenant }));
        await store.createSession(session({ idHash: `id-${tenant}`, tenant }));
      }
      const marker = await store.changeMarker();
      assert.equal(await store.deleteTenant('tx'), 2);
      assert.notEqual(await store.changeMarker(), marker);
      assert.deepEqual([await store.listRegistrations('tx'), await store.getSession('id-tx')], [[], undefined]);
      assert.deepEqual([(await store.listRegistrations('ty')).length, (await store.getSession('id-ty'))?.tenant], [1, 'ty']);
      assert.equal(await store.deleteTenant('tx'), 0);
    });
  });
}
