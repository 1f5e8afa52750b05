/**
 * Upgrades: the web app sign-in's rows that earlier versions kept in gateway.db (any of its schemas 1-4) move to
 * identity.db on the first start of this version and keep working there — clients (public and confidential), pending
 * codes, refresh tokens and their families with reuse detection; gateway.db is left without them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../../src/core/config.js';
import { openDatabase } from '../../../src/core/db.js';
import { createLogger } from '../../../src/core/log.js';
import { hashSecret, sha256 as hash } from '../../../src/core/secrets.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store/sqlite.js';
import { firstStart } from '../../../src/platform/bootstrap.js';
import { createPlatform } from '../../../src/platform/platform.js';
import { tempDir } from '../../helpers/server.js';
import { basicAuth, form, formHeaders, oauthError, type OAuthTokens } from './helpers.js';

const EMAIL = 'family@example.com';

/** A data directory with a tenant and user made by the platform, and gateway.db rebuilt at an older schema. */
async function oldDataDir(schema: number) {
  const dataDir = tempDir();
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', secretHashCost: 10 }, {});
  const setup = await createPlatform(config, { logger: createLogger('silent') });
  const tenant = (await firstStart(setup))!.tenant;
  const userId = (await setup.identity.service.addUser(tenant, EMAIL, 'correct-horse-battery', 'user')).id;
  await setup.close();
  for (const f of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) fs.rmSync(path.join(dataDir, f), { force: true });
  const db = openDatabase({ dataDir, name: 'gateway', migrations: GATEWAY_MIGRATIONS.slice(0, schema), sync: 'normal' });
  return { dataDir, config, tenant, userId, db };
}

const tables = (dataDir: string): string[] => {
  const db = new Database(path.join(dataDir, 'gateway.db'), { readonly: true });
  try {
    return db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'oauth%' ORDER BY name").pluck().all();
  } finally {
    db.close();
  }
};

