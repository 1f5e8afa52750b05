/**
 * kill -9 durability of the write paths of wave 2 ("Hostile clients", Durability: every new write path joins it): a
 * real `ironbridge serve` process takes data lake object uploads, IoT file uploads and agent exchanges (the public
 * SDK's MindConnectAgent, bulk posts of several timestamps) at once, is killed with SIGKILL mid-load and restarted on
 * the same data directory; every upload it acknowledged comes back byte for byte (SHA-256), every acknowledged
 * exchange has all of its records, and of the requests in flight at the kill each is stored whole or not at all.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { MindConnectAgent } from '@mindconnect/mindconnect-nodejs';
import { fetchToken, spawnServer, tempDir } from '../helpers/server.js';
import { DURABLE_ENV, loadLoops, startDurable } from './durable-server.js';

const DL = '/api/datalake/v3';
const IOT = '/api/iotfile/v3/files';
const TS = '/api/iottimeseries/v3/timeseries';
const AGM = '/api/agentmanagement/v3';
const T0 = Date.parse('2024-03-01T00:00:00.000Z');
/** Timestamps per agent exchange (one bulk post). */
const PER_EXCHANGE = 5;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A body of its own for upload `n` of `kind`: 1-64 KiB, so uploads of several writes each are in flight. */
function body(kind: string, n: number): Buffer {
  const size = 1024 + ((n * 7919) % (63 * 1024));
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + n * 17 + kind.length) & 0xff;
  return b;
}

it('acknowledged data lake uploads, IoT file uploads and agent exchanges survive kill -9 mid-load, none half stored', async () => {
  const { dataDir, first, tenant, key, headers, am, root } = await startDurable();
  const json = { ...headers };
  const raw = { authorization: headers['authorization']!, 'content-type': 'application/octet-stream' };
  await am('PUT', `/aspecttypes/${tenant}.Ex`, { name: 'Ex', category: 'dynamic', scope: 'private', description: 'exchange durability',
    variables: [{ name: 'req', dataType: 'INT', unit: '' }, { name: 'i', dataType: 'INT', unit: '' }] }, { 'if-none-match': '*' });
  await am('PUT', `/assettypes/${tenant}.ExType`, { name: 'ExType', parentTypeId: 'core.basicasset',
    aspects: [{ name: 'Ex', aspectTypeId: `${tenant}.Ex` }] }, { 'if-none-match': '*' });
  const target = (await am('POST', '/assets', { name: 'exchange-target', typeId: `${tenant}.ExType`, parentId: root.assetId }))['assetId'] as string;
  const self = (await am('POST', '/assets', { name: 'agent-self', typeId: 'core.basicasset', parentId: root.assetId }))['assetId'] as string;
  const created = await fetch(`${first.url}${AGM}/agents`, { method: 'POST', headers: json,
    body: JSON.stringify({ name: 'durable-agent', entityId: self, securityProfile: 'SHARED_SECRET' }) });
  assert.equal(created.status, 201, await created.text());
  const boarding = await (await fetch(`${first.url}${AGM}/agents/${self}/boarding/configuration`, { headers: json })).json() as
    { content: { baseUrl: string } };
  // the boarding configuration names the pinned public URL; the agent talks to the child's real port
  const agent = new MindConnectAgent({ ...boarding, content: { ...boarding.content, baseUrl: first.url } } as never, undefined,
    tempDir('ironbridge-durable-agent-'));
  assert.equal(await agent.OnBoard(), 'ONBOARDED');
  await agent.ConfigureAgentForAssetId(target);

  const acknowledged = { lake: [] as number[], iot: [] as number[], exchange: [] as number[] };
  const counters = { lake: 0, iot: 0, exchange: 0 };
  const jobs = {
    lake: async () => {
      const n = counters.lake++;
      const res = await fetch(`${first.url}${DL}/objects/durable/lake-${n}.bin`, { method: 'PUT', headers: raw, body: body('lake', n) });
      if (res.status !== 200) throw new Error(`data lake upload: ${res.status} ${await res.text()}`);
      acknowledged.lake.push(n);
    },
    iot: async () => {
      const n = counters.iot++;
      const res = await fetch(`${first.url}${IOT}/${target}/durable/iot-${n}.bin`, { method: 'PUT', headers: raw, body: body('iot', n) });
      if (res.status !== 201 && res.status !== 200 && res.status !== 204) throw new Error(`IoT file upload: ${res.status} ${await res.text()}`);
      acknowledged.iot.push(n);
    },
    exchange: async () => {
      const req = counters.exchange++;
      const ok = await agent.BulkPostData(Array.from({ length: PER_EXCHANGE }, (_, i) => ({
        timestamp: new Date(T0 + req * 100 + i).toISOString(),
        values: [{ dataPointId: 'DP-req', qualityCode: '0', value: String(req) }, { dataPointId: 'DP-i', qualityCode: '0', value: String(i) }] })));
      if (ok !== true) throw new Error('exchange not acknowledged');
      acknowledged.exchange.push(req);
    },
  };
  const load = loadLoops((['lake', 'lake', 'iot', 'iot', 'exchange'] as const).map((kind) => jobs[kind]));
  while (acknowledged.lake.length < 40 || acknowledged.iot.length < 40 || acknowledged.exchange.length < 10) {
    await new Promise((r) => setTimeout(r, 5));
  }
  first.child.kill('SIGKILL');
  const failed = await load.end();
  assert.equal(await first.stop(), null, 'killed by a signal');

  const second = await spawnServer(dataDir, DURABLE_ENV);
  try {
    const h = { authorization: `Bearer ${await fetchToken(second.url, key)}` };
    const bytes = async (path: string) => {
      const res = await fetch(`${second.url}${path}`, { headers: h });
      return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined;
    };
    // acknowledged uploads: every byte; in-flight ones (the next few numbers): whole or absent
    for (const [kind, base, acked, next] of [['lake', `${DL}/objects/durable/lake-`, acknowledged.lake, counters.lake],
      ['iot', `${IOT}/${target}/durable/iot-`, acknowledged.iot, counters.iot]] as const) {
      const lost: number[] = [];
      const cut: number[] = [];
      for (let n = 0; n < next; n++) {
        const got = await bytes(`${base}${n}.bin`);
        if (got === undefined) { if (acked.includes(n)) lost.push(n); continue; }
        if (sha256(got) !== sha256(body(kind, n))) cut.push(n);
      }
      assert.deepEqual(lost, [], `${kind}: acknowledged uploads lost (${failed} requests in flight at the kill)`);
      assert.deepEqual(cut, [], `${kind}: uploads stored other than sent`);
    }
    // exchanges: every acknowledged one has all its records; none is stored in part
    const res = await fetch(`${second.url}${TS}/${target}/Ex?from=${new Date(T0 - 1).toISOString()}&to=${new Date(T0 + 1e9).toISOString()}&limit=2000`,
      { headers: h });
    assert.equal(res.status, 200);
    const byReq = new Map<number, Set<number>>();
    for (const r of await res.json() as { req: number; i: number }[]) byReq.set(r.req, (byReq.get(r.req) ?? new Set()).add(r.i));
    assert.deepEqual(acknowledged.exchange.filter((req) => byReq.get(req)?.size !== PER_EXCHANGE), [], 'acknowledged exchanges lost or cut');
    assert.deepEqual([...byReq].filter(([, is]) => is.size !== PER_EXCHANGE).map(([req]) => req), [], 'a half-stored exchange');
  } finally {
    await second.stop();
  }
});
