/**
 * Runs the AgentStore contract against the SQLite store on a fresh data directory, and checks its per-agent cache:
 * a change of an agent or its mappings, by this store or by another connection to the same database (a second
 * worker, the CLI), is seen by the next read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentRecord, MappingRecord } from '../../src/agents/store.js';
import { SqliteAgentStore } from '../../src/agents/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { runAgentStoreContract } from './store.contract.js';

runAgentStoreContract('sqlite', async () => new SqliteAgentStore({ dataDir: tempDir('ironbridge-agents-'), sync: 'normal' }));

describe('SQLite agent store cache', () => {
  const id = 'c'.repeat(32);
  const agent: AgentRecord = {
    tenant: 'ta', id, name: 'press', securityProfile: 'SHARED_SECRET', etag: 0, rev: 0, createdAt: 1, boarding: 'ONBOARDED', iat: null,
    iatHash: null, iatExpiresAt: null, secret: 's', jwk: null, secretExpiresAt: null, registrationTokenHash: null,
    firstRegistrationTokenHash: null, revSig: 'r1', lastSeen: null, configuration: null, configurationEtag: 0,
  };
  const mapping = (over: Partial<MappingRecord>): MappingRecord => ({ tenant: 'ta', id: 'm1', agentId: id, dataPointId: 'DP-T', entityId: id,
    propertySetName: 'Env', propertyName: 'T', keepMapping: true, createdAt: 1, ...over });

  it('sees its own and another connection\'s changes of an agent and its mappings at the next read', async () => {
    const dataDir = tempDir('ironbridge-agents-cache-');
    const a = new SqliteAgentStore({ dataDir, sync: 'normal' });
    const b = new SqliteAgentStore({ dataDir, sync: 'normal' });
    try {
      await a.create(agent);
      assert.deepEqual(await a.listMappings('ta', id), []);
      assert.equal((await a.get('ta', id))?.revSig, 'r1');
      // Own writes.
      await a.createMapping(mapping({}));
      assert.deepEqual((await a.listMappings('ta', id)).map((m) => m.id), ['m1']);
      assert.equal(await a.update({ ...agent, rev: 1, revSig: 'r2' }, 0), true);
      assert.equal((await a.get('ta', id))?.revSig, 'r2');
      // Another connection's writes.
      await b.createMapping(mapping({ id: 'm2', propertyName: 'H', createdAt: 2 }));
      assert.deepEqual((await a.listMappings('ta', id)).map((m) => m.id), ['m1', 'm2']);
      assert.equal(await b.deleteMapping('ta', 'm1'), true);
      assert.deepEqual((await a.listMappings('ta', id)).map((m) => m.id), ['m2']);
      assert.equal(await b.update({ ...agent, rev: 2, revSig: 'r3', boarding: 'NOT_ONBOARDED' }, 1), true);
      assert.equal((await a.get('ta', id))?.revSig, 'r3');
      // A record handed out is a copy: changing it changes nothing kept.
      const got = (await a.get('ta', id))!;
      got.revSig = 'changed';
      (await a.listMappings('ta', id))[0]!.propertyName = 'changed';
      assert.equal((await a.get('ta', id))?.revSig, 'r3');
      assert.equal((await a.listMappings('ta', id))[0]?.propertyName, 'H');
      assert.equal(await b.delete('ta', id), true);
      assert.equal(await a.get('ta', id), undefined);
      assert.deepEqual(await a.listMappings('ta', id), []);
      // Own delete after a cached read.
      await a.create(agent);
      await a.createMapping(mapping({ id: 'm3' }));
      assert.equal((await a.listMappings('ta', id)).length, 1);
      assert.equal(await a.deleteMapping('ta', 'm3'), true);
      assert.deepEqual(await a.listMappings('ta', id), []);
      assert.equal(await a.delete('ta', id), true);
      assert.equal(await a.get('ta', id), undefined);
    } finally {
      a.close();
      b.close();
    }
  });
});
