/**
 * Identity domain rules: tenants, users and binding keys (Insights Hub IIoT for Makers §3; Insights Hub technical user credentials (UAA); Mendix binding keys).
 * Secrets are shown once at creation and stored only as slow hashes.
 */
import { randomUUID } from 'node:crypto';
import { RESERVED_TENANTS, TENANT_NAME, TENANT_RULE } from '../core/config.js';
import { hashSecret, newSecret, randomHex } from '../core/secrets.js';
import { ALL_SCOPES, ROLES, type Role, unknownScopes } from '../core/scopes.js';
import { IdentityErrors } from './errors.js';
import { DuplicateError, type ClientRecord, type IdentityStore, type TenantRecord, type UserRecord } from './store.js';

export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{1,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const APP_NAME = /^[a-z0-9][a-z0-9-]{0,19}$/;
const APP_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/;
export const MIN_PASSWORD = 10;

export interface CreatedKey {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
}

/** A rotated key: its new secret (shown once) and until when the secret before still works. */
export interface RotatedKey extends CreatedKey {
  previousSecretValidUntil: string;
}

export interface KeyOptions {
  scopes?: string[];
  appName?: string;
  appVersion?: string;
}

export interface PublicKeyInfo {
  clientId: string;
  name: string;
  kind: ClientRecord['kind'];
  appName: string | null;
  appVersion: string | null;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}

export interface PublicUserInfo {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
}

function check(field: string, value: string, re: RegExp, rule: string): void {
  if (!re.test(value)) throw IdentityErrors.invalidField({ field, value: value.slice(0, 100), rule });
}

export class IdentityService {
  constructor(
    readonly store: IdentityStore,
    private readonly options: { hashCost: number; tokenUrl: (kind: ClientRecord['kind']) => string;
      /** How long the secret before a rotation stays accepted (ms), and the clock it is measured by. */
      keyGraceMs?: number; now?: () => number },
  ) {}

  async createTenant(name: string, companyDomain: string, displayName?: string): Promise<TenantRecord> {
    if (!TENANT_NAME.test(name)) throw IdentityErrors.invalidTenantName({ name: name.slice(0, 100), rule: TENANT_RULE });
    if (RESERVED_TENANTS.includes(name)) {
      throw IdentityErrors.invalidTenantName({ name, rule: 'is reserved for the shared core types' });
    }
    const domain = companyDomain.toLowerCase();
    check('companyDomain', domain, DOMAIN, 'must be a DNS domain such as example.com');
    const tenant: TenantRecord = {
      name, displayName: displayName ?? name, companyDomain: domain, createdAt: Date.now(), etag: 0,
    };
    try {
      await this.store.createTenant(tenant);
    } catch (err) {
      if (err instanceof DuplicateError) throw IdentityErrors.tenantExists({ name });
      throw err;
    }
    return tenant;
  }

  async requireTenant(name: string): Promise<TenantRecord> {
    const t = await this.store.getTenant(name);
    if (!t) throw IdentityErrors.tenantNotFound({ name });
    return t;
  }

  /** Forgets the tenant with its users, binding keys and web app sign-ins (the other contexts drop their data first). */
  async deleteTenant(name: string): Promise<void> {
    await this.requireTenant(name);
    await this.store.deleteTenant(name);
  }

  listTenants(): Promise<TenantRecord[]> {
    return this.store.listTenants();
  }

  async addUser(tenant: string, email: string, password: string, role: Role): Promise<PublicUserInfo> {
    await this.requireTenant(tenant);
    const normalized = email.trim().toLowerCase();
    check('email', normalized, EMAIL, 'must be an e-mail address');
    if (!ROLES.includes(role)) {
      throw IdentityErrors.invalidField({ field: 'role', value: String(role), rule: `must be one of ${ROLES.join(', ')}` });
    }
    if (password.length < MIN_PASSWORD) {
      throw IdentityErrors.invalidField({ field: 'password', value: '***', rule: `must have at least ${MIN_PASSWORD} characters` });
    }
    const user: UserRecord = {
      id: randomUUID(), tenant, email: normalized, passwordHash: await hashSecret(password, this.options.hashCost),
      role, createdAt: Date.now(), revSig: randomHex(8),
    };
    try {
      await this.store.createUser(user);
    } catch (err) {
      if (err instanceof DuplicateError) throw IdentityErrors.userExists({ email: normalized, tenant });
      throw err;
    }
    return userInfo(user);
  }

  async listUsers(tenant: string): Promise<PublicUserInfo[]> {
    await this.requireTenant(tenant);
    return (await this.store.listUsers(tenant)).map(userInfo);
  }

  /** Removes a user; the user's tokens stop at once (their revocation signature is gone). */
  async removeUser(tenant: string, email: string): Promise<PublicUserInfo> {
    const user = await this.requireUser(tenant, email);
    if (!await this.store.deleteUser(tenant, user.id)) throw IdentityErrors.userNotFound({ email: user.email, tenant });
    return userInfo(user);
  }

  /** Sets a new password; tokens issued before stop at once. */
  async setPassword(tenant: string, email: string, password: string): Promise<PublicUserInfo> {
    const user = await this.requireUser(tenant, email);
    if (password.length < MIN_PASSWORD) {
      throw IdentityErrors.invalidField({ field: 'password', value: '***', rule: `must have at least ${MIN_PASSWORD} characters` });
    }
    const passwordHash = await hashSecret(password, this.options.hashCost);
    if (!await this.store.updateUser(tenant, user.id, { passwordHash, revSig: randomHex(8) })) throw IdentityErrors.userNotFound({ email: user.email, tenant });
    return userInfo(user);
  }

  /** Changes a user's role; tokens issued before (with the old role's scopes) stop at once. */
  async setRole(tenant: string, email: string, role: Role): Promise<PublicUserInfo> {
    if (!ROLES.includes(role)) {
      throw IdentityErrors.invalidField({ field: 'role', value: String(role), rule: `must be one of ${ROLES.join(', ')}` });
    }
    const user = await this.requireUser(tenant, email);
    if (!await this.store.updateUser(tenant, user.id, { role, revSig: randomHex(8) })) throw IdentityErrors.userNotFound({ email: user.email, tenant });
    return userInfo({ ...user, role });
  }

  private async requireUser(tenant: string, email: string): Promise<UserRecord> {
    await this.requireTenant(tenant);
    const normalized = email.trim().toLowerCase();
    const user = await this.store.getUserByEmail(tenant, normalized);
    if (!user) throw IdentityErrors.userNotFound({ email: normalized, tenant });
    return user;
  }

  /** Creates a binding key; the returned secret is never retrievable again. */
  async createKey(tenant: string, name: string, options: KeyOptions = {}): Promise<CreatedKey> {
    await this.requireTenant(tenant);
    check('name', name, KEY_NAME, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    const scopes = options.scopes && options.scopes.length > 0 ? [...new Set(options.scopes)] : [...ALL_SCOPES];
    const unknown = unknownScopes(scopes);
    if (unknown.length > 0) {
      throw IdentityErrors.invalidField({ field: 'scope', value: unknown.join(' '), rule: `must be among ${ALL_SCOPES.join(', ')}` });
    }
    const isApp = options.appName !== undefined || options.appVersion !== undefined;
    if (isApp) {
      check('appName', options.appName ?? '', APP_NAME, 'must be 1-20 lowercase letters, digits or "-"');
      check('appVersion', options.appVersion ?? '', APP_VERSION, 'must be a version such as 1.0.0');
    }
    const clientSecret = newSecret();
    const record: ClientRecord = {
      clientId: `${tenant}-${name}-${randomHex(4)}`,
      tenant,
      name,
      secretHash: await hashSecret(clientSecret, this.options.hashCost),
      kind: isApp ? 'app' : 'service',
      appName: options.appName ?? null,
      appVersion: options.appVersion ?? null,
      scopes,
      createdAt: Date.now(),
      revokedAt: null,
      revSig: randomHex(8),
    };
    try {
      await this.store.createClient(record);
    } catch (err) {
      if (err instanceof DuplicateError) throw IdentityErrors.keyExists({ name, tenant });
      throw err;
    }
    return { clientId: record.clientId, clientSecret, tokenUrl: this.options.tokenUrl(record.kind) };
  }

  async listKeys(tenant: string): Promise<PublicKeyInfo[]> {
    await this.requireTenant(tenant);
    return (await this.store.listClients(tenant)).map(keyInfo);
  }

  /**
   * Gives the active key `name` a new secret; the secret before keeps working for the grace period (the
   * keyRotationGraceSeconds setting), so apps can switch without a gap. Tokens issued before are not revoked.
   */
  async rotateKey(tenant: string, name: string): Promise<RotatedKey> {
    await this.requireTenant(tenant);
    const clientSecret = newSecret();
    const until = (this.options.now ?? Date.now)() + (this.options.keyGraceMs ?? 0);
    const rotated = await this.store.rotateClientSecret(tenant, name, await hashSecret(clientSecret, this.options.hashCost), until);
    if (!rotated) throw IdentityErrors.keyNotFound({ name, tenant });
    return { clientId: rotated.clientId, clientSecret, tokenUrl: this.options.tokenUrl(rotated.kind),
      previousSecretValidUntil: new Date(until).toISOString() };
  }

  async revokeKey(tenant: string, name: string): Promise<PublicKeyInfo> {
    await this.requireTenant(tenant);
    const revoked = await this.store.revokeClient(tenant, name, Date.now());
    if (!revoked) throw IdentityErrors.keyNotFound({ name, tenant });
    return keyInfo(revoked);
  }
}

function keyInfo(c: ClientRecord): PublicKeyInfo {
  return {
    clientId: c.clientId, name: c.name, kind: c.kind, appName: c.appName, appVersion: c.appVersion, scopes: c.scopes,
    createdAt: new Date(c.createdAt).toISOString(), revokedAt: c.revokedAt ? new Date(c.revokedAt).toISOString() : null,
  };
}

function userInfo(u: UserRecord): PublicUserInfo {
  return { id: u.id, email: u.email, role: u.role, createdAt: new Date(u.createdAt).toISOString() };
}
