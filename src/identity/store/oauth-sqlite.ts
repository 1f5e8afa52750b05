/** OAuthStore on the identity store's SQLite database (identity.db): tables oauth_clients, oauth_families, oauth_grants. */
import type { Db } from '../../core/db.js';
import type { OAuthClientRecord, OAuthFamilyRecord, OAuthGrantRecord, OAuthStore } from '../oauth/store.js';

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

export class SqliteOAuthStore implements OAuthStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
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

  async createClient(c: OAuthClientRecord): Promise<void> {
    this.q.insertClient.run(c.clientId, c.tenant, c.name, JSON.stringify(c.redirectUris), c.secretHash, c.createdAt);
  }

  async getClient(clientId: string): Promise<OAuthClientRecord | undefined> {
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

  async deleteExpiredFamilies(now: number): Promise<number> {
    return this.q.expireFamilies.run(now).changes;
  }
}
