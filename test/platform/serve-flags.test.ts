/**
 * Every setting of SETTINGS is a flag of `ironbridge serve`: its --help lists each one that `ironbridge config` documents,
 * and one server started with every flag set to a value other than its default runs with each of those values (the
 * ready log line lists the settings in force). Table-driven over SETTINGS, so a new setting is covered as it is added:
 * a numeric one needs nothing, another needs an `example` in its entry.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type Config, REDACTED, SETTINGS } from '../../src/core/config.js';
import { VERSION } from '../../src/core/version.js';
import { ROOT, runCli, spawnServer, tempDir } from '../helpers/server.js';

type AnySetting = (typeof SETTINGS)[number];

/** A valid value other than the default: the entry's example, else default ± 1 for a number. */
function exampleOf(s: AnySetting): string {
  if (s.example !== undefined) return s.example;
  if (typeof s.default === 'number') {
    for (const candidate of [s.default + 1, s.default - 1]) {
      try {
        if ((s.parse as (raw: string) => unknown)(String(candidate)) !== s.default) return String(candidate);
      } catch { /* outside the range: try the next */ }
    }
  }
  throw new Error(`${s.flag}: give its SETTINGS entry an example (a valid value other than the default)`);
}

/** The flag's value on the command line: a `file:TEXT` example becomes a file holding TEXT. */
function argumentOf(s: AnySetting, value: string, dir: string): string {
  if (!value.startsWith('file:')) return value;
  const file = path.join(dir, `${s.key}.txt`);
  fs.writeFileSync(file, value.slice('file:'.length), { mode: 0o600 });
  return file;
}

/** Starts one server with each setting of `group` set to its example; the ready line must show every value. */
async function runWithFlags(group: readonly AnySetting[]): Promise<void> {
  const dataDir = tempDir();
  const outside = tempDir();
  const args: string[] = [];
  const expected: Partial<Record<keyof Config, unknown>> = {};
  for (const s of group) {
    if (s.key === 'dataDir') continue; // given by spawnServer
    const value = argumentOf(s, exampleOf(s), outside);
    args.push(s.flag, value);
    expected[s.key] = 'secret' in s && s.secret ? REDACTED : (s.parse as (raw: string) => unknown)(value);
  }
  // spawnServer passes --port 0 first; the later --port of the table wins, and its example is 0 as well.
  const server = await spawnServer(dataDir, { IRONBRIDGE_LOG_LEVEL: '' }, args);
  try {
    const ready = server.output().split('\n').filter((l) => l.includes('Ironbridge is ready'))
      .map((l) => JSON.parse(l) as { settings: Record<string, unknown> })[0];
    assert.ok(ready, server.output());
    assert.equal(ready.settings['dataDir'], dataDir);
    for (const s of group) {
      if (s.key === 'dataDir' || expected[s.key] === s.default) continue;
      assert.deepEqual(ready.settings[s.key], expected[s.key], `${s.flag} ${exampleOf(s)} was not applied`);
    }
    assert.equal((await fetch(`${server.url}/ready`)).status, 200);
    for (const s of group) {
      if ('secret' in s && s.secret) assert.ok(!server.output().includes(exampleOf(s)), `${s.flag}: the secret appears in the output`);
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
}

describe('ironbridge serve flags', () => {
  it('--help lists every setting that ironbridge config documents; --version prints the package version', async () => {
    const help = await runCli(['serve', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const documented = JSON.parse((await runCli(['config', '--json'])).stdout) as { flag: string; env: string }[];
    assert.equal(documented.length, SETTINGS.length);
    for (const { flag, env } of documented) {
      assert.match(help.stdout, new RegExp(`^\\s+${flag} <`, 'm'), `serve --help lacks ${flag}`);
      assert.ok(help.stdout.includes(env), `serve --help does not name ${env}`);
    }
    const version = await runCli(['--version']);
    assert.equal(version.stdout.trim(), VERSION);
    assert.equal(VERSION, (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('a server started with every flag runs with each value (settings that replace another in a second server)', async () => {
    const first = SETTINGS.filter((s) => !('alternativeTo' in s));
    const second = SETTINGS.filter((s) => 'alternativeTo' in s);
    assert.ok(second.length > 0);
    for (const group of [first, second]) await runWithFlags(group);
  });

  it('refuses an unknown flag and a bad value, naming it', async () => {
    const unknown = await runCli(['serve', '--no-such-setting', '1']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown option '--no-such-setting'/);
    const bad = await runCli(['serve', '--data-dir', tempDir(), '--session-ttl', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--session-ttl: "soon" is not a whole number/);
  });
});
