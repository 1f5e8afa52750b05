/** The package README's quick start is at most ten lines and runs against a real server as written. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, startServer, type TestServer } from '../helpers/server.js';

describe('sdk README quick start', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  it('runs with only the IRONBRIDGE_* variables of a binding key', async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'packages/sdk/README.md'), 'utf8');
    const section = readme.split('## Quick start')[1] ?? '';
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(code, 'a js block under "## Quick start"');
    assert.ok(code.trim().split('\n').length <= 10, 'ten lines or fewer');
    // placed inside the repository so that '@ironbridge/sdk' resolves like in an app after npm install
    const dir = path.join(ROOT, '.tmp');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `quickstart-${process.pid}.mjs`);
    fs.writeFileSync(file, code);
    try {
      // asynchronously: the server answering the child runs in this process
      const run = await promisify(execFile)(process.execPath, [file], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'], IRONBRIDGE_TOKEN_URL: s.key.tokenUrl, IRONBRIDGE_CLIENT_ID: s.key.clientId,
          IRONBRIDGE_CLIENT_SECRET: s.key.clientSecret },
      });
      assert.equal(run.stdout.split('\n')[0], `connected to tenant ${s.tenant}`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
