/**
 * Time series benchmark (run on demand: `npm run build && node dist/bench/timeseries.js`), with disk bytes per value.
 * Ingest over HTTP (records of 10 DOUBLE variables, batches of 1,000) against the raw better-sqlite3 insert speed
 * of the same rows in the same run (the ceiling) and InfluxDB 1.x over its line protocol (the peer); query
 * latency of 2,000 records and of a 90-day daily aggregate over 1 Hz data, on both. Prints ratios.
 * The server's CPU time per request and per record of the ingest (from /proc, little disturbed by other load on
 * the machine, unlike throughput) is printed beside it.
 * The time-major shape (bench/timeseries-many.ts: 50 series × 20 timestamps per multi-entity PUT, as many requests
 * as BENCH_BATCHES) runs in the same run, against InfluxDB and raw better-sqlite3 with the same points.
 * Environment: BENCH_BATCHES (default 300), BENCH_DAYS (default 90; 0 skips the aggregate part), BENCH_CONCURRENCY (default 4),
 * BENCH_MANY (0 skips the time-major shape), BENCH_MANY_SERIES (50), BENCH_MANY_STEPS (20),
 * IRONBRIDGE_SQLITE_SYNC (server's setting, default full), BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { validateRecords, variableMap } from '../src/timeseries/records.js';
import { SqliteTimeseriesStore } from '../src/timeseries/store/sqlite.js';
import { zoneOf } from '../src/timeseries/buckets.js';
import { BIN, fetchToken, firstStartSecrets, tempDir } from '../test/helpers/server.js';
import { cpuMs, fmt, freePort, influxBytes, ownChild, ownDir, p50, pool, runBench, send, sqliteBytes, startServe, value } from './timeseries-shared.js';
import { manySeries } from './timeseries-many.js';

const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 300);
const DAYS = Number(process.env['BENCH_DAYS'] ?? 90);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 4);
const MANY = process.env['BENCH_MANY'] !== '0';
const BATCH = 1000;
const VARS = 10;
const T0 = Date.parse('2024-01-01T00:00:00.000Z');

function batchRecords(b: number): { t: number; vals: number[] }[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = b * BATCH + i;
    return { t: T0 + n * 10, vals: Array.from({ length: VARS }, (_, v) => value(n, v)) };
  });
}

async function startInflux(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = ownDir(fs.mkdtempSync(path.join(os.tmpdir(), 'ironbridge-influx-')));
  const http = await freePort();
  const rpc = await freePort();
  const conf = path.join(dir, 'influxdb.conf');
  fs.writeFileSync(conf, [
    'reporting-disabled = true', `bind-address = "127.0.0.1:${rpc}"`,
    '[meta]', `  dir = "${dir}/meta"`,
    '[data]', `  dir = "${dir}/data"`, `  wal-dir = "${dir}/wal"`, '  query-log-enabled = false',
    // Cold after 1 s: the cache is written to TSM and fully compacted soon after the load (disk bytes per value).
    '  cache-snapshot-write-cold-duration = "1s"', '  compact-full-write-cold-duration = "1s"',
    '[monitor]', '  store-enabled = false',
    '[http]', `  bind-address = "127.0.0.1:${http}"`, '  log-enabled = false',
  ].join('\n'));
  const child = ownChild(spawn('influxd', ['-config', conf], { stdio: ['ignore', 'ignore', 'ignore'] }));
  const url = `http://127.0.0.1:${http}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/ping`)).status === 204) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const db of ['bench', 'many']) {
    const created = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE ${db}` }) });
    if (created.status !== 200) throw new Error(`influx: ${created.status} ${await created.text()}`);
  }
  return { url, child, dir };
}

async function main(): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; shared with other work while measuring`);
  // ---------------------------------------------------------------- our server (a child process)
  const dataDir = ownDir(tempDir('ironbridge-bench-'));
  // The server runs as its own process at log level warn (request logging off), like a production node.
  const { child, url: serverUrl } = await startServe(BIN, dataDir, { IRONBRIDGE_LOG_LEVEL: 'warn', IRONBRIDGE_SECRET_HASH_COST: '10' });
  const server = { url: serverUrl };
  // Without a terminal the first-start key is in a 0600 file of the data directory.
  const { key: { clientId, clientSecret }, tenant } = firstStartSecrets(dataDir);
  const token = await fetchToken(server.url, { clientId, clientSecret });
  const api = (p: string, init: RequestInit = {}) => fetch(`${server.url}${p}`, {
    ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const am = async (method: string, p: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await api(`/api/assetmanagement/v3${p}`, { method, body: JSON.stringify(body), headers });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<Record<string, unknown>>;
  };
  const variables = Array.from({ length: VARS }, (_, v) => ({ name: `v${v}`, dataType: 'DOUBLE', unit: '' }));
  await am('PUT', `/aspecttypes/${tenant}.Bench`, { name: 'Bench', category: 'dynamic', scope: 'private', description: 'bench', variables }, { 'if-none-match': '*' });
  await am('PUT', `/aspecttypes/${tenant}.Slow`, { name: 'Slow', category: 'dynamic', scope: 'private', description: 'bench', variables: [{ name: 'v', dataType: 'DOUBLE', unit: '' }] }, { 'if-none-match': '*' });
  await am('PUT', `/assettypes/${tenant}.BenchType`, { name: 'BenchType', parentTypeId: 'core.basicasset',
    aspects: [{ name: 'Bench', aspectTypeId: `${tenant}.Bench` }, { name: 'Slow', aspectTypeId: `${tenant}.Slow` }] }, { 'if-none-match': '*' });
  const root = await (await api('/api/assetmanagement/v3/assets/root')).json() as { assetId: string };
  const asset = await am('POST', '/assets', { name: 'bench', typeId: `${tenant}.BenchType`, parentId: root.assetId });
  const A = asset['assetId'] as string;

  // Bodies are prepared before timing, for both engines, so the client's own work is not measured.
  const bodies: Buffer[] = [];
  const lines: Buffer[] = [];
  const rows: { t: number; json: string }[][] = [];
  for (let b = 0; b < BATCHES; b++) {
    const recs = batchRecords(b);
    bodies.push(Buffer.from(JSON.stringify(recs.map((r) => {
      const o: Record<string, unknown> = { _time: new Date(r.t).toISOString() };
      r.vals.forEach((x, v) => { o[`v${v}`] = x; });
      return o;
    }))));
    lines.push(Buffer.from(recs.map((r) => `bench,asset=${A} ${r.vals.map((x, v) => `v${v}=${x}`).join(',')} ${r.t}`).join('\n')));
    rows.push(recs.map((r) => {
      const o: Record<string, number> = {};
      r.vals.forEach((x, v) => { o[`v${v}`] = x; });
      return { t: r.t, json: JSON.stringify(o) };
    }));
  }
  const values = BATCHES * BATCH * VARS;

  // ---------------------------------------------------------------- ingest: ours over HTTP
  const tsFile = path.join(dataDir, 'timeseries.db');
  const emptyBytes = sqliteBytes(tsFile);
  let started = performance.now();
  const cpuBefore = cpuMs(child.pid!);
  await pool(bodies.map((body) => async () => {
    const r = await send(`${server.url}/api/iottimeseries/v3/timeseries/${A}/Bench`, 'PUT', body,
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    if (r.status !== 204) throw new Error(`PUT ${r.status} ${r.text}`);
  }), CONCURRENCY);
  const oursSec = (performance.now() - started) / 1000;
  const oursCpu = cpuMs(child.pid!) - cpuBefore;
  const oursRate = values / oursSec;
  const oursBytes = sqliteBytes(tsFile) - emptyBytes;

  // ---------------------------------------------------------------- ingest: raw better-sqlite3, same rows
  const rawDir = ownDir(tempDir('ironbridge-raw-'));
  const db = new Database(path.join(rawDir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${(process.env['IRONBRIDGE_SQLITE_SYNC'] ?? 'full') === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('CREATE TABLE records (series INTEGER NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID');
  const ins = db.prepare('INSERT INTO records (series, t, data) VALUES (1, ?, ?)');
  const tx = db.transaction((batch: { t: number; json: string }[]) => { for (const r of batch) ins.run(r.t, r.json); });
  started = performance.now();
  for (const batch of rows) tx(batch);
  const rawSec = (performance.now() - started) / 1000;
  const rawRate = values / rawSec;
  db.close();

  // ---------------------------------------------------------------- ingest: the engine without HTTP
  // Same bodies through JSON.parse, record validation and the store (roll-ups included), in this process.
  const engineDir = ownDir(tempDir('ironbridge-engine-'));
  const engine = new SqliteTimeseriesStore({ dataDir: engineDir, sync: (process.env['IRONBRIDGE_SQLITE_SYNC'] ?? 'full') === 'full' ? 'full' : 'normal' });
  const vmap = variableMap(variables.map((v) => ({ ...v, dataType: 'DOUBLE' as const, length: null, qualityCode: false, searchable: false, defaultValue: null })));
  const shape = { zone: zoneOf('UTC'), variables: vmap };
  started = performance.now();
  for (const body of bodies) {
    const records = validateRecords(JSON.parse(body.toString()), vmap);
    await engine.put([{ key: { tenant: 'bench', assetId: A, aspect: 'Bench' }, shape, records }]);
  }
  const engineSec = (performance.now() - started) / 1000;
  const engineRate = values / engineSec;
  engine.close();
  fs.rmSync(engineDir, { recursive: true, force: true });

  // ---------------------------------------------------------------- ingest: InfluxDB line protocol
  const influx = await startInflux();
  started = performance.now();
  await pool(lines.map((body) => async () => {
    const r = await send(`${influx.url}/write?db=bench&precision=ms`, 'POST', body, { 'content-type': 'text/plain' });
    if (r.status !== 204) throw new Error(`influx write ${r.status} ${r.text}`);
  }), CONCURRENCY);
  const influxSec = (performance.now() - started) / 1000;
  const influxRate = values / influxSec;

  console.log('\n## Ingest (records of 10 DOUBLE, batches of 1,000)');
  console.log(`records: ${fmt(BATCHES * BATCH)}, values: ${fmt(values)}, concurrency ${CONCURRENCY}`);
  console.log(`Ironbridge HTTP PUT       ${fmt(oursRate)} values/s (${oursSec.toFixed(2)} s)`);
  console.log(`  server CPU: ${(oursCpu * 1000 / BATCHES).toFixed(0)} µs per request, ${(oursCpu * 1000 / (BATCHES * BATCH)).toFixed(2)} µs per record`);
  console.log(`Ironbridge engine, no HTTP ${fmt(engineRate)} values/s (${engineSec.toFixed(2)} s)  parse + validate + store + roll-ups`);
  console.log(`raw better-sqlite3 insert ${fmt(rawRate)} values/s (${rawSec.toFixed(2)} s)  ceiling`);
  console.log(`InfluxDB line protocol    ${fmt(influxRate)} values/s (${influxSec.toFixed(2)} s)  peer`);
  console.log(`ratio Ironbridge / raw SQLite: ${(oursRate / rawRate).toFixed(2)} (engine without HTTP: ${(engineRate / rawRate).toFixed(2)})`);
  console.log(`ratio Ironbridge / InfluxDB:   ${(oursRate / influxRate).toFixed(2)}`);
  const influxBench = await influxBytes(influx.dir, 'bench');
  const perValue = (bytes: number, n: number) => `${fmt(bytes)} B, ${(bytes / n).toFixed(2)} B/value`;
  console.log(`disk: Ironbridge ${perValue(oursBytes, values)} (timeseries.db + WAL after checkpoint, roll-ups included), ` +
    `InfluxDB ${perValue(influxBench, values)} (after compaction), ratio ${(oursBytes / influxBench).toFixed(2)}`);

  // ---------------------------------------------------------------- ingest: the time-major shape (multi-entity PUT)
  if (MANY) {
    const before = sqliteBytes(tsFile);
    const manyValues = await manySeries({ server: { url: server.url, child, token }, influxUrl: influx.url, requests: BATCHES, concurrency: CONCURRENCY,
      sync: (process.env['IRONBRIDGE_SQLITE_SYNC'] ?? 'full') === 'full' ? 'full' : 'normal',
      newAsset: async (name) => (await am('POST', '/assets', { name, typeId: `${tenant}.BenchType`, parentId: root.assetId }))['assetId'] as string });
    const bytes = sqliteBytes(tsFile) - before;
    const influxMany = await influxBytes(influx.dir, 'many');
    console.log(`disk: Ironbridge ${perValue(bytes, manyValues)} (timeseries.db + WAL after checkpoint, roll-ups included), ` +
      `InfluxDB ${perValue(influxMany, manyValues)} (after compaction), ratio ${(bytes / influxMany).toFixed(2)}`);
  }

  // ---------------------------------------------------------------- query: 2,000 records
  // 200 reads of 97 distinct ranges (i * 7919 mod 97): the first 97 find their chunks not yet rendered (cold), the
  // rest read ranges read before. The figure is the client-observed time until the whole body arrived (fetch, as
  // for InfluxDB); beside it the server's CPU per request, the cold and repeated reads apart, the time to the
  // response headers, and the same ranges again through the lean client (send), which parses no fetch streams.
  const N = 200;
  const ours2000: number[] = [];
  const oursHead: number[] = [];
  const influx2000: number[] = [];
  const span = BATCHES * BATCH * 10;
  const readUrl = (i: number) => {
    const from = T0 + Math.floor(((i * 7919) % 97) / 97 * Math.max(1, span - 2000 * 10));
    return { from, path: `/api/iottimeseries/v3/timeseries/${A}/Bench?from=${new Date(from).toISOString()}&to=${new Date(from + span).toISOString()}&limit=2000` };
  };
  let readCpu = 0;
  for (let i = 0; i < N; i++) {
    const { from, path: p } = readUrl(i);
    const cpu0 = cpuMs(child.pid!);
    let s = performance.now();
    const r = await api(p);
    oursHead.push(performance.now() - s);
    // Latency = until the whole body has arrived; the client's JSON parsing is not the server's time.
    const text = await r.text();
    ours2000.push(performance.now() - s);
    readCpu += cpuMs(child.pid!) - cpu0;
    if (i === 0 && (JSON.parse(text) as unknown[]).length !== 2000) throw new Error('expected 2000 records');
    s = performance.now();
    const q = `SELECT * FROM bench WHERE asset='${A}' AND time > ${from}ms ORDER BY time LIMIT 2000`;
    const ir = await fetch(`${influx.url}/query?db=bench&epoch=ms&q=${encodeURIComponent(q)}`);
    const itext = await ir.text();
    influx2000.push(performance.now() - s);
    if (i === 0 && !itext.includes('"values"')) throw new Error(`influx query: ${itext.slice(0, 200)}`);
  }
  const lean: number[] = [];
  const leanCpu0 = cpuMs(child.pid!);
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    const r = await send(`${server.url}${readUrl(i).path}`, 'GET', Buffer.alloc(0), { authorization: `Bearer ${token}` });
    lean.push(performance.now() - s);
    if (r.status !== 200) throw new Error(`GET ${r.status}`);
  }
  const leanCpu = cpuMs(child.pid!) - leanCpu0;
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log('\n## Query: 2,000 records of one aspect (10 variables), over HTTP, p50 of 200');
  console.log(`Ironbridge ${ms(p50(ours2000))}, InfluxDB ${ms(p50(influx2000))}, ratio ${(p50(ours2000) / p50(influx2000)).toFixed(2)}`);
  console.log(`  first reads of a range ${ms(p50(ours2000.slice(0, 97)))}, repeated ${ms(p50(ours2000.slice(97)))}; ` +
    `headers after ${ms(p50(oursHead))}; server CPU ${(readCpu * 1000 / N).toFixed(0)} µs per request`);
  console.log(`  lean client, the same ranges again: ${ms(p50(lean))}, server CPU ${(leanCpu * 1000 / N).toFixed(0)} µs per request`);

  // ---------------------------------------------------------------- 90-day daily aggregate over 1 Hz data
  // The server, influxd and the temporary directories are stopped and removed by runBench (also on a crash).
  if (DAYS === 0) return;
  const seconds = DAYS * 86_400;
  const chunk = 5000;
  const loads: (() => Promise<void>)[] = [];
  const influxLoads: (() => Promise<void>)[] = [];
  for (let c = 0; c < seconds / chunk; c++) {
    loads.push(async () => {
      const recs: string[] = [];
      for (let i = 0; i < chunk; i++) {
        const n = c * chunk + i + 1;
        recs.push(`{"_time":"${new Date(T0 + n * 1000).toISOString()}","v":${value(n, 0)}}`);
      }
      const r = await api(`/api/iottimeseries/v3/timeseries/${A}/Slow`, { method: 'PUT', body: `[${recs.join(',')}]` });
      if (r.status !== 204) throw new Error(`PUT ${r.status} ${await r.text()}`);
    });
    influxLoads.push(async () => {
      const ls: string[] = [];
      for (let i = 0; i < chunk; i++) {
        const n = c * chunk + i + 1;
        ls.push(`slow,asset=${A} v=${value(n, 0)} ${T0 + n * 1000}`);
      }
      const r = await fetch(`${influx.url}/write?db=bench&precision=ms`, { method: 'POST', body: ls.join('\n') });
      if (r.status !== 204) throw new Error(`influx write ${r.status}`);
    });
  }
  started = performance.now();
  await pool(loads, CONCURRENCY);
  const loadOurs = (performance.now() - started) / 1000;
  started = performance.now();
  await pool(influxLoads, CONCURRENCY);
  const loadInflux = (performance.now() - started) / 1000;
  const from = new Date(T0).toISOString();
  const to = new Date(T0 + DAYS * 86_400_000).toISOString();
  const oursAgg: number[] = [];
  const influxAgg: number[] = [];
  let intervals = 0;
  for (let i = 0; i < 30; i++) {
    let s = performance.now();
    const r = await api(`/api/iottsaggregates/v4/aggregates?assetId=${A}&aspectName=Slow&from=${from}&to=${to}&intervalUnit=day&intervalValue=1`);
    const body = await r.json() as { aggregates: { v: { countgood: number } }[] };
    oursAgg.push(performance.now() - s);
    intervals = body.aggregates.length;
    if (i === 0 && body.aggregates.reduce((n, a) => n + a.v.countgood, 0) !== seconds) throw new Error('aggregate count mismatch');
    // InfluxDB's query can take seconds here: it is repeated until 60 s are spent (at least 3 times).
    if (influxAgg.length >= 3 && influxAgg.reduce((a, b) => a + b, 0) > 60_000) continue;
    s = performance.now();
    const q = `SELECT count(v), sum(v), mean(v), min(v), max(v), first(v), last(v), stddev(v) FROM slow WHERE asset='${A}' AND time > '${from}' AND time <= '${to}' GROUP BY time(1d)`;
    const ir = await fetch(`${influx.url}/query?db=bench&q=${encodeURIComponent(q)}`);
    const itext = await ir.text();
    influxAgg.push(performance.now() - s);
    if (i === 0 && !itext.includes('"values"')) throw new Error(`influx query: ${itext.slice(0, 200)}`);
  }
  console.log(`\n## Query: ${DAYS}-day daily aggregate over 1 Hz data (${fmt(seconds)} records, 1 DOUBLE), p50 of ${oursAgg.length} (InfluxDB: ${influxAgg.length})`);
  console.log(`load: Ironbridge ${fmt(seconds / loadOurs)} records/s (${loadOurs.toFixed(1)} s), InfluxDB ${fmt(seconds / loadInflux)} records/s (${loadInflux.toFixed(1)} s)`);
  console.log(`Ironbridge ${p50(oursAgg).toFixed(2)} ms (${intervals} intervals), InfluxDB ${p50(influxAgg).toFixed(2)} ms, ratio ${(p50(oursAgg) / p50(influxAgg)).toFixed(2)}`);
}

runBench(main);
