/**
 * Asset list benchmark (issue 4): a tenant with 100,000 assets in a 10-level hierarchy; p50/p99 of HTTP list,
 * hasType filter, startsWith filter, parentId filter and deep paging, beside the raw SQLite time of the same
 * queries measured in the same run (the server caches list totals until the table changes; the raw column always
 * counts). Run: `npx tsc -p . && node dist/bench/assets.js [assetCount]`.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ASSET_COLUMNS, type SqliteAssetStore } from '../src/assets/store/sqlite.js';
import { ASSET_FIELDS } from '../src/assets/asset-service.js';
import { newAssetId, subtreePrefix, type AssetRecord } from '../src/assets/records.js';
import { parseFilter, rewriteField, toSql, type FilterNode } from '../src/core/filter.js';
import { startServer } from '../test/helpers/server.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const LEVELS = 10;
const RUNS = 300;

function quantiles(samples: number[]): { p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

async function main() {
  const loadStart = os.loadavg()[0]!.toFixed(1);
  const s = await startServer({ sqliteSync: 'normal' });
  const T = s.tenant;
  const am = (p: string, init?: RequestInit) => s.api(`/api/assetmanagement/v3${p}`, init);
  // a small type family: Machine ← Motor ← ServoMotor, Machine ← Pump; plus core types
  const types: [string, string][] = [['Machine', 'core.basicdevice'], ['Motor', `${T}.Machine`], ['ServoMotor', `${T}.Motor`], ['Pump', `${T}.Machine`]];
  for (const [n, parent] of types) {
    const r = await am(`/assettypes/${T}.${n}`, { method: 'PUT', body: JSON.stringify({ name: n, parentTypeId: parent }) });
    if (r.status !== 201) throw new Error(await r.text());
  }
  const typeIds = ['core.basicsite', 'core.basicarea', `${T}.Machine`, `${T}.Motor`, `${T}.ServoMotor`, `${T}.Pump`, 'core.basicasset'];
  const rootRes = await (await am('/assets/root')).json() as { assetId: string };
  const store = s.platform.assets.store as SqliteAssetStore;
  const root = (await store.getAsset(T, rootRes.assetId))!;

  // Level sizes grow geometrically so that 9 levels below the root hold TOTAL - 1 assets.
  const weights = Array.from({ length: LEVELS - 1 }, (_, i) => 2.2 ** i);
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / sum) * (TOTAL - 1))));
  sizes[sizes.length - 1]! += TOTAL - 1 - sizes.reduce((a, b) => a + b, 0);
  let seed = 42;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const t0 = performance.now();
  let previous: AssetRecord[] = [root];
  let count = 0;
  for (const [level, size] of sizes.entries()) {
    const current: AssetRecord[] = [];
    const pending: Promise<void>[] = [];
    store.db.transaction(() => {
      for (let i = 0; i < size; i++) {
        const parent = previous[rnd(previous.length)]!;
        const typeId = typeIds[rnd(typeIds.length)]!;
        const a: AssetRecord = {
          assetId: newAssetId(), tenant: T, name: `${typeId.split('.')[1]}-${String(count++).padStart(6, '0')}`,
          externalId: `ext-${count}`, description: '', typeId, parentId: parent.assetId, path: subtreePrefix(parent),
          timezone: 'UTC', twinType: 'performance', subTenant: null, location: null, variables: [], aspects: [],
          fileAssignments: [], etag: 0, deleted: null, createdAt: Date.now(),
        };
        pending.push(store.createAsset(a));
        current.push(a);
      }
    })();
    await Promise.all(pending);
    process.stderr.write(`level ${level + 1}: ${size} assets\n`);
    previous = current;
  }
  store.analyze();
  const seedSeconds = (performance.now() - t0) / 1000;
  const sampleParent = previous[0]!.parentId!;

  const cat = await s.platform.assets.service.catalog(T);
  const scenarios: { name: string; query: () => string }[] = [
    { name: 'list page 0 (size 10, sort name)', query: () => 'size=10' },
    { name: 'filter hasType Machine (3 derived types)', query: () => `size=10&filter=${encodeURIComponent(JSON.stringify({ hasType: `${T}.Machine` }))}` },
    { name: 'filter hasType ServoMotor', query: () => `size=10&filter=${encodeURIComponent(JSON.stringify({ hasType: `${T}.ServoMotor` }))}` },
    { name: 'filter name startsWith (prefix of ~14)', query: () => `size=10&filter=${encodeURIComponent(JSON.stringify({ name: { startsWith: `Motor-0${String(rnd(999)).padStart(3, '0')}` } }))}` },
    { name: 'filter parentId (children of one asset)', query: () => `size=10&filter=${encodeURIComponent(JSON.stringify({ parentId: sampleParent }))}` },
    { name: 'paging size 200, random page of 500', query: () => `size=200&page=${rnd(Math.ceil(TOTAL / 200))}` },
    { name: 'paging size 10, random deep page', query: () => `size=10&page=${rnd(Math.ceil(TOTAL / 10))}` },
  ];
  const rows: string[] = [];
  for (const sc of scenarios) {
    const http: number[] = [];
    const raw: number[] = [];
    let total = -1;
    for (let i = 0; i < RUNS + 20; i++) {
      const q = sc.query();
      // HTTP: the whole request (auth, parse, query, render)
      const h0 = performance.now();
      const res = await am(`/assets?${q}`);
      const body = await res.json() as { page: { totalElements: number } };
      const h1 = performance.now();
      if (res.status !== 200) throw new Error(JSON.stringify(body));
      total = body.page.totalElements;
      // raw SQLite: the same count (uncached) and page query straight on the database, no JSON decoding
      const params = new URLSearchParams(q);
      const size = Number(params.get('size'));
      const page = Number(params.get('page') ?? 0);
      let f: FilterNode | null = parseFilter(params.get('filter') ?? undefined, ASSET_FIELDS);
      f = rewriteField(f, 'hasType', (n) => ({ kind: 'in', field: 'typeId', values: n.kind === 'eq' && typeof n.value === 'string' ? cat.family(n.value) : [] }));
      const sql = toSql(f, (x) => ASSET_COLUMNS[x]!);
      const where = `tenant = ? AND deleted IS NULL AND ${sql.sql}`;
      const r0 = performance.now();
      store.db.prepare(`SELECT COUNT(*) AS n FROM assets WHERE ${where}`).get(T, ...sql.params);
      store.db.prepare(`SELECT * FROM assets WHERE rowid IN (SELECT rowid FROM assets WHERE ${where}
        ORDER BY name ASC, asset_id ASC LIMIT ? OFFSET ?) ORDER BY name ASC, asset_id ASC`).all(T, ...sql.params, size, page * size);
      const r1 = performance.now();
      if (i >= 20) { http.push(h1 - h0); raw.push(r1 - r0); }
    }
    const h = quantiles(http);
    const r = quantiles(raw);
    rows.push(`| ${sc.name} | ${total} | ${h.p50.toFixed(2)} | ${h.p99.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(h.p50 / r.p50).toFixed(1)}× |`);
  }
  process.stdout.write([
    `assets: ${TOTAL} in ${LEVELS} levels (seeded in ${seedSeconds.toFixed(1)} s), ${RUNS} runs per scenario, node ${process.version}, `
      + `${os.cpus().length} CPUs, 1-minute load average ${loadStart} at start, ${os.loadavg()[0]!.toFixed(1)} at end`,
    '',
    '| scenario | matches | HTTP p50 ms | HTTP p99 ms | raw SQLite p50 ms | raw SQLite p99 ms | HTTP/raw p50 |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'));
  await s.close();
}

await main();
