/**
 * SQLite implementation of the agents store (agents.db): agents, data point mappings, used assertion ids. Every
 * statement is prepared once. An agent's record and its mappings, read on every message an agent sends (token
 * check, mapping plan), are kept per agent until they change: this store's own writes drop the agent's entry, and
 * every read checks SQLite's data_version, so a commit of another connection (a second worker, the CLI) drops them
 * all before the next read. A mapping or agent change is thus seen by the very next read.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteSync } from '../../core/config.js';
import { DbChanges, deleteTenantRows, type Db, type Migration, openDatabase } from '../../core/db.js';
import {
  type ActivationRecord, AgentDuplicateError, type AgentRecord, type AgentStore, type DiagnosticMessage, type MappingRecord,
} from '../store.js';

export const AGENT_MIGRATIONS: readonly Migration[] = [{
  version: 1,
  description: 'agents, data point mappings, client assertion ids',
  up: `CREATE TABLE agents (
    tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, security_profile TEXT NOT NULL, etag INTEGER NOT NULL,
    rev INTEGER NOT NULL, created_at INTEGER NOT NULL, boarding TEXT NOT NULL, iat TEXT, iat_hash TEXT, iat_expires_at INTEGER,
    secret TEXT, jwk TEXT, secret_expires_at INTEGER, registration_token_hash TEXT, first_registration_token_hash TEXT, rev_sig TEXT NOT NULL, last_seen INTEGER,
    configuration TEXT, configuration_etag INTEGER NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;
  CREATE UNIQUE INDEX agents_name ON agents (tenant, name);
  CREATE UNIQUE INDEX agents_iat ON agents (iat_hash) WHERE iat_hash IS NOT NULL;
  CREATE TABLE mappings (
    tenant TEXT NOT NULL, id TEXT NOT NULL, agent_id TEXT NOT NULL, data_point_id TEXT NOT NULL, entity_id TEXT NOT NULL,
    property_set_name TEXT NOT NULL, property_name TEXT NOT NULL, keep_mapping INTEGER NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)) WITHOUT ROWID;
  CREATE UNIQUE INDEX mappings_unique ON mappings (tenant, agent_id, data_point_id, entity_id, property_set_name, property_name);
  CREATE TABLE assertions (tenant TEXT NOT NULL, jti TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (tenant, jti)) WITHOUT ROWID;`,
}, {
  version: 2,
  description: 'diagnostic activations and messages',
  up: `CREATE TABLE activations (tenant TEXT NOT NULL, id TEXT NOT NULL, agent_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at INTEGER NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;
  CREATE UNIQUE INDEX activations_agent ON activations (tenant, agent_id);
  CREATE TABLE diagnostics (seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, agent_id TEXT NOT NULL,
    correlation_id TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL,
    timestamp INTEGER NOT NULL);
  CREATE INDEX diagnostics_agent ON diagnostics (tenant, agent_id, seq);`,
}];

interface ActivationRow { tenant: string; id: string; agent_id: string; status: string; created_at: number }
interface MessageRow { agent_id: string; correlation_id: string; severity: string; message: string; source: string; state: string; timestamp: number }
const activationOf = (r: ActivationRow): ActivationRecord =>
  ({ tenant: r.tenant, id: r.id, agentId: r.agent_id, status: r.status as ActivationRecord['status'], createdAt: r.created_at });

interface AgentRow {
  tenant: string; id: string; name: string; security_profile: string; etag: number; rev: number; created_at: number;
  boarding: string; iat: string | null; iat_hash: string | null; iat_expires_at: number | null; secret: string | null;
  jwk: string | null; secret_expires_at: number | null; registration_token_hash: string | null; first_registration_token_hash: string | null; rev_sig: string;
  last_seen: number | null; configuration: string | null; configuration_etag: number;
}

interface MappingRow {
  tenant: string; id: string; agent_id: string; data_point_id: string; entity_id: string; property_set_name: string;
  property_name: string; keep_mapping: number; created_at: number;
}

const agentOf = (r: AgentRow): AgentRecord => ({
  tenant: r.tenant, id: r.id, name: r.name, securityProfile: r.security_profile as AgentRecord['securityProfile'], etag: r.etag,
  rev: r.rev, createdAt: r.created_at, boarding: r.boarding as AgentRecord['boarding'], iat: r.iat, iatHash: r.iat_hash,
  iatExpiresAt: r.iat_expires_at, secret: r.secret, jwk: r.jwk, secretExpiresAt: r.secret_expires_at,
  registrationTokenHash: r.registration_token_hash, firstRegistrationTokenHash: r.first_registration_token_hash, revSig: r.rev_sig, lastSeen: r.last_seen, configuration: r.configuration,
  configurationEtag: r.configuration_etag,
});

const mappingOf = (r: MappingRow): MappingRecord => ({
  tenant: r.tenant, id: r.id, agentId: r.agent_id, dataPointId: r.data_point_id, entityId: r.entity_id,
  propertySetName: r.property_set_name, propertyName: r.property_name, keepMapping: r.keep_mapping === 1, createdAt: r.created_at,
});

const COLUMNS = `tenant = @tenant, id = @id, name = @name, security_profile = @securityProfile, etag = @etag, rev = @rev,
  created_at = @createdAt, boarding = @boarding, iat = @iat, iat_hash = @iatHash, iat_expires_at = @iatExpiresAt, secret = @secret,
  jwk = @jwk, secret_expires_at = @secretExpiresAt, registration_token_hash = @registrationTokenHash,
  first_registration_token_hash = @firstRegistrationTokenHash, rev_sig = @revSig,
  last_seen = @lastSeen, configuration = @configuration, configuration_etag = @configurationEtag`;

const isUnique = (err: unknown) => (err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') === true;

/** What is kept of one agent: its record (null: known not to exist) and its mappings, each once read. */
interface Cached { agent?: AgentRecord | null; mappings?: readonly MappingRecord[] }
const CACHED_AGENTS = 10_000;
const key = (tenant: string, id: string) => `${tenant}\u0000${id}`;

