/**
 * The SQLite time series store alone (issue 17, store side of writes): CPU per record of `put` for both ingest
 * shapes of bench/timeseries.ts, records already validated (validateRecords runs before timing), so what is
 * measured is chunks, roll-up upkeep and the commit. The reference in the same run is a raw better-sqlite3 insert
 * of the same records' JSON text (one transaction per request), the ceiling the issue compares against.
 * Shapes: one series per request (1,000 records at 100 Hz), and the time-major shape (50 series × 20 timestamps
 * at 1 Hz per request), each put awaited in turn (one transaction each) and then GROUP puts in flight together
 * (group commit: one shared transaction). Disk bytes per value after a TRUNCATE checkpoint, roll-ups included.
 * Run: `npx tsc -p . && node dist/bench/timeseries-store.js` (BENCH_REQUESTS 200, BENCH_GROUP 4, BENCH_SHAPE
 * single|many, IRONBRIDGE_SQLITE_SYNC full).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { validateRecords, variableMap } from '../src/timeseries/records.js';
import { SqliteTimeseriesStore } from '../src/timeseries/store/sqlite.js';
import { zoneOf } from '../src/timeseries/buckets.js';
import type { SeriesWrite } from '../src/timeseries/store.js';
import { sqliteBytes, value } from './timeseries-shared.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 200);
const GROUP = Number(process.env['BENCH_GROUP'] ?? 4);
const SYNC = (process.env['IRONBRIDGE_SQLITE_SYNC'] ?? 'full') === 'full' ? 'full' : 'normal';
const ONLY = process.env['BENCH_SHAPE']; // 'single' or 'many': that shape only
const VARS = 10;
const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const T0 = Date.parse('2024-01-01T00:00:00.000Z');

const vmap = variableMap(Array.from({ length: VARS }, (_, v) => ({ name: `v${v}`, dataType: 'DOUBLE' as const,
  unit: '', length: null, qualityCode: false, searchable: false, defaultValue: null })));
const shape = { zone: zoneOf('UTC'), variables: vmap };

interface Shape { key: string; name: string; requests: SeriesWrite[][] }

function records(series: number, from: number, n: number, stepMs: number): SeriesWrite {
  const body = Array.from({ length: n }, (_, i) => {
    const k = from + i;
    const o: Record<string, unknown> = { _time: new Date(T0 + k * stepMs).toISOString() };
    for (let v = 0; v < VARS; v++) o[`v${v}`] = value(k + series, v);
    return o;
  });
  return { key: { tenant: 'bench', assetId: `a${series}`, aspect: 'Bench' }, shape, records: validateRecords(body, vmap) };
}

function shapes(): Shape[] {
  const single: SeriesWrite[][] = [];
  const many: SeriesWrite[][] = [];
  for (let b = 0; b < REQUESTS; b++) {
    single.push([records(0, b * 1000, 1000, 10)]);
    many.push(Array.from({ length: 50 }, (_, s) => records(s, b * 20, 20, 1000)));
  }
  return [{ key: 'single', name: 'one series per request (1,000 records)', requests: single },
    { key: 'many', name: 'time-major (50 series × 20 timestamps)', requests: many }].filter((x) => !ONLY || x.key === ONLY);
}

const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };

async function ours(requests: SeriesWrite[][], group: number): Promise<{ us: number; bytes: number }> {
  const dir = tempDir('ironbridge-store-bench-');
  const store = new SqliteTimeseriesStore({ dataDir: dir, sync: SYNC });
  const file = path.join(dir, 'timeseries.db');
  const empty = sqliteBytes(file);
  const before = cpuUs();
  for (let i = 0; i < requests.length; i += group) await Promise.all(requests.slice(i, i + group).map((w) => store.put(w)));
  const us = cpuUs() - before;
  const bytes = sqliteBytes(file) - empty;
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { us, bytes };
}

function raw(requests: SeriesWrite[][]): number {
  const dir = tempDir('ironbridge-store-raw-');
  const db = new Database(path.join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${SYNC === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('CREATE TABLE records (series INTEGER NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID');
  const ins = db.prepare('INSERT INTO records (series, t, data) VALUES (?, ?, ?)');
  const tx = db.transaction((ws: SeriesWrite[]) => {
    ws.forEach((w, s) => { for (const r of w.records) ins.run(s, r.t, r.json); });
  });
  const before = cpuUs();
  for (const ws of requests) tx(ws);
  const us = cpuUs() - before;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return us;
}

async function main(): Promise<void> {
  console.log(`store bench: ${os.cpus().length} cores, node ${process.version}, sync ${SYNC}, ${REQUESTS} requests per shape; ` +
    `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const { name, requests } of shapes()) {
    const n = requests.reduce((a, ws) => a + ws.reduce((b, w) => b + w.records.length, 0), 0);
    const rawUs = raw(requests);
    const one = await ours(requests, 1);
    const grouped = await ours(requests, GROUP);
    const per = (us: number) => (us / n).toFixed(2);
    console.log(`\n## ${name}: ${n.toLocaleString('en-US')} records`);
    console.log(`store.put, one at a time      ${per(one.us)} µs CPU per record  (${(one.us / rawUs).toFixed(2)}× raw insert)`);
    console.log(`store.put, ${GROUP} in flight (group) ${per(grouped.us)} µs CPU per record  (${(grouped.us / rawUs).toFixed(2)}× raw insert)`);
    console.log(`raw better-sqlite3 insert     ${per(rawUs)} µs CPU per record  reference`);
    console.log(`disk ${(one.bytes / (n * VARS)).toFixed(2)} B/value (one at a time), ${(grouped.bytes / (n * VARS)).toFixed(2)} B/value (group)`);
  }
  console.log(`\nload average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

await main();
