/**
 * The operations surface over the wire: /health checks each database, /ready is 503 until the bootstrap ran,
 * /metrics counts requests by route pattern and status, token checks, token-cache lookups, time series values and
 * SQLite write-lock waits, and /openapi.json holds every route of the server's route table.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { databasesIn } from '../../src/core/db.js';
import { createLogger } from '../../src/core/log.js';
import { firstStart } from '../../src/platform/bootstrap.js';
import { createPlatform } from '../../src/platform/platform.js';
import { sample } from '../helpers/metrics.js';
import { startServer, tempDir, useServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();

describe('health and readiness', () => {
  it('/ready answers 503 until the bootstrap ran, then 200; /health lists each database', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', secretHashCost: 10 }, {});
    const platform = await createPlatform(config, { logger: createLogger('silent') });
    try {
      const url = await platform.listen();
      const before = await fetch(`${url}/ready`);
      assert.equal(before.status, 503);
      assert.deepEqual(await before.json(), { status: 'STARTING' });
      await firstStart(platform);
      platform.markReady();
      assert.equal((await fetch(`${url}/ready`)).status, 200);
      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 200);
      // Every database the contexts opened answers (the four of wave 1 among them).
      const open = Object.fromEntries([...databasesIn(dataDir).keys()].map((name) => [name, 'UP']));
      for (const name of ['identity', 'gateway', 'assets', 'timeseries']) assert.ok(name in open, name);
      assert.deepEqual(await health.json(), { status: 'UP', databases: open });
      // A database that stops answering turns the health DOWN and names it.
      databasesIn(dataDir).get('timeseries')!.close();
      const down = await fetch(`${url}/health`);
      assert.equal(down.status, 503);
      const body = (await down.json()) as { status: string; databases: Record<string, string> };
      assert.equal(body.status, 'DOWN');
      assert.equal(body.databases['timeseries'], 'DOWN: closed');
      assert.equal(body.databases['assets'], 'UP');
    } finally {
      await platform.close();
    }
  });
});

describe('/metrics', () => {
  const s = useServer();

  it('counts requests by route pattern and status, and token checks and cache lookups', async () => {
    const before = await metrics(s().url);
    const root = (await (await s().api('/api/assetmanagement/v3/assets/root')).json()) as { assetId: string };
    assert.equal((await s().api(`/api/assetmanagement/v3/assets/${root.assetId}`)).status, 200);
    assert.equal((await s().api('/api/assetmanagement/v3/assets/0123456789abcdef0123456789abcdef')).status, 404);
    assert.equal((await s().api('/api/assetmanagement/v3/assets/root', { token: 'not-a-token' })).status, 401);
    assert.equal((await s().api('/no/such/path')).status, 404);
    const after = await metrics(s().url);
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    const route = '/api/assetmanagement/v3/assets/:id';
    assert.equal(delta('ironbridge_http_requests_total', { method: 'GET', route, status: '200' }), 1);
    assert.equal(delta('ironbridge_http_requests_total', { method: 'GET', route, status: '404' }), 1);
    assert.equal(delta('ironbridge_http_requests_total', { route: 'unmatched', status: '404' }), 1);
    assert.equal(delta('ironbridge_http_request_duration_seconds_count', { method: 'GET', route }), 2);
    assert.ok(!after.includes(root.assetId), 'no ids in labels');
    assert.equal(delta('ironbridge_token_checks_total', { outcome: 'rejected' }), 1);
    assert.ok(delta('ironbridge_token_checks_total', { outcome: 'valid' }) >= 3);
    assert.ok(delta('ironbridge_cache_lookups_total', { cache: 'verified_tokens', outcome: 'hit' }) >= 2);
    assert.match(after, /^ironbridge_process_cpu_seconds_total /m);
  });

  it('counts time series values written and the time a write waited for another connection\'s lock', async () => {
    const T = s().tenant;
    await s().api(`/api/assetmanagement/v3/aspecttypes/${T}.Env`, { method: 'PUT', headers: { 'if-none-match': '*' },
      body: JSON.stringify({ name: 'Env', category: 'dynamic', scope: 'private', variables: [
        { name: 't', dataType: 'DOUBLE', unit: 'C', searchable: false, qualityCode: true }] }) });
    await s().api(`/api/assetmanagement/v3/assettypes/${T}.Probe`, { method: 'PUT', headers: { 'if-none-match': '*' },
      body: JSON.stringify({ name: 'Probe', parentTypeId: 'core.basicasset', scope: 'private', aspects: [{ name: 'env', aspectTypeId: `${T}.Env` }] }) });
    const root = (await (await s().api('/api/assetmanagement/v3/assets/root')).json()) as { assetId: string };
    const asset = (await (await s().api('/api/assetmanagement/v3/assets', { method: 'POST',
      body: JSON.stringify({ name: 'p', typeId: `${T}.Probe`, parentId: root.assetId }) })).json()) as { assetId: string };
    const before = await metrics(s().url);
    // Another process holds the time series database's write lock for a moment, as a second worker or the CLI would.
    const file = path.join(s().config.dataDir, 'timeseries.db');
    const holder = spawn(process.execPath, ['-e', `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new D(${JSON.stringify(file)}); db.exec('BEGIN IMMEDIATE'); console.log('locked');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 1500);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    // listened for before the PUT: with the writer thread the main thread is free while the PUT waits, and the
    // holder can exit before the PUT's answer arrives
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const put = await s().api(`/api/iottimeseries/v3/timeseries/${asset.assetId}/env`, { method: 'PUT',
      body: JSON.stringify([{ _time: '2024-01-01T00:00:00Z', t: 1.5, t_qc: 0 }, { _time: '2024-01-01T00:01:00Z', t: 2 }]) });
    assert.equal(put.status, 204, await put.text());
    await exited;
    const after = await metrics(s().url);
    assert.equal(sample(after, 'ironbridge_timeseries_values_written_total') - sample(before, 'ironbridge_timeseries_values_written_total'), 3);
    const waits = (text: string) => sample(text, 'ironbridge_sqlite_write_lock_wait_seconds_count', { database: 'timeseries' });
    assert.equal(waits(after) - waits(before), 1, 'the PUT waited once for the lock');
    assert.ok(sample(after, 'ironbridge_sqlite_write_lock_wait_seconds_sum', { database: 'timeseries' }) > 0);
  });
});

describe('/openapi.json', () => {
  it('documents every route of the route table, with the bearer scheme on protected ones', async () => {
    const s = await startServer();
    try {
      const res = await fetch(`${s.url}/openapi.json`);
      assert.equal(res.status, 200);
      const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>> };
      assert.match(doc.openapi, /^3\./);
      const table = s.platform.routes().filter((r) => r.method !== 'HEAD'); // swagger documents GET only
      assert.ok(table.length >= 50, `only ${table.length} routes`);
      for (const r of table) {
        const p = r.url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}'); // swagger's forms of :param and *
        const op = doc.paths[p]?.[r.method.toLowerCase()];
        assert.ok(op, `${r.method} ${r.url} is missing from /openapi.json`);
        assert.equal(Boolean(op.security), !r.public, `${r.method} ${r.url}: security`);
      }
      const documented = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
      assert.equal(documented, table.length, 'no operation without a route');
    } finally {
      await s.close();
    }
  });
});
