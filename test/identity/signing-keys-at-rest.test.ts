/**
 * Token signing keys at rest (docs/gateway.md "Secrets at rest"): with --signing-key-secret(-file) the private keys
 * are sealed (AES-256-GCM) in identity.db, so a copy of the data directory alone does not hold them; the server
 * restarts with the key and verifies and signs tokens; without the key, or with another, it refuses to start, naming
 * the setting; keys an earlier start stored in plain form are sealed on the first start with a key; without a key
 * configured the keys stay plain PEM, as before.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { firstStart } from '../../src/platform/bootstrap.js';
import { createPlatform, type Platform } from '../../src/platform/platform.js';
import { fetchToken, tempDir } from '../helpers/server.js';

const INFO = '/api/tenantmanagement/v4/tenantInfo';
const KEY_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=';

/** Every byte of identity.db and its WAL, as text. */
const dbBytes = (dataDir: string): string =>
  ['identity.db', 'identity.db-wal'].map((f) => path.join(dataDir, f)).filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString('latin1')).join('');

async function serve(dataDir: string, settings: Record<string, string | number>): Promise<{ platform: Platform; url: string }> {
  // A fixed public URL: the issuer of tokens must be the same across restarts (the port is not).
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', secretHashCost: 10, publicUrl: 'http://localhost:8080', ...settings }, {});
  const platform = await createPlatform(config, { logger: createLogger('silent') });
  try {
    return { platform, url: await platform.listen() };
  } catch (err) {
    await platform.close();
    throw err;
  }
}

const get = (url: string, token: string) => fetch(`${url}${INFO}`, { headers: { authorization: `Bearer ${token}` } });

describe('signing keys at rest', () => {
  it('sealed with a key from a file outside the data directory; a restart with it verifies old tokens and signs new ones', async () => {
    const dataDir = tempDir();
    const keyDir = tempDir('ironbridge-key-');
    const keyFile = path.join(keyDir, 'signing.key');
    fs.writeFileSync(keyFile, `${KEY_A}\n`, { mode: 0o600 });
    try {
      const first = await serve(dataDir, { signingKeySecretFile: keyFile });
      const key = (await firstStart(first.platform))!.key;
      const token = await fetchToken(first.url, key);
      assert.equal((await get(first.url, token)).status, 200);
      const stored = await first.platform.identity.store.listSigningKeys();
      assert.match(stored[0]!.privatePem, /^aes256gcm\$/);
      await first.platform.close();
      const bytes = dbBytes(dataDir);
      assert.ok(!bytes.includes('PRIVATE KEY'), 'no PEM private key in identity.db or its WAL');
      assert.ok(bytes.includes('PUBLIC KEY'), 'the public key stays readable (it is published anyway)');

      const second = await serve(dataDir, { signingKeySecretFile: keyFile });
      try {
        assert.equal((await get(second.url, token)).status, 200, 'a token of the first run verifies after the restart');
        const fresh = await fetchToken(second.url, key);
        assert.equal((await get(second.url, fresh)).status, 200, 'the decrypted key signs');
      } finally {
        await second.platform.close();
      }

      await assert.rejects(serve(dataDir, {}), /signing key key-\S+ is stored encrypted: configure the key that encrypted it \(IRONBRIDGE_SIGNING_KEY_SECRET/);
      await assert.rejects(serve(dataDir, { signingKeySecret: 'b'.repeat(44) }), /cannot be decrypted: sealed under another key/);
      assert.ok(!dbBytes(dataDir).includes('PRIVATE KEY'), 'refused starts wrote no plain key');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it('keys stored in plain form by a start without a key are sealed on the first start with one; tokens keep verifying', async () => {
    const dataDir = tempDir();
    try {
      const plain = await serve(dataDir, {});
      const key = (await firstStart(plain.platform))!.key;
      const token = await fetchToken(plain.url, key);
      await plain.platform.close();
      assert.ok(dbBytes(dataDir).includes('PRIVATE KEY'), 'without a key configured the key is plain PEM, as before');

      const sealed = await serve(dataDir, { signingKeySecret: KEY_A });
      try {
        assert.ok(!dbBytes(dataDir).includes('PRIVATE KEY'), 'sealed in place, and no old copy left in the file or the WAL');
        assert.equal((await get(sealed.url, token)).status, 200);
        assert.equal((await get(sealed.url, await fetchToken(sealed.url, key))).status, 200);
      } finally {
        await sealed.platform.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a key file inside the data directory, both settings at once, and a short key, naming the setting', async () => {
    const dataDir = tempDir();
    try {
      fs.writeFileSync(path.join(dataDir, 'inside.key'), KEY_A);
      const refused = async (settings: Record<string, string>, message: RegExp) => {
        const err = await serve(dataDir, settings).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, message);
      };
      await refused({ signingKeySecretFile: path.join(dataDir, 'inside.key') },
        /--signing-key-secret-file: .*inside\.key is inside the data directory/);
      await refused({ signingKeySecretFile: path.join(path.dirname(dataDir), 'ironbridge-missing.key') },
        /--signing-key-secret-file: .*ironbridge-missing\.key cannot be read \(ENOENT\)/);
      await refused({ signingKeySecretFile: path.join(dataDir, 'inside.key'), signingKeySecret: KEY_A }, /not both/);
      assert.throws(() => loadConfig({ signingKeySecret: 'short-secret' }, {}), (err: Error) => {
        assert.match(err.message, /--signing-key-secret: must be at least 32 printable characters/);
        assert.ok(!err.message.includes('short-secret'), 'the refused value is not echoed');
        return true;
      });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