describe('web app sign-in: a data directory of an earlier version', () => {
  it('the oauth migrations (3 and 4) keep clients and refresh tokens stored before them; they rotate and are reuse-checked', async () => {
    // gateway.db as an older version left it: schema 1 with a public client and one of its refresh tokens.
    const { dataDir, config, tenant, userId, db: old } = await oldDataDir(1);
    const clientId = `${tenant}-app-legacy1`;
    old.prepare('INSERT INTO oauth_clients VALUES (?, ?, ?, ?, ?)').run(clientId, tenant, 'Legacy', '["http://app.example.com/callback"]', Date.now());
    old.prepare('INSERT INTO oauth_grants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(hash('legacy-refresh-token'), 'refresh', clientId, tenant, userId, '', '', '', Date.now() + 3_600_000);
    old.close();
    assert.deepEqual(tables(dataDir), ['oauth_clients', 'oauth_grants']);

    const platform = await createPlatform(config, { logger: createLogger('silent') });
    try {
      const url = await platform.listen();
      assert.deepEqual(tables(dataDir), [], 'identity emptied them and the gateway\'s own migration dropped them');
      const post = (refreshToken: string) => fetch(`${url}/oauth/webapp/token`, { method: 'POST', headers: formHeaders,
        body: form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }) });
      const res = await post('legacy-refresh-token');
      assert.equal(res.status, 200, await res.clone().text());
      const t = await res.json() as OAuthTokens;
      assert.ok(t.refresh_expires_in <= 3600, 'the stored end carries over');
      assert.equal((await oauthError(await post('legacy-refresh-token'))).error, 'invalid_grant');
      assert.match((await oauthError(await post(t.refresh_token))).description, /revoked/, 'the migrated token founded a family');
      const withSecret = await fetch(`${url}/oauth/webapp/token`, { method: 'POST', headers: formHeaders,
        body: form({ grant_type: 'refresh_token', client_id: clientId, client_secret: 'guessed', refresh_token: 'x' }) });
      assert.deepEqual([withSecret.status, (await oauthError(withSecret)).description], [401, 'Bad credentials.'],
        'clients stored before migration 4 are public: a secret is refused…');
      const withoutSecret = await fetch(`${url}/oauth/webapp/token`, { method: 'POST', headers: formHeaders,
        body: form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: 'x' }) });
      assert.equal((await oauthError(withoutSecret)).error, 'invalid_grant', '…and the client_id alone authenticates');
    } finally {
      await platform.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('web app sign-in: a data directory made by the previous version (gateway schema 4)', () => {
  it('keeps a confidential client, its refresh token family with reuse detection and a pending code; gateway.db drops the tables', async () => {
    const { dataDir, config, tenant, userId, db } = await oldDataDir(4);
    const now = Date.now();
    const clientId = `${tenant}-app-previous`;
    const secret = 'previous-version-client-secret';
    db.prepare('INSERT INTO oauth_clients (client_id, tenant, name, redirect_uris, created_at, secret_hash) VALUES (?, ?, ?, ?, ?, ?)')
      .run(clientId, tenant, 'Previous', '["http://app.example.com/callback"]', now, await hashSecret(secret, 10));
    const family = (id: string) => db.prepare('INSERT INTO oauth_families VALUES (?, ?, ?, ?, ?, ?, NULL)').run(id, clientId, tenant, userId, now, now + 3_600_000);
    const grant = db.prepare(`INSERT INTO oauth_grants (hash, kind, family_id, client_id, tenant, user_id, scope, redirect_uri,
      code_challenge, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`);
    family('f-used');
    grant.run(hash('used-refresh-token'), 'refresh', 'f-used', clientId, tenant, userId, '', '', now + 3_600_000, now - 1000);
    grant.run(hash('current-refresh-token'), 'refresh', 'f-used', clientId, tenant, userId, '', '', now + 3_600_000, null);
    family('f-live');
    grant.run(hash('live-refresh-token'), 'refresh', 'f-live', clientId, tenant, userId, '', '', now + 3_600_000, null);
    const verifier = 'v'.repeat(43);
    db.prepare('INSERT INTO oauth_families VALUES (?, ?, ?, ?, ?, ?, NULL)').run('f-code', clientId, tenant, userId, now, now + 60_000);
    grant.run(hash('pending-code'), 'code', 'f-code', clientId, tenant, userId, 'http://app.example.com/callback',
      createHash('sha256').update(verifier).digest('base64url'), now + 60_000, null);
    db.close();
    assert.deepEqual(tables(dataDir), ['oauth_clients', 'oauth_families', 'oauth_grants']);

    const platform = await createPlatform(config, { logger: createLogger('silent') });
    try {
      const url = await platform.listen();
      const refresh = (token: string, auth = basicAuth(clientId, secret)) => fetch(`${url}/oauth/webapp/token`, { method: 'POST',
        headers: { ...formHeaders, authorization: auth }, body: form({ grant_type: 'refresh_token', refresh_token: token }) });
      assert.deepEqual(tables(dataDir), [], 'gateway.db no longer holds the sign-in tables');
      assert.equal((await refresh('live-refresh-token', basicAuth(clientId, 'wrong'))).status, 401, 'the secret hash came along');
      const live = await refresh('live-refresh-token');
      assert.equal(live.status, 200, await live.clone().text());
      assert.ok(((await live.json()) as OAuthTokens).refresh_expires_in <= 3600, 'the family keeps its end');
      const replay = await oauthError(await refresh('used-refresh-token'));
      assert.match(replay.description, /already used; every refresh token of this authorization is revoked/, 'used_at came along');
      assert.match((await oauthError(await refresh('current-refresh-token'))).description, /revoked/, 'and the family with it');
      const code = await fetch(`${url}/oauth/webapp/token`, { method: 'POST', headers: { ...formHeaders, authorization: basicAuth(clientId, secret) },
        body: form({ grant_type: 'authorization_code', code: 'pending-code', redirect_uri: 'http://app.example.com/callback', code_verifier: verifier }) });
      assert.equal(code.status, 200, 'a code issued before the upgrade is exchanged after it');
    } finally {
      await platform.close();
    }
    const again = await createPlatform(config, { logger: createLogger('silent') });
    await again.close();
    assert.deepEqual(tables(dataDir), [], 'a second start finds nothing to adopt');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
