/**
 * SQLite implementation of the data lake index (datalake.db). Folders are kept as rows with a count of the
 * objects below them, maintained in the transaction that adds or removes an object, so a folder listing is one
 * indexed range scan over folders and objects. Object events are queued as delivery rows in that same
 * transaction: a committed change always has its notifications waiting.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SqliteSync } from '../../core/config.js';
import { deleteTenantRows, type Db, type Migration, openDatabase } from '../../core/db.js';
import { splitPath } from '../paths.js';
import type {
  ChildRow, DatalakeStore, DeliveryRow, DeliveryState, JobObjectStatus, JobRow, ObjectEvent, ObjectRow, PartRow,
  PermissionRow, ScopeKey, SubscriptionRow, UploadRow,
} from '../store.js';
import { SqliteDatalakeSide } from './sqlite-side.js';

export const DATALAKE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'objects, folders, uploads, jobs, subscriptions, deliveries, permissions, keys',
    up: `
      CREATE TABLE objects (
        tenant TEXT NOT NULL, sub TEXT NOT NULL, path TEXT NOT NULL, folder TEXT NOT NULL, name TEXT NOT NULL,
        size INTEGER NOT NULL, etag TEXT NOT NULL, md5 TEXT, sha256 TEXT, last_modified INTEGER NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (tenant, sub, path)) WITHOUT ROWID;
      CREATE INDEX objects_folder ON objects (tenant, sub, folder, path);
      CREATE TABLE folders (
        tenant TEXT NOT NULL, sub TEXT NOT NULL, path TEXT NOT NULL, parent TEXT NOT NULL, objects INTEGER NOT NULL,
        PRIMARY KEY (tenant, sub, path)) WITHOUT ROWID;
      CREATE INDEX folders_parent ON folders (tenant, sub, parent, path);
      CREATE TABLE uploads (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL, sub TEXT NOT NULL, path TEXT NOT NULL, store_id TEXT NOT NULL,
        created INTEGER NOT NULL, expires INTEGER NOT NULL);
      CREATE UNIQUE INDEX uploads_path ON uploads (tenant, sub, path);
      CREATE INDEX uploads_expires ON uploads (expires);
      CREATE TABLE parts (
        upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE, part_number INTEGER NOT NULL,
        etag TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL, sub TEXT NOT NULL, created INTEGER NOT NULL, total INTEGER NOT NULL);
      CREATE INDEX jobs_scope ON jobs (tenant, sub, created);
      CREATE TABLE job_objects (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, idx INTEGER NOT NULL, path TEXT NOT NULL,
        status TEXT NOT NULL, PRIMARY KEY (job_id, idx)) WITHOUT ROWID;
      CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL, sub TEXT NOT NULL, path TEXT NOT NULL, destination TEXT NOT NULL,
        secret TEXT NOT NULL, status TEXT NOT NULL, etag INTEGER NOT NULL, created INTEGER NOT NULL,
        UNIQUE (tenant, sub, path, destination));
      CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        event TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL,
        last_status INTEGER, last_error TEXT, created INTEGER NOT NULL, delivered_at INTEGER);
      CREATE INDEX deliveries_due ON deliveries (state, next_at);
      CREATE INDEX deliveries_subscription ON deliveries (subscription_id, id);
      CREATE TABLE permissions (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL, sub TEXT NOT NULL, path TEXT NOT NULL, permission TEXT NOT NULL,
        created INTEGER NOT NULL, UNIQUE (tenant, sub, path, permission));
      CREATE TABLE keys (name TEXT PRIMARY KEY, value BLOB NOT NULL);
    `,
  },
];

interface ObjectDbRow {
  tenant: string; sub: string; path: string; size: number; etag: string; md5: string | null; sha256: string | null;
  last_modified: number; tags: string;
}

export const objectOf = (r: ObjectDbRow): ObjectRow => ({
  tenant: r.tenant, sub: r.sub, path: r.path, size: r.size, etag: r.etag, md5: r.md5, sha256: r.sha256,
  lastModified: r.last_modified, tags: JSON.parse(r.tags) as string[],
});

/** Ancestor folders of an object path, outermost first, each ending with "/". */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i + 1));
  return out;
}

