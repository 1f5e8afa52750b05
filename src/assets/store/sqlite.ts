/**
 * AssetStore on embedded SQLite (better-sqlite3); file assets.db in the data directory.
 * Assets keep the filterable fields in columns (indexed for the list queries of Asset Management API v3: filter parameter, paging) and the
 * rest as JSON; the hierarchy is a materialised path of ancestor ids so subtree moves are one range update.
 */
import type { Statement } from 'better-sqlite3';
import { deleteTenantRows, DbChanges, openDatabase, type Db, type Migration } from '../../core/db.js';
import type { SqliteSync } from '../../core/config.js';
import { toSql } from '../../core/filter.js';
import type { AspectTypeRecord, AssetRecord, AssetTypeRecord } from '../records.js';
import { subtreePrefix } from '../records.js';
import {
  ParentGone, StoreConflict, type AssetQuery, type AssetStore, type AssetSummary, type AssetValuesRecord, type Page,
} from '../store.js';
import {
  assetOf, assetParams, rawAssetOf, ROW_COLUMNS, VALUE_COLUMNS, valuesOf, type AssetBody, type AssetRow, type RawAssetRow,
  type RawValuesRow,
} from './sqlite-rows.js';

export const ASSET_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'aspect types, asset types, assets, model lock',
    up: `
      CREATE TABLE aspect_types (
        tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, etag INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (tenant, id), UNIQUE (tenant, name));
      CREATE TABLE asset_types (
        tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, etag INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (tenant, id), UNIQUE (tenant, name));
      CREATE TABLE assets (
        asset_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, external_id TEXT,
        type_id TEXT NOT NULL, parent_id TEXT, path TEXT NOT NULL, timezone TEXT NOT NULL, twin_type TEXT NOT NULL,
        sub_tenant TEXT, deleted INTEGER, etag INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX assets_by_name ON assets (tenant, deleted, name, asset_id);
      CREATE INDEX assets_by_type ON assets (tenant, type_id, deleted, name);
      CREATE INDEX assets_by_parent ON assets (tenant, parent_id, deleted, name);
      CREATE INDEX assets_by_path ON assets (tenant, path);
      CREATE INDEX assets_by_external_id ON assets (tenant, external_id);
      CREATE UNIQUE INDEX assets_one_root ON assets (tenant) WHERE parent_id IS NULL;
      CREATE TABLE model_locks (tenant TEXT PRIMARY KEY, enabled INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    description: 'list indexes end in (name, asset_id) so filtered lists come out in order without a sort',
    up: `
      DROP INDEX assets_by_name;
      DROP INDEX assets_by_type;
      DROP INDEX assets_by_parent;
      CREATE INDEX assets_by_name ON assets (tenant, deleted, name, asset_id, type_id);
      CREATE INDEX assets_by_type ON assets (tenant, type_id, deleted, name, asset_id);
      CREATE INDEX assets_by_parent ON assets (tenant, parent_id, deleted, name, asset_id);
    `,
  },
];

interface TypeRow { body: string; etag: number }

/** Filter and sort fields of assets → columns (Asset Management API v3, filter parameter). */
export const ASSET_COLUMNS: Readonly<Record<string, string>> = {
  assetId: 'asset_id', tenantId: 'tenant', name: 'name', externalId: 'external_id', t2tenant: 'sub_tenant',
  subTenant: 'sub_tenant', timezone: 'timezone', twinType: 'twin_type', deleted: 'deleted', parentId: 'parent_id',
  typeId: 'type_id',
};

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' || (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY';

/** Tables of one kind of type record (aspect or asset types): the same statements for both. */
class TypeTable<T extends { id: string; tenant: string; name: string; etag: number }> {
  private readonly list;
  private readonly get;
  private readonly insert;
  private readonly update;
  private readonly remove;
  constructor(db: Db, table: string, private readonly onWrite: () => void) {
    this.list = db.prepare(`SELECT body, etag FROM ${table} WHERE tenant = ? ORDER BY name`);
    this.get = db.prepare(`SELECT body, etag FROM ${table} WHERE tenant = ? AND id = ?`);
    this.insert = db.prepare(`INSERT INTO ${table} (tenant, id, name, etag, body) VALUES (?, ?, ?, ?, ?)`);
    this.update = db.prepare(`UPDATE ${table} SET name = ?, etag = ?, body = ? WHERE tenant = ? AND id = ? AND etag = ?`);
    this.remove = db.prepare(`DELETE FROM ${table} WHERE tenant = ? AND id = ? AND etag = ?`);
  }
  private of(r: TypeRow): T {
    return { ...(JSON.parse(r.body) as T), etag: r.etag };
  }
  all(tenant: string): T[] {
    return (this.list.all(tenant) as TypeRow[]).map((r) => this.of(r));
  }
  one(tenant: string, id: string): T | undefined {
    const r = this.get.get(tenant, id) as TypeRow | undefined;
    return r ? this.of(r) : undefined;
  }
  create(rec: T): void {
    this.onWrite();
    try {
      this.insert.run(rec.tenant, rec.id, rec.name, rec.etag, JSON.stringify(rec));
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreConflict(`${rec.id} or name ${rec.name} exists`);
      throw err;
    }
  }
  replace(rec: T, expected: number): boolean {
    this.onWrite();
    try {
      return this.update.run(rec.name, rec.etag, JSON.stringify(rec), rec.tenant, rec.id, expected).changes === 1;
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreConflict(`name ${rec.name} exists`);
      throw err;
    }
  }
  delete(tenant: string, id: string, expected: number): boolean {
    this.onWrite();
    return this.remove.run(tenant, id, expected).changes === 1;
  }
}

export class SqliteAssetStore implements AssetStore {
  readonly db: Db;
  private readonly aspectTypes: TypeTable<AspectTypeRecord>;
  private readonly assetTypes: TypeTable<AssetTypeRecord>;
  private readonly stmts;
  /**
   * List totals, ancestor summaries and type lists are kept until the tables change: this store's own writes drop
   * them (invalidate), and every look checks whether another connection (the CLI, a second worker) committed.
   */
  private readonly counts = new Map<string, number>();
  private readonly summaryCache = new Map<string, AssetSummary>();
  private readonly typeCache = new Map<string, unknown[]>();
  private readonly changes: DbChanges;
  private readonly listCache = new Map<string, { list: Statement<unknown[]>; values: Statement<unknown[]>; count: Statement<unknown[]> }>();
  /** Moves on every invalidate (own writes, other connections' commits): modelVersion(). */
  private generation = 0;

  constructor(opts: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: opts.dataDir, name: 'assets', migrations: ASSET_MIGRATIONS, sync: opts.sync });
    // Planner statistics: refreshed on open and close (and by analyze()), so list queries pick the right index.
    this.db.pragma('optimize=0x10002');
    this.changes = new DbChanges(this.db, 0);
    this.aspectTypes = new TypeTable(this.db, 'aspect_types', () => this.invalidate());
    this.assetTypes = new TypeTable(this.db, 'asset_types', () => this.invalidate());
    const db = this.db;
    this.stmts = {
      getAsset: db.prepare('SELECT * FROM assets WHERE tenant = ? AND asset_id = ?'),
      getRoot: db.prepare('SELECT * FROM assets WHERE tenant = ? AND parent_id IS NULL'),
      insertAsset: db.prepare(`INSERT INTO assets (asset_id, tenant, name, external_id, type_id, parent_id, path, timezone,
        twin_type, sub_tenant, deleted, etag, body) VALUES (@asset_id, @tenant, @name, @external_id, @type_id, @parent_id,
        @path, @timezone, @twin_type, @sub_tenant, @deleted, @etag, @body)`),
      updateAsset: db.prepare(`UPDATE assets SET name = @name, external_id = @external_id, type_id = @type_id,
        parent_id = @parent_id, path = @path, timezone = @timezone, twin_type = @twin_type, sub_tenant = @sub_tenant,
        deleted = @deleted, etag = @etag, body = @body WHERE tenant = @tenant AND asset_id = @asset_id AND etag = @expected`),
      // Descendants have path = prefix or path starting with prefix + '/'; '0' is the character after '/'.
      movePaths: db.prepare(`UPDATE assets SET path = ? || substr(path, ?) WHERE tenant = ?
        AND (path = ? OR (path >= ? AND path < ?))`),
      children: db.prepare('SELECT COUNT(*) AS n FROM assets WHERE tenant = ? AND parent_id = ? AND deleted IS NULL'),
      getLock: db.prepare('SELECT enabled FROM model_locks WHERE tenant = ?'),
      setLock: db.prepare(`INSERT INTO model_locks (tenant, enabled) VALUES (?, ?)
        ON CONFLICT (tenant) DO UPDATE SET enabled = excluded.enabled`),
    };
  }

  async listAspectTypes(tenant: string) { return this.cachedTypes(`aspect/${tenant}`, () => this.aspectTypes.all(tenant)); }
  async getAspectType(tenant: string, id: string) { return this.aspectTypes.one(tenant, id); }
  async createAspectType(rec: AspectTypeRecord) { this.aspectTypes.create(rec); }
  async updateAspectType(rec: AspectTypeRecord, expected: number) { return this.aspectTypes.replace(rec, expected); }
  async deleteAspectType(tenant: string, id: string, expected: number) { return this.aspectTypes.delete(tenant, id, expected); }

  async listAssetTypes(tenant: string) { return this.cachedTypes(`asset/${tenant}`, () => this.assetTypes.all(tenant)); }

  /** Every request reads the tenant's types; they are kept until the database changes. Records are not mutated. */
  private cachedTypes<T>(key: string, load: () => T[]): T[] {
    this.followOtherWriters();
    const hit = this.typeCache.get(key) as T[] | undefined;
    if (hit) return [...hit];
    const list = load();
    if (this.typeCache.size > 1000) this.typeCache.clear();
    this.typeCache.set(key, list);
    return [...list];
  }
  async getAssetType(tenant: string, id: string) { return this.assetTypes.one(tenant, id); }
  async createAssetType(rec: AssetTypeRecord) { this.assetTypes.create(rec); }
  async updateAssetType(rec: AssetTypeRecord, expected: number) { return this.assetTypes.replace(rec, expected); }
  async deleteAssetType(tenant: string, id: string, expected: number) { return this.assetTypes.delete(tenant, id, expected); }

  async getAsset(tenant: string, assetId: string) {
    const r = this.stmts.getAsset.get(tenant, assetId) as AssetRow | undefined;
    return r ? assetOf(r) : undefined;
  }

  async getAssetSummaries(tenant: string, assetIds: string[]): Promise<AssetSummary[]> {
    // Ancestors repeat across list pages (the upper levels of a tree); keep them while the table is unchanged.
    this.followOtherWriters();
    if (this.summaryCache.size > 50_000) this.summaryCache.clear();
    const out: AssetSummary[] = [];
    const missing: string[] = [];
    for (const id of assetIds) {
      const hit = this.summaryCache.get(`${tenant}/${id}`);
      if (hit) out.push(hit);
      else missing.push(id);
    }
    // chunks keep the statement shapes few and under SQLite's parameter limit
    for (let i = 0; i < missing.length; i += 100) {
      const chunk = missing.slice(i, i + 100);
      const rows = this.summaries(chunk.length).all(tenant, ...chunk) as { asset_id: string; name: string; location: string | null }[];
      for (const r of rows) {
        const summary = { assetId: r.asset_id, name: r.name, location: r.location ? JSON.parse(r.location) as AssetSummary['location'] : null };
        this.summaryCache.set(`${tenant}/${r.asset_id}`, summary);
        out.push(summary);
      }
    }
    return out;
  }

  private readonly summaryStatements = new Map<number, Statement<unknown[]>>();
  private summaries(n: number): Statement<unknown[]> {
    let s = this.summaryStatements.get(n);
    if (!s) {
      s = this.db.prepare<unknown[]>(`SELECT asset_id, name, json_extract(body, '$.location') AS location FROM assets
        WHERE +tenant = ? AND asset_id IN (${Array.from({ length: n }, () => '?').join(',')})`);
      this.summaryStatements.set(n, s);
    }
    return s;
  }

  async getRootAsset(tenant: string) {
    const r = this.stmts.getRoot.get(tenant) as AssetRow | undefined;
    return r ? assetOf(r) : undefined;
  }

  /** The live asset by id inside a running transaction, or undefined. */
  private liveRow(tenant: string, assetId: string): AssetRow | undefined {
    const r = this.stmts.getAsset.get(tenant, assetId) as AssetRow | undefined;
    return r && r.deleted === null ? r : undefined;
  }

  async createAsset(rec: AssetRecord) {
    this.invalidate();
    this.db.transaction(() => {
      if (rec.parentId !== null) {
        const parent = this.liveRow(rec.tenant, rec.parentId);
        if (!parent) throw new ParentGone(rec.parentId);
        rec.path = subtreePrefix({ path: parent.path, assetId: parent.asset_id });
      }
      try {
        this.stmts.insertAsset.run(assetParams(rec));
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreConflict(`asset ${rec.assetId} exists`);
        throw err;
      }
    }).immediate();
  }

  async softDeleteAsset(rec: AssetRecord, expected: number) {
    this.invalidate();
    return this.db.transaction((): 'deleted' | 'stale' | 'hasChildren' => {
      if ((this.stmts.children.get(rec.tenant, rec.assetId) as { n: number }).n > 0) return 'hasChildren';
      return this.stmts.updateAsset.run({ ...assetParams(rec), expected }).changes === 1 ? 'deleted' : 'stale';
    }).immediate();
  }

  async updateAsset(rec: AssetRecord, expected: number) {
    this.invalidate();
    return this.stmts.updateAsset.run({ ...assetParams(rec), expected }).changes === 1;
  }

  async moveAsset(rec: AssetRecord, oldPath: string, expected: number) {
    const oldPrefix = subtreePrefix({ path: oldPath, assetId: rec.assetId });
    this.invalidate();
    return this.db.transaction((): 'moved' | 'stale' | 'parentGone' | 'cycle' => {
      const parent = rec.parentId === null ? undefined : this.liveRow(rec.tenant, rec.parentId);
      if (!parent) return 'parentGone';
      const parentPrefix = subtreePrefix({ path: parent.path, assetId: parent.asset_id });
      if (parentPrefix === oldPrefix || parentPrefix.startsWith(`${oldPrefix}/`)) return 'cycle';
      rec.path = parentPrefix;
      if (this.stmts.updateAsset.run({ ...assetParams(rec), expected }).changes !== 1) return 'stale';
      this.stmts.movePaths.run(subtreePrefix(rec), oldPrefix.length + 1, rec.tenant, oldPrefix, `${oldPrefix}/`, `${oldPrefix}0`);
      return 'moved';
    }).immediate();
  }

  /** Prepared list/count statements per distinct WHERE/ORDER text (the set of shapes is small). */
  private listStatements(where: string, order: string) {
    const key = `${where}|${order}`;
    let s = this.listCache.get(key);
    if (!s) {
      if (this.listCache.size > 500) this.listCache.clear();
      // The page is cut from the index (rowids only, in the index's order), then only its rows are read. The page is
      // the outer loop (CROSS JOIN keeps that join order) and runs as a co-routine, so its rows come out in its order
      // and are not sorted a second time.
      const page = `(SELECT rowid AS r FROM assets WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?) AS p
        CROSS JOIN assets AS a ON a.rowid = p.r`;
      s = {
        list: this.db.prepare<unknown[]>(`SELECT ${ROW_COLUMNS.map((c) => `a.${c}`).join(', ')} FROM ${page}`).raw(),
        values: this.db.prepare<unknown[]>(`SELECT ${VALUE_COLUMNS} FROM ${page}`).raw(),
        count: this.db.prepare<unknown[]>(`SELECT COUNT(*) AS n FROM assets WHERE ${where}`),
      };
      this.listCache.set(key, s);
    }
    return s;
  }

  async listAssets(tenant: string, q: AssetQuery): Promise<Page<AssetRecord>> {
    const { s, params, total } = this.listQuery(tenant, q);
    const items = q.offset >= total ? [] : (s.list.all(...params, q.limit, q.offset) as RawAssetRow[]).map(rawAssetOf);
    return { items, total };
  }

  async listAssetValues(tenant: string, q: AssetQuery): Promise<Page<AssetValuesRecord>> {
    const { s, params, total } = this.listQuery(tenant, q);
    const items = q.offset >= total ? [] : (s.values.all(...params, q.limit, q.offset) as RawValuesRow[]).map((r) => valuesOf(tenant, r));
    return { items, total };
  }

  /** The statements, parameters and total of a list query. */
  private listQuery(tenant: string, q: AssetQuery) {
    const filter = toSql(q.filter, (f) => {
      if (f === 'fileId') return { from: "json_each(assets.body, '$.fileAssignments')", value: "json_extract(value, '$.fileId')" };
      const col = ASSET_COLUMNS[f];
      if (!col) throw new Error(`no column for filter field ${f}`);
      return col;
    });
    const where = `tenant = ?${q.includeDeleted ? '' : ' AND deleted IS NULL'} AND ${filter.sql}`;
    const order = [...q.sort.map((s) => `${ASSET_COLUMNS[s.field] ?? 'name'} ${s.direction === 'desc' ? 'DESC' : 'ASC'}`),
      'asset_id ASC'].join(', ');
    const s = this.listStatements(where, order);
    const params = [tenant, ...filter.params];
    const total = this.cachedCount(`${where}\u0000${JSON.stringify(params)}`, () => (s.count.get(...params) as { n: number }).n);
    return { s, params, total };
  }

  /** Called by every write of this store, before it writes (data_version does not see this connection's commits). */
  private invalidate(): void {
    this.generation++;
    this.counts.clear();
    this.summaryCache.clear();
    this.typeCache.clear();
  }

  modelVersion(): number {
    this.followOtherWriters();
    return this.generation;
  }

  private followOtherWriters(): void {
    if (this.changes.changed()) this.invalidate();
  }

  private cachedCount(key: string, count: () => number): number {
    this.followOtherWriters();
    const hit = this.counts.get(key);
    if (hit !== undefined) return hit;
    const n = count();
    if (this.counts.size >= 1000) this.counts.clear();
    this.counts.set(key, n);
    return n;
  }

  async countChildren(tenant: string, assetId: string) {
    return (this.stmts.children.get(tenant, assetId) as { n: number }).n;
  }

  async renameVariableValues(tenant: string, typeIds: string[], from: string, to: string) {
    if (typeIds.length === 0) return;
    const select = this.db.prepare(`SELECT asset_id, body FROM assets WHERE tenant = ?
      AND type_id IN (${typeIds.map(() => '?').join(',')})`);
    const update = this.db.prepare('UPDATE assets SET body = ? WHERE tenant = ? AND asset_id = ?');
    this.invalidate();
    this.db.transaction(() => {
      for (const row of select.all(tenant, ...typeIds) as { asset_id: string; body: string }[]) {
        const body = JSON.parse(row.body) as AssetBody;
        if (!body.variables.some((v) => v.name === from)) continue;
        body.variables = body.variables.map((v) => (v.name === from ? { ...v, name: to } : v));
        update.run(JSON.stringify(body), tenant, row.asset_id);
      }
    }).immediate();
  }

  async countAssetsOfTypes(tenant: string, typeIds: string[]) {
    if (typeIds.length === 0) return 0;
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM assets WHERE tenant = ? AND deleted IS NULL
      AND type_id IN (${typeIds.map(() => '?').join(',')})`).get(tenant, ...typeIds) as { n: number };
    return row.n;
  }

  async getModelLock(tenant: string) {
    const r = this.stmts.getLock.get(tenant) as { enabled: number } | undefined;
    return r?.enabled === 1;
  }

  async setModelLock(tenant: string, enabled: boolean) {
    this.stmts.setLock.run(tenant, enabled ? 1 : 0);
  }

  /** Refreshes planner statistics (e.g. after a bulk load). */
  analyze() {
    this.db.exec('ANALYZE');
  }

  async deleteTenant(tenant: string): Promise<number> {
    this.invalidate();
    return deleteTenantRows(this.db, tenant, ['aspect_types', 'asset_types', 'assets', 'model_locks']
      .map((t) => `DELETE FROM ${t} WHERE tenant = ?`));
  }
  close() {
    this.db.pragma('optimize');
    this.db.close();
  }
}
