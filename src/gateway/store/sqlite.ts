/** GatewayStore on embedded SQLite (better-sqlite3); file gateway.db in the data directory. */
import type { SqliteSync } from '../../core/config.js';
import { DbChanges, openDatabase, type Db, type Migration } from '../../core/db.js';
import {
  DuplicateRegistration, type AppRegistration, type GatewayStore, type OAuthClientRecord, type OAuthFamilyRecord,
  type OAuthGrantRecord, type RegistrationType, type SessionRecord,
} from '../store.js';

export const GATEWAY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'registrations, sessions, oauth clients and grants',
    up: `
      CREATE TABLE registrations (
        tenant TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, provider TEXT NOT NULL, target TEXT NOT NULL,
        patterns TEXT NOT NULL, cache_control TEXT, csp TEXT, created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, type, name, provider));
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY, region_hash TEXT NOT NULL, tenant TEXT NOT NULL, user_id TEXT NOT NULL,
        email TEXT NOT NULL, xsrf TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL);
      CREATE TABLE oauth_clients (
        client_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, redirect_uris TEXT NOT NULL,
        created_at INTEGER NOT NULL);
      CREATE TABLE oauth_grants (
        hash TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT NOT NULL, tenant TEXT NOT NULL, user_id TEXT NOT NULL,
        scope TEXT NOT NULL, redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    description: 'registry version, bumped by every registration change of any process',
    up: `
      CREATE TABLE registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
      INSERT INTO registry_version (id, version) VALUES (1, 0);
      CREATE TRIGGER registrations_insert AFTER INSERT ON registrations
        BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
      CREATE TRIGGER registrations_update AFTER UPDATE ON registrations
        BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
      CREATE TRIGGER registrations_delete AFTER DELETE ON registrations
        BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
    `,
  },
  {
    version: 3,
    description: 'oauth grant families (reuse detection, RFC 9700 §4.14.2)',
    // Grants stored before this version become one-grant families ending with the grant.
    up: `
      CREATE TABLE oauth_families (
        family_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, tenant TEXT NOT NULL, user_id TEXT NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);
      CREATE INDEX oauth_families_expires ON oauth_families (expires_at);
      INSERT INTO oauth_families (family_id, client_id, tenant, user_id, created_at, expires_at, revoked_at)
        SELECT hash, client_id, tenant, user_id, CAST(strftime('%s', 'now') AS INTEGER) * 1000, expires_at, NULL
        FROM oauth_grants;
      CREATE TABLE oauth_grants_v2 (
        hash TEXT PRIMARY KEY, kind TEXT NOT NULL,
        family_id TEXT NOT NULL REFERENCES oauth_families (family_id) ON DELETE CASCADE,
        client_id TEXT NOT NULL, tenant TEXT NOT NULL, user_id TEXT NOT NULL, scope TEXT NOT NULL,
        redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
      INSERT INTO oauth_grants_v2 (hash, kind, family_id, client_id, tenant, user_id, scope, redirect_uri,
        code_challenge, expires_at, used_at)
        SELECT hash, kind, hash, client_id, tenant, user_id, scope, redirect_uri, code_challenge, expires_at, NULL
        FROM oauth_grants;
      DROP TABLE oauth_grants;
      ALTER TABLE oauth_grants_v2 RENAME TO oauth_grants;
      CREATE INDEX oauth_grants_family ON oauth_grants (family_id);
    `,
  },
  {
    version: 4,
    description: 'confidential oauth clients: slow hash of the client secret, NULL for public clients',
    up: 'ALTER TABLE oauth_clients ADD COLUMN secret_hash TEXT;',
  },
];

interface RegRow {
  tenant: string; type: string; name: string; provider: string; target: string; patterns: string;
  cache_control: string | null; csp: string | null; created_at: number;
}
interface SessionRow {
  id_hash: string; region_hash: string; tenant: string; user_id: string; email: string; xsrf: string;
  created_at: number; last_seen_at: number;
}
interface ClientRow {
  client_id: string; tenant: string; name: string; redirect_uris: string; secret_hash: string | null; created_at: number;
}
interface FamilyRow {
  family_id: string; client_id: string; tenant: string; user_id: string; created_at: number; expires_at: number;
  revoked_at: number | null;
}
interface GrantRow {
  hash: string; kind: string; family_id: string; client_id: string; tenant: string; user_id: string; scope: string;
  redirect_uri: string; code_challenge: string; expires_at: number; used_at: number | null;
}

const regOf = (r: RegRow): AppRegistration => ({
  tenant: r.tenant, type: r.type as RegistrationType, name: r.name, provider: r.provider, target: r.target,
  patterns: JSON.parse(r.patterns) as string[], cacheControl: r.cache_control, csp: r.csp, createdAt: r.created_at,
});
const sessionOf = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash, regionHash: r.region_hash, tenant: r.tenant, userId: r.user_id, email: r.email, xsrf: r.xsrf,
  createdAt: r.created_at, lastSeenAt: r.last_seen_at,
});
const clientOf = (r: ClientRow): OAuthClientRecord => ({
  clientId: r.client_id, tenant: r.tenant, name: r.name, redirectUris: JSON.parse(r.redirect_uris) as string[],
  secretHash: r.secret_hash, createdAt: r.created_at,
});
const familyOf = (r: FamilyRow): OAuthFamilyRecord => ({
  familyId: r.family_id, clientId: r.client_id, tenant: r.tenant, userId: r.user_id, createdAt: r.created_at,
  expiresAt: r.expires_at, revokedAt: r.revoked_at,
});
const grantOf = (r: GrantRow): OAuthGrantRecord => ({
  hash: r.hash, kind: r.kind as OAuthGrantRecord['kind'], familyId: r.family_id, clientId: r.client_id, tenant: r.tenant,
  userId: r.user_id, scope: r.scope, redirectUri: r.redirect_uri, codeChallenge: r.code_challenge,
  expiresAt: r.expires_at, usedAt: r.used_at,
});

/** A registration committed by another process (a second worker, `ironbridge app register`) is seen within 1 ms. */
export const REGISTRY_OTHER_WRITERS_MS = 1;

export class SqliteGatewayStore implements GatewayStore {
  private readonly db: Db;
  private readonly q;
  private readonly registryChanges: DbChanges;
  private registryEpoch = 0;

  constructor(options: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: options.dataDir, name: 'gateway', migrations: GATEWAY_MIGRATIONS, sync: options.sync });
    const db = this.db;
    this.registryChanges = new DbChanges(db, REGISTRY_OTHER_WRITERS_MS, 'SELECT version FROM registry_version WHERE id = 1');
    this.q = {
      insertReg: db.prepare(`INSERT INTO registrations (tenant, type, name, provider, target, patterns, cache_control, csp,
        created_at) VALUES (@tenant, @type, @name, @provider, @target, @patterns, @cacheControl, @csp, @createdAt)`),
      getReg: db.prepare<[string, string, string, string], RegRow>(
        'SELECT * FROM registrations WHERE tenant = ? AND type = ? AND name = ? AND provider = ?'),
      listAll: db.prepare<[], RegRow>('SELECT * FROM registrations ORDER BY tenant, type, name, provider'),
      listTenant: db.prepare<[string], RegRow>('SELECT * FROM registrations WHERE tenant = ? ORDER BY type, name, provider'),
      deleteReg: db.prepare('DELETE FROM registrations WHERE tenant = ? AND type = ? AND name = ? AND provider = ?'),
      insertSession: db.prepare(`INSERT INTO sessions (id_hash, region_hash, tenant, user_id, email, xsrf, created_at,
        last_seen_at) VALUES (@idHash, @regionHash, @tenant, @userId, @email, @xsrf, @createdAt, @lastSeenAt)`),
      getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id_hash = ?'),
      touch: db.prepare('UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id_hash = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      sweep: db.prepare('DELETE FROM sessions WHERE created_at < ? OR last_seen_at < ?'),
      insertClient: db.prepare(`INSERT INTO oauth_clients (client_id, tenant, name, redirect_uris, secret_hash, created_at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      getClient: db.prepare<[string], ClientRow>('SELECT * FROM oauth_clients WHERE client_id = ?'),
      insertFamily: db.prepare(`INSERT INTO oauth_families (family_id, client_id, tenant, user_id, created_at, expires_at,
        revoked_at) VALUES (@familyId, @clientId, @tenant, @userId, @createdAt, @expiresAt, @revokedAt)`),
      getFamily: db.prepare<[string], FamilyRow>('SELECT * FROM oauth_families WHERE family_id = ?'),
      extendFamily: db.prepare('UPDATE oauth_families SET expires_at = ? WHERE family_id = ?'),
      revokeFamily: db.prepare('UPDATE oauth_families SET revoked_at = COALESCE(revoked_at, ?) WHERE family_id = ?'),
      insertGrant: db.prepare(`INSERT INTO oauth_grants (hash, kind, family_id, client_id, tenant, user_id, scope,
        redirect_uri, code_challenge, expires_at, used_at) VALUES (@hash, @kind, @familyId, @clientId, @tenant, @userId,
        @scope, @redirectUri, @codeChallenge, @expiresAt, NULL)`),
      getGrant: db.prepare<[string], GrantRow>('SELECT * FROM oauth_grants WHERE hash = ?'),
      markUsed: db.prepare<[number, string], GrantRow>(
        'UPDATE oauth_grants SET used_at = ? WHERE hash = ? AND used_at IS NULL RETURNING *'),
      // Grants go with their family (ON DELETE CASCADE).
      expireFamilies: db.prepare('DELETE FROM oauth_families WHERE expires_at <= ?'),
    };
  }

  async register(r: AppRegistration): Promise<void> {
    try {
      this.q.insertReg.run({ ...r, patterns: JSON.stringify(r.patterns) });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateRegistration();
      throw err;
    }
  }

  async getRegistration(tenant: string, type: RegistrationType, name: string, provider: string) {
    const row = this.q.getReg.get(tenant, type, name, provider);
    return row ? regOf(row) : undefined;
  }

  async listRegistrations(tenant?: string): Promise<AppRegistration[]> {
    return (tenant === undefined ? this.q.listAll.all() : this.q.listTenant.all(tenant)).map(regOf);
  }

  async removeRegistration(tenant: string, type: RegistrationType, name: string, provider: string): Promise<boolean> {
    return this.q.deleteReg.run(tenant, type, name, provider).changes > 0;
  }

  async changeMarker(): Promise<number> {
    if (this.registryChanges.changed()) this.registryEpoch++;
    return this.registryEpoch;
  }

  async createSession(s: SessionRecord): Promise<void> {
    this.q.insertSession.run(s);
  }

  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    const row = this.q.getSession.get(idHash);
    return row ? sessionOf(row) : undefined;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    this.q.touch.run(at, idHash);
  }

  async deleteSession(idHash: string): Promise<void> {
    this.q.deleteSession.run(idHash);
  }

  async deleteSessionsBefore(createdBefore: number, lastSeenBefore: number): Promise<number> {
    return this.q.sweep.run(createdBefore, lastSeenBefore).changes;
  }

  async createOAuthClient(c: OAuthClientRecord): Promise<void> {
    this.q.insertClient.run(c.clientId, c.tenant, c.name, JSON.stringify(c.redirectUris), c.secretHash, c.createdAt);
  }

  async getOAuthClient(clientId: string): Promise<OAuthClientRecord | undefined> {
    const r = this.q.getClient.get(clientId);
    return r ? clientOf(r) : undefined;
  }

  async createFamily(f: OAuthFamilyRecord): Promise<void> {
    this.q.insertFamily.run(f);
  }

  async getFamily(familyId: string): Promise<OAuthFamilyRecord | undefined> {
    const r = this.q.getFamily.get(familyId);
    return r ? familyOf(r) : undefined;
  }

  async extendFamily(familyId: string, expiresAt: number): Promise<void> {
    this.q.extendFamily.run(expiresAt, familyId);
  }

  async revokeFamily(familyId: string, at: number): Promise<boolean> {
    return this.q.revokeFamily.run(at, familyId).changes > 0;
  }

  async saveGrant(g: Omit<OAuthGrantRecord, 'usedAt'>): Promise<void> {
    this.q.insertGrant.run(g);
  }

  async getGrant(hash: string): Promise<OAuthGrantRecord | undefined> {
    const r = this.q.getGrant.get(hash);
    return r ? grantOf(r) : undefined;
  }

  async useGrant(hash: string, at: number): Promise<{ grant: OAuthGrantRecord; firstUse: boolean } | undefined> {
    return this.db.transaction(() => {
      const marked = this.q.markUsed.get(at, hash);
      if (marked) return { grant: grantOf(marked), firstUse: true };
      const seen = this.q.getGrant.get(hash);
      return seen ? { grant: grantOf(seen), firstUse: false } : undefined;
    }).immediate();
  }

  async deleteExpiredGrants(now: number): Promise<number> {
    return this.q.expireFamilies.run(now).changes;
  }

  close(): void {
    this.db.close();
  }
}
