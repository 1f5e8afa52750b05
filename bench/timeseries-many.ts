/**
 * The time-major shape of the time series benchmark (issue 17): what a plant's gateway sends, a few timestamps
 * across many series per request. Each request is one multi-entity PUT of SERIES pairs × STEPS records of 10
 * DOUBLE (1 Hz), against the same points through InfluxDB's line protocol and raw better-sqlite3 inserts of the
 * same rows (one transaction per request), in the same run. Prints throughput, ratios and the server's CPU time
 * per request and per record, for the first and the second half of the load (roll-up upkeep must not grow as
 * hours fill).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../test/helpers/server.js';
import { cpuMs, fmt, ownDir, pool, send, value } from './timeseries-shared.js';

const SERIES = Number(process.env['BENCH_MANY_SERIES'] ?? 50);
const STEPS = Number(process.env['BENCH_MANY_STEPS'] ?? 20);
const VARS = 10;
const T1 = Date.parse('2024-06-01T00:00:00.000Z');

export interface ManyContext {
  server: { url: string; child: ChildProcess; token: string };
  influxUrl: string;
  /** Creates an asset of the bench's type (aspect Bench, 10 DOUBLE) and returns its id. */
  newAsset(name: string): Promise<string>;
  requests: number;
  concurrency: number;
  sync: 'full' | 'normal';
}

/** Runs the shape; returns the number of values written (to Ironbridge, and to InfluxDB's database `many`). */
export async function manySeries(ctx: ManyContext): Promise<number> {
  const ids: string[] = [];
  for (let s = 0; s < SERIES; s++) ids.push(await ctx.newAsset(`many-${s}`));
  const bodies: Buffer[] = [];
  const lines: Buffer[] = [];
  const rows: { series: number; t: number; json: string }[][] = [];
  for (let b = 0; b < ctx.requests; b++) {
    const timeseries: unknown[] = [];
    const ls: string[] = [];
    const rs: { series: number; t: number; json: string }[] = [];
    for (let s = 0; s < SERIES; s++) {
      const data: Record<string, unknown>[] = [];
      for (let i = 0; i < STEPS; i++) {
        const n = b * STEPS + i;
        const t = T1 + n * 1000;
        const vals = Array.from({ length: VARS }, (_, v) => value(n + s, v));
        const o: Record<string, unknown> = { _time: new Date(t).toISOString() };
        vals.forEach((x, v) => { o[`v${v}`] = x; });
        data.push(o);
        ls.push(`many,asset=${ids[s]} ${vals.map((x, v) => `v${v}=${x}`).join(',')} ${t}`);
        rs.push({ series: s + 1, t, json: JSON.stringify(o) });
      }
      timeseries.push({ entityId: ids[s], propertySetName: 'Bench', data });
    }
    bodies.push(Buffer.from(JSON.stringify({ timeseries })));
    lines.push(Buffer.from(ls.join('\n')));
    rows.push(rs);
  }
  const records = ctx.requests * SERIES * STEPS;
  const values = records * VARS;
  const headers = { authorization: `Bearer ${ctx.server.token}`, 'content-type': 'application/json' };

  // ours: two halves, so the CPU per record of later writes (fuller hours) shows beside the earlier ones
  const pid = ctx.server.child.pid!;
  const half = Math.floor(bodies.length / 2);
  const cpu: number[] = [];
  let started = performance.now();
  for (const part of [bodies.slice(0, half), bodies.slice(half)]) {
    const before = cpuMs(pid);
    await pool(part.map((body) => async () => {
      const r = await send(`${ctx.server.url}/api/iottimeseries/v3/timeseries`, 'PUT', body, headers);
      if (r.status !== 202 || r.text !== '{"errors":[]}') throw new Error(`multi-entity PUT ${r.status} ${r.text.slice(0, 300)}`);
    }), ctx.concurrency);
    cpu.push(cpuMs(pid) - before);
  }
  const oursSec = (performance.now() - started) / 1000;

  const rawDir = ownDir(tempDir('ironbridge-raw-many-'));
  const db = new Database(path.join(rawDir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${ctx.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('CREATE TABLE records (series INTEGER NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID');
  const ins = db.prepare('INSERT INTO records (series, t, data) VALUES (?, ?, ?)');
  const tx = db.transaction((batch: { series: number; t: number; json: string }[]) => {
    for (const r of batch) ins.run(r.series, r.t, r.json);
  });
  started = performance.now();
  for (const batch of rows) tx(batch);
  const rawSec = (performance.now() - started) / 1000;
  db.close();
  fs.rmSync(rawDir, { recursive: true, force: true });

  started = performance.now();
  await pool(lines.map((body) => async () => {
    const r = await send(`${ctx.influxUrl}/write?db=many&precision=ms`, 'POST', body, { 'content-type': 'text/plain' });
    if (r.status !== 204) throw new Error(`influx write ${r.status} ${r.text}`);
  }), ctx.concurrency);
  const influxSec = (performance.now() - started) / 1000;

  const perReq = (ms: number, n: number) => (ms * 1000 / n).toFixed(0);
  const perRec = (ms: number, n: number) => (ms * 1000 / (n * SERIES * STEPS)).toFixed(2);
  console.log(`\n## Ingest, time-major: ${SERIES} series × ${STEPS} timestamps per multi-entity PUT (10 DOUBLE, 1 Hz)`);
  console.log(`requests: ${fmt(ctx.requests)}, records: ${fmt(records)}, values: ${fmt(values)}, concurrency ${ctx.concurrency}`);
  console.log(`Ironbridge multi-entity PUT ${fmt(values / oursSec)} values/s (${oursSec.toFixed(2)} s)`);
  console.log(`  server CPU, first half: ${perReq(cpu[0]!, half)} µs per request, ${perRec(cpu[0]!, half)} µs per record; ` +
    `second half: ${perReq(cpu[1]!, bodies.length - half)} µs per request, ${perRec(cpu[1]!, bodies.length - half)} µs per record`);
  console.log(`raw better-sqlite3 insert   ${fmt(values / rawSec)} values/s (${rawSec.toFixed(2)} s)  ceiling`);
  console.log(`InfluxDB line protocol      ${fmt(values / influxSec)} values/s (${influxSec.toFixed(2)} s)  peer`);
  console.log(`ratio Ironbridge / raw SQLite: ${(rawSec / oursSec).toFixed(2)}`);
  console.log(`ratio Ironbridge / InfluxDB:   ${(influxSec / oursSec).toFixed(2)}`);
  return values;
}
