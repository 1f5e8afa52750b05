/**
 * The gateway's store interfaces: the Gateway Registry (web apps and provider APIs per tenant) and web sessions.
 * Implementation: store/sqlite.ts (embedded, both in gateway.db); a shared store (PostgreSQL) can follow behind the
 * same async methods. Contracts: test/gateway/store.contract.ts. Every query on tenant data takes the tenant.
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
  /** sha256 of the XSRF-TOKEN cookie value. */
  xsrfHash: string;
  createdAt: number;
  lastSeenAt: number;
}

export class DuplicateRegistration extends Error {}

export interface RegistryStore {
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
}

export interface SessionStore {
  createSession(s: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  /** Moves lastSeenAt forward to `at` (never back). */
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Deletes sessions created before `createdBefore` or last seen before `lastSeenBefore`; returns how many. */
  deleteSessionsBefore(createdBefore: number, lastSeenBefore: number): Promise<number>;
}

export interface GatewayStore extends RegistryStore, SessionStore {
  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
