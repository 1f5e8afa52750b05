/** SQLite implementation of the Asset Management file index (assetfiles.db). */
import type { SqliteSync } from '../../core/config.js';
import { deleteTenantRows, type Db, type Migration, openDatabase } from '../../core/db.js';
import type { AssetFileStore, FileListQuery, FileRow } from '../store.js';

export const ASSET_FILE_MIGRATIONS: readonly Migration[] = [{
  version: 1,
  description: 'files',
  up: `CREATE TABLE files (
    tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, original_file_name TEXT NOT NULL, description TEXT NOT NULL,
    scope TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT, content_key TEXT NOT NULL,
    etag INTEGER NOT NULL, uploaded INTEGER NOT NULL, last_modified INTEGER NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;
  CREATE INDEX files_name ON files (tenant, name);`,
}];

interface DbRow {
  tenant: string; id: string; name: string; original_file_name: string; description: string; scope: string; media_type: string;
  size: number; sha256: string | null; content_key: string; etag: number; uploaded: number; last_modified: number;
}

const rowOf = (r: DbRow): FileRow => ({
  tenant: r.tenant, id: r.id, name: r.name, originalFileName: r.original_file_name, description: r.description,
  scope: r.scope as FileRow['scope'], mediaType: r.media_type, size: r.size, sha256: r.sha256, contentKey: r.content_key,
  etag: r.etag, uploaded: r.uploaded, lastModified: r.last_modified,
});

export class SqliteAssetFileStore implements AssetFileStore {
  private readonly db: Db;

  constructor(options: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: options.dataDir, name: 'assetfiles', migrations: ASSET_FILE_MIGRATIONS, sync: options.sync });
  }

  async create(row: FileRow): Promise<void> {
    this.db.prepare(`INSERT INTO files (tenant, id, name, original_file_name, description, scope, media_type, size, sha256,
      content_key, etag, uploaded, last_modified) VALUES (@tenant, @id, @name, @originalFileName, @description, @scope,
      @mediaType, @size, @sha256, @contentKey, @etag, @uploaded, @lastModified)`).run(row);
  }

  async get(tenant: string, id: string): Promise<FileRow | undefined> {
    const r = this.db.prepare('SELECT * FROM files WHERE tenant = ? AND id = ?').get(tenant, id) as DbRow | undefined;
    return r && rowOf(r);
  }

  async update(row: FileRow, etag: number): Promise<boolean> {
    return this.db.prepare(`UPDATE files SET name = @name, original_file_name = @originalFileName, description = @description,
      scope = @scope, media_type = @mediaType, size = @size, sha256 = @sha256, content_key = @contentKey, etag = @etag,
      last_modified = @lastModified WHERE tenant = @tenant AND id = @id AND etag = @old`).run({ ...row, old: etag }).changes === 1;
  }

  async delete(tenant: string, id: string, etag: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM files WHERE tenant = ? AND id = ? AND etag = ?').run(tenant, id, etag).changes === 1;
  }

  async list(tenant: string, q: FileListQuery): Promise<{ rows: FileRow[]; total: number }> {
    const base = `FROM files WHERE tenant = ? AND (${q.where.sql})`;
    const total = (this.db.prepare(`SELECT count(*) AS n ${base}`).get(tenant, ...q.where.params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * ${base} ORDER BY ${q.orderBy} LIMIT ? OFFSET ?`)
      .all(tenant, ...q.where.params, q.limit, q.offset) as DbRow[];
    return { rows: rows.map(rowOf), total };
  }

  async missing(tenant: string, ids: readonly string[]): Promise<string[]> {
    const get = this.db.prepare('SELECT 1 FROM files WHERE tenant = ? AND id = ?');
    return [...new Set(ids)].filter((id) => get.get(tenant, id) === undefined);
  }

  async deleteTenant(tenant: string): Promise<number> {
    return deleteTenantRows(this.db, tenant, ['DELETE FROM files WHERE tenant = ?']);
  }
  close(): void {
    this.db.close();
  }
}
