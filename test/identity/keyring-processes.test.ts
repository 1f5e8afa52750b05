/**
 * Two key rings on one identity database, as two worker processes have: a rotation by one is followed by the
 * other's refresh, which then signs with the new key and still accepts the retired one (real SQLite, no HTTP).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { KeyRing } from '../../src/identity/keyring.js';
import { SqliteIdentityStore } from '../../src/identity/store/sqlite.js';
import { tempDir } from '../helpers/server.js';

const DAY = 86_400_000;

describe('signing keys across processes', () => {
  it('refresh() follows a rotation made by another process', async () => {
    const dir = tempDir();
    const storeA = new SqliteIdentityStore({ dataDir: dir, sync: 'normal' });
    const storeB = new SqliteIdentityStore({ dataDir: dir, sync: 'normal' });
    try {
      const a = new KeyRing(storeA, { rotationMs: 30 * DAY, tokenTtlMs: 1_800_000, retentionMs: 60_000 });
      const b = new KeyRing(storeB, { rotationMs: 30 * DAY, tokenTtlMs: 1_800_000, retentionMs: 60_000 });
      await a.ensureCurrent();
      await b.ensureCurrent();
      const old = b.signingKey().kid;
      assert.equal(a.signingKey().kid, old);
      await b.refresh();
      assert.equal(b.signingKey().kid, old, 'nothing changed: the same key');
      const later = Date.now() + 31 * DAY;
      await a.ensureCurrent(later);
      assert.notEqual(a.signingKey().kid, old);
      await b.refresh(later);
      assert.equal(b.signingKey().kid, a.signingKey().kid);
      assert.ok(await b.publicKey(old), 'the retired key stays accepted');
      assert.deepEqual(b.published().map((k) => k.kid), a.published().map((k) => k.kid));
    } finally {
      storeA.close();
      storeB.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
