/**
 * Embedded SQLite: one database file per context in the data directory, WAL mode, versioned migrations.
 * Invariant: a write acknowledged to a client has been committed to the WAL (see test/core/durability.test.ts);
 * with sqliteSync=full it has also been fsynced.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteSync } from './config.js';

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
  return db;
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
