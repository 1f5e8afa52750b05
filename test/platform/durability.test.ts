/**
 * An acknowledged write survives kill -9 (issue "Foundation", Storage; "Hostile clients", Durability): a real
 * `ironbridge serve` process takes concurrent asset creations, single-series time series PUTs and multi-entity
 * PUTs, is killed with SIGKILL mid-load, restarts on the same data directory, and every write it acknowledged is
 * there, with the binding key and signing keys intact; of the requests in flight at the kill, each is stored
 * whole or not at all (a multi-entity PUT across its pairs too). Every new write path joins this test.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fetchToken, spawnServer } from '../helpers/server.js';
import { AM, DURABLE_ENV, loadLoops, startDurable } from './durable-server.js';

const TS = '/api/iottimeseries/v3/timeseries';
const T0 = Date.parse('2024-01-01T00:00:00.000Z');
/** Records per single-series PUT, and per pair of a multi-entity PUT (two pairs: 50 records, within its 100). */
const SINGLE = 50;
const PAIR = 25;

/** Every record of a series, following the Link header. */
async function readAll(url: string, headers: Record<string, string>, asset: string): Promise<{ req: number; i: number }[]> {
  const out: { req: number; i: number }[] = [];
  let next: string | undefined = `${TS}/${asset}/Dur?from=${new Date(T0 - 1).toISOString()}&to=${new Date(T0 + 1e9).toISOString()}`;
  while (next) {
    const res: Response = await fetch(`${url}${next}`, { headers });
    assert.equal(res.status, 200);
    out.push(...(await res.json() as { req: number; i: number }[]));
    next = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return out;
}

/** Record counts per request id. */
function byRequest(records: readonly { req: number; i: number }[]): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const r of records) {
    const s = out.get(r.req) ?? new Set<number>();
    s.add(r.i);
    out.set(r.req, s);
  }
  return out;
}

it('every acknowledged write survives kill -9 of the server mid-load, and no request is half stored', async () => {
  const { dataDir, first, tenant, key, token, headers, am, root } = await startDurable();
  const env = DURABLE_ENV;
  await am('PUT', `/aspecttypes/${tenant}.Dur`, { name: 'Dur', category: 'dynamic', scope: 'private', description: 'durability',
    variables: [{ name: 'req', dataType: 'INT', unit: '' }, { name: 'i', dataType: 'INT', unit: '' }] }, { 'if-none-match': '*' });
  await am('PUT', `/assettypes/${tenant}.DurType`, { name: 'DurType', parentTypeId: 'core.basicasset',
    aspects: [{ name: 'Dur', aspectTypeId: `${tenant}.Dur` }] }, { 'if-none-match': '*' });
  const series = async (name: string) => (await am('POST', '/assets', { name, typeId: `${tenant}.DurType`, parentId: root.assetId }))['assetId'] as string;
  const [P, M1, M2] = [await series('single'), await series('multi-1'), await series('multi-2')];

  const acknowledged = { assets: [] as { assetId: string; name: string }[], single: [] as number[], multi: [] as number[] };
  const counters = { assets: 0, single: 0, multi: 0 };
  const records = (req: number, n: number) => Array.from({ length: n }, (_, i) => ({ _time: new Date(T0 + req * 100 + i).toISOString(), req, i }));
  const jobs = {
    assets: async () => {
      const name = `durable-${counters.assets++}`;
      const res = await fetch(`${first.url}${AM}/assets`, {
        method: 'POST', headers, body: JSON.stringify({ name, typeId: 'core.basicasset', parentId: root.assetId }),
      });
      if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
      const body = await res.json() as { assetId: string; name: string };
      acknowledged.assets.push({ assetId: body.assetId, name: body.name });
    },
    single: async () => {
      const req = counters.single++;
      const res = await fetch(`${first.url}${TS}/${P}/Dur`, { method: 'PUT', headers, body: JSON.stringify(records(req, SINGLE)) });
      if (res.status !== 204) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
      acknowledged.single.push(req);
    },
    multi: async () => {
      const req = counters.multi++;
      const data = records(req, PAIR);
      const res = await fetch(`${first.url}${TS}`, { method: 'PUT', headers, body: JSON.stringify({ timeseries: [
        { entityId: M1, propertySetName: 'Dur', data }, { entityId: M2, propertySetName: 'Dur', data }] }) });
      const body = await res.text();
      if (res.status !== 202 || body !== '{"errors":[]}') throw new Error(`unexpected ${res.status}: ${body}`);
      acknowledged.multi.push(req);
    },
  };
  const load = loadLoops((['assets', 'assets', 'single', 'single', 'multi', 'multi'] as const).map((kind) => jobs[kind]));
  // Kill while requests of every kind are in flight, once a meaningful number of each has been acknowledged.
  while (acknowledged.assets.length < 150 || acknowledged.single.length < 40 || acknowledged.multi.length < 40) {
    await new Promise((r) => setTimeout(r, 5));
  }
  first.child.kill('SIGKILL');
  const failed = await load.end();
  assert.equal(await first.stop(), null, 'killed by a signal');
  const count = acknowledged.assets.length;

  const second = await spawnServer(dataDir, env);
  try {
    assert.ok(!/clientSecret/.test(second.output()), 'restart must not re-provision');
    const token2 = await fetchToken(second.url, key);
    const headers2 = { authorization: `Bearer ${token2}` };
    // A token issued before the crash still verifies: signing keys were durable too.
    assert.equal((await fetch(`${second.url}${AM}/assets/root`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    const missing: string[] = [];
    for (const a of acknowledged.assets) {
      const res = await fetch(`${second.url}${AM}/assets/${a.assetId}`, { headers: headers2 });
      if (res.status !== 200 || ((await res.json()) as { name: string }).name !== a.name) missing.push(a.name);
    }
    assert.deepEqual(missing, [], `${missing.length} of ${count} acknowledged writes lost (${failed} in flight at the kill)`);
    const filter = encodeURIComponent(JSON.stringify({ name: { startsWith: 'durable-' } }));
    const list = await (await fetch(`${second.url}${AM}/assets?filter=${filter}&size=1`, { headers: headers2 })).json() as { page: { totalElements: number } };
    assert.ok(list.page.totalElements >= count, `${list.page.totalElements} stored < ${count} acknowledged`);

    // Single-series PUTs: every acknowledged request whole, every stored one whole.
    const single = byRequest(await readAll(second.url, headers2, P));
    assert.deepEqual(acknowledged.single.filter((req) => single.get(req)?.size !== SINGLE), [], 'acknowledged single-series PUTs lost or cut');
    assert.deepEqual([...single].filter(([, is]) => is.size !== SINGLE).map(([req]) => req), [], 'a half-stored single-series PUT');
    // Multi-entity PUTs: both pairs of a request, or neither.
    const m1 = byRequest(await readAll(second.url, headers2, M1));
    const m2 = byRequest(await readAll(second.url, headers2, M2));
    assert.deepEqual(acknowledged.multi.filter((req) => m1.get(req)?.size !== PAIR || m2.get(req)?.size !== PAIR), [],
      'acknowledged multi-entity PUTs lost or cut');
    const stored = new Set([...m1.keys(), ...m2.keys()]);
    assert.deepEqual([...stored].filter((req) => m1.get(req)?.size !== PAIR || m2.get(req)?.size !== PAIR), [],
      'a half-stored multi-entity PUT');
    assert.ok(single.size >= acknowledged.single.length && stored.size >= acknowledged.multi.length);
  } finally {
    await second.stop();
  }
});
