/**
 * IdentityStore on embedded SQLite (better-sqlite3); file identity.db in the data directory, which also holds the
 * web app sign-in's tables (`oauth`, SqliteOAuthStore on the same connection).
 */
import { deleteTenantRows, DbChanges, openDatabase, type Db } from '../../core/db.js';
import type { SqliteSync } from '../../core/config.js';
import type { Role } from '../../core/scopes.js';
import type { OAuthStore } from '../oauth/store.js';
import {
  DuplicateError, type ClientRecord, type IdentityStore, type SigningKeyRecord, type TenantRecord, type UserRecord,
} from '../store.js';
import { adoptGatewayOAuthRows, IDENTITY_MIGRATIONS } from './migrations.js';
import { SqliteOAuthStore } from './oauth-sqlite.js';

export { IDENTITY_MIGRATIONS } from './migrations.js';

interface TenantRow { name: string; display_name: string; company_domain: string; created_at: number; etag: number }
interface UserRow {
  id: string; tenant: string; email: string; password_hash: string; role: string; created_at: number; rev_sig: string;
}
interface ClientRow {
  client_id: string; tenant: string; name: string; secret_hash: string; kind: string; app_name: string | null;
  app_version: string | null; scopes: string; created_at: number; revoked_at: number | null; rev_sig: string;
  previous_secret_hash: string | null; previous_secret_expires_at: number | null;
}
interface KeyRow {
  kid: string; alg: string; private_pem: string; public_pem: string; created_at: number; retired_at: number | null;
}

/** Bound of the revocation answer cache; cleared as a whole when full (it refills at one query per principal). */
const REV_SIG_CACHE_ENTRIES = 10_000;
/** A revocation committed by another process (`ironbridge keys revoke`, a second worker) is seen within 1 ms. */
export const REVOCATION_OTHER_WRITERS_MS = 1;

const tenantOf = (r: TenantRow): TenantRecord => ({
  name: r.name, displayName: r.display_name, companyDomain: r.company_domain, createdAt: r.created_at, etag: r.etag,
});
const userOf = (r: UserRow): UserRecord => ({
  id: r.id, tenant: r.tenant, email: r.email, passwordHash: r.password_hash, role: r.role as Role,
  createdAt: r.created_at, revSig: r.rev_sig,
});
const clientOf = (r: ClientRow): ClientRecord => ({
  clientId: r.client_id, tenant: r.tenant, name: r.name, secretHash: r.secret_hash,
  kind: r.kind as ClientRecord['kind'], appName: r.app_name, appVersion: r.app_version,
  scopes: JSON.parse(r.scopes) as string[], createdAt: r.created_at, revokedAt: r.revoked_at, revSig: r.rev_sig,
  previousSecretHash: r.previous_secret_hash, previousSecretExpiresAt: r.previous_secret_expires_at,
});
const keyOf = (r: KeyRow): SigningKeyRecord => ({
  kid: r.kid, alg: 'RS256', privatePem: r.private_pem, publicPem: r.public_pem, createdAt: r.created_at,
  retiredAt: r.retired_at,
});

function unique<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT_UNIQUE')
      || (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      throw new DuplicateError((err as Error).message);
    }
    throw err;
  }
}

export class SqliteIdentityStore implements IdentityStore {
  private readonly db: Db;
  private readonly q;
  private readonly changes: DbChanges;
  private readonly revSigs = new Map<string, string | undefined>();
  /** The web app sign-in's tables in the same database. */
  readonly oauth: OAuthStore;

