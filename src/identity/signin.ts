/**
 * Sign-in of users, the part of identity the gateway calls (Industrial IoT Gateway docs "Sessions"; "Introduction": token exchange for
 * interactive clients): does the tenant exist, is this the user's password (through the CredentialGuard: back-off per
 * user, the process's one cap on hash checks), and the user's bearer token — the scopes of the user's role, narrowed
 * to requested ones, issued to the gateway or to a third-party web app's client.
 */
import type { IncomingMessage } from 'node:http';
import { scopesOfRole } from '../core/scopes.js';
import type { CredentialGuard } from './guard.js';
import type { IdentityStore } from './store.js';
import type { TokenService } from './tokens.js';

export interface SignedInUser {
  id: string;
  email: string;
}

export interface UserToken {
  token: string;
  /** Epoch ms of the token's exp. */
  expiresAt: number;
  scopes: string[];
}

export class SignIn {
  constructor(
    private readonly store: IdentityStore,
    private readonly tokens: TokenService,
    private readonly guard: CredentialGuard,
  ) {}

  async tenantExists(tenant: string): Promise<boolean> {
    return (await this.store.getTenant(tenant)) !== undefined;
  }

  /**
   * The user when the password is right, else undefined (unknown users cost the same hash). Throws 429 when the
   * user is locked after repeated failures or too many checks run at once.
   */
  async authenticate(tenant: string, email: string, password: string): Promise<SignedInUser | undefined> {
    const normalized = email.trim().toLowerCase();
    const user = await this.store.getUserByEmail(tenant, normalized);
    const ok = await this.guard.check('user', `${tenant}/${normalized.slice(0, 320)}`, password, user?.passwordHash);
    return user && ok ? { id: user.id, email: user.email } : undefined;
  }

  /**
   * A bearer token of the user (scopes of the user's role, narrowed to `scopes` when given, issued to `clientId`
   * when given); undefined when the user no longer exists. Revoked with the user through rev_sig.
   */
  async userToken(tenant: string, userId: string, options: { clientId?: string; scopes?: string[] } = {}): Promise<UserToken | undefined> {
    const user = await this.store.getUser(tenant, userId);
    if (!user) return undefined;
    const role = scopesOfRole(user.role);
    const scopes = options.scopes ? role.filter((s) => options.scopes!.includes(s)) : role;
    const t = await this.tokens.issueUserToken(user, scopes, options.clientId);
    return { token: t.access_token, expiresAt: Date.now() + t.expires_in * 1000, scopes };
  }
}

/**
 * What the web app sign-in needs of the gateway's web sessions (single sign-on on the consent page), wired by the
 * platform: the user signed in on this host for a tenant, and opening a session for a user who just logged in.
 */
export interface SessionPort {
  current(req: IncomingMessage, tenant: string): Promise<SignedInUser | undefined>;
  /** Opens a session; returns the Set-Cookie values. */
  open(tenant: string, user: SignedInUser): Promise<string[]>;
}
