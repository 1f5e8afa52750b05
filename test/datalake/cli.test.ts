/**
 * `ironbridge files …` against a test server: upload (single and resumed multipart), download, list, meta, tag, rm;
 * progress bars on a terminal (a pseudo-terminal from util-linux `script`) and none when the output is not one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, runCli, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { dl, pattern, sha256 } from './helpers.js';

const MB = 1024 * 1024;

describe('ironbridge files', () => {
  let s: TestServer;
  let env: Record<string, string>;
  let dir: string;
  const cli = async (args: string[]) => {
    const r = await runCli(['files', ...args], { env });
    assert.equal(r.code, 0, `files ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
    return r;
  };
  before(async () => {
    s = await startServer();
    env = { IRONBRIDGE_TOKEN_URL: s.key.tokenUrl, IRONBRIDGE_CLIENT_ID: s.key.clientId, IRONBRIDGE_CLIENT_SECRET: s.key.clientSecret };
    dir = tempDir('ironbridge-files-cli-');
  });
  after(async () => {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads, lists, tags, shows, downloads and removes, bytes intact', async () => {
    const data = pattern(300_000, 2);
    const file = path.join(dir, 'a.bin');
    fs.writeFileSync(file, data);
    assert.match((await cli(['upload', file, 'cli/a.bin'])).stdout, /uploaded .* as cli\/a\.bin \(300000 bytes\)/);
    const listed = await cli(['list', 'cli/']);
    assert.match(listed.stdout, /300000 .* cli\/a\.bin/);
    assert.equal((await cli(['list', '--json'])).stdout.includes('"cli/"'), true);
    assert.match((await cli(['tag', 'cli/a.bin', 'raw', 'line1'])).stdout, /raw, line1/);
    const meta = JSON.parse((await cli(['meta', 'cli/a.bin', '--json'])).stdout);
    assert.deepEqual([meta.size, meta.tags, meta.sha256], [data.length, ['raw', 'line1'], sha256(data)]);
    const out = path.join(dir, 'copy.bin');
    const down = JSON.parse((await cli(['download', 'cli/a.bin', out, '--json'])).stdout);
    assert.equal(down.sha256, sha256(data));
    assert.equal(sha256(fs.readFileSync(out)), sha256(data));
    assert.equal(fs.existsSync(`${out}.part`), false);
    await cli(['rm', 'cli/a.bin']);
    assert.equal((await dl(s, 'GET', '/objectMetadata/cli/a.bin')).status, 404);
    const missing = await runCli(['files', 'meta', 'cli/a.bin'], { env });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No object at path cli\/a\.bin/);
    const bad = await runCli(['files', 'tag', 'cli/x', ...Array.from({ length: 9 }, (_, i) => `t${i}`)], { env });
    assert.notEqual(bad.code, 0);
  });

  it('uploads beyond the part size as a multipart upload and resumes one that was interrupted', async () => {
    const data = pattern(11 * MB + 7, 4);
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, data);
    const whole = JSON.parse((await cli(['upload', file, 'cli/big.bin', '--part-size', '5', '--json'])).stdout);
    assert.equal(whole.sha256, sha256(data));
    assert.equal(fs.existsSync(`${file}.ironbridge-upload.json`), false);

    // An earlier run that stopped after part 1: its upload and state file are there.
    const started = await dl(s, 'POST', '/multipart', { path: 'cli/resumed.bin' });
    const r1 = await s.api(`/api/datalake/v3/multipart/${started.body.uploadId}/parts/1`, { method: 'PUT', body: data.subarray(0, 5 * MB),
      headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r1.status, 200);
    const st = fs.statSync(file);
    fs.writeFileSync(`${file}.ironbridge-upload.json`, JSON.stringify({ uploadId: started.body.uploadId, path: 'cli/resumed.bin',
      size: st.size, mtimeMs: st.mtimeMs, partBytes: 5 * MB }));
    const resumed = await cli(['upload', file, 'cli/resumed.bin', '--part-size', '5']);
    assert.match(resumed.stderr, /resuming upload .*: 1 parts already there/);
    const meta = await dl(s, 'GET', '/objectMetadata/cli/resumed.bin');
    assert.equal(meta.body.sha256, sha256(data));
  });

  const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;
  it('draws progress bars on a terminal only', { skip: !hasScript && 'needs util-linux script for a pseudo-terminal' }, async () => {
    const data = pattern(6 * MB + 1, 8);
    const file = path.join(dir, 'tty.bin');
    fs.writeFileSync(file, data);
    /** Runs the CLI with its stdout and stderr on a pseudo-terminal; resolves with what the terminal showed. */
    const onTerminal = (args: string[]) => new Promise<{ code: number | null; screen: string }>((resolve) => {
      const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
      const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let screen = '';
      child.stdout.on('data', (d: Buffer) => { screen += d.toString(); });
      child.stdin.end();
      child.once('exit', (code) => resolve({ code, screen }));
    });
    const up = await onTerminal(['files', 'upload', file, 'cli/tty.bin', '--part-size', '5']);
    assert.equal(up.code, 0, up.screen);
    assert.match(up.screen, new RegExp(`uploading tty\\.bin \\[#{30}\\] ${data.length}/${data.length} 100%`), up.screen);
    const out = path.join(dir, 'tty-copy.bin');
    const down = await onTerminal(['files', 'download', 'cli/tty.bin', out]);
    assert.equal(down.code, 0, down.screen);
    assert.match(down.screen, new RegExp(`downloading tty\\.bin \\[#{30}\\] ${data.length}/${data.length} 100%`), down.screen);
    assert.equal(sha256(fs.readFileSync(out)), sha256(data));
    const piped = await cli(['upload', file, 'cli/tty2.bin']);
    assert.doesNotMatch(piped.stdout + piped.stderr, /\[#|\r/, 'no progress bar when the output is not a terminal');
  });
});
