/**
 * The schema of identity.db, and the one-off adoption of the web app sign-in's rows that earlier versions kept in
 * gateway.db (tables oauth_clients, oauth_families, oauth_grants, gateway migrations 1-4): they are copied into
 * identity.db on open, then removed from gateway.db, so a data directory made by an earlier version keeps its OAuth
 * clients, pending codes and refresh tokens.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db, Migration } from '../../core/db.js';

export const IDENTITY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tenants, users, clients, signing keys',
    up: `
      CREATE TABLE tenants (
        name TEXT PRIMARY KEY, display_name TEXT NOT NULL, company_domain TEXT NOT NULL,
        created_at INTEGER NOT NULL, etag INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE users (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(name), email TEXT NOT NULL,
        password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL, rev_sig TEXT NOT NULL,
        UNIQUE (tenant, email));
      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(name), name TEXT NOT NULL,
        secret_hash TEXT NOT NULL, kind TEXT NOT NULL, app_name TEXT, app_version TEXT, scopes TEXT NOT NULL,
        created_at INTEGER NOT NULL, revoked_at INTEGER, rev_sig TEXT NOT NULL);
      CREATE UNIQUE INDEX clients_active_name ON clients (tenant, name) WHERE revoked_at IS NULL;
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_pem TEXT NOT NULL, public_pem TEXT NOT NULL,
        created_at INTEGER NOT NULL, retired_at INTEGER);
    `,
  },
  {
    version: 2,
    description: 'web app sign-in (moved from gateway.db): oauth clients, grant families, codes and refresh tokens',
    up: `
      CREATE TABLE oauth_clients (
        client_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, redirect_uris TEXT NOT NULL,
        secret_hash TEXT, created_at INTEGER NOT NULL);
      CREATE TABLE oauth_families (
        family_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, tenant TEXT NOT NULL, user_id TEXT NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);
      CREATE INDEX oauth_families_expires ON oauth_families (expires_at);
      CREATE TABLE oauth_grants (
        hash TEXT PRIMARY KEY, kind TEXT NOT NULL,
        family_id TEXT NOT NULL REFERENCES oauth_families (family_id) ON DELETE CASCADE,
        client_id TEXT NOT NULL, tenant TEXT NOT NULL, user_id TEXT NOT NULL, scope TEXT NOT NULL,
        redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
      CREATE INDEX oauth_grants_family ON oauth_grants (family_id);
    `,
  },
  {
    version: 3,
    description: 'key rotation: the previous secret hash of a binding key and until when it is still accepted',
    up: `ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
      ALTER TABLE clients ADD COLUMN previous_secret_expires_at INTEGER;`,
  },
];

/** The gateway schema version from which its oauth tables are in their final form (families, secret_hash). */
const GATEWAY_FINAL_OAUTH_SCHEMA = 4;
const LEGACY_TABLES = ['oauth_grants', 'oauth_families', 'oauth_clients'] as const;

/**
 * Copies the OAuth rows of gateway.db (any of its schema versions 1-4) into identity.db, then removes them from
 * gateway.db: the tables are dropped once the gateway's own migrations are done with them (version 4 and later),
 * else only emptied (its migrations 3 and 4 still rewrite them, and its migration 6 drops them when empty).
 * Idempotent and safe with several processes opening the data directory at once: the copy runs in one IMMEDIATE
 * transaction that holds the write lock of both files; a crash between copy and removal repeats the copy
 * (INSERT OR IGNORE) on the next open. Returns the number of clients and grants found.
 */
export function adoptGatewayOAuthRows(db: Db, dataDir: string, now = Date.now()): { clients: number; grants: number } {
  const file = path.join(dataDir, 'gateway.db');
  if (!fs.existsSync(file)) return { clients: 0, grants: 0 };
  db.prepare('ATTACH DATABASE ? AS legacy').run(file);
  try {
    const tables = (): Set<string> =>
      new Set(db.prepare<[], string>("SELECT name FROM legacy.sqlite_master WHERE type = 'table'").pluck().all());
    if (!tables().has('oauth_clients')) return { clients: 0, grants: 0 };
    const found = db.transaction(() => {
      const t = tables();
      if (!t.has('oauth_clients') || !t.has('oauth_grants')) return undefined; // another process was first
      const clientCols = new Set(db.prepare<[], string>("SELECT name FROM pragma_table_info('oauth_clients', 'legacy')").pluck().all());
      const secret = clientCols.has('secret_hash') ? 'secret_hash' : 'NULL';
      const clients = db.prepare(`INSERT OR IGNORE INTO main.oauth_clients (client_id, tenant, name, redirect_uris, secret_hash,
        created_at) SELECT client_id, tenant, name, redirect_uris, ${secret}, created_at FROM legacy.oauth_clients`).run().changes;
      let grants: number;
      if (t.has('oauth_families')) {
        db.prepare(`INSERT OR IGNORE INTO main.oauth_families SELECT family_id, client_id, tenant, user_id, created_at, expires_at,
          revoked_at FROM legacy.oauth_families`).run();
        grants = db.prepare(`INSERT OR IGNORE INTO main.oauth_grants (hash, kind, family_id, client_id, tenant, user_id, scope,
          redirect_uri, code_challenge, expires_at, used_at) SELECT hash, kind, family_id, client_id, tenant, user_id, scope,
          redirect_uri, code_challenge, expires_at, used_at FROM legacy.oauth_grants`).run().changes;
      } else {
        // Grants stored before grant families existed (gateway schema 1-2) become one-grant families ending with the grant.
        db.prepare(`INSERT OR IGNORE INTO main.oauth_families SELECT hash, client_id, tenant, user_id, ?, expires_at, NULL
          FROM legacy.oauth_grants`).run(now);
        grants = db.prepare(`INSERT OR IGNORE INTO main.oauth_grants (hash, kind, family_id, client_id, tenant, user_id, scope,
          redirect_uri, code_challenge, expires_at, used_at) SELECT hash, kind, hash, client_id, tenant, user_id, scope,
          redirect_uri, code_challenge, expires_at, NULL FROM legacy.oauth_grants`).run().changes;
      }
      return { clients, grants };
    }).immediate();
    db.transaction(() => {
      const t = tables();
      const version = t.has('schema_migrations')
        ? db.prepare<[], number | null>('SELECT MAX(version) FROM legacy.schema_migrations').pluck().get() ?? 0 : 0;
      for (const name of LEGACY_TABLES) {
        if (!t.has(name)) continue;
        db.exec(version >= GATEWAY_FINAL_OAUTH_SCHEMA ? `DROP TABLE legacy.${name}` : `DELETE FROM legacy.${name}`);
      }
    }).immediate();
    return found ?? { clients: 0, grants: 0 };
  } finally {
    db.exec('DETACH DATABASE legacy');
  }
}
