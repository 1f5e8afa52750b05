/**
 * The gateway's store interfaces: the Gateway Registry (web apps and provider APIs per tenant), web sessions,
 * and the OAuth clients and grants of third-party web apps. Implementation: store/sqlite.ts (embedded); a shared
 * store (PostgreSQL) can follow behind the same async methods. Every query on tenant data takes the tenant.
 */

export type RegistrationType = 'webapp' | 'api';

export interface AppRegistration {
  tenant: string;
  type: RegistrationType;
  name: string;
  /** Empty for core apps and APIs. */
  provider: string;
  target: string;
  patterns: string[];
  cacheControl: string | null;
  csp: string | null;
  createdAt: number;
}

export interface SessionRecord {
  /** sha256 of the SESSION cookie value; the cookie value itself is never stored. */
  idHash: string;
  regionHash: string;
  tenant: string;
  userId: string;
  email: string;
  xsrf: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface OAuthClientRecord {
  clientId: string;
  tenant: string;
  name: string;
  redirectUris: string[];
  createdAt: number;
}

export interface OAuthGrantRecord {
  /** sha256 of the code or refresh token. */
  hash: string;
  kind: 'code' | 'refresh';
  clientId: string;
  tenant: string;
  userId: string;
  scope: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
}

export class DuplicateRegistration extends Error {}

export interface GatewayStore {
  register(r: AppRegistration): Promise<void>;
  getRegistration(tenant: string, type: RegistrationType, name: string, provider: string): Promise<AppRegistration | undefined>;
  listRegistrations(tenant?: string): Promise<AppRegistration[]>;
  removeRegistration(tenant: string, type: RegistrationType, name: string, provider: string): Promise<boolean>;
  /**
   * Changes with every committed registration change: at once for this process's, within REGISTRY_OTHER_WRITERS_MS
   * for another process's (a worker, the CLI). Checked on every lookup.
   */
  changeMarker(): Promise<number>;

  createSession(s: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  deleteSessionsBefore(createdBefore: number, lastSeenBefore: number): Promise<number>;

  createOAuthClient(c: OAuthClientRecord): Promise<void>;
  getOAuthClient(clientId: string): Promise<OAuthClientRecord | undefined>;
  saveGrant(g: OAuthGrantRecord): Promise<void>;
  /** Removes and returns the grant (single use); undefined when unknown. */
  consumeGrant(hash: string): Promise<OAuthGrantRecord | undefined>;
  deleteExpiredGrants(now: number): Promise<number>;

  close(): void;
}
