/**
 * Binding keys work where they are printed: the running server records its public URL in the data directory, and
 * `ironbridge keys create` prints a TokenURL of it (service keys: /oauth/token; app credentials: the technical token
 * manager), here for a server on a non-default port and tenant. Admin commands refuse a data directory that does not
 * exist and say which one they used.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, spawnServer, tempDir } from '../helpers/server.js';

describe('printed TokenURLs', () => {
  it('keys create prints the TokenURL of the server on the data directory, and it issues tokens', async () => {
    const dataDir = tempDir();
    const server = await spawnServer(dataDir, {}, ['--tenant', 'acme']);
    try {
      const port = new URL(server.url).port;
      assert.notEqual(port, '8080');
      const made = await runCli(['keys', 'create', '--tenant', 'acme', '--name', 'mendix', '--json', '--data-dir', dataDir]);
      assert.equal(made.code, 0, made.stderr);
      const key = JSON.parse(made.stdout) as { clientId: string; clientSecret: string; tokenUrl: string };
      assert.equal(key.tokenUrl, `http://localhost:${port}/oauth/token`);
      assert.match(made.stderr, new RegExp(`data directory ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(made.stderr, /URLs as served by the server started on it at /);
      const basic = Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64');
      const token = await fetch(`${key.tokenUrl}?grant_type=client_credentials`, { method: 'POST', headers: { authorization: `Basic ${basic}` } });
      assert.equal(token.status, 200, await token.clone().text());
      const claims = JSON.parse(Buffer.from(((await token.json()) as { access_token: string }).access_token.split('.')[1]!, 'base64url').toString()) as { ten: string };
      assert.equal(claims.ten, 'acme');

      const app = await runCli(['keys', 'create', '--tenant', 'acme', '--name', 'dash', '--app-name', 'dash', '--app-version', '1.0.0', '--json', '--data-dir', dataDir]);
      assert.equal(app.code, 0, app.stderr);
      const appKey = JSON.parse(app.stdout) as { clientId: string; clientSecret: string; tokenUrl: string };
      assert.equal(appKey.tokenUrl, `http://localhost:${port}/api/technicaltokenmanager/v3/oauth/token`);
      const appToken = await fetch(appKey.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-space-auth-key': `Basic ${Buffer.from(`${appKey.clientId}:${appKey.clientSecret}`).toString('base64')}` },
        body: JSON.stringify({ appName: 'dash', appVersion: '1.0.0', hostTenant: 'acme', userTenant: 'acme' }),
      });
      assert.equal(appToken.status, 200, await appToken.clone().text());

      const explicit = await runCli(['keys', 'create', '--tenant', 'acme', '--name', 'ext', '--json', '--data-dir', dataDir, '--public-url', 'https://iot.acme.example']);
      assert.equal((JSON.parse(explicit.stdout) as { tokenUrl: string }).tokenUrl, 'https://iot.acme.example/oauth/token');
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('says when no server has run on the data directory yet', async () => {
    const dataDir = tempDir();
    await runCli(['tenant', 'create', 'beta', '--company-domain', 'beta.com', '--data-dir', dataDir]);
    const made = await runCli(['keys', 'create', '--tenant', 'beta', '--name', 'x', '--json', '--data-dir', dataDir]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, /no server has run on this data directory yet: URLs assume http:\/\/localhost:8080/);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('admin commands refuse a data directory that does not exist, and create nothing', async () => {
    const missing = path.join(tempDir(), 'nowhere');
    for (const args of [['tenant', 'list'], ['keys', 'list'], ['user', 'list'], ['app', 'list'], ['assets', 'list'], ['backup', '--out', path.join(missing, 'b')]]) {
      const r = await runCli([...args, '--data-dir', missing], { env: { IRONBRIDGE_TOKEN_URL: '' } });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`data directory ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`), args.join(' '));
      assert.ok(!fs.existsSync(missing), `${args.join(' ')} created the directory`);
    }
    const byEnv = await runCli(['tenant', 'list'], { env: { IRONBRIDGE_DATA_DIR: missing } });
    assert.match(byEnv.stderr, /does not exist: pass --data-dir/);
  });
});
