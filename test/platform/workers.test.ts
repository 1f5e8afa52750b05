/**
 * `ironbridge serve --workers 2` as a child process, over the wire: one ready line and one set of first-start
 * secrets; connections spread over both workers (each worker takes half the connection cap); a write through one
 * worker, or by the CLI, is seen by the next request on every connection (asset types, revocation by the CLI, time
 * series after another worker dropped the series) or, for the registry, within its promised millisecond; a killed worker is replaced; SIGTERM
 * stops the primary and every worker with exit code 0.
 */
import assert from 'node:assert/strict';
import { REGISTRY_OTHER_WRITERS_MS } from '../../src/gateway/store/sqlite.js';
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../gateway/helpers.js';
import { sample } from '../helpers/metrics.js';
import { type ChildServer, runCli, spawnServer, tempDir } from '../helpers/server.js';

interface Reply {
  status: number;
  body: string;
}

/** One keep-alive TCP connection: every request of this object goes over the same socket. */
class Connection {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly sockets = new Set<Socket>();

  constructor(private readonly url: string) {}

  request(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const u = new URL(this.url);
    return new Promise((resolve, reject) => {
      const req = http.request({ hostname: u.hostname, port: u.port, path, method: init.method ?? 'GET', agent: this.agent,
        headers: init.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('socket', (s: Socket) => this.sockets.add(s));
      req.on('error', reject);
      req.end(init.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listeningPids = (out: string): number[] =>
  [...out.matchAll(/"workerPid":(\d+),[^\n]*"msg":"worker listening"/g)].map((m) => Number(m[1]));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function tokenOver(c: Connection, key: { clientId: string; clientSecret: string }): Promise<string> {
  const r = await c.request('/oauth/token', {
    method: 'POST', body: 'grant_type=client_credentials',
    headers: { authorization: `Basic ${Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { access_token: string }).access_token;
}

describe('serve --workers 2', () => {
  const dataDir = tempDir();
  let server: ChildServer;
  let backend: Backend;
  let ready: { url: string; publicUrl: string; firstStart: { tenant: string; secretsFile: string; key: { clientId: string; clientSecret: string; tokenUrl: string } } };
  let conns: Connection[] = [];
  let token: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  before(async () => {
    backend = await startBackend();
    // a cap of 4 gives each of the 2 workers 2 connections, all of which this one test address may hold
    server = await spawnServer(dataDir, { IRONBRIDGE_GATEWAY_MAX_CONNECTIONS: '4', IRONBRIDGE_GATEWAY_ADDRESS_SHARE: '100' }, ['--workers', '2', '--json']);
    const line = server.output().split('\n').find((l) => l.startsWith('{"ready":true'));
    ready = JSON.parse(line!);
    // The secrets are in the 0600 file the ready line names, never in the line itself.
    ready.firstStart.key = (JSON.parse(fs.readFileSync(ready.firstStart.secretsFile, 'utf8')) as typeof ready.firstStart).key;
  });
  after(async () => {
    for (const c of conns) c.close();
    await backend.close();
    if (server.child.exitCode === null) await server.stop('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the ready line once, with the port the workers share, and hands the first-start secrets over once', () => {
    const out = server.output();
    assert.equal(out.split('\n').filter((l) => l.startsWith('{"ready":true')).length, 1);
    assert.equal((out.match(/Ironbridge is ready/g) ?? []).length, 1);
    const pids = listeningPids(out);
    assert.equal(new Set(pids).size, 2, out);
    assert.ok(!pids.includes(server.child.pid!));
    assert.equal(ready.url, server.url);
    const port = new URL(server.url).port;
    assert.notEqual(port, '0');
    assert.equal(ready.publicUrl, `http://localhost:${port}`);
    assert.equal(ready.firstStart.key.tokenUrl, `http://localhost:${port}/oauth/token`);
    assert.ok(!out.includes(ready.firstStart.key.clientSecret), 'no secret on stdout or in a log line');
  });

  it('spreads connections over both workers, each holding half of the connection cap', async () => {
    // Opened one after the other, connections alternate between the workers (node:cluster round robin).
    for (let i = 0; i < 4; i++) {
      const c = new Connection(server.url);
      conns.push(c);
      // If two workers did not share the four, the third connection on one worker would exceed its cap of 2.
      assert.equal((await c.request('/health')).status, 200, `connection ${i}`);
    }
    const fifth = new Connection(server.url);
    const refused = await fifth.request('/health');
    fifth.close();
    assert.equal(refused.status, 503);
    assert.match(refused.body, /at most 2/);
    token = await tokenOver(conns[0]!, ready.firstStart.key);
  });

  it('every worker is ready after the bootstrap, and /metrics on any worker sums the requests of both', async () => {
    for (const c of conns) for (let i = 0; i < 2; i++) assert.equal((await c.request('/ready')).status, 200);
    for (const c of conns.slice(0, 2)) {
      const text = (await c.request('/metrics')).body;
      assert.equal(sample(text, 'ironbridge_http_requests_total', { route: '/ready', status: '200' }), 8, 'both workers counted');
    }
  });

  it('an asset type created through one worker is seen at once on every connection', async () => {
    const id = `${ready.firstStart.tenant}.Pump`;
    const path = `/api/assetmanagement/v3/assettypes/${id}`;
    const list = `/api/assetmanagement/v3/assettypes?filter=${encodeURIComponent(JSON.stringify({ id }))}`;
    for (const c of conns) {
      assert.equal((await c.request(path, { headers: auth() })).status, 404);
      assert.equal(JSON.parse((await c.request(list, { headers: auth() })).body).page.totalElements, 0);
    }
    const created = await conns[1]!.request(path, { method: 'PUT', headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Pump', parentTypeId: 'core.basicasset' }) });
    assert.equal(created.status, 201, created.body);
    for (const [i, c] of conns.entries()) {
      assert.equal((await c.request(path, { headers: auth() })).status, 200, `connection ${i}`);
      assert.equal(JSON.parse((await c.request(list, { headers: auth() })).body).page.totalElements, 1, `connection ${i}`);
    }
  });

  it('a web app registered through one worker is routed within a millisecond on every connection, after cached "unknown" answers', async () => {
    const host = `${ready.firstStart.tenant}-viewer.local.localhost:${new URL(server.url).port}`;
    for (const c of conns) assert.equal((await c.request('/', { headers: { ...auth(), host } })).status, 404);
    const reg = await conns[2]!.request('/api/gatewayregistry/v1/apps', {
      method: 'POST', headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'viewer', target: backend.url, patterns: ['/**'] }),
    });
    assert.equal(reg.status, 201, reg.body);
    await new Promise((r) => setTimeout(r, REGISTRY_OTHER_WRITERS_MS + 2));
    for (const [i, c] of conns.entries()) {
      const r = await c.request('/page', { headers: { ...auth(), host } });
      assert.equal(r.status, 200, `connection ${i}: ${r.body}`);
      assert.equal(JSON.parse(r.body).url, '/page');
    }
  });

  it('a binding key revoked by the CLI stops working at once on every connection', async () => {
    const env = { IRONBRIDGE_DATA_DIR: dataDir };
    const created = await runCli(['keys', 'create', '--name', 'shortlived', '--json'], { env });
    assert.equal(created.code, 0, created.stderr);
    const key = JSON.parse(created.stdout) as { clientId: string; clientSecret: string };
    const keyToken = await tokenOver(conns[3]!, key);
    const path = '/api/assetmanagement/v3/assettypes?size=1';
    // every worker has verified (and cached) the token
    for (const c of conns) assert.equal((await c.request(path, { headers: { authorization: `Bearer ${keyToken}` } })).status, 200);
    const revoked = await runCli(['keys', 'revoke', '--name', 'shortlived'], { env });
    assert.equal(revoked.code, 0, revoked.stderr);
    for (const [i, c] of conns.entries()) {
      const r = await c.request(path, { headers: { authorization: `Bearer ${keyToken}` } });
      assert.equal(r.status, 401, `connection ${i}`);
    }
    for (const c of conns) assert.equal(c.sockets.size, 1, 'each connection stayed one TCP connection');
  });

  it('time series written through one worker after another worker removed and re-added the aspect are read everywhere', async () => {
    const T = ready.firstStart.tenant;
    const AM = '/api/assetmanagement/v3';
    const TS = '/api/iottimeseries/v3/timeseries';
    const send = async (c: Connection, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const r = await c.request(path, { method, headers: { ...auth(), 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined };
    };
    const [a, b] = [conns[0]!, conns[1]!]; // opened one after the other: different workers
    assert.equal((await send(a, 'PUT', `${AM}/aspecttypes/${T}.Vib`, { name: 'Vib', category: 'dynamic', scope: 'private',
      description: 'vibration', variables: [{ name: 'v', dataType: 'DOUBLE', unit: 'mm', searchable: false, qualityCode: false }] })).status, 201);
    const withVib = { name: 'Motor', parentTypeId: 'core.basicasset', aspects: [{ name: 'Vib', aspectTypeId: `${T}.Vib` }] };
    const type = await send(a, 'PUT', `${AM}/assettypes/${T}.Motor`, withVib);
    assert.equal(type.status, 201, JSON.stringify(type.body));
    const root = (await send(a, 'GET', `${AM}/assets/root`)).body.assetId as string;
    const asset = await send(a, 'POST', `${AM}/assets`, { name: 'm1', typeId: `${T}.Motor`, parentId: root });
    assert.equal(asset.status, 201, JSON.stringify(asset.body));
    const series = `${TS}/${asset.body.assetId}/Vib`;
    const range = '?from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z';
    // both workers now know the series
    assert.equal((await send(a, 'PUT', series, [{ _time: '2024-01-01T00:00:01Z', v: 1 }])).status, 204);
    assert.equal((await send(b, 'GET', series + range)).body.length, 1);
    // worker a removes the aspect (its series are deleted) and adds it again
    let etag = String((await send(a, 'GET', `${AM}/assettypes/${T}.Motor`)).body.etag);
    assert.equal((await send(a, 'PUT', `${AM}/assettypes/${T}.Motor`, { ...withVib, aspects: [] }, { 'if-match': etag })).status, 200);
    etag = String((await send(a, 'GET', `${AM}/assettypes/${T}.Motor`)).body.etag);
    assert.equal((await send(a, 'PUT', `${AM}/assettypes/${T}.Motor`, withVib, { 'if-match': etag })).status, 200);
    assert.deepEqual((await send(b, 'GET', series + range)).body, []);
    assert.equal((await send(b, 'PUT', series, [{ _time: '2024-01-01T00:00:02Z', v: 2 }])).status, 204);
    for (const [i, c] of conns.entries()) {
      assert.deepEqual((await send(c, 'GET', series + range)).body, [{ _time: '2024-01-01T00:00:02.000Z', v: 2 }], `connection ${i}`);
    }
  });

  it('replaces a killed worker', async () => {
    for (const c of conns) c.close();
    conns = [];
    const before = listeningPids(server.output());
    const victim = before[0]!;
    process.kill(victim, 'SIGKILL');
    await until('a replacement worker', () => listeningPids(server.output()).length === 3);
    assert.match(server.output(), /"signal":"SIGKILL"[^\n]*worker exited unexpectedly; starting a replacement/);
    const now = listeningPids(server.output());
    assert.ok(!now.slice(2).includes(victim));
    assert.ok(pidAlive(now[2]!) && pidAlive(before[1]!));
    // both workers serve again: four fresh connections fit only when both take two
    for (let i = 0; i < 4; i++) {
      const c = new Connection(server.url);
      conns.push(c);
      assert.equal((await c.request('/health')).status, 200, `connection ${i}`);
    }
  });

  it('SIGTERM stops the primary and every worker with exit code 0', async () => {
    for (const c of conns) c.close();
    conns = [];
    const pids = listeningPids(server.output());
    assert.equal(await server.stop('SIGTERM'), 0);
    await until('every worker to exit', () => pids.every((p) => !pidAlive(p)), 5_000);
  });
});

describe('serve --workers without --json', () => {
  it('hands the first-start secrets over once (without a terminal: one 0600 file) and stops with exit code 0', async () => {
    const dataDir = tempDir();
    const server = await spawnServer(dataDir, {}, ['--workers', '2']);
    try {
      assert.equal((server.output().match(/"secretsFile":/g) ?? []).length, 2, 'the warning and the ready line name the file, once each');
      assert.equal((server.output().match(/"msg":"first start: the admin password/g) ?? []).length, 1);
      assert.ok(fs.existsSync(`${dataDir}/first-start-secrets.json`));
      assert.ok(!/admin password {2}/.test(server.output()), 'no banner on a pipe');
      assert.equal(await server.stop('SIGINT'), 0);
    } finally {
      if (server.child.exitCode === null) await server.stop('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a bad worker count naming the flag and the rule', async () => {
    for (const bad of ['0', '65', 'many']) {
      const r = await runCli(['serve', '--workers', bad, '--data-dir', tempDir()]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /--workers/);
      assert.match(r.stderr, /1\.\.64|auto/);
    }
  });
});
