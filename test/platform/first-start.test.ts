/**
 * `ironbridge serve` as a user runs it: first start provisions and hands over the secrets and a curl once (without a
 * terminal: in a 0600 file, never on stdout or in a log line), the curl returns a token that verifies against
 * /token_keys; a second start reuses everything and hands over no secret. Invalid configuration stops the start
 * naming the setting.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { deliverSecrets } from '../../src/platform/bootstrap.js';
import { runCli, spawnServer, tempDir } from '../helpers/server.js';

const sh = promisify(execFile);

describe('ironbridge serve', () => {
  it('first start prints a working curl once; second start prints no secret', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = await spawnServer(dataDir);
    try {
      const out = first.output();
      const secretsFile = path.join(dataDir, 'first-start-secrets.json');
      assert.match(out, /"secretsFile":"[^"]*first-start-secrets\.json"/, 'the log names the file');
      assert.equal(fs.statSync(secretsFile).mode & 0o777, 0o600);
      const secrets = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as { curl: string; admin: { password: string }; key: { clientSecret: string } };
      const curl = secrets.curl;
      const secret = secrets.key.clientSecret;
      assert.ok(!out.includes(secret) && !out.includes(secrets.admin.password), 'no secret on stdout, stderr or in a log line');
      const port = new URL(first.url).port;
      // The printed TokenURL names the configured public URL (http://localhost:<port>).
      assert.ok(curl.includes(`http://localhost:${port}/oauth/token?grant_type=client_credentials`));
      const { stdout } = await sh('sh', ['-c', curl]);
      const token = (JSON.parse(stdout) as { access_token: string }).access_token;
      const keys = await (await fetch(`${first.url}/token_keys`)).json() as { keys: { value: string }[] };
      const claims = jwt.verify(token, keys.keys[0]!.value, { algorithms: ['RS256'] }) as { ten: string };
      assert.equal(claims.ten, 'local');
      assert.ok(fs.existsSync(path.join(dataDir, 'identity.db')));
      assert.equal(await first.stop(), 0);

      fs.rmSync(secretsFile);
      const second = await spawnServer(dataDir);
      try {
        assert.ok(!second.output().includes(secret), 'secret printed again');
        assert.ok(!/clientSecret|admin password|secretsFile/.test(second.output()));
        assert.ok(!fs.existsSync(secretsFile), 'no secrets file on a later start');
        const res = await fetch(`${second.url}/health`);
        assert.equal(res.status, 200);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });

  it('on a terminal the banner goes to it, with the admin password\'s purpose, and no file is written', () => {
    const dataDir = tempDir();
    let shown = '';
    const terminal = { isTTY: true, write: (s: string) => { shown += s; return true; } } as unknown as NodeJS.WriteStream;
    const f = { tenant: 'local', admin: { email: 'admin@local.localhost', password: 'pw-123456789' },
      key: { clientId: 'local-default-1', clientSecret: 'sec-ret', tokenUrl: 'http://localhost:9/oauth/token' } };
    assert.deepEqual(deliverSecrets(dataDir, f, terminal), { shownOn: 'terminal' });
    assert.match(shown, /admin password\s+pw-123456789/);
    assert.match(shown, /sign-in of the tenant's web apps: \{tenant\}-\{app\}\.\{region\}\.\{domain\}\/login/);
    assert.match(shown, /curl -s -u 'local-default-1:sec-ret' -X POST 'http:\/\/localhost:9\/oauth\/token\?grant_type=client_credentials'/);
    assert.deepEqual(fs.readdirSync(dataDir), []);
  });

  it('invalid configuration stops the start with a message naming the setting', async () => {
    const dataDir = tempDir();
    const byEnv = await runCli(['serve', '--data-dir', dataDir], { env: { IRONBRIDGE_PORT: 'eighty' } });
    assert.equal(byEnv.code, 2);
    assert.match(byEnv.stderr, /IRONBRIDGE_PORT.*"eighty" is not a whole number/);
    const byFlag = await runCli(['serve', '--data-dir', dataDir, '--region', 'EU 1']);
    assert.equal(byFlag.code, 2);
    assert.match(byFlag.stderr, /--region/);
    const sync = await runCli(['serve', '--data-dir', dataDir], { env: { IRONBRIDGE_SQLITE_SYNC: 'sometimes' } });
    assert.match(sync.stderr, /IRONBRIDGE_SQLITE_SYNC.*full, normal/);
  });
});
