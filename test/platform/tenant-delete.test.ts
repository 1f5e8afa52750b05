/**
 * Tenant delete over the wire (`DELETE /api/ironbridge/v1/tenant?confirm=<name>`) and from the CLI (`ironbridge
 * tenant delete <name> [--yes]`): tenant A gets objects in every context (the security suites' fixtures make them),
 * and afterwards no table of any database holds a row of A, no row keyed through a parent is left orphaned, no object
 * of A is left in the object store, A's tokens and keys stop, and tenant B keeps every row and object it had.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fetchToken, runCli } from '../helpers/server.js';
import { actorOf, FIXTURES, fixtureOf, publicReason, requestOf } from '../security/fixtures/index.js';
import { securityEnv, send, type SecurityEnv } from '../security/harness.js';

/** Rows keyed through a parent, each with the query that counts the ones whose parent is gone. */
const ORPHANS: Record<string, string[]> = {
  'timeseries.db': ['SELECT COUNT(*) FROM chunks WHERE series NOT IN (SELECT id FROM series)',
    'SELECT COUNT(*) FROM rollups WHERE series NOT IN (SELECT id FROM series)'],
  'datalake.db': ['SELECT COUNT(*) FROM parts WHERE upload_id NOT IN (SELECT id FROM uploads)',
    'SELECT COUNT(*) FROM job_objects WHERE job_id NOT IN (SELECT id FROM jobs)',
    'SELECT COUNT(*) FROM deliveries WHERE subscription_id NOT IN (SELECT id FROM subscriptions)'],
  'iotfile.db': ['SELECT COUNT(*) FROM parts WHERE upload_id NOT IN (SELECT upload_id FROM uploads)'],
};

/** `db/table` → rows of `tenant`, for every table of every database with a tenant column (identity's tenants by name). */
function rowsOf(dataDir: string, tenant: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of fs.readdirSync(dataDir).filter((f) => f.endsWith('.db')).sort()) {
    const db = new Database(path.join(dataDir, file), { readonly: true, fileMustExist: true });
    try {
      const tables = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all();
      for (const table of tables) {
        const columns = db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((c) => c.name);
        const column = columns.includes('tenant') ? 'tenant' : file === 'identity.db' && table === 'tenants' ? 'name' : undefined;
        if (column) out[`${file}/${table}`] = db.prepare<[string], number>(`SELECT COUNT(*) FROM ${table} WHERE ${column} = ?`).pluck().get(tenant)!;
      }
    } finally {
      db.close();
    }
  }
  return out;
}

function orphans(dataDir: string): string[] {
  const found: string[] = [];
  for (const [file, queries] of Object.entries(ORPHANS)) {
    const db = new Database(path.join(dataDir, file), { readonly: true, fileMustExist: true });
    try {
      for (const q of queries) if (db.prepare<[], number>(q).pluck().get()! > 0) found.push(`${file}: ${q}`);
    } finally {
      db.close();
    }
  }
  return found;
}

const prefixesOf = (tenant: string) => [`data/ten=${tenant}/`, `assetfiles/${tenant}/`, `iotfile/${tenant}/`];

