/**
 * The identity store interface: tenants, users, binding keys (OAuth clients) and token signing keys.
 * Implementations: store/sqlite.ts (embedded). Contract: test/identity/store.contract.ts.
 * Every query on tenant-owned data takes the tenant name; nothing is looked up across tenants except by
 * globally unique ids (clientId, signing key id).
 */
import type { Role } from '../core/scopes.js';

export interface TenantRecord {
  name: string;
  displayName: string;
  companyDomain: string;
  createdAt: number;
  etag: number;
}

export interface UserRecord {
  id: string;
  tenant: string;
  email: string;
  passwordHash: string;
  role: Role;
  createdAt: number;
  /** Changes when the user is removed or the password changes; tokens carry it as rev_sig. */
  revSig: string;
}

export type ClientKind = 'service' | 'app';

export interface ClientRecord {
  clientId: string;
  tenant: string;
  name: string;
  secretHash: string;
  kind: ClientKind;
  appName: string | null;
  appVersion: string | null;
  scopes: string[];
  createdAt: number;
  revokedAt: number | null;
  revSig: string;
  /** After a rotation: the slow hash of the secret before, accepted until previousSecretExpiresAt (ms). */
  previousSecretHash?: string | null;
  previousSecretExpiresAt?: number | null;
}

export interface SigningKeyRecord {
  kid: string;
  alg: 'RS256';
  /** PKCS#8 PEM, or its SecretBox sealing (core/secrets.ts) when an encryption key is configured. */
  privatePem: string;
  publicPem: string;
  createdAt: number;
  /** When the key stopped signing; it stays published until retiredAt + token lifetime. */
  retiredAt: number | null;
}

export class DuplicateError extends Error {}

export interface IdentityStore {
  createTenant(t: TenantRecord): Promise<void>;
  getTenant(name: string): Promise<TenantRecord | undefined>;
  listTenants(): Promise<TenantRecord[]>;

  createUser(u: UserRecord): Promise<void>;
  getUserByEmail(tenant: string, email: string): Promise<UserRecord | undefined>;
  getUser(tenant: string, id: string): Promise<UserRecord | undefined>;
  listUsers(tenant: string): Promise<UserRecord[]>;
  /** Removes the user; false when there is none. */
  deleteUser(tenant: string, id: string): Promise<boolean>;
  /** Replaces the password hash or role and the revocation signature (so the user's tokens stop); false when there is none. */
  updateUser(tenant: string, id: string, change: { passwordHash?: string; role?: UserRecord['role']; revSig: string }): Promise<boolean>;

  createClient(c: ClientRecord): Promise<void>;
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  listClients(tenant: string): Promise<ClientRecord[]>;
  /** Marks the active key of that name revoked; returns it, or undefined when there is none. */
  revokeClient(tenant: string, name: string, at: number): Promise<ClientRecord | undefined>;
  /**
   * Gives the active key `name` a new secret hash; the one before stays accepted until `previousUntil` (ms). The
   * revocation signature stays: tokens issued before keep working. Undefined when there is no such active key.
   */
  rotateClientSecret(tenant: string, name: string, secretHash: string, previousUntil: number): Promise<ClientRecord | undefined>;
  /** The revocation signature of an active client, undefined when revoked or unknown. Hot path. */
  activeClientRevSig(clientId: string): Promise<string | undefined>;
  activeUserRevSig(tenant: string, id: string): Promise<string | undefined>;

  /** Signing keys, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Atomically: when the newest unretired key was created before `olderThan` (or none exists), retires it
   * and inserts `candidate`. Returns the keys after the operation, newest first.
   */
  rotateSigningKey(candidate: SigningKeyRecord, olderThan: number): Promise<SigningKeyRecord[]>;
  /** Deletes keys retired before `before`. */
  pruneSigningKeys(before: number): Promise<void>;
  /**
   * Replaces the stored private key of each `kid` whose value is still `from` by `to` (sealing keys stored in plain
   * form once an encryption key is configured); afterwards no copy of the old values is left in the store's files.
   * Returns how many were replaced.
   */
  replacePrivateKeys(changes: { kid: string; from: string; to: string }[]): Promise<number>;

  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
