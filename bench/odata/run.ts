/**
 * OData benchmark (issue 14, run on demand: `npx tsc -p . && node dist/bench/odata/run.js [runs] [scenario name part]`): p50/p99 of OData
 * pages beside the same rows read through the REST APIs in the same run, requests interleaved so both see the same
 * machine load. Scenarios: a 2000-row time series page of one asset, a 2000-row aggregate page (50 two-minute
 * intervals × 4 variables × 10 aggregation types), a 2000-asset page of a type family (REST: pages of the
 * Asset Management maximum, 200 or 2000); and the costs the issue names: a time series page over a family without an
 * assetId filter (REST: one read per asset of the same window), time series `/$count`, and `$expand`.
 * Goals: OData page ≤ 1.5× the REST read of the same rows; a 2000-row page p50 < 20 ms.
 * The server is its own process (`ironbridge serve`, log level warn); the client reads each answer to its last
 * byte over a keep-alive connection without decoding it, the same for both APIs (only the first run's answers are
 * decoded, for the row checks: a 2000-row aggregate page is ~570 KB, 8× its REST answer, and decoding it to a string
 * cost the client ~0.5 ms of the OData wall time on a quiet machine; `BENCH_DECODE=1` decodes every answer, as the
 * bench did before 2026-12-06). Server CPU per request: after the
 * interleaved runs, blocks of OData-only then REST-only requests (the REST read of a scenario counts as one), the
 * server's CPU time over each block from `/proc/<pid>/task/<tid>/schedstat` (all threads, ns), median of the blocks,
 * the median of each OData block over the REST block after it (`paired`: steadier on a loaded machine), and the
 * ratio of all OData blocks' CPU to all REST blocks' (`all`: the GC and the V8 helper threads' work counted in full).
 * A block holds at least `BENCH_CPU_BLOCK_MS` (100) ms of the scenario's OData p50 and at least 10 requests: a
 * scavenge of the server's young generation costs 1–13 ms of CPU (main and helper threads) about every 300–400 of
 * these requests, so in blocks of 10 sub-millisecond pages it put 100–1450 µs per request on some blocks and the
 * median moved by the luck of where it fell (2026-12-07, odata7; schedstat is ns, the tick fallback is unused). One block pair before the measured ones is not
 * counted (the blocks' own warm-up). `BENCH_CPU_BLOCK` (a fixed number of requests per block) and `BENCH_CPU_BLOCKS`
 * (blocks, RUNS / 10 and at least 4) set their sizes.
 * `BENCH_SERVER_NODE_ARGS` passes flags to the server's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { type RunningChild, startCliChild } from '../../test/helpers/child.js';
import { fetchToken, firstStartSecrets, tempDir } from '../../test/helpers/server.js';

const RUNS = Number(process.argv[2] ?? 100);
/** Only the scenarios whose name contains this text (all when absent). */
const ONLY = process.argv[3];
const WARMUP = 10;
/** Decode every answer to a string inside the timed span (the client's cost grows with the bytes), not only the first run's. */
const DECODE = process.env['BENCH_DECODE'] === '1';
/** Requests per CPU block when set; else from the OData p50 (cpuBlock). Blocks per API: RUNS / 10, at least 4. */
const FIXED_CPU_BLOCK = process.env['BENCH_CPU_BLOCK'] === undefined ? undefined : Number(process.env['BENCH_CPU_BLOCK']);
const CPU_BLOCK_MS = Number(process.env['BENCH_CPU_BLOCK_MS'] ?? 100);
const CPU_BLOCKS = Math.max(1, Number(process.env['BENCH_CPU_BLOCKS'] ?? Math.max(4, Math.round(RUNS / 10))));
/** Requests per CPU block of a scenario whose OData p50 is `p50` ms: enough for CPU_BLOCK_MS of it, at least 10. */
const cpuBlock = (p50: number) => FIXED_CPU_BLOCK ?? Math.max(10, Math.ceil(CPU_BLOCK_MS / Math.max(p50, 0.01)));
const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const SECOND = 1000;
const VARS = ['p1', 'p2', 'p3', 'p4'];
/** Records of the main asset (one per second) and of each family asset with a series. */
const MAIN_RECORDS = 20_000;
const FAMILY_SERIES = 7;
const FAMILY_RECORDS = 2_000;
const FAMILY_ASSETS = 3_000;

/** The aggregate scenario's interval: 2 minutes. */
const AGG_INTERVAL = 120 * SECOND;

const iso = (t: number) => new Date(t).toISOString();

