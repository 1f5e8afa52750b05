/**
 * ContractStore on embedded SQLite (better-sqlite3); file odata.db in the data directory. changeStamp() counts this
 * store's writes and the commits of other connections, which SQLite's data_version shows (core/db.ts DbChanges,
 * looked at on every call), so a contract published or changed by another process is seen by the next read.
 */
import type { SqliteSync } from '../../core/config.js';
import { DbChanges, deleteTenantRows, openDatabase, type Db, type Migration } from '../../core/db.js';
import type { ContractRecord } from '../contract.js';
import { ContractConflict, type ContractStore } from '../store.js';

export const ODATA_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'contracts and catalog companies',
    up: `
      CREATE TABLE contracts (
        tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL,
        published INTEGER NOT NULL, etag INTEGER NOT NULL,
        PRIMARY KEY (tenant, id), UNIQUE (tenant, name, version));
      CREATE TABLE catalog_companies (tenant TEXT PRIMARY KEY, domain TEXT NOT NULL, created_at INTEGER NOT NULL);
    `,
  },
];

interface Row { body: string }

export class SqliteContractStore implements ContractStore {
  private readonly db: Db;
  private readonly s;
  private readonly changes: DbChanges;
  /** Bumped by this store's writes (data_version does not see them) and when another connection committed. */
  private stamp = 0;

  constructor(opts: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: opts.dataDir, name: 'odata', migrations: ODATA_MIGRATIONS, sync: opts.sync });
    const db = this.db;
    this.changes = new DbChanges(db, 0);
    this.s = {
      list: db.prepare<[string]>('SELECT body FROM contracts WHERE tenant = ? ORDER BY name, version'),
      published: db.prepare<[string]>('SELECT body FROM contracts WHERE tenant = ? AND published = 1 ORDER BY name, version'),
      get: db.prepare<[string, string]>('SELECT body FROM contracts WHERE tenant = ? AND id = ?'),
      byName: db.prepare<[string, string, string]>('SELECT body FROM contracts WHERE tenant = ? AND name = ? AND version = ?'),
      count: db.prepare<[string]>('SELECT COUNT(*) AS n FROM contracts WHERE tenant = ?'),
      countFolders: db.prepare<[string]>("SELECT COUNT(*) AS n FROM contracts WHERE tenant = ? AND json_extract(body, '$.kind') = 'folders'"),
      insert: db.prepare('INSERT INTO contracts (tenant, id, name, version, body, published, etag) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE contracts SET name = ?, version = ?, body = ?, published = ?, etag = ? WHERE tenant = ? AND id = ? AND etag = ?'),
      delete: db.prepare('DELETE FROM contracts WHERE tenant = ? AND id = ? AND etag = ?'),
      company: db.prepare<[string]>('SELECT domain FROM catalog_companies WHERE tenant = ?'),
      setCompany: db.prepare('INSERT OR IGNORE INTO catalog_companies (tenant, domain, created_at) VALUES (?, ?, ?)'),
    };
  }

  private static of(row: unknown): ContractRecord | undefined {
    return row ? JSON.parse((row as Row).body) as ContractRecord : undefined;
  }

  async list(tenant: string): Promise<ContractRecord[]> {
    return this.s.list.all(tenant).map((r) => SqliteContractStore.of(r)!);
  }

  async listPublished(tenant: string): Promise<ContractRecord[]> {
    return this.s.published.all(tenant).map((r) => SqliteContractStore.of(r)!);
  }

  async get(tenant: string, id: string): Promise<ContractRecord | undefined> {
    return SqliteContractStore.of(this.s.get.get(tenant, id));
  }

  async getByName(tenant: string, name: string, version: string): Promise<ContractRecord | undefined> {
    return SqliteContractStore.of(this.s.byName.get(tenant, name, version));
  }

  changeStamp(): number {
    if (this.changes.changed()) this.stamp++;
    return this.stamp;
  }

  async create(rec: ContractRecord, max: number, maxFolders: number): Promise<void> {
    this.stamp++;
    this.db.transaction(() => {
      if ((this.s.count.get(rec.tenant) as { n: number }).n >= max) throw new ContractConflict('limit');
      if (rec.kind === 'folders' && (this.s.countFolders.get(rec.tenant) as { n: number }).n >= maxFolders) throw new ContractConflict('folderLimit');
      try {
        this.s.insert.run(rec.tenant, rec.id, rec.name, rec.version, JSON.stringify(rec), rec.published ? 1 : 0, rec.etag);
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new ContractConflict('exists');
        throw err;
      }
    }).immediate();
  }

  async update(rec: ContractRecord, expectedEtag: number): Promise<boolean> {
    this.stamp++;
    try {
      return this.s.update.run(rec.name, rec.version, JSON.stringify(rec), rec.published ? 1 : 0, rec.etag,
        rec.tenant, rec.id, expectedEtag).changes === 1;
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new ContractConflict('exists');
      throw err;
    }
  }

  async delete(tenant: string, id: string, expectedEtag: number): Promise<boolean> {
    this.stamp++;
    return this.s.delete.run(tenant, id, expectedEtag).changes === 1;
  }

  async catalogCompany(tenant: string, proposed?: string): Promise<string | undefined> {
    if (proposed !== undefined) this.s.setCompany.run(tenant, proposed, Date.now());
    return (this.s.company.get(tenant) as { domain: string } | undefined)?.domain;
  }

  async deleteTenant(tenant: string): Promise<number> {
    this.stamp++;
    return deleteTenantRows(this.db, tenant, ['DELETE FROM contracts WHERE tenant = ?', 'DELETE FROM catalog_companies WHERE tenant = ?']);
  }
  close(): void {
    this.db.close();
  }
}
