/** SQLite implementation of the IoT File index (iotfile.db): files per entity, multipart uploads and their parts. */
import type { SqliteSync } from '../../core/config.js';
import { deleteTenantRows, type Db, type Migration, openDatabase } from '../../core/db.js';
import type { IotFileRow, IotFileStore, PartRow, UploadRow } from '../store.js';

export const IOTFILE_MIGRATIONS: readonly Migration[] = [{
  version: 1,
  description: 'files, uploads, parts',
  up: `CREATE TABLE files (
    tenant TEXT NOT NULL, entity_id TEXT NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
    description TEXT NOT NULL, timestamp INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL, etag INTEGER NOT NULL, content_key TEXT NOT NULL, PRIMARY KEY (tenant, entity_id, path, name)) WITHOUT ROWID;
  CREATE TABLE uploads (
    tenant TEXT NOT NULL, entity_id TEXT NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL, upload_id TEXT NOT NULL, content_key TEXT NOT NULL,
    type TEXT NOT NULL, description TEXT NOT NULL, timestamp INTEGER NOT NULL, if_match TEXT, started INTEGER NOT NULL,
    PRIMARY KEY (tenant, entity_id, path, name)) WITHOUT ROWID;
  CREATE TABLE parts (upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;`,
}];

interface FileDb {
  tenant: string; entity_id: string; path: string; name: string; type: string; size: number; description: string; timestamp: number;
  created: number; updated: number; created_by: string; updated_by: string; etag: number; content_key: string;
}
interface UploadDb {
  tenant: string; entity_id: string; path: string; name: string; upload_id: string; content_key: string; type: string;
  description: string; timestamp: number; if_match: string | null; started: number;
}

const fileOf = (r: FileDb): IotFileRow => ({ tenant: r.tenant, entityId: r.entity_id, path: r.path, name: r.name, type: r.type, size: r.size,
  description: r.description, timestamp: r.timestamp, created: r.created, updated: r.updated, createdBy: r.created_by,
  updatedBy: r.updated_by, etag: r.etag, contentKey: r.content_key });
const uploadOf = (r: UploadDb): UploadRow => ({ tenant: r.tenant, entityId: r.entity_id, path: r.path, name: r.name, uploadId: r.upload_id,
  contentKey: r.content_key, type: r.type, description: r.description, timestamp: r.timestamp, ifMatch: r.if_match, started: r.started });

export class SqliteIotFileStore implements IotFileStore {
  private readonly db: Db;

  constructor(options: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: options.dataDir, name: 'iotfile', migrations: IOTFILE_MIGRATIONS, sync: options.sync });
  }

  async get(tenant: string, entityId: string, path: string, name: string): Promise<IotFileRow | undefined> {
    const r = this.db.prepare('SELECT * FROM files WHERE tenant = ? AND entity_id = ? AND path = ? AND name = ?')
      .get(tenant, entityId, path, name) as FileDb | undefined;
    return r && fileOf(r);
  }

  async put(row: IotFileRow, etag: number | undefined): Promise<boolean> {
    if (etag === undefined) {
      return this.db.prepare(`INSERT OR IGNORE INTO files (tenant, entity_id, path, name, type, size, description, timestamp, created,
        updated, created_by, updated_by, etag, content_key) VALUES (@tenant, @entityId, @path, @name, @type, @size, @description,
        @timestamp, @created, @updated, @createdBy, @updatedBy, @etag, @contentKey)`).run(row).changes === 1;
    }
    return this.db.prepare(`UPDATE files SET type = @type, size = @size, description = @description, timestamp = @timestamp,
      updated = @updated, updated_by = @updatedBy, etag = @etag, content_key = @contentKey
      WHERE tenant = @tenant AND entity_id = @entityId AND path = @path AND name = @name AND etag = @old`).run({ ...row, old: etag }).changes === 1;
  }

  async delete(tenant: string, entityId: string, path: string, name: string, etag: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM files WHERE tenant = ? AND entity_id = ? AND path = ? AND name = ? AND etag = ?')
      .run(tenant, entityId, path, name, etag).changes === 1;
  }

  async list(tenant: string, entityId: string): Promise<IotFileRow[]> {
    return (this.db.prepare('SELECT * FROM files WHERE tenant = ? AND entity_id = ? ORDER BY path, name').all(tenant, entityId) as FileDb[]).map(fileOf);
  }

  async startUpload(row: UploadRow): Promise<UploadRow | undefined> {
    return this.db.transaction(() => {
      const old = this.db.prepare('SELECT * FROM uploads WHERE tenant = ? AND entity_id = ? AND path = ? AND name = ?')
        .get(row.tenant, row.entityId, row.path, row.name) as UploadDb | undefined;
      if (old) {
        this.db.prepare('DELETE FROM parts WHERE upload_id = ?').run(old.upload_id);
        this.db.prepare('DELETE FROM uploads WHERE upload_id = ?').run(old.upload_id);
      }
      this.db.prepare(`INSERT INTO uploads (tenant, entity_id, path, name, upload_id, content_key, type, description, timestamp, if_match,
        started) VALUES (@tenant, @entityId, @path, @name, @uploadId, @contentKey, @type, @description, @timestamp, @ifMatch, @started)`).run(row);
      return old && uploadOf(old);
    })();
  }

  async getUpload(tenant: string, entityId: string, path: string, name: string): Promise<UploadRow | undefined> {
    const r = this.db.prepare('SELECT * FROM uploads WHERE tenant = ? AND entity_id = ? AND path = ? AND name = ?')
      .get(tenant, entityId, path, name) as UploadDb | undefined;
    return r && uploadOf(r);
  }

  async addPart(upload: UploadRow, part: PartRow): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM uploads WHERE upload_id = ?').get(upload.uploadId)) return false;
      this.db.prepare('INSERT OR REPLACE INTO parts (upload_id, part_number, etag, size) VALUES (?, ?, ?, ?)')
        .run(upload.uploadId, part.partNumber, part.etag, part.size);
      return true;
    })();
  }

  async parts(upload: UploadRow): Promise<PartRow[]> {
    return (this.db.prepare('SELECT part_number AS partNumber, etag, size FROM parts WHERE upload_id = ? ORDER BY part_number')
      .all(upload.uploadId) as PartRow[]);
  }

  async endUpload(upload: UploadRow): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM parts WHERE upload_id = ?').run(upload.uploadId);
      return this.db.prepare('DELETE FROM uploads WHERE upload_id = ?').run(upload.uploadId).changes === 1;
    })();
  }

  async deleteTenant(tenant: string): Promise<{ contentKey: string; uploadId: string }[]> {
    const open = this.db.prepare<[string], { contentKey: string; uploadId: string }>(
      'SELECT content_key AS contentKey, upload_id AS uploadId FROM uploads WHERE tenant = ?').all(tenant);
    deleteTenantRows(this.db, tenant, ['DELETE FROM parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE tenant = ?)',
      'DELETE FROM uploads WHERE tenant = ?', 'DELETE FROM files WHERE tenant = ?']);
    return open;
  }
  close(): void {
    this.db.close();
  }
}
