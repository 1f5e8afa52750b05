/**
 * The store interface of the web app sign-in (RFC 6749 §4.1 with grant families, RFC 9700 §4.14.2): OAuth clients of
 * third-party web apps, grant families and the codes and refresh tokens issued in them. Only hashes of codes, refresh
 * tokens and client secrets are stored. Implementation: identity/store/oauth-sqlite.ts (tables in identity.db).
 * Contract: test/identity/oauth-store.contract.ts.
 */

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
 * as long as anything issued in it can be presented: the code's lifetime, then the first refresh token's.
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

export interface OAuthStore {
  createClient(c: OAuthClientRecord): Promise<void>;
  getClient(clientId: string): Promise<OAuthClientRecord | undefined>;
  createFamily(f: OAuthFamilyRecord): Promise<void>;
  getFamily(familyId: string): Promise<OAuthFamilyRecord | undefined>;
  /** Moves the family's end (when its code is exchanged for the first refresh token). */
  extendFamily(familyId: string, expiresAt: number): Promise<void>;
  /** Marks the family revoked (first revocation time wins); false when unknown. */
  revokeFamily(familyId: string, at: number): Promise<boolean>;
  saveGrant(g: Omit<OAuthGrantRecord, 'usedAt'>): Promise<void>;
  getGrant(hash: string): Promise<OAuthGrantRecord | undefined>;
  /**
   * Marks the grant used at `at` unless it already was, atomically (also across processes): `firstUse` is true for
   * exactly one caller. Undefined when unknown.
   */
  useGrant(hash: string, at: number): Promise<{ grant: OAuthGrantRecord; firstUse: boolean } | undefined>;
  /** Removes families that ended by `now` together with their codes and refresh tokens; returns how many families. */
  deleteExpiredFamilies(now: number): Promise<number>;
}