export class SqliteAgentStore implements AgentStore {
  private readonly db: Db;
  private readonly statements = new Map<string, Statement>();
  private readonly cache = new Map<string, Cached>();
  private readonly changes: DbChanges;

  constructor(options: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: options.dataDir, name: 'agents', migrations: AGENT_MIGRATIONS, sync: options.sync });
    this.changes = new DbChanges(this.db, 0);
  }

  /** The statement of `sql`, prepared on first use. */
  private q(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, st = this.db.prepare(sql));
    return st;
  }

  /** The cache entry of an agent, after dropping everything when another connection committed. */
  private cached(tenant: string, id: string): Cached {
    if (this.changes.changed()) this.cache.clear();
    const k = key(tenant, id);
    let c = this.cache.get(k);
    if (!c) {
      if (this.cache.size >= CACHED_AGENTS) this.cache.clear();
      this.cache.set(k, c = {});
    }
    return c;
  }

  private forget(tenant: string, id: string): void {
    this.cache.delete(key(tenant, id));
  }

  async create(a: AgentRecord): Promise<void> {
    this.forget(a.tenant, a.id);
    if (this.q('SELECT 1 FROM agents WHERE tenant = ? AND id = ?').get(a.tenant, a.id)) throw new AgentDuplicateError('id');
    try {
      this.q(`INSERT INTO agents (tenant, id, name, security_profile, etag, rev, created_at, boarding, iat, iat_hash,
        iat_expires_at, secret, jwk, secret_expires_at, registration_token_hash, first_registration_token_hash, rev_sig, last_seen, configuration, configuration_etag)
        VALUES (@tenant, @id, @name, @securityProfile, @etag, @rev, @createdAt, @boarding, @iat, @iatHash, @iatExpiresAt, @secret,
        @jwk, @secretExpiresAt, @registrationTokenHash, @firstRegistrationTokenHash, @revSig, @lastSeen, @configuration, @configurationEtag)`).run(a);
    } catch (err) {
      if (isUnique(err)) throw new AgentDuplicateError('name');
      throw err;
    }
  }

  async get(tenant: string, id: string): Promise<AgentRecord | undefined> {
    const c = this.cached(tenant, id);
    if (c.agent === undefined) {
      const r = this.q('SELECT * FROM agents WHERE tenant = ? AND id = ?').get(tenant, id) as AgentRow | undefined;
      c.agent = r ? agentOf(r) : null;
    }
    // A copy: callers build the next record from it.
    return c.agent === null ? undefined : { ...c.agent };
  }

  async byIatHash(hash: string): Promise<AgentRecord | undefined> {
    const r = this.q('SELECT * FROM agents WHERE iat_hash = ?').get(hash) as AgentRow | undefined;
    return r && agentOf(r);
  }

  async list(tenant: string): Promise<AgentRecord[]> {
    return (this.q('SELECT * FROM agents WHERE tenant = ? ORDER BY id').all(tenant) as AgentRow[]).map(agentOf);
  }

  async update(a: AgentRecord, rev: number): Promise<boolean> {
    this.forget(a.tenant, a.id);
    try {
      return this.q(`UPDATE agents SET ${COLUMNS} WHERE tenant = @tenant AND id = @id AND rev = @old`).run({ ...a, old: rev }).changes === 1;
    } catch (err) {
      if (isUnique(err)) throw new AgentDuplicateError('name');
      throw err;
    }
  }

  async touch(seen: readonly { tenant: string; id: string; at: number }[]): Promise<void> {
    if (seen.length === 0) return;
    const st = this.q(`UPDATE agents SET last_seen = @at, rev = rev + 1 WHERE tenant = @tenant AND id = @id AND boarding = 'ONBOARDED'
      AND (last_seen IS NULL OR last_seen < @at)`);
    this.db.transaction(() => {
      for (const s of seen) {
        this.forget(s.tenant, s.id);
        st.run({ tenant: s.tenant, id: s.id, at: s.at });
      }
    }).immediate();
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    this.forget(tenant, id);
    return this.db.transaction(() => {
      this.q('DELETE FROM mappings WHERE tenant = ? AND agent_id = ?').run(tenant, id);
      this.q('DELETE FROM activations WHERE tenant = ? AND agent_id = ?').run(tenant, id);
      this.q('DELETE FROM diagnostics WHERE tenant = ? AND agent_id = ?').run(tenant, id);
      return this.q('DELETE FROM agents WHERE tenant = ? AND id = ?').run(tenant, id).changes === 1;
    }).immediate();
  }

  async createMapping(m: MappingRecord): Promise<void> {
    this.forget(m.tenant, m.agentId);
    try {
      this.q(`INSERT INTO mappings (tenant, id, agent_id, data_point_id, entity_id, property_set_name, property_name,
        keep_mapping, created_at) VALUES (@tenant, @id, @agentId, @dataPointId, @entityId, @propertySetName, @propertyName,
        @keep, @createdAt)`).run({ ...m, keep: m.keepMapping ? 1 : 0 });
    } catch (err) {
      if (isUnique(err)) throw new AgentDuplicateError('id');
      throw err;
    }
  }

  async getMapping(tenant: string, id: string): Promise<MappingRecord | undefined> {
    const r = this.q('SELECT * FROM mappings WHERE tenant = ? AND id = ?').get(tenant, id) as MappingRow | undefined;
    return r && mappingOf(r);
  }

  async listMappings(tenant: string, agentId?: string): Promise<MappingRecord[]> {
    if (agentId === undefined) return (this.q('SELECT * FROM mappings WHERE tenant = ? ORDER BY created_at, id').all(tenant) as MappingRow[]).map(mappingOf);
    const c = this.cached(tenant, agentId);
    c.mappings ??= (this.q('SELECT * FROM mappings WHERE tenant = ? AND agent_id = ? ORDER BY created_at, id').all(tenant, agentId) as MappingRow[])
      .map(mappingOf);
    return c.mappings.map((m) => ({ ...m }));
  }

  async deleteMapping(tenant: string, id: string): Promise<boolean> {
    const r = this.q('SELECT agent_id FROM mappings WHERE tenant = ? AND id = ?').get(tenant, id) as { agent_id: string } | undefined;
    if (r) this.forget(tenant, r.agent_id);
    return this.q('DELETE FROM mappings WHERE tenant = ? AND id = ?').run(tenant, id).changes === 1;
  }

  async createActivation(a: ActivationRecord): Promise<void> {
    try {
      this.q('INSERT INTO activations (tenant, id, agent_id, status, created_at) VALUES (@tenant, @id, @agentId, @status, @createdAt)').run(a);
    } catch (err) {
      if (isUnique(err)) throw new AgentDuplicateError('id');
      throw err;
    }
  }

  async listActivations(tenant: string): Promise<ActivationRecord[]> {
    return (this.q('SELECT * FROM activations WHERE tenant = ? ORDER BY created_at, id').all(tenant) as ActivationRow[]).map(activationOf);
  }

  async getActivation(tenant: string, idOrAgent: string): Promise<ActivationRecord | undefined> {
    const r = this.q('SELECT * FROM activations WHERE tenant = ? AND (id = ? OR agent_id = ?) ORDER BY id = ? DESC LIMIT 1')
      .get(tenant, idOrAgent, idOrAgent, idOrAgent) as ActivationRow | undefined;
    return r && activationOf(r);
  }

  async setActivationStatus(tenant: string, id: string, status: ActivationRecord['status']): Promise<boolean> {
    return this.q('UPDATE activations SET status = ? WHERE tenant = ? AND id = ?').run(status, tenant, id).changes === 1;
  }

  async deleteActivation(tenant: string, id: string): Promise<boolean> {
    return this.db.transaction(() => {
      const r = this.q('SELECT agent_id FROM activations WHERE tenant = ? AND id = ?').get(tenant, id) as { agent_id: string } | undefined;
      if (!r) return false;
      this.q('DELETE FROM diagnostics WHERE tenant = ? AND agent_id = ?').run(tenant, r.agent_id);
      return this.q('DELETE FROM activations WHERE tenant = ? AND id = ?').run(tenant, id).changes === 1;
    }).immediate();
  }

  async addMessages(tenant: string, messages: readonly DiagnosticMessage[], keep: number): Promise<void> {
    this.db.transaction(() => {
      const insert = this.q(`INSERT INTO diagnostics (tenant, agent_id, correlation_id, severity, message, source, state, timestamp)
        VALUES (@tenant, @agentId, @correlationId, @severity, @message, @source, @state, @timestamp)`);
      for (const m of messages) insert.run({ ...m, tenant });
      for (const agent of new Set(messages.map((m) => m.agentId))) {
        this.q(`DELETE FROM diagnostics WHERE tenant = ? AND agent_id = ? AND seq <= (SELECT seq FROM diagnostics
          WHERE tenant = ? AND agent_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`).run(tenant, agent, tenant, agent, keep);
      }
    }).immediate();
  }

  async listMessages(tenant: string, agentId: string): Promise<DiagnosticMessage[]> {
    return (this.q('SELECT * FROM diagnostics WHERE tenant = ? AND agent_id = ? ORDER BY seq').all(tenant, agentId) as MessageRow[])
      .map((r) => ({ agentId: r.agent_id, correlationId: r.correlation_id, severity: r.severity as DiagnosticMessage['severity'], message: r.message,
        source: r.source, state: r.state as DiagnosticMessage['state'], timestamp: r.timestamp }));
  }

  async useAssertion(tenant: string, jti: string, expiresAt: number, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      this.q('DELETE FROM assertions WHERE expires_at < ?').run(now);
      return this.q('INSERT OR IGNORE INTO assertions (tenant, jti, expires_at) VALUES (?, ?, ?)').run(tenant, jti, expiresAt).changes === 1;
    }).immediate();
  }

  async deleteTenant(tenant: string): Promise<number> {
    this.cache.clear();
    return deleteTenantRows(this.db, tenant, ['agents', 'mappings', 'assertions', 'activations', 'diagnostics']
      .map((t) => `DELETE FROM ${t} WHERE tenant = ?`));
  }
  close(): void {
    this.db.close();
  }
}
