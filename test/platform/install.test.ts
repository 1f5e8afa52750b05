/**
 * The package installs so that `ironbridge` is on PATH (`npm install -g .`, as the README says; `npm link` makes the
 * same link), and the README's completion line works in bash with that command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { VERSION } from '../../src/core/version.js';
import { ROOT, tempDir } from '../helpers/server.js';

const sh = promisify(execFile);

it('npm install -g . puts ironbridge on PATH, and eval "$(ironbridge completion bash)" completes it', async () => {
  const prefix = tempDir('ironbridge-prefix-');
  try {
    // A folder install links the clone (already built by npm install): no registry, no scripts.
    await sh('npm', ['install', '-g', ROOT, '--prefix', prefix, '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      { env: { ...process.env, npm_config_update_notifier: 'false' } });
    const env = { ...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env['PATH']}` };
    const { stdout } = await sh('bash', ['-c', 'command -v ironbridge; ironbridge --version; eval "$(ironbridge completion bash)"; '
      + 'COMP_WORDS=(ironbridge back); COMP_CWORD=1; _ironbridge; echo "${COMPREPLY[@]}"'], { env });
    const [where, version, completed] = stdout.trim().split('\n');
    assert.equal(where, path.join(prefix, 'bin', 'ironbridge'));
    assert.equal(version, VERSION);
    assert.equal(completed, 'backup');
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});