describe('tenant delete: every context drops the tenant\'s data, and only that tenant\'s', () => {
  let env: SecurityEnv;
  let dataDir: string;
  const objectsOf = async (tenant: string) => {
    const keys: string[] = [];
    for (const prefix of prefixesOf(tenant)) keys.push(...(await env.s.platform.objects.list({ prefix, limit: 10_000 })).objects.map((o) => o.key));
    return keys.sort();
  };
  /** Runs every route's fixture for tenant A and A's own call of it (except deletes), so every context holds A's objects. */
  const populate = async () => {
    const actor = actorOf(env);
    let made = 0;
    for (const route of env.routes) {
      const fixture = publicReason(route.method, route.url) ? undefined : fixtureOf(FIXTURES, route.method, route.url);
      if (!fixture || route.method === 'HEAD') continue;
      try {
        const c = await fixture(actor);
        if (route.method !== 'DELETE') await send(env.url, requestOf(route, { ...c, headers: { authorization: `Bearer ${env.A.token}`, ...c.headers } }));
        made++;
      } catch { /* a fixture that needs the isolation suite's order; the others fill the context */ }
    }
    return made;
  };

  before(async () => {
    env = await securityEnv();
    dataDir = env.s.config.dataDir;
  });
  after(() => env.close());

  it('refuses an unconfirmed delete with 400 naming the confirm parameter, and deletes nothing', async () => {
    for (const query of ['', '?confirm=', `?confirm=${env.B.name}`]) {
      const a = await send(env.url, { method: 'DELETE', path: `/api/ironbridge/v1/tenant${query}`, headers: { authorization: `Bearer ${env.A.token}` } });
      assert.equal(a.status, 400, a.text);
      assert.match(a.text, new RegExp(`Deleting tenant ${env.A.name} removes all of its data: repeat its name in the confirm parameter`));
    }
    assert.equal(rowsOf(dataDir, env.A.name)['identity.db/tenants'], 1);
  });

  it('DELETE /api/ironbridge/v1/tenant?confirm=A removes every row and object of A, stops its tokens and keys, keeps B', async () => {
    assert.ok((await populate()) > 40, 'fixtures made objects of A');
    const key = await env.s.platform.identity.service.createKey(env.A.name, 'kept-until-delete');
    const before = rowsOf(dataDir, env.A.name);
    const expected = ['agents.db/agents', 'assetfiles.db/files', 'assets.db/assets', 'assets.db/asset_types', 'datalake.db/objects',
      'events.db/events', 'gateway.db/registrations', 'identity.db/clients', 'identity.db/users', 'iotfile.db/files',
      'odata.db/contracts', 'timeseries.db/series'];
    assert.deepEqual(expected.filter((t) => !(before[t]! > 0)), [], `tables without rows of A before the delete: ${JSON.stringify(before)}`);
    const bRows = rowsOf(dataDir, env.B.name);
    const bObjects = await objectsOf(env.B.name);
    assert.ok((await objectsOf(env.A.name)).length > 0, 'A has objects in the object store');

    const del = await send(env.url, { method: 'DELETE', path: `/api/ironbridge/v1/tenant?confirm=${env.A.name}`,
      headers: { authorization: `Bearer ${env.A.token}` } });
    assert.equal(del.status, 204, del.text);
    const left = Object.entries(rowsOf(dataDir, env.A.name)).filter(([, n]) => n > 0);
    assert.deepEqual(left, [], 'rows of A left behind');
    assert.deepEqual(orphans(dataDir), [], 'rows whose parent went with A');
    assert.deepEqual(await objectsOf(env.A.name), [], 'objects of A left in the object store');
    assert.deepEqual(rowsOf(dataDir, env.B.name), bRows, 'B keeps every row');
    assert.deepEqual(await objectsOf(env.B.name), bObjects, 'B keeps every object');

    const info = await send(env.url, { method: 'GET', path: '/api/tenantmanagement/v4/tenantInfo', headers: { authorization: `Bearer ${env.A.token}` } });
    assert.equal(info.status, 401, 'A\'s token stops at once');
    await assert.rejects(fetchToken(env.url, key), /401/, 'A\'s keys stop');
    const bInfo = await send(env.url, { method: 'GET', path: '/api/tenantmanagement/v4/tenantInfo', headers: { authorization: `Bearer ${env.B.token}` } });
    assert.equal(bInfo.status, 200, bInfo.text);
  });

  it('ironbridge tenant delete asks for --yes without a terminal, names an unknown tenant, and deletes on a running server', async () => {
    const cli = (args: string[]) => runCli([...args, '--data-dir', dataDir]);
    const unconfirmed = await cli(['tenant', 'delete', env.B.name]);
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, new RegExp(`deleting tenant ${env.B.name} removes all of its data: confirm with --yes`));
    const unknown = await cli(['tenant', 'delete', 'nosuchtenant', '--yes']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Tenant "nosuchtenant" does not exist/);
    assert.ok(rowsOf(dataDir, env.B.name)['assets.db/assets']! > 0, 'B is still there');
    const done = await cli(['tenant', 'delete', env.B.name, '--yes', '--json']);
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(JSON.parse(done.stdout), { name: env.B.name, deleted: true });
    assert.deepEqual(Object.entries(rowsOf(dataDir, env.B.name)).filter(([, n]) => n > 0), []);
    // the server sees the other process's commit within a millisecond (the identity store's change detector)
    await new Promise((r) => setTimeout(r, 5));
    const info = await send(env.url, { method: 'GET', path: '/api/tenantmanagement/v4/tenantInfo', headers: { authorization: `Bearer ${env.B.token}` } });
    assert.equal(info.status, 401, info.text);
  });
});
