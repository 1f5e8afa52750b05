/**
 * Online backup and restore of a data directory. A backup copies every database of the directory through SQLite's
 * backup API while servers keep writing (each copy is one consistent snapshot of its database, taken in a single
 * backup step, i.e. one read transaction, so it holds every write committed before the step began) and packs the
 * copies into one file: itself an SQLite database with each copy in 8 MiB chunks and its SHA-256. Restore checks
 * every digest before it replaces anything, and refuses a directory a running server uses.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { VERSION } from '../core/version.js';
import { readServerRecord, serverRunning } from './instance.js';

const FORMAT = 'ironbridge-backup-1';
const CHUNK = 8 * 1024 * 1024;
/** Pages per backup step once the copy has begun: all of them, so one step (one snapshot) copies the database. */
const ALL_PAGES = 0x7fffffff;

export interface BackedUpDatabase {
  name: string;
  bytes: number;
  sha256: string;
}

export interface BackupSummary {
  file: string;
  createdAt: string;
  databases: BackedUpDatabase[];
}

export class BackupError extends Error {}

/** The database files of a data directory (`<context>.db`). */
function databasesOf(dataDir: string): string[] {
  return fs.readdirSync(dataDir).filter((f) => f.endsWith('.db') && fs.statSync(path.join(dataDir, f)).isFile()).sort();
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Backs up every database of `dataDir` into `outFile` (written under a temporary name, then renamed; mode 0600). */
export async function backupDataDir(dataDir: string, outFile: string): Promise<BackupSummary> {
  const names = databasesOf(dataDir);
  if (names.length === 0) throw new BackupError(`${dataDir} holds no database (*.db) to back up`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ironbridge-backup-'));
  const partial = `${outFile}.partial`;
  try {
    fs.rmSync(partial, { force: true });
    const archive = new Database(partial);
    fs.chmodSync(partial, 0o600);
    archive.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE databases (name TEXT PRIMARY KEY, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL);
      CREATE TABLE chunks (name TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (name, seq))`);
    const createdAt = new Date().toISOString();
    const databases: BackedUpDatabase[] = [];
    const addChunk = archive.prepare('INSERT INTO chunks (name, seq, data) VALUES (?, ?, ?)');
    for (const name of names) {
      const copy = path.join(work, name);
      const source = new Database(path.join(dataDir, name), { fileMustExist: true });
      try {
        source.pragma('busy_timeout = 10000');
        await source.backup(copy, { progress: () => ALL_PAGES });
      } finally {
        source.close();
      }
      const bytes = fs.statSync(copy).size;
      const sha256 = await sha256Of(copy);
      const fd = fs.openSync(copy, 'r');
      try {
        const buffer = Buffer.alloc(CHUNK);
        archive.transaction(() => {
          for (let seq = 0, offset = 0; offset < bytes; seq++, offset += CHUNK) {
            const n = fs.readSync(fd, buffer, 0, CHUNK, offset);
            addChunk.run(name, seq, buffer.subarray(0, n));
          }
        })();
      } finally {
        fs.closeSync(fd);
      }
      archive.prepare('INSERT INTO databases (name, bytes, sha256) VALUES (?, ?, ?)').run(name, bytes, sha256);
      databases.push({ name, bytes, sha256 });
    }
    const meta = archive.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    meta.run('format', FORMAT);
    meta.run('version', VERSION);
    meta.run('createdAt', createdAt);
    meta.run('source', path.resolve(dataDir));
    archive.close();
    fs.renameSync(partial, outFile);
    return { file: path.resolve(outFile), createdAt, databases };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(partial, { force: true });
  }
}

/**
 * Restores a backup into `dataDir` (created if missing). Refuses while a server recorded on the directory runs, and
 * when the directory already holds databases unless `force`; every copy is checked against its digest first.
 */
export async function restoreDataDir(file: string, dataDir: string, force = false): Promise<BackupSummary> {
  if (!fs.existsSync(file)) throw new BackupError(`backup file ${file} does not exist`);
  if (serverRunning(readServerRecord(dataDir))) {
    throw new BackupError(`a server (pid ${readServerRecord(dataDir)!.pid}) runs on ${dataDir}: stop it before restoring`);
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const existing = databasesOf(dataDir);
  if (existing.length > 0 && !force) {
    throw new BackupError(`${dataDir} already holds ${existing.join(', ')}: restore into an empty directory, or pass --force to replace them`);
  }
  let archive: Database.Database;
  try {
    archive = new Database(file, { readonly: true, fileMustExist: true });
    const format = (archive.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() as string | undefined);
    if (format !== FORMAT) throw new Error(`format ${format ?? 'unknown'}`);
  } catch (err) {
    throw new BackupError(`${file} is not an Ironbridge backup (${(err as Error).message})`);
  }
  try {
    const createdAt = archive.prepare("SELECT value FROM meta WHERE key = 'createdAt'").pluck().get() as string;
    const databases = archive.prepare('SELECT name, bytes, sha256 FROM databases ORDER BY name').all() as BackedUpDatabase[];
    const chunks = archive.prepare('SELECT data FROM chunks WHERE name = ? ORDER BY seq').pluck();
    // Unpack and check everything before touching the directory's databases.
    const staged: { name: string; tmp: string }[] = [];
    try {
      for (const db of databases) {
        if (!/^[a-z][a-z0-9_-]*\.db$/.test(db.name)) throw new BackupError(`${file} holds a database with the unsafe name "${db.name}"`);
        const tmp = path.join(dataDir, `${db.name}.restoring`);
        const fd = fs.openSync(tmp, 'w', 0o600);
        const hash = createHash('sha256');
        try {
          for (const data of chunks.iterate(db.name) as Iterable<Buffer>) {
            hash.update(data);
            fs.writeSync(fd, data);
          }
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        staged.push({ name: db.name, tmp });
        if (hash.digest('hex') !== db.sha256) throw new BackupError(`${file}: the copy of ${db.name} is damaged (SHA-256 mismatch)`);
      }
      for (const { name, tmp } of staged) {
        const target = path.join(dataDir, name);
        for (const stale of [`${target}-wal`, `${target}-shm`]) fs.rmSync(stale, { force: true });
        fs.renameSync(tmp, target);
      }
    } finally {
      for (const { tmp } of staged) fs.rmSync(tmp, { force: true });
    }
    return { file: path.resolve(file), createdAt, databases };
  } finally {
    archive.close();
  }
}
