/**
 * Session cookies at rest (docs/gateway.md "Sessions and tokens": only SHA-256 hashes are stored): after a login over
 * the wire, none of the three cookie values — SESSION, REGION-SESSION, XSRF-TOKEN — is in gateway.db or its WAL, and
 * the XSRF check still works against the stored hash; sessions stored with a plain XSRF token by an earlier version
 * are kept by the upgrade, with the token hashed in place.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/core/db.js';
import { sha256 } from '../../src/core/secrets.js';
import { GATEWAY_MIGRATIONS, SqliteGatewayStore } from '../../src/gateway/store/sqlite.js';
import { tempDir, useServer } from '../helpers/server.js';
import { hostRequest, loginAs, registerOk, startBackend, type Backend } from './helpers.js';

const gatewayBytes = (dataDir: string): string =>
  ['gateway.db', 'gateway.db-wal'].map((f) => path.join(dataDir, f)).filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString('latin1')).join('');

describe('session cookies at rest', () => {
  const s = useServer();
  let backend: Backend;

  it('no cookie value is stored, only its hash; CSRF is checked against the hash', async () => {
    backend = await startBackend();
    try {
      await registerOk(s(), { name: 'dash', target: backend.url, patterns: ['/**'] });
      const host = `${s().tenant}-dash.${s().config.region}.${s().config.domain}:${new URL(s().url).port}`;
      const b = await loginAs(s(), host, 'rest@example.com');
      const region = b.cookie.split('; ').find((c) => c.startsWith('REGION-SESSION='))!.slice('REGION-SESSION='.length);
      const bytes = gatewayBytes(s().config.dataDir);
      for (const [name, value] of [['SESSION', b.session], ['REGION-SESSION', region], ['XSRF-TOKEN', b.xsrf]] as const) {
        assert.ok(!bytes.includes(value), `${name} is not stored in plain text`);
      }
      const db = new Database(path.join(s().config.dataDir, 'gateway.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT xsrf_hash FROM sessions WHERE id_hash = ?').get(sha256(b.session)) as { xsrf_hash: string };
        assert.equal(row.xsrf_hash, sha256(b.xsrf));
      } finally {
        db.close();
      }
      const post = (xsrf: string) => hostRequest(s().url, { host, path: '/save', method: 'POST',
        headers: { cookie: b.cookie, 'x-xsrf-token': xsrf, origin: `http://${host}` }, body: '{}' });
      assert.equal((await post(sha256(b.xsrf))).status, 403, 'the stored hash is no token');
      assert.equal((await post(b.xsrf)).status, 200);
    } finally {
      await backend.close();
    }
  });
});

describe('sessions stored by an earlier version (plain XSRF token, gateway schema 4)', () => {
  it('migration 5 hashes the stored plain tokens in place and keeps the sessions', async () => {
    const dataDir = tempDir();
    try {
      const old = openDatabase({ dataDir, name: 'gateway', migrations: GATEWAY_MIGRATIONS.slice(0, 4), sync: 'normal' });
      old.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(sha256('sid'), sha256('region'), 'acme', 'u1', 'a@acme.com', 'plain-xsrf-token', 1, 2);
      old.close();
      const store = new SqliteGatewayStore({ dataDir, sync: 'normal' });
      try {
        const s = await store.getSession(sha256('sid'));
        assert.equal(s?.xsrfHash, sha256('plain-xsrf-token'));
        assert.equal(s?.userId, 'u1');
      } finally {
        store.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
