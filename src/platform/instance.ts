/**
 * The record a running server keeps in its data directory (`server.json`, mode 0600): where clients reach it (public
 * URL, bound port, domain and region of the host names), its process id and start time. Admin commands read it,
 * so that a binding key's TokenURL or an app's host name is printed as the server serves it, whatever port or
 * public URL it runs with.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { VERSION } from '../core/version.js';

const SERVER_RECORD = 'server.json';

export interface ServerRecord {
  publicUrl: string;
  url: string;
  port: number;
  domain: string;
  region: string;
  pid: number;
  startedAt: string;
  version: string;
}

/** Writes the record atomically (a temporary file renamed over the old one), so a reader never sees half of it. */
export function recordServer(config: Config, fields: { publicUrl: string; url: string; port: number }): ServerRecord {
  const record: ServerRecord = { ...fields, domain: config.domain, region: config.region, pid: process.pid,
    startedAt: new Date().toISOString(), version: VERSION };
  const file = path.join(config.dataDir, SERVER_RECORD);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return record;
}

/** The record of the server that last started on `dataDir`, or undefined when none has (or the file is unreadable). */
export function readServerRecord(dataDir: string): ServerRecord | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(path.join(dataDir, SERVER_RECORD), 'utf8')) as Partial<ServerRecord>;
    if (typeof value.publicUrl !== 'string' || typeof value.pid !== 'number') return undefined;
    return value as ServerRecord;
  } catch {
    return undefined;
  }
}

/** Whether the recorded server process still runs (on this machine). */
export function serverRunning(record: ServerRecord | undefined): boolean {
  if (!record) return false;
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
