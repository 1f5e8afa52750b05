/**
 * Embedded SQLite: one database file per context in the data directory, WAL mode, versioned migrations.
 * Invariant: a write acknowledged to a client has been committed to the WAL (see test/platform/durability.test.ts);
 * with sqliteSync=full it has also been fsynced.
 * Every open database is listed per data directory (what /health checks), and its IMMEDIATE transactions report how
 * long they waited for the write lock that another connection held (what /metrics shows as SQLite busy waits).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { SqliteSync } from './config.js';
import { counter, histogram } from './metrics.js';

const lockWait = histogram('ironbridge_sqlite_write_lock_wait_seconds',
  'Time IMMEDIATE write transactions waited for the database write lock (SQLite busy waits), by database',
  [0.0005, 0.002, 0.01, 0.05, 0.25, 1, 5], ['database']);
const busy = counter('ironbridge_sqlite_busy_total', 'Write transactions that gave up on a busy database (SQLITE_BUSY after the busy timeout)', ['database']);
/** A wait below this is the lock's own cost, not a wait for another writer. */
const WAIT_FLOOR_MS = 0.2;

const open = new Map<string, Map<string, Db>>();

/** The databases this process has open in a data directory, by name (what a health check reads). */
export function databasesIn(dataDir: string): ReadonlyMap<string, Db> {
  return open.get(path.resolve(dataDir)) ?? new Map();
}

export type Db = Database.Database;

export interface Migration {
  version: number;
  description: string;
  up: string | ((db: Db) => void);
}

export interface OpenOptions {
  dataDir: string;
  name: string;
  migrations: readonly Migration[];
  sync: SqliteSync;
}

export function openDatabase({ dataDir, name, migrations, sync }: OpenOptions): Db {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, `${name}.db`);
  const db = new Database(file);
  fs.chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  migrate(db, name, migrations);
  instrument(db, name);
  const dir = path.resolve(dataDir);
  const list = open.get(dir) ?? new Map<string, Db>();
  open.set(dir, list);
  list.set(name, db);
  const close = db.close.bind(db);
  db.close = () => {
    if (list.get(name) === db) list.delete(name);
    if (list.size === 0 && open.get(dir) === list) open.delete(dir);
    return close();
  };
  return db;
}

/**
 * Measures the write-lock wait of `transaction(fn).immediate()`: BEGIN IMMEDIATE is where SQLite's busy handler
 * waits for another connection's write transaction, so it runs on its own and is timed; the body then runs as
 * better-sqlite3 runs it inside an open transaction (a savepoint), and COMMIT or ROLLBACK ends it, as
 * better-sqlite3's own wrapper does. Nested calls (already in a transaction) are left to better-sqlite3.
 */
function instrument(db: Db, name: string): void {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const t = transaction(fn);
    const nested = t.immediate;
    const immediate = (...args: unknown[]) => {
      if (db.inTransaction) return nested(...args);
      const start = performance.now();
      try {
        begin.run();
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') busy.inc({ database: name });
        throw err;
      }
      const waited = performance.now() - start;
      if (waited >= WAIT_FLOOR_MS) lockWait.observe({ database: name }, waited / 1000);
      try {
        const result = t.default(...args);
        commit.run();
        return result;
      } catch (err) {
        if (db.inTransaction) rollback.run();
        throw err;
      }
    };
    // better-sqlite3's variants are read-only properties: hand out a function of our own with the same ones.
    const wrapped = function (this: unknown, ...args: unknown[]) { return t.apply(this, args); };
    return Object.defineProperties(wrapped, {
      default: { value: t.default }, deferred: { value: t.deferred }, exclusive: { value: t.exclusive },
      immediate: { value: immediate }, database: { value: db, enumerable: true },
    });
  }) as unknown as Db['transaction'];
}

/** Applies pending migrations in order, each in its own IMMEDIATE transaction so two processes cannot race. */
export function migrate(db: Db, name: string, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const known = new Set<number>();
  for (const m of sorted) {
    if (known.has(m.version)) throw new Error(`${name}: migration ${m.version} defined twice`);
    known.add(m.version);
  }
  const applied = db.prepare('SELECT version FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  for (const m of sorted) {
    const run = db.transaction(() => {
      if (applied.get(m.version)) return;
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      record.run(m.version, m.description, Date.now());
    });
    run.immediate();
  }
  const newest = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const latest = sorted.at(-1)?.version ?? 0;
  if ((newest.v ?? 0) > latest) {
    throw new Error(`${name}.db has schema version ${newest.v}, newer than this build knows (${latest}); upgrade Ironbridge`);
  }
}

/**
 * Tells whether another connection (another process: a worker, the CLI) may have committed since the previous
 * look, by a stamp: SQLite's data_version by default, or a narrower counter a table keeps with triggers. Reading it
 * opens a WAL read transaction (shared-memory locks, 3-10 µs under load), so it is read at most once per
 * `otherWritersMs`: another process's commit is seen within that time (0: on every look, exact). Writes through
 * this connection are the owner's to account for (a store drops its cache in its own write methods);
 * data_version does not see them.
 */
export class DbChanges {
  private readonly stampStmt: Database.Statement<[], number>;
  private stamp = -1;
  private checkedAt = -Infinity;

  constructor(db: Db, private readonly otherWritersMs: number, stampSql = 'PRAGMA data_version') {
    this.stampStmt = db.prepare<[], number>(stampSql).pluck();
  }

  /** True on the first call and whenever another connection may have committed since the previous call. */
  changed(): boolean {
    const now = Date.now();
    if (now - this.checkedAt < this.otherWritersMs) return false;
    this.checkedAt = now;
    const stamp = this.stampStmt.get() ?? 0;
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    return true;
  }
}

/**
 * Removes a tenant's rows in one transaction: each statement takes the tenant as its only parameter (`DELETE FROM t
 * WHERE tenant = ?`, or a sub-select for rows keyed through a parent). Returns the number of rows removed.
 */
export function deleteTenantRows(db: Db, tenant: string, statements: readonly string[]): number {
  const prepared = statements.map((sql) => db.prepare(sql));
  return db.transaction(() => prepared.reduce((n, s) => n + s.run(tenant).changes, 0))();
}