const parentOf = (folder: string) => splitPath(folder.slice(0, -1)).folder;

export class SqliteDatalakeStore extends SqliteDatalakeSide implements DatalakeStore {
  private readonly s: Record<string, Database.Statement>;

  constructor(options: { dataDir: string; sync: SqliteSync }) {
    const db: Db = openDatabase({ dataDir: options.dataDir, name: 'datalake', migrations: DATALAKE_MIGRATIONS, sync: options.sync });
    super(db);
    this.s = {
      get: db.prepare('SELECT * FROM objects WHERE tenant = ? AND sub = ? AND path = ?'),
      upsert: db.prepare(`INSERT INTO objects (tenant, sub, path, folder, name, size, etag, md5, sha256, last_modified)
        VALUES (@tenant, @sub, @path, @folder, @name, @size, @etag, @md5, @sha256, @lastModified)
        ON CONFLICT (tenant, sub, path) DO UPDATE SET size = excluded.size, etag = excluded.etag, md5 = excluded.md5,
        sha256 = excluded.sha256, last_modified = excluded.last_modified`),
      del: db.prepare('DELETE FROM objects WHERE tenant = ? AND sub = ? AND path = ?'),
      tags: db.prepare('UPDATE objects SET tags = ? WHERE tenant = ? AND sub = ? AND path = ?'),
      folderUp: db.prepare(`INSERT INTO folders (tenant, sub, path, parent, objects) VALUES (?, ?, ?, ?, 1)
        ON CONFLICT (tenant, sub, path) DO UPDATE SET objects = objects + 1`),
      folderDown: db.prepare('UPDATE folders SET objects = objects - 1 WHERE tenant = ? AND sub = ? AND path = ?'),
      folderGone: db.prepare('DELETE FROM folders WHERE tenant = ? AND sub = ? AND path = ? AND objects <= 0'),
      folderExists: db.prepare('SELECT 1 FROM folders WHERE tenant = ? AND sub = ? AND path = ?'),
      children: db.prepare(`SELECT path, 1 AS folder, 0 AS size, 0 AS last_modified, '[]' AS tags FROM folders
          WHERE tenant = @tenant AND sub = @sub AND parent = @folder AND path > @after
        UNION ALL SELECT path, 0 AS folder, size, last_modified, tags FROM objects
          WHERE tenant = @tenant AND sub = @sub AND folder = @folder AND path > @after
        ORDER BY path LIMIT @limit`),
      under: db.prepare(`SELECT * FROM objects WHERE tenant = @tenant AND sub = @sub AND path > @after
        AND substr(path, 1, length(@folder)) = @folder ORDER BY path LIMIT @limit`),
      subscribers: db.prepare(`SELECT id, path FROM subscriptions WHERE tenant = ? AND sub = ? AND status = 'ACTIVE'`),
      queue: db.prepare(`INSERT INTO deliveries (subscription_id, event, state, attempts, next_at, created)
        VALUES (?, ?, 'PENDING', 0, ?, ?)`),
      createUpload: db.prepare(`INSERT INTO uploads (id, tenant, sub, path, store_id, created, expires)
        VALUES (@id, @tenant, @sub, @path, @storeId, @created, @expires) ON CONFLICT (tenant, sub, path) DO NOTHING`),
      upload: db.prepare('SELECT * FROM uploads WHERE tenant = ? AND sub = ? AND id = ?'),
      uploadOn: db.prepare('SELECT * FROM uploads WHERE tenant = ? AND sub = ? AND path = ? AND expires > ?'),
      part: db.prepare(`INSERT INTO parts (upload_id, part_number, etag, size, sha256)
        SELECT id, ?, ?, ?, ? FROM uploads WHERE tenant = ? AND sub = ? AND id = ?
        ON CONFLICT (upload_id, part_number) DO UPDATE SET etag = excluded.etag, size = excluded.size, sha256 = excluded.sha256`),
      parts: db.prepare(`SELECT p.* FROM parts p JOIN uploads u ON u.id = p.upload_id
        WHERE u.tenant = ? AND u.sub = ? AND p.upload_id = ? ORDER BY p.part_number`),
      endUpload: db.prepare('DELETE FROM uploads WHERE tenant = ? AND sub = ? AND id = ?'),
      expired: db.prepare('SELECT * FROM uploads WHERE expires <= ? ORDER BY expires LIMIT ?'),
      key: db.prepare('SELECT value FROM keys WHERE name = ?'),
      setKey: db.prepare('INSERT INTO keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    };
  }

  async signingKey(): Promise<Buffer> {
    this.s.setKey!.run('url-signing', randomBytes(32));
    return (this.s.key!.get('url-signing') as { value: Buffer }).value;
  }

  async getObject(scope: ScopeKey, path: string): Promise<ObjectRow | undefined> {
    const r = this.s.get!.get(scope.tenant, scope.sub, path) as ObjectDbRow | undefined;
    return r && objectOf(r);
  }

  private queueEvent(scope: ScopeKey, event: ObjectEvent): void {
    for (const sub of this.s.subscribers!.all(scope.tenant, scope.sub) as Array<{ id: string; path: string }>) {
      if (sub.path !== '' && !event.path.startsWith(sub.path)) continue;
      this.s.queue!.run(sub.id, JSON.stringify(event), event.at, event.at);
    }
  }

  async putObject(row: Omit<ObjectRow, 'tags'>, event: ObjectEvent): Promise<ObjectRow> {
    const { folder, name } = splitPath(row.path);
    this.db.transaction(() => {
      const existed = this.s.get!.get(row.tenant, row.sub, row.path) !== undefined;
      this.s.upsert!.run({ ...row, folder, name });
      if (!existed) for (const f of ancestors(row.path)) this.s.folderUp!.run(row.tenant, row.sub, f, parentOf(f));
      this.queueEvent(row, event);
    }).immediate();
    return (await this.getObject(row, row.path))!;
  }

  async deleteObject(scope: ScopeKey, path: string, event: ObjectEvent): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.s.del!.run(scope.tenant, scope.sub, path).changes === 0) return false;
      for (const f of ancestors(path)) {
        this.s.folderDown!.run(scope.tenant, scope.sub, f);
        this.s.folderGone!.run(scope.tenant, scope.sub, f);
      }
      this.queueEvent(scope, event);
      return true;
    }).immediate();
  }

  async setTags(scope: ScopeKey, path: string, tags: string[]): Promise<ObjectRow | undefined> {
    if (this.s.tags!.run(JSON.stringify(tags), scope.tenant, scope.sub, path).changes === 0) return undefined;
    return this.getObject(scope, path);
  }

  async listChildren(scope: ScopeKey, folder: string, after: string | undefined, limit: number): Promise<ChildRow[]> {
    const rows = this.s.children!.all({ tenant: scope.tenant, sub: scope.sub, folder, after: after ?? '', limit }) as Array<{
      path: string; folder: number; size: number; last_modified: number; tags: string }>;
    return rows.map((r) => ({ path: r.path, folder: r.folder === 1, size: r.size, lastModified: r.last_modified, tags: JSON.parse(r.tags) as string[] }));
  }

  async listUnder(scope: ScopeKey, folder: string, after: string | undefined, limit: number): Promise<ObjectRow[]> {
    return (this.s.under!.all({ tenant: scope.tenant, sub: scope.sub, folder, after: after ?? '', limit }) as ObjectDbRow[]).map(objectOf);
  }

  async folderExists(scope: ScopeKey, folder: string): Promise<boolean> {
    return folder === '' || this.s.folderExists!.get(scope.tenant, scope.sub, folder) !== undefined;
  }

  async search(tenant: string, subs: string[] | undefined, where: { sql: string; params: unknown[] }, under: string,
    offset: number, limit: number): Promise<{ rows: ObjectRow[]; total: number }> {
    const scopeSql = subs === undefined ? '' : ` AND sub IN (${subs.map(() => '?').join(', ')})`;
    const base = `FROM objects WHERE tenant = ?${scopeSql} AND substr(path, 1, ?) = ? AND (${where.sql})`;
    const params = [tenant, ...(subs ?? []), under.length, under, ...where.params];
    const total = (this.db.prepare(`SELECT count(*) AS n ${base}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * ${base} ORDER BY sub, path LIMIT ? OFFSET ?`).all(...params, limit, offset) as ObjectDbRow[];
    return { rows: rows.map(objectOf), total };
  }

  async createUpload(row: UploadRow): Promise<UploadRow | undefined> {
    return this.db.transaction(() => {
      // An expired upload no longer holds its path.
      this.db.prepare('DELETE FROM uploads WHERE tenant = ? AND sub = ? AND path = ? AND expires <= ?').run(row.tenant, row.sub, row.path, row.created);
      return this.s.createUpload!.run(row).changes === 1 ? row : undefined;
    }).immediate();
  }

  private uploadOf(r: Record<string, unknown> | undefined): UploadRow | undefined {
    if (!r) return undefined;
    return { id: r['id'] as string, tenant: r['tenant'] as string, sub: r['sub'] as string, path: r['path'] as string,
      storeId: r['store_id'] as string, created: r['created'] as number, expires: r['expires'] as number };
  }

  async getUpload(scope: ScopeKey, id: string): Promise<UploadRow | undefined> {
    return this.uploadOf(this.s.upload!.get(scope.tenant, scope.sub, id) as Record<string, unknown> | undefined);
  }

  async openUploadOn(scope: ScopeKey, path: string, now: number): Promise<UploadRow | undefined> {
    return this.uploadOf(this.s.uploadOn!.get(scope.tenant, scope.sub, path, now) as Record<string, unknown> | undefined);
  }

  async putPart(scope: ScopeKey, uploadId: string, part: PartRow): Promise<boolean> {
    return this.s.part!.run(part.partNumber, part.etag, part.size, part.sha256, scope.tenant, scope.sub, uploadId).changes === 1;
  }

  async parts(scope: ScopeKey, uploadId: string): Promise<PartRow[]> {
    return (this.s.parts!.all(scope.tenant, scope.sub, uploadId) as Array<{ part_number: number; etag: string; size: number; sha256: string }>)
      .map((r) => ({ partNumber: r.part_number, etag: r.etag, size: r.size, sha256: r.sha256 }));
  }

  async endUpload(scope: ScopeKey, id: string): Promise<boolean> {
    return this.s.endUpload!.run(scope.tenant, scope.sub, id).changes === 1;
  }

  async expiredUploads(now: number, limit: number): Promise<UploadRow[]> {
    return (this.s.expired!.all(now, limit) as Array<Record<string, unknown>>).map((r) => this.uploadOf(r)!);
  }

  async deleteTenant(tenant: string): Promise<{ sub: string; path: string; storeId: string }[]> {
    const open = this.db.prepare<[string], { sub: string; path: string; storeId: string }>(
      'SELECT sub, path, store_id AS storeId FROM uploads WHERE tenant = ?').all(tenant);
    deleteTenantRows(this.db, tenant, [
      'DELETE FROM parts WHERE upload_id IN (SELECT id FROM uploads WHERE tenant = ?)',
      'DELETE FROM job_objects WHERE job_id IN (SELECT id FROM jobs WHERE tenant = ?)',
      'DELETE FROM deliveries WHERE subscription_id IN (SELECT id FROM subscriptions WHERE tenant = ?)',
      ...['objects', 'folders', 'uploads', 'jobs', 'subscriptions', 'permissions'].map((t) => `DELETE FROM ${t} WHERE tenant = ?`)]);
    return open;
  }
}

export type { DeliveryRow, DeliveryState, JobObjectStatus, JobRow, PermissionRow, SubscriptionRow };
