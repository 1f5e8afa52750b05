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
  /** Slow hash (core/secrets.ts) of a confidential client's secret; null for a public (PKCE-only) client. */
  secretHash: string | null;
  createdAt: number;
}

/**
 * One authorization (RFC 9700 §4.14.2 "grant family"): its code and every refresh token rotated from it. It lives
 * as long as anything issued in it can be presented: the code's 60 s, then the first refresh token's lifetime.
 */
export interface OAuthFamilyRecord {
  familyId: string;
  clientId: string;
  tenant: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface OAuthGrantRecord {
  /** sha256 of the code or refresh token. */
  hash: string;
  kind: 'code' | 'refresh';
  familyId: string;
  clientId: string;
  tenant: string;
  userId: string;
  scope: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
  /** When it was first presented; a used code or refresh token is kept to recognise its replay. */
  usedAt: number | null;
}

export class DuplicateRegistration extends Error {}

export interface GatewayStore {
  register(r: AppRegistration): Promise<void>;
  getRegistration(tenant: string, type: RegistrationType, name: string, provider: string): Promise<AppRegistration | undefined>;
  listRegistrations(tenant?: string): Promise<AppRegistration[]>;
  removeRegistration(tenant: string, type: RegistrationType, name: string, provider: string): Promise<boolean>;
  /**
   * Moves when another process (a worker, the CLI) committed a registration change, within
   * REGISTRY_OTHER_WRITERS_MS; checked on every lookup. This process's own changes go through the Registry, which
   * drops its cache itself.
   */
  changeMarker(): Promise<number>;

  createSession(s: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  deleteSessionsBefore(createdBefore: number, lastSeenBefore: number): Promise<number>;

  createOAuthClient(c: OAuthClientRecord): Promise<void>;
  getOAuthClient(clientId: string): Promise<OAuthClientRecord | undefined>;
  createFamily(f: OAuthFamilyRecord): Promise<void>;
  getFamily(familyId: string): Promise<OAuthFamilyRecord | undefined>;
  /** Moves the family's end (when its code is exchanged for the first refresh token). */
  extendFamily(familyId: string, expiresAt: number): Promise<void>;
  /** Marks the family revoked (first revocation time wins); false when unknown. */
  revokeFamily(familyId: string, at: number): Promise<boolean>;
  saveGrant(g: Omit<OAuthGrantRecord, 'usedAt'>): Promise<void>;
  getGrant(hash: string): Promise<OAuthGrantRecord | undefined>;
  /**
   * Marks the grant used at `at` unless it already was, atomically: `firstUse` is true for exactly one caller.
   * Undefined when unknown.
   */
  useGrant(hash: string, at: number): Promise<{ grant: OAuthGrantRecord; firstUse: boolean } | undefined>;
  /** Removes families that ended by `now` together with their codes and refresh tokens; returns how many families. */
  deleteExpiredGrants(now: number): Promise<number>;

  close(): void;
}
