/**
 * The read paths of the time series around the store (issue 17, lean hot path), run on demand:
 * `npm run build && node dist/bench/hot-path.js`. An `ironbridge serve` child answers a GET of 2,000 records (10
 * DOUBLE) and 90-day daily aggregates of 1 and of 10 DOUBLE (one record a minute: the daily roll-ups the aggregate reads are the same
 * rows whatever the density); the reference in the same run is a bare node:http server in this process sending
 * the same bytes, the floor of HTTP and the client. Prints p50 latencies, their ratio to the floor, and the
 * server's CPU per request (from /proc).
 * Environment: BENCH_N (requests per measure, default 300), BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { BIN, fetchToken, firstStartSecrets, tempDir } from '../test/helpers/server.js';
import { cpuMs, p50, send, startServe, value } from './timeseries-shared.js';

const N = Number(process.env['BENCH_N'] ?? 300);
const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const EMPTY = Buffer.alloc(0);

async function timed(url: string, headers: Record<string, string>, n: number): Promise<{ p50: number; body: string }> {
  const times: number[] = [];
  let body = '';
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const r = await send(url, 'GET', EMPTY, headers);
    times.push(performance.now() - s);
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.text.slice(0, 200)}`);
    body = r.text;
  }
  return { p50: p50(times), body };
}

async function main(): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}, load average ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const dataDir = tempDir('ironbridge-hotpath-');
  const { child, url } = await startServe(BIN, dataDir, { IRONBRIDGE_LOG_LEVEL: 'warn', IRONBRIDGE_SECRET_HASH_COST: '10' });
  const { key, tenant } = firstStartSecrets(dataDir);
  const token = await fetchToken(url, key);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const call = async (method: string, p: string, body: unknown, extra: Record<string, string> = {}) => {
    const r = await send(`${url}${p}`, method, Buffer.from(JSON.stringify(body)), { ...headers, ...extra });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
    return r.text ? JSON.parse(r.text) as Record<string, unknown> : {};
  };
  const AM = '/api/assetmanagement/v3';
  const variables = Array.from({ length: 10 }, (_, v) => ({ name: `v${v}`, dataType: 'DOUBLE', unit: '' }));
  await call('PUT', `${AM}/aspecttypes/${tenant}.Bench`, { name: 'Bench', category: 'dynamic', scope: 'private', description: 'bench', variables }, { 'if-none-match': '*' });
  await call('PUT', `${AM}/aspecttypes/${tenant}.Slow`, { name: 'Slow', category: 'dynamic', scope: 'private', description: 'bench',
    variables: [{ name: 'v', dataType: 'DOUBLE', unit: '' }] }, { 'if-none-match': '*' });
  await call('PUT', `${AM}/assettypes/${tenant}.BenchType`, { name: 'BenchType', parentTypeId: 'core.basicasset',
    aspects: [{ name: 'Bench', aspectTypeId: `${tenant}.Bench` }, { name: 'Slow', aspectTypeId: `${tenant}.Slow` }] }, { 'if-none-match': '*' });
  const root = JSON.parse((await send(`${url}${AM}/assets/root`, 'GET', EMPTY, headers)).text) as { assetId: string };
  const A = (await call('POST', `${AM}/assets`, { name: 'bench', typeId: `${tenant}.BenchType`, parentId: root.assetId }))['assetId'] as string;
  const TS = `${url}/api/iottimeseries/v3/timeseries/${A}/Bench`;

  // 90 days, one record a minute (129,600 records), in PUTs of 1,000, of both aspects
  const minutes = 90 * 1440;
  for (let b = 0; b < minutes / 1000; b++) {
    const recs: string[] = [];
    const slow: string[] = [];
    for (let i = b * 1000; i < Math.min(minutes, (b + 1) * 1000); i++) {
      const time = new Date(T0 + (i + 1) * 60_000).toISOString();
      recs.push(`{"_time":"${time}",${variables.map((_, v) => `"v${v}":${value(i, v)}`).join(',')}}`);
      slow.push(`{"_time":"${time}","v":${value(i, 0)}}`);
    }
    for (const [target, body] of [[TS, recs], [TS.replace(/Bench$/, 'Slow'), slow]] as const) {
      const r = await send(target, 'PUT', Buffer.from(`[${body.join(',')}]`), headers);
      if (r.status !== 204) throw new Error(`PUT ${r.status} ${r.text}`);
    }
  }

  const read = `${TS}?from=${new Date(T0 + 20 * 86_400_000).toISOString()}&to=${new Date(T0 + 80 * 86_400_000).toISOString()}&limit=2000`;
  const agg = `${url}/api/iottsaggregates/v4/aggregates?assetId=${A}&aspectName=Bench&from=${new Date(T0).toISOString()}`
    + `&to=${new Date(T0 + 90 * 86_400_000).toISOString()}&intervalUnit=day&intervalValue=1`;
  const measures: { name: string; url: string }[] = [{ name: 'GET 2,000 records', url: read },
    { name: '90-day daily aggregate, 1 variable', url: agg.replace('aspectName=Bench', 'aspectName=Slow') },
    { name: '90-day daily aggregate, 10 variables', url: agg }];

  // the floor: the same bytes from a bare node:http server in this process
  let floorBody = Buffer.alloc(0);
  const floor = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': floorBody.length });
    res.end(floorBody);
  });
  await new Promise<void>((r) => floor.listen(0, '127.0.0.1', () => r()));
  const floorUrl = `http://127.0.0.1:${(floor.address() as { port: number }).port}/`;

  console.log(`\n| measure (p50 of ${N}) | Ironbridge | bare node:http, same bytes | ratio | server CPU per request |`);
  console.log('|---|---|---|---|---|');
  for (const m of measures) {
    const warm = await timed(m.url, headers, 20);
    if (m.name.startsWith('GET') && (JSON.parse(warm.body) as unknown[]).length !== 2000) throw new Error('expected 2000 records');
    const before = cpuMs(child.pid!);
    const ours = await timed(m.url, headers, N);
    const cpu = (cpuMs(child.pid!) - before) / N;
    floorBody = Buffer.from(ours.body);
    await timed(floorUrl, {}, 20);
    const bare = await timed(floorUrl, {}, N);
    console.log(`| ${m.name} (${(floorBody.length / 1024).toFixed(0)} KB) | ${ours.p50.toFixed(2)} ms | ${bare.p50.toFixed(2)} ms | ${(ours.p50 / bare.p50).toFixed(2)} | ${(cpu * 1000).toFixed(0)} µs |`);
  }
  floor.close();
  await new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); });
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
