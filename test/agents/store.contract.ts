/**
 * The AgentStore contract: every implementation runs this suite through runAgentStoreContract(name, open).
 * Tenants never see each other's agents or mappings; names are unique per tenant; updates are compare-and-swap
 * on rev; an assertion id is accepted once until it expires; deleteTenant removes one tenant's rows only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentDuplicateError, type AgentRecord, type AgentStore, type MappingRecord } from '../../src/agents/store.js';

export function runAgentStoreContract(name: string, open: () => Promise<AgentStore>): void {
  describe(`AgentStore contract: ${name}`, () => {
    let store: AgentStore;
    before(async () => { store = await open(); });
    after(() => store.close());

    const agent = (over: Partial<AgentRecord>): AgentRecord => ({
      tenant: 'ta', id: 'a'.repeat(32), name: 'pump', securityProfile: 'SHARED_SECRET', etag: 0, rev: 0, createdAt: 1,
      boarding: 'NOT_ONBOARDED', iat: null, iatHash: null, iatExpiresAt: null, secret: null, jwk: null, secretExpiresAt: null,
      registrationTokenHash: null, firstRegistrationTokenHash: null, revSig: 's1', lastSeen: null, configuration: null, configurationEtag: 0, ...over,
    });
    const mapping = (over: Partial<MappingRecord>): MappingRecord => ({
      tenant: 'ta', id: 'm1', agentId: 'a'.repeat(32), dataPointId: 'DP-T', entityId: 'a'.repeat(32), propertySetName: 'Env',
      propertyName: 'T', keepMapping: true, createdAt: 1, ...over,
    });

    it('creates, reads and lists agents per tenant; another tenant sees none', async () => {
      await store.create(agent({}));
      await store.create(agent({ tenant: 'tb' }));
      assert.equal((await store.get('ta', 'a'.repeat(32)))?.name, 'pump');
      assert.equal((await store.list('ta')).length, 1);
      assert.equal(await store.get('tc', 'a'.repeat(32)), undefined);
      assert.deepEqual(await store.list('tc'), []);
    });

    it('refuses a second agent of one asset and a taken name in the tenant, naming which', async () => {
      await assert.rejects(store.create(agent({ name: 'other' })), (e) => e instanceof AgentDuplicateError && e.field === 'id');
      await assert.rejects(store.create(agent({ id: 'b'.repeat(32) })), (e) => e instanceof AgentDuplicateError && e.field === 'name');
    });

    it('updates only from the stored rev, and finds an agent by its initial access token hash', async () => {
      const a = (await store.get('ta', 'a'.repeat(32)))!;
      assert.equal(await store.update({ ...a, rev: 1, iat: 'tok', iatHash: 'h1', iatExpiresAt: 5 }, 0), true);
      assert.equal(await store.update({ ...a, rev: 2, name: 'lost' }, 0), false);
      assert.equal((await store.byIatHash('h1'))?.id, a.id);
      assert.equal((await store.get('ta', a.id))?.name, 'pump');
    });

    it('touch moves the last-seen time of onboarded agents forward only, in one call for many, and moves their rev', async () => {
      const on = agent({ id: 'd'.repeat(32), name: 'seen', boarding: 'ONBOARDED' });
      const off = agent({ id: 'e'.repeat(32), name: 'unseen' });
      await store.create(on);
      await store.create(off);
      await store.touch([{ tenant: 'ta', id: on.id, at: 100 }, { tenant: 'ta', id: off.id, at: 100 }, { tenant: 'tb', id: on.id, at: 100 }]);
      assert.deepEqual(await store.get('ta', on.id).then((a) => [a?.lastSeen, a?.rev]), [100, 1]);
      assert.deepEqual(await store.get('ta', off.id).then((a) => [a?.lastSeen, a?.rev]), [null, 0]);
      await store.touch([{ tenant: 'ta', id: on.id, at: 50 }]);
      assert.equal((await store.get('ta', on.id))?.lastSeen, 100);
      await store.touch([]);
      assert.equal(await store.delete('ta', on.id), true);
      assert.equal(await store.delete('ta', off.id), true);
    });

    it('keeps mappings per tenant, refuses an equal one, deletes them with their agent', async () => {
      await store.createMapping(mapping({}));
      await store.createMapping(mapping({ id: 'm2', propertyName: 'H' }));
      await assert.rejects(store.createMapping(mapping({ id: 'm3' })), AgentDuplicateError);
      assert.equal((await store.listMappings('ta', 'a'.repeat(32))).length, 2);
      assert.equal(await store.getMapping('tb', 'm1'), undefined);
      assert.equal(await store.deleteMapping('ta', 'm2'), true);
      assert.equal(await store.deleteMapping('ta', 'm2'), false);
      assert.equal(await store.delete('ta', 'a'.repeat(32)), true);
      assert.deepEqual(await store.listMappings('ta'), []);
      assert.equal((await store.list('tb')).length, 1);
    });

    it('keeps one diagnostic activation per agent and the newest messages of an agent', async () => {
      await store.createActivation({ tenant: 'ta', id: 'd1', agentId: 'c'.repeat(32), status: 'ACTIVE', createdAt: 1 });
      await assert.rejects(store.createActivation({ tenant: 'ta', id: 'd2', agentId: 'c'.repeat(32), status: 'ACTIVE', createdAt: 1 }), AgentDuplicateError);
      assert.equal((await store.getActivation('ta', 'c'.repeat(32)))?.id, 'd1');
      assert.equal(await store.getActivation('tb', 'd1'), undefined);
      const msg = (i: number) => ({ agentId: 'c'.repeat(32), correlationId: `r${i}`, severity: 'WARN' as const, message: `m${i}`, source: 's',
        state: 'DROPPED' as const, timestamp: i });
      await store.addMessages('ta', [msg(1), msg(2), msg(3)], 2);
      assert.deepEqual((await store.listMessages('ta', 'c'.repeat(32))).map((m) => m.message), ['m2', 'm3']);
      assert.equal(await store.setActivationStatus('ta', 'd1', 'INACTIVE'), true);
      assert.equal(await store.deleteActivation('ta', 'd1'), true);
      assert.deepEqual(await store.listMessages('ta', 'c'.repeat(32)), []);
      assert.deepEqual(await store.listActivations('ta'), []);
    });

    it('accepts an assertion id once until it expires', async () => {
      assert.equal(await store.useAssertion('ta', 'j1', 100, 10), true);
      assert.equal(await store.useAssertion('ta', 'j1', 100, 20), false);
      assert.equal(await store.useAssertion('tb', 'j1', 100, 20), true);
      assert.equal(await store.useAssertion('ta', 'j1', 300, 101), true);
    });

    it('deleteTenant drops agents, mappings, activations, messages and assertion ids of one tenant only', async () => {
      for (const tenant of ['tx', 'ty']) {
        await store.create(agent({ tenant, id: 'e'.repeat(32), name: 'gone' }));
        await store.createMapping(mapping({ tenant, id: 'mx', agentId: 'e'.repeat(32) }));
        await store.createActivation({ tenant, id: 'dx', agentId: 'e'.repeat(32), status: 'ACTIVE', createdAt: 1 });
        await store.addMessages(tenant, [{ agentId: 'e'.repeat(32), correlationId: 'r', severity: 'WARN', message: 'm', source: 's',
          state: 'DROPPED', timestamp: 1 }], 5);
        await store.useAssertion(tenant, 'jx', 1000, 10);
      }
      assert.ok((await store.deleteTenant('tx')) >= 5);
      assert.deepEqual([await store.list('tx'), await store.listMappings('tx'), await store.listActivations('tx'),
        await store.listMessages('tx', 'e'.repeat(32))], [[], [], [], []]);
      assert.equal(await store.useAssertion('tx', 'jx', 1000, 11), true);
      assert.deepEqual([(await store.list('ty')).length, (await store.listMappings('ty')).length, (await store.listActivations('ty')).length,
        (await store.listMessages('ty', 'e'.repeat(32))).length], [1, 1, 1, 1]);
      assert.equal(await store.useAssertion('ty', 'jx', 1000, 11), false);
    });
  });
}