function quantiles(samples: number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** CPU time of all threads of a process in ns (schedstat), or its user + system ticks when schedstat is missing. */
function processCpuNs(pid: number): number {
  let ns = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]); } catch { /* thread gone */ }
    }
    return ns;
  } catch {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 1e7;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Api {
  (path: string, init?: { method?: string; body?: string; headers?: Record<string, string> }): Promise<{ status: number; body: Buffer }>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** A lean HTTP client: the bearer token, keep-alive, the answer's bytes undecoded. */
function client(base: string, token: string): Api {
  return (path, init = {}) => new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const req = http.request(`${base}${path}`, { method: init.method ?? 'GET', agent, headers: {
      authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}), ...init.headers,
    } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The answer's bytes when its status is one of `ok` (200 by default); it fails with the start of the answer's text otherwise. */
async function mustBytes(res: Promise<{ status: number; body: Buffer }>, what: string, ...ok: number[]): Promise<Buffer> {
  const r = await res;
  if (!(ok.length ? ok : [200]).includes(r.status)) throw new Error(`${what}: ${r.status} ${r.body.toString().slice(0, 500)}`);
  return r.body;
}

async function must(res: Promise<{ status: number; body: Buffer }>, what: string, ...ok: number[]): Promise<string> {
  return (await mustBytes(res, what, ...ok)).toString();
}

/** A timed read: the answer's text on the first run (checked) or with BENCH_DECODE=1, else its bytes only. */
async function timed(api: Api, path: string, what: string, first: boolean): Promise<string | undefined> {
  const body = await mustBytes(api(path), what);
  return first || DECODE ? body.toString() : undefined;
}

async function pool(jobs: (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));
}

async function seed(api: Api, T: string) {
  const am = (p: string, body: unknown, method = 'PUT') => must(api(`/api/assetmanagement/v3${p}`, { method, body: JSON.stringify(body),
    headers: method === 'PUT' ? { 'if-none-match': '*' } : {} }), p, 200, 201);
  await am(`/aspecttypes/${T}.Power`, { name: 'Power', category: 'dynamic', scope: 'private',
    variables: VARS.map((name) => ({ name, dataType: 'DOUBLE', unit: 'kW', searchable: false, qualityCode: false })) });
  await am(`/assettypes/${T}.Machine`, { name: 'Machine', parentTypeId: 'core.basicasset', aspects: [{ name: 'power', aspectTypeId: `${T}.Power` }],
    variables: [{ name: 'site', dataType: 'STRING', length: 32, unit: '', defaultValue: 'north' }] });
  await am(`/assettypes/${T}.Motor`, { name: 'Motor', parentTypeId: `${T}.Machine`, variables: [{ name: 'rpm', dataType: 'INT', unit: '1/min' }] });
  await am(`/assettypes/${T}.Servo`, { name: 'Servo', parentTypeId: `${T}.Motor` });
  const root = JSON.parse(await must(api('/api/assetmanagement/v3/assets/root'), 'root')) as { assetId: string };
  const types = [`${T}.Machine`, `${T}.Motor`, `${T}.Servo`];
  const ids: string[] = [];
  const create = async (i: number, parentId: string) => {
    const body = JSON.parse(await am('/assets', { name: `m-${String(i).padStart(5, '0')}`, typeId: types[i % 3], parentId,
      variables: i % 5 === 0 ? [{ name: 'site', value: 'south' }] : [] }, 'POST')) as { assetId: string };
    ids[i] = body.assetId;
  };
  // the first 30 under the root, the rest below them (children for $expand)
  await pool(Array.from({ length: 30 }, (_, i) => () => create(i, root.assetId)), 4);
  await pool(Array.from({ length: FAMILY_ASSETS - 30 }, (_, k) => () => create(k + 30, ids[k % 30]!)), 4);
  const put = (assetId: string, from: number, n: number) => {
    const jobs: (() => Promise<void>)[] = [];
    for (let i = 0; i < n; i += 1000) {
      const recs = Array.from({ length: Math.min(1000, n - i) }, (_, k) => {
        const t = from + (i + k + 1) * SECOND;
        return { _time: iso(t), ...Object.fromEntries(VARS.map((v, j) => [v, ((i + k) % 97) * (j + 1) + 0.25])) };
      });
      jobs.push(async () => { await must(api(`/api/iottimeseries/v3/timeseries/${assetId}/power`, { method: 'PUT', body: JSON.stringify(recs) }), 'put', 200, 204); });
    }
    return jobs;
  };
  const main = ids[0]!;
  const family = ids.slice(1, 1 + FAMILY_SERIES);
  await pool([...put(main, T0, MAIN_RECORDS), ...family.flatMap((id) => put(id, T0, FAMILY_RECORDS))], 2);
  await must(api('/api/odatacontracts/v1/contracts', { method: 'POST', body: JSON.stringify({ name: 'Bench', assetTypes: types, publish: true }) }), 'contract', 201);
  return { main, family, types, top: ids.slice(0, 30), root: root.assetId };
}

interface Scenario {
  name: string;
  odata: string;
  /** The same rows through the REST API: one or more requests, in order. */
  rest: string[];
  /** What the first run checks both APIs answered alike, row for row and value for value (sameRows). */
  same?: 'records' | 'intervals' | 'assets';
  /** The asset of each REST request (records). */
  restAssets?: string[];
}

async function main() {
  const loadStart = os.loadavg();
  const dir = tempDir('ironbridge-odata-bench-');
  const server = await startCliChild<{ url: string }>(
    ['serve', '--port', '0', '--data-dir', dir, '--json'],
    { IRONBRIDGE_LOG_LEVEL: 'warn', IRONBRIDGE_SECRET_HASH_COST: '10', IRONBRIDGE_SQLITE_SYNC: 'normal' }, (l) => l['ready'] === true,
    // e.g. BENCH_SERVER_NODE_ARGS=--cpu-prof to profile the server
    { nodeArgs: (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean) });
  try {
    await bench(server, dir, loadStart);
  } finally {
    // also when the bench fails: a server left behind (a profiled one samples all the time) skews every later run
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function bench(server: RunningChild<{ url: string }>, dir: string, loadStart: number[]) {
  // the first start's key is written to the data directory, not printed (secrets at rest)
  const { url } = server.ready;
  const pid = server.child.pid!;
  const firstStart = firstStartSecrets(dir);
  const api = client(url, await fetchToken(url, firstStart.key));
  const t0 = performance.now();
  const { main, family, types, top, root } = await seed(api, firstStart.tenant);
  const seedSeconds = (performance.now() - t0) / 1000;
  const svc = '/api/odata/v4/Bench/1.0.0/';
  const TS = 'Power_power_Machine';
  const AGG = 'AGGR_Power_power_Machine';
  const f = (q: string) => `$filter=${encodeURIComponent(q)}`;
  const window = (from: number, to: number) => `timestamp gt ${iso(from)} and timestamp le ${iso(to)}`;
  const tsFrom = T0 + 5000 * SECOND;
  const famTo = T0 + (2000 / (FAMILY_SERIES + 1)) * SECOND;
  const aggFrom = T0 + 3600 * SECOND;
  const aggTo = aggFrom + 50 * AGG_INTERVAL;
  // the REST read uses the largest page Asset Management allows here (200 as in Insights Hub, or up to 2000)
  const restPage = (await api('/api/assetmanagement/v3/assets?size=2000')).status === 200 ? 2000 : 200;
  const list = (filter: unknown, page = 0, size = restPage) => `/api/assetmanagement/v3/assets?size=${size}&page=${page}&filter=${encodeURIComponent(JSON.stringify(filter))}`;
  const scenarios: Scenario[] = [
    { name: 'time series, one asset, 2000 rows',
      odata: `${svc}${TS}?${f(`assetId eq '${main}' and ${window(tsFrom, tsFrom + 2000 * SECOND)}`)}`,
      rest: [`/api/iottimeseries/v3/timeseries/${main}/power?from=${iso(tsFrom)}&to=${iso(tsFrom + 2000 * SECOND)}&limit=2000`], same: 'records', restAssets: [main] },
    { name: 'time series, one asset, first page of 20000 (next link)',
      odata: `${svc}${TS}?${f(`assetId eq '${main}'`)}`,
      rest: [`/api/iottimeseries/v3/timeseries/${main}/power?from=${iso(T0)}&to=${iso(T0 + MAIN_RECORDS * SECOND)}&limit=2000`], same: 'records', restAssets: [main] },
    { name: `time series, family of ${FAMILY_ASSETS} assets, no assetId (${FAMILY_SERIES + 1} with data), 2000 rows`,
      odata: `${svc}${TS}?${f(window(T0, famTo))}`,
      rest: [main, ...family].map((id) => `/api/iottimeseries/v3/timeseries/${id}/power?from=${iso(T0)}&to=${iso(famTo)}&limit=2000`), same: 'records',
      restAssets: [main, ...family] },
    { name: 'aggregates, one asset, 2000 rows (50 intervals × 4 variables × 10 types)',
      odata: `${svc}${AGG}?${f(`assetId eq '${main}' and intervalUnit eq 'minutes' and intervalValue eq 2 and ${window(aggFrom, aggTo)}`)}`,
      // OData rows are the intervals starting in (gt, le]; REST reads those covering [from, to): one interval later
      rest: [`/api/iottsaggregates/v4/aggregates?assetId=${main}&aspectName=power&from=${iso(aggFrom + AGG_INTERVAL)}&to=${iso(aggTo + AGG_INTERVAL)}&intervalUnit=minute&intervalValue=2`],
      same: 'intervals' },
    { name: `assets, 2000 of a family of ${FAMILY_ASSETS}`,
      odata: `${svc}Machine?$top=2000`,
      rest: Array.from({ length: 2000 / restPage }, (_, i) => list({ hasType: types[0] }, i)), same: 'assets' },
    { name: `time series /$count, one asset (${MAIN_RECORDS} records)`,
      odata: `${svc}${TS}/$count?${f(`assetId eq '${main}'`)}`,
      rest: Array.from({ length: MAIN_RECORDS / 2000 }, (_, i) => `/api/iottimeseries/v3/timeseries/${main}/power?from=${iso(T0 + i * 2000 * SECOND)}&to=${iso(T0 + (i + 1) * 2000 * SECOND)}&limit=2000`) },
    { name: '$expand: 2000 assets with their parent (REST: the pages, then the parents by id)',
      odata: `${svc}Machine?$top=2000&$expand=ParentMachine`,
      rest: [...Array.from({ length: 2000 / restPage }, (_, i) => list({ hasType: types[0] }, i)), list({ assetId: { in: { value: top } } })] },
    { name: '$expand: 30 assets with their children (REST: the list, then the children of each)',
      odata: `${svc}Machine?${f(`parentId eq '${root}'`)}&$expand=ChildrenMachine`,
      rest: [list({ hasType: types[0], parentId: root }), ...top.map((id) => list({ hasType: types[0], parentId: id }))] },
  ];
  const lines: string[] = [];
  for (const sc of scenarios.filter((s) => ONLY === undefined || s.name.includes(ONLY))) {
    const od: number[] = [];
    const re: number[] = [];
    let odRows = 0;
    let reRows = 0;
    for (let i = 0; i < RUNS + WARMUP; i++) {
      const a = performance.now();
      const text = await timed(api, sc.odata, sc.name, i === 0);
      const b = performance.now();
      let rows = 0;
      const bodies: string[] = [];
      for (const path of sc.rest) {
        const body = await timed(api, path, path, i === 0);
        if (i === 0) {
          rows += countRows(body!);
          bodies.push(body!);
        }
      }
      const c = performance.now();
      if (i === 0) {
        odRows = countRows(text!);
        reRows = rows;
        if (sc.same) sameRows(sc, text!, bodies, sc.restAssets ?? []);
      }
      if (i >= WARMUP) { od.push(b - a); re.push(c - b); }
    }
    const o = quantiles(od);
    const r = quantiles(re);
    // server CPU: blocks of OData-only then REST-only requests, alternating; the first pair is not counted
    const block = cpuBlock(o.p50);
    const odCpu: number[] = [];
    const reCpu: number[] = [];
    for (let k = -1; k < CPU_BLOCKS; k++) {
      let at = processCpuNs(pid);
      for (let j = 0; j < block; j++) await mustBytes(api(sc.odata), sc.name);
      let now = processCpuNs(pid);
      if (k >= 0) odCpu.push((now - at) / block / 1000);
      at = now;
      for (let j = 0; j < block; j++) for (const path of sc.rest) await mustBytes(api(path), path);
      now = processCpuNs(pid);
      if (k >= 0) reCpu.push((now - at) / block / 1000);
    }
    const oc = median(odCpu);
    const rc = median(reCpu);
    const paired = median(odCpu.map((x, k) => x / reCpu[k]!));
    const all = odCpu.reduce((a, b) => a + b, 0) / reCpu.reduce((a, b) => a + b, 0);
    lines.push(`| ${sc.name} | ${odRows} / ${reRows} | ${o.p50.toFixed(1)} | ${o.p99.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${sc.rest.length} | **${(o.p50 / r.p50).toFixed(2)}×** | ${block} | ${oc.toFixed(0)} | ${rc.toFixed(0)} | **${(oc / rc).toFixed(2)}×** | ${paired.toFixed(2)}× | ${all.toFixed(2)}× |`);
    process.stderr.write(`${lines[lines.length - 1]}\n`);
  }
  const loadEnd = os.loadavg();
  process.stdout.write([
    `odata bench: ${RUNS} runs per scenario after ${WARMUP} warm-up${DECODE ? ' (every answer decoded)' : ''}, then ${CPU_BLOCKS} CPU blocks per API of ${FIXED_CPU_BLOCK ?? `≥ ${CPU_BLOCK_MS} ms of OData p50`} requests, seeded in ${seedSeconds.toFixed(0)} s; node ${process.version}, `
      + `${os.cpus().length} CPUs; load average (1/5/15 min) ${loadStart.map((x) => x.toFixed(1)).join(' ')} at start, ${loadEnd.map((x) => x.toFixed(1)).join(' ')} at end`,
    '',
    '| scenario | rows OData / REST | OData p50 ms | OData p99 ms | REST p50 ms | REST p99 ms | REST requests | OData/REST p50 | CPU block | OData server CPU µs | REST server CPU µs | OData/REST CPU | paired | all |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
    '',
  ].join('\n'));
}

/**
 * Fails unless the OData page and the REST answers hold the same rows with the same values: the records (asset,
 * timestamp and every variable), the aggregates (interval start and end, variable, aggregation type, value and
 * its timestamp) or the assets (id, name, type, parent, time zone, description, external id).
 */
function sameRows(sc: Scenario, odata: string, rest: string[], restAssets: string[]): void {
  const rows = (JSON.parse(odata) as { value: Record<string, unknown>[] }).value;
  let od: string[];
  let re: string[];
  if (sc.same === 'records') {
    od = rows.map(({ assetId, timestamp, ...vars }) => JSON.stringify([assetId, timestamp, ...VARS.map((v) => vars[v] ?? null)]));
    re = rest.flatMap((b, i) => (JSON.parse(b) as Record<string, unknown>[])
      .map((r) => JSON.stringify([restAssets[i], r['_time'], ...VARS.map((v) => r[v] ?? null)])));
  } else if (sc.same === 'intervals') {
    const time: Record<string, string> = { minvalue: 'mintime', maxvalue: 'maxtime', firstvalue: 'firsttime', lastvalue: 'lasttime' };
    od = rows.map((r) => JSON.stringify([r['timestamp'], r['endTimestamp'], r['variableName'], r['aggregationType'], r['value'], r['valueTimestamp']]));
    re = rest.flatMap((b) => (JSON.parse(b) as { aggregates: Record<string, unknown>[] }).aggregates.flatMap(({ starttime, endtime, ...vars }) =>
      Object.entries(vars as Record<string, Record<string, unknown>>).flatMap(([v, agg]) => Object.keys(agg).filter((k) => !k.endsWith('time'))
        .map((type) => JSON.stringify([new Date(starttime as string).toISOString(), new Date(endtime as string).toISOString(), v, type, agg[type],
          time[type] ? new Date(agg[time[type]] as string).toISOString() : null])))));
  } else {
    const fields = ['assetId', 'name', 'typeId', 'parentId', 'timezone', 'description', 'externalId'];
    od = rows.map((r) => JSON.stringify(fields.map((f) => r[f] ?? null)));
    re = rest.flatMap((b) => ((JSON.parse(b) as { _embedded?: { assets: Record<string, unknown>[] } })._embedded?.assets ?? [])
      .map((r) => JSON.stringify(fields.map((f) => r[f] ?? null))));
  }
  const key = (xs: string[]) => [...xs].sort().join('\n');
  if (key(od) !== key(re)) {
    const missing = od.filter((x) => !re.includes(x)).slice(0, 2);
    throw new Error(`${sc.name}: OData and REST read different ${sc.same} (${od.length} / ${re.length}; OData only: ${missing.join(' ')})`);
  }
}

/** Rows in an answer: OData `value`, an Asset Management page, a time series array, aggregates, or a count. */
function countRows(text: string): number {
  const v = JSON.parse(text) as unknown;
  if (typeof v === 'number') return 1;
  if (Array.isArray(v)) return v.length;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o['value'])) {
    return (o['value'] as Record<string, unknown>[]).reduce((n, e) => n + 1 + Object.values(e).filter(Array.isArray).reduce((m, a) => m + (a as unknown[]).length, 0), 0);
  }
  if (Array.isArray(o['aggregates'])) return (o['aggregates'] as unknown[]).length;
  const embedded = o['_embedded'] as { assets?: unknown[] } | undefined;
  return embedded?.assets?.length ?? 0;
}

await main();