  constructor(options: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: options.dataDir, name: 'identity', migrations: IDENTITY_MIGRATIONS, sync: options.sync });
    adoptGatewayOAuthRows(this.db, options.dataDir);
    const db = this.db;
    this.oauth = new SqliteOAuthStore(db);
    this.changes = new DbChanges(db, REVOCATION_OTHER_WRITERS_MS);
    this.q = {
      insertTenant: db.prepare(`INSERT INTO tenants (name, display_name, company_domain, created_at, etag)
        VALUES (@name, @displayName, @companyDomain, @createdAt, @etag)`),
      getTenant: db.prepare<[string], TenantRow>('SELECT * FROM tenants WHERE name = ?'),
      listTenants: db.prepare<[], TenantRow>('SELECT * FROM tenants ORDER BY name'),
      insertUser: db.prepare(`INSERT INTO users (id, tenant, email, password_hash, role, created_at, rev_sig)
        VALUES (@id, @tenant, @email, @passwordHash, @role, @createdAt, @revSig)`),
      userByEmail: db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE tenant = ? AND email = ?'),
      user: db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE tenant = ? AND id = ?'),
      listUsers: db.prepare<[string], UserRow>('SELECT * FROM users WHERE tenant = ? ORDER BY email'),
      deleteUser: db.prepare<[string, string]>('DELETE FROM users WHERE tenant = ? AND id = ?'),
      updateUser: db.prepare(`UPDATE users SET password_hash = COALESCE(@passwordHash, password_hash), role = COALESCE(@role, role),
        rev_sig = @revSig WHERE tenant = @tenant AND id = @id`),
      insertClient: db.prepare(`INSERT INTO clients (client_id, tenant, name, secret_hash, kind, app_name, app_version,
        scopes, created_at, revoked_at, rev_sig) VALUES (@clientId, @tenant, @name, @secretHash, @kind, @appName,
        @appVersion, @scopes, @createdAt, @revokedAt, @revSig)`),
      client: db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE client_id = ?'),
      listClients: db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE tenant = ? ORDER BY name, created_at'),
      activeClientByName: db.prepare<[string, string], ClientRow>(
        'SELECT * FROM clients WHERE tenant = ? AND name = ? AND revoked_at IS NULL'),
      revoke: db.prepare('UPDATE clients SET revoked_at = ? WHERE client_id = ?'),
      rotate: db.prepare<[number, string, string]>(`UPDATE clients SET previous_secret_hash = secret_hash,
        previous_secret_expires_at = ?, secret_hash = ? WHERE client_id = ?`),
      clientRevSig: db.prepare<[string], { rev_sig: string }>(
        'SELECT rev_sig FROM clients WHERE client_id = ? AND revoked_at IS NULL'),
      userRevSig: db.prepare<[string, string], { rev_sig: string }>(
        'SELECT rev_sig FROM users WHERE tenant = ? AND id = ?'),
      keys: db.prepare<[], KeyRow>('SELECT * FROM signing_keys ORDER BY created_at DESC, kid DESC'),
      newestActiveKey: db.prepare<[], KeyRow>(
        'SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1'),
      retireKey: db.prepare('UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL'),
      insertKey: db.prepare(`INSERT INTO signing_keys (kid, alg, private_pem, public_pem, created_at, retired_at)
        VALUES (@kid, @alg, @privatePem, @publicPem, @createdAt, @retiredAt)`),
      pruneKeys: db.prepare('DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?'),
      sealKey: db.prepare('UPDATE signing_keys SET private_pem = ? WHERE kid = ? AND private_pem = ?'),
    };
  }

  async createTenant(t: TenantRecord): Promise<void> {
    unique(() => this.q.insertTenant.run(t));
  }
  async getTenant(name: string): Promise<TenantRecord | undefined> {
    const r = this.q.getTenant.get(name);
    return r && tenantOf(r);
  }
  async listTenants(): Promise<TenantRecord[]> {
    return this.q.listTenants.all().map(tenantOf);
  }

  async createUser(u: UserRecord): Promise<void> {
    unique(() => this.q.insertUser.run(u));
    this.revSigs.clear();
  }
  async getUserByEmail(tenant: string, email: string): Promise<UserRecord | undefined> {
    const r = this.q.userByEmail.get(tenant, email);
    return r && userOf(r);
  }
  async getUser(tenant: string, id: string): Promise<UserRecord | undefined> {
    const r = this.q.user.get(tenant, id);
    return r && userOf(r);
  }
  async listUsers(tenant: string): Promise<UserRecord[]> {
    return this.q.listUsers.all(tenant).map(userOf);
  }

  async deleteUser(tenant: string, id: string): Promise<boolean> {
    const changed = this.q.deleteUser.run(tenant, id).changes > 0;
    this.revSigs.clear();
    return changed;
  }
  async updateUser(tenant: string, id: string, change: { passwordHash?: string; role?: UserRecord['role']; revSig: string }): Promise<boolean> {
    const changed = this.q.updateUser.run({ tenant, id, passwordHash: change.passwordHash ?? null, role: change.role ?? null, revSig: change.revSig }).changes > 0;
    this.revSigs.clear();
    return changed;
  }

  async createClient(c: ClientRecord): Promise<void> {
    unique(() => this.q.insertClient.run({ ...c, scopes: JSON.stringify(c.scopes) }));
    this.revSigs.clear();
  }
  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const r = this.q.client.get(clientId);
    return r && clientOf(r);
  }
  async listClients(tenant: string): Promise<ClientRecord[]> {
    return this.q.listClients.all(tenant).map(clientOf);
  }
  async revokeClient(tenant: string, name: string, at: number): Promise<ClientRecord | undefined> {
    return this.db.transaction(() => {
      const r = this.q.activeClientByName.get(tenant, name);
      if (!r) return undefined;
      this.q.revoke.run(at, r.client_id);
      this.revSigs.clear();
      return clientOf({ ...r, revoked_at: at });
    }).immediate();
  }
  async rotateClientSecret(tenant: string, name: string, secretHash: string, previousUntil: number): Promise<ClientRecord | undefined> {
    return this.db.transaction(() => {
      const r = this.q.activeClientByName.get(tenant, name);
      if (!r) return undefined;
      this.q.rotate.run(previousUntil, secretHash, r.client_id);
      return clientOf(this.q.client.get(r.client_id)!);
    }).immediate();
  }
  async activeClientRevSig(clientId: string): Promise<string | undefined> {
    return this.revSig(`c\u0000${clientId}`, () => this.q.clientRevSig.get(clientId)?.rev_sig);
  }
  async activeUserRevSig(tenant: string, id: string): Promise<string | undefined> {
    return this.revSig(`u\u0000${tenant}\u0000${id}`, () => this.q.userRevSig.get(tenant, id)?.rev_sig);
  }

  /**
   * Revocation is checked on every request; the answers are cached only until the database changes: every write
   * of this store that can change an answer (createUser, deleteUser, updateUser, createClient, revokeClient) drops the cache, so it is seen
   * by the next request; a commit of another process (the CLI, a second worker) is seen within 1 ms.
   */
  private revSig(key: string, load: () => string | undefined): string | undefined {
    if (this.changes.changed()) this.revSigs.clear();
    if (this.revSigs.has(key)) return this.revSigs.get(key);
    const value = load();
    if (this.revSigs.size >= REV_SIG_CACHE_ENTRIES) this.revSigs.clear();
    this.revSigs.set(key, value);
    return value;
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.q.keys.all().map(keyOf);
  }
  async rotateSigningKey(candidate: SigningKeyRecord, olderThan: number): Promise<SigningKeyRecord[]> {
    this.db.transaction(() => {
      const newest = this.q.newestActiveKey.get();
      if (newest && newest.created_at >= olderThan) return;
      this.q.retireKey.run(candidate.createdAt);
      this.q.insertKey.run(candidate);
    }).immediate();
    return this.listSigningKeys();
  }
  async pruneSigningKeys(before: number): Promise<void> {
    this.q.pruneKeys.run(before);
  }
  async replacePrivateKeys(changes: { kid: string; from: string; to: string }[]): Promise<number> {
    const changed = this.db.transaction(() => changes.reduce((n, c) => n + this.q.sealKey.run(c.to, c.kid, c.from).changes, 0)).immediate();
    if (changed > 0) {
      // The plain PEM must not linger in free pages or in the WAL: rewrite the file and empty the WAL.
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return changed;
  }

  async deleteTenant(tenant: string): Promise<number> {
    // users and clients first (they reference the tenant); the web app sign-in's grants go with their families
    const removed = deleteTenantRows(this.db, tenant, [
      'DELETE FROM oauth_grants WHERE tenant = ?', 'DELETE FROM oauth_families WHERE tenant = ?', 'DELETE FROM oauth_clients WHERE tenant = ?',
      'DELETE FROM users WHERE tenant = ?', 'DELETE FROM clients WHERE tenant = ?', 'DELETE FROM tenants WHERE name = ?']);
    this.revSigs.clear();
    return removed;
  }

  close(): void {
    this.db.close();
  }
}
