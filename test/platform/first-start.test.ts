/**
 * `ironbridge serve` as a user runs it: first start provisions and prints the secrets and a curl once, the printed
 * curl returns a token that verifies against /token_keys; a second start reuses everything and prints no secret.
 * Invalid configuration stops the start naming the setting.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { runCli, spawnServer, tempDir } from '../helpers/server.js';

const sh = promisify(execFile);

describe('ironbridge serve', () => {
  it('first start prints a working curl once; second start prints no secret', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = await spawnServer(dataDir);
    try {
      const out = first.output();
      const curl = /^\s*(curl -s -u '[^']+' -X POST '[^']+')\s*$/m.exec(out)?.[1];
      assert.ok(curl, `no curl line in:\n${out}`);
      const secret = /clientSecret\s+(\S+)/.exec(out)?.[1];
      assert.ok(secret && /admin password\s+\S+/.test(out));
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

      const second = await spawnServer(dataDir);
      try {
        assert.ok(!second.output().includes(secret), 'secret printed again');
        assert.ok(!/clientSecret|admin password/.test(second.output()));
        const res = await fetch(`${second.url}/health`);
        assert.equal(res.status, 200);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
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
