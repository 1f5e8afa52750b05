/**
 * Codes and refresh tokens of the web app sign-in, by grant family (RFC 9700 §4.14.2): each authorization opens a
 * family; its code and every refresh token rotated from it belong to it. A code or refresh token is marked used when
 * its client first presents it (atomically); presenting it again revokes the family. Refresh tokens rotate on every
 * use and never outlive the first one's lifetime. Only SHA-256 hashes of codes and refresh tokens are stored.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sha256 } from '../../core/secrets.js';
import { IdentityErrors } from '../errors.js';
import type { UserToken } from '../signin.js';
import type { OAuthClientRecord, OAuthGrantRecord, OAuthStore } from './store.js';

export interface FamilyOptions {
  codeTtlMs: number;
  refreshTtlMs: number;
  now: () => number;
}

/** The user tokens a family's grants are exchanged for (identity's SignIn). */
export interface UserTokens {
  userToken(tenant: string, userId: string, options?: { clientId?: string; scopes?: string[] }): Promise<UserToken | undefined>;
}

export interface CodeRequest {
  client: OAuthClientRecord;
  redirectUri: string;
  challenge: string;
  scope: string | undefined;
}

export interface WebAppTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  scope: string;
}

export class Families {
  constructor(
    private readonly store: OAuthStore,
    private readonly users: UserTokens,
    readonly options: FamilyOptions,
  ) {}

  /** After login and consent: a single-use code bound to client, redirect URI and challenge, opening a family. */
  async issueCode(r: CodeRequest, userId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const now = this.options.now();
    const familyId = randomUUID();
    const { clientId, tenant } = r.client;
    await this.store.createFamily({ familyId, clientId, tenant, userId, createdAt: now, expiresAt: now + this.options.codeTtlMs, revokedAt: null });
    await this.store.saveGrant({ hash: sha256(code), kind: 'code', familyId, clientId, tenant, userId, scope: r.scope ?? '',
      redirectUri: r.redirectUri, codeChallenge: r.challenge, expiresAt: now + this.options.codeTtlMs });
    return code;
  }

  /**
   * Marks a code or refresh token of this client used, once: a second use revokes its whole family (`reused` is
   * the answer then). Another client's token is refused without being used up.
   */
  async use(client: OAuthClientRecord, kind: OAuthGrantRecord['kind'], token: string | undefined, what: string,
    reused: string): Promise<OAuthGrantRecord> {
    const found = token ? await this.store.getGrant(sha256(token)) : undefined;
    if (!found || found.kind !== kind) throw IdentityErrors.invalidGrant({ reason: `${what} is unknown or expired` });
    if (found.clientId !== client.clientId) throw IdentityErrors.invalidGrant({ reason: `${what} was issued to another client` });
    const now = this.options.now();
    const used = await this.store.useGrant(found.hash, now);
    if (!used) throw IdentityErrors.invalidGrant({ reason: `${what} is unknown or expired` });
    if (!used.firstUse) {
      await this.store.revokeFamily(found.familyId, now);
      throw IdentityErrors.invalidGrant({ reason: reused });
    }
    return found;
  }

  /** The first exchange of a code: the family now lives as long as its first refresh token. */
  async startRefreshing(familyId: string): Promise<number> {
    const refreshExpiresAt = this.options.now() + this.options.refreshTtlMs;
    await this.store.extendFamily(familyId, refreshExpiresAt);
    return refreshExpiresAt;
  }

  async isRevoked(familyId: string): Promise<boolean> {
    const family = await this.store.getFamily(familyId);
    return !family || family.revokedAt !== null;
  }

  /** The user's access token (scopes narrowed to the grant's) and the next refresh token of the family. */
  async tokens(client: OAuthClientRecord, from: OAuthGrantRecord, refreshExpiresAt: number): Promise<WebAppTokens> {
    const wanted = from.scope.trim() ? from.scope.trim().split(/\s+/) : undefined;
    const issued = await this.users.userToken(client.tenant, from.userId, { clientId: client.clientId, scopes: wanted });
    if (!issued) throw IdentityErrors.invalidGrant({ reason: 'the user no longer exists' });
    const refresh = randomBytes(32).toString('base64url');
    await this.store.saveGrant({ hash: sha256(refresh), kind: 'refresh', familyId: from.familyId, clientId: client.clientId,
      tenant: client.tenant, userId: from.userId, scope: from.scope, redirectUri: '', codeChallenge: '', expiresAt: refreshExpiresAt });
    const now = this.options.now();
    return {
      access_token: issued.token, token_type: 'Bearer', expires_in: Math.round((issued.expiresAt - Date.now()) / 1000),
      refresh_token: refresh, refresh_expires_in: Math.round((refreshExpiresAt - now) / 1000), scope: issued.scopes.join(' '),
    };
  }

  /** RFC 7009 §2: revokes the family of a refresh token of this client; an unknown token is not an error. */
  async revoke(client: OAuthClientRecord, token: string | undefined): Promise<void> {
    if (!token) throw IdentityErrors.invalidRequest({ reason: 'token is missing (RFC 7009 §2.1)' });
    const found = await this.store.getGrant(sha256(token));
    if (!found || found.kind !== 'refresh') return;
    if (found.clientId !== client.clientId) throw IdentityErrors.invalidGrant({ reason: 'the token was issued to another client' });
    await this.store.revokeFamily(found.familyId, this.options.now());
  }

  /** Deletes families that ended (an unexchanged code's lifetime, else the refresh lifetime) with their grants. */
  sweep(): Promise<number> {
    return this.store.deleteExpiredFamilies(this.options.now());
  }
}
