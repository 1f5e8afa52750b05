/** GatewayStore (registry and sessions) on embedded SQLite (better-sqlite3); file gateway.db in the data directory. */
import type { SqliteSync } from '../../core/config.js';
import { deleteTenantRows, DbChanges, openDatabase, type Db, type Migration } from '../../core/db.js';
import { sha256 } from '../../core/secrets.js';
import { DuplicateRegistration, type AppRegistration, type GatewayStore, type RegistrationType, type SessionRecord } from '../store.js';

/** Tables of the web app sign-in that lived here up to migration 4; identity.db holds them now. */
const MOVED_OAUTH_TABLES = ['oauth_grants', 'oauth_families', 'oauth_clients'];

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
  {
    version: 5,
    description: 'sessions keep the SHA-256 hash of the XSRF token, not the token',
    up: (db) => {
      db.exec('ALTER TABLE sessions RENAME COLUMN xsrf TO xsrf_hash');
      const rows = db.prepare<[], { id_hash: string; xsrf_hash: string }>('SELECT id_hash, xsrf_hash FROM sessions').all();
      const update = db.prepare('UPDATE sessions SET xsrf_hash = ? WHERE id_hash = ?');
      for (const r of rows) update.run(sha256(r.xsrf_hash), r.id_hash);
    },
  },
  {
    version: 6,
    description: 'the oauth tables moved to identity.db: dropped here once empty (identity copies and empties them)',
    // Left while they still hold rows: identity's adoption (identity/store/migrations.ts) copies and then drops them.
    up: (db) => {
      const present = MOVED_OAUTH_TABLES.filter((t) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t));
      if (present.every((t) => db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() === 0)) {
        for (const t of present) db.exec(`DROP TABLE ${t}`);
      }
    },
  },
];

interface RegRow {
  tenant: string; type: string; name: string; provider: string; target: string; patterns: string;
  cache_control: string | null; csp: string | null; created_at: number;
}
interface SessionRow {
  id_hash: string; region_hash: string; tenant: string; user_id: string; email: string; xsrf_hash: string;
  created_at: number; last_seen_at: number;
}
const regOf = (r: RegRow): AppRegistration => ({
  tenant: r.tenant, type: r.type as RegistrationType, name: r.name, provider: r.provider, target: r.target,
  patterns: JSON.parse(r.patterns) as string[], cacheControl: r.cache_control, csp: r.csp, createdAt: r.created_at,
});
const sessionOf = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash, regionHash: r.region_hash, tenant: r.tenant, userId: r.user_id, email: r.email, xsrfHash: r.xsrf_hash,
  createdAt: r.created_at, lastSeenAt: r.last_seen_at,
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
      insertSession: db.prepare(`INSERT INTO sessions (id_hash, region_hash, tenant, user_id, email, xsrf_hash, created_at,
        last_seen_at) VALUES (@idHash, @regionHash, @tenant, @userId, @email, @xsrfHash, @createdAt, @lastSeenAt)`),
      getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id_hash = ?'),
      touch: db.prepare('UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id_hash = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      sweep: db.prepare('DELETE FROM sessions WHERE created_at < ? OR last_seen_at < ?'),
    };
  }

  async register(r: AppRegistration): Promise<void> {
    try {
      this.q.insertReg.run({ ...r, patterns: JSON.stringify(r.patterns) });
      // own writes move the marker at once; other processes' are seen through registry_version (at most 1 ms late)
      this.registryEpoch++;
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
    const removed = this.q.deleteReg.run(tenant, type, name, provider).changes > 0;
    if (removed) this.registryEpoch++;
    return removed;
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

  async deleteTenant(tenant: string): Promise<number> {
    // the registry_version triggers count the removed registrations, so every process reloads its routes
    const n = deleteTenantRows(this.db, tenant, ['DELETE FROM registrations WHERE tenant = ?', 'DELETE FROM sessions WHERE tenant = ?']);
    if (n > 0) this.registryEpoch++;
    return n;
  }
  close(): void {
    this.db.close();
  }
}
