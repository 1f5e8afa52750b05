/**
 * Group commit survives kill -9 (issue 17, "Done when"): many concurrent writers of time series — single-series
 * PUTs and multi-entity PUTs over several pairs — share commits in a real `ironbridge serve` process, which is
 * killed with SIGKILL mid-load and restarted on the same data directory. Every acknowledged request is stored
 * whole; every stored request is whole (no half request, across the pairs of a multi-entity PUT too).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fetchToken, spawnServer } from '../helpers/server.js';
import { AM, DURABLE_ENV, startDurable } from './durable-server.js';

const TS = '/api/iottimeseries/v3/timeseries';
const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const WRITERS = 24;
const SINGLE = 20;
const PAIRS = 4;
const PAIR = 10;

type Rec = { w: number; req: number; i: number };

async function readAll(url: string, headers: Record<string, string>, asset: string): Promise<Rec[]> {
  const out: Rec[] = [];
  let next: string | undefined = `${TS}/${asset}/Grp?from=${new Date(T0 - 1).toISOString()}&to=${new Date(T0 + 1e10).toISOString()}`;
  while (next) {
    const res: Response = await fetch(`${url}${next}`, { headers });
    assert.equal(res.status, 200);
    out.push(...(await res.json() as Rec[]));
    next = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return out;
}

it('every acknowledged time series write of many concurrent writers survives kill -9, and none is half stored', async () => {
  const { dataDir, first, tenant, key, headers, am, root } = await startDurable();
  const env = DURABLE_ENV;
  await am('PUT', `/aspecttypes/${tenant}.Grp`, { name: 'Grp', category: 'dynamic', scope: 'private', description: 'group commit',
    variables: ['w', 'req', 'i'].map((name) => ({ name, dataType: 'INT', unit: '' })) }, { 'if-none-match': '*' });
  await am('PUT', `/assettypes/${tenant}.GrpType`, { name: 'GrpType', parentTypeId: 'core.basicasset',
    aspects: [{ name: 'Grp', aspectTypeId: `${tenant}.Grp` }] }, { 'if-none-match': '*' });
  const assets: string[] = [];
  for (let a = 0; a < PAIRS; a++) {
    assets.push((await am('POST', '/assets', { name: `grp-${a}`, typeId: `${tenant}.GrpType`, parentId: root.assetId }))['assetId'] as string);
  }

  // Writer w writes requests req = 0, 1, …; odd writers send multi-entity PUTs over every asset, even ones
  // single-series PUTs to asset w % PAIRS. Timestamps are unique per (writer, request, record).
  const acknowledged: { w: number; req: number }[] = [];
  let stop = false;
  const at = (w: number, req: number, i: number) => new Date(T0 + ((req * WRITERS + w) * 100 + i) * 1000).toISOString();
  const writer = async (w: number) => {
    for (let req = 0; !stop; req++) {
      try {
        if (w % 2 === 0) {
          const data = Array.from({ length: SINGLE }, (_, i) => ({ _time: at(w, req, i), w, req, i }));
          const res = await fetch(`${first.url}${TS}/${assets[w % PAIRS]}/Grp`, { method: 'PUT', headers, body: JSON.stringify(data) });
          if (res.status !== 204) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        } else {
          const data = Array.from({ length: PAIR }, (_, i) => ({ _time: at(w, req, i), w, req, i }));
          const res = await fetch(`${first.url}${TS}`, { method: 'PUT', headers,
            body: JSON.stringify({ timeseries: assets.map((entityId) => ({ entityId, propertySetName: 'Grp', data })) }) });
          const body = await res.text();
          if (res.status !== 202 || body !== '{"errors":[]}') throw new Error(`unexpected ${res.status}: ${body}`);
        }
        acknowledged.push({ w, req });
      } catch (err) {
        if (!stop) throw err;
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 5));
  first.child.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  assert.equal(await first.stop(), null, 'killed by a signal');

  const second = await spawnServer(dataDir, env);
  try {
    const headers2 = { authorization: `Bearer ${await fetchToken(second.url, key)}` };
    // (writer, request) -> records stored per asset
    const stored = new Map<string, number[]>();
    for (let a = 0; a < PAIRS; a++) {
      for (const r of await readAll(second.url, headers2, assets[a]!)) {
        const k = `${r.w}/${r.req}`;
        const counts = stored.get(k) ?? new Array<number>(PAIRS).fill(0);
        counts[a]!++;
        stored.set(k, counts);
      }
    }
    const whole = (w: number, counts: number[] | undefined) => counts !== undefined && (w % 2 === 0
      ? counts.every((c, a) => c === (a === w % PAIRS ? SINGLE : 0))
      : counts.every((c) => c === PAIR));
    const lost = acknowledged.filter(({ w, req }) => !whole(w, stored.get(`${w}/${req}`)));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged requests lost or cut`);
    const half = [...stored].filter(([k, counts]) => !whole(Number(k.split('/')[0]), counts)).map(([k]) => k);
    assert.deepEqual(half, [], 'half-stored requests');
  } finally {
    await second.stop();
  }
});
