/**
 * The ironbridge CLI polish: a --help example on every command, --json on every command that prints data,
 * shell completion that completes, colour only on a TTY (or FORCE_COLOR), and the HTTP data commands (token,
 * assets list, ts import/export as CSV and JSON Lines) against a real server with the IRONBRIDGE_* variables.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { IronbridgeClient } from '@ironbridge/sdk';
import { buildProgram } from '../../src/cli/main.js';
import { bashScript } from '../../src/cli/completion.js';
import fc from 'fast-check';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { csvCell } from '../../src/cli/tsfiles.js';
import { startCliChild } from '../helpers/child.js';
import { ROOT, runCli, startServer, tempDir, type TestServer } from '../helpers/server.js';

const parseCsv = (text: string): string[][] => parseCsvSync(text, { relax_column_count: true }) as string[][];

function leaves(cmd: Command, prefix: string[] = []): { path: string; cmd: Command }[] {
  if (cmd.commands.length === 0) return [{ path: prefix.join(' '), cmd }];
  return cmd.commands.flatMap((c) => leaves(c, [...prefix, c.name()]));
}

const ESC = '\x1b[';

describe('ironbridge CLI', () => {
  let s: TestServer;
  let env: Record<string, string>;
  let assetId: string;
  let dir: string;
  before(async () => {
    s = await startServer();
    dir = tempDir('ironbridge-cli-');
    env = { IRONBRIDGE_TOKEN_URL: s.key.tokenUrl, IRONBRIDGE_CLIENT_ID: s.key.clientId, IRONBRIDGE_CLIENT_SECRET: s.key.clientSecret,
      HOME: dir, NO_UPDATE_NOTIFIER: '1' };
    const client = IronbridgeClient.fromEnv({}, env);
    const T = s.tenant;
    await client.assets.putAspectType(`${T}.Env`, { name: 'Env', category: 'dynamic', variables: [
      { name: 'temperature', dataType: 'DOUBLE', unit: 'C', searchable: false, qualityCode: true },
      { name: 'on', dataType: 'BOOLEAN', unit: '', searchable: false, qualityCode: false },
      { name: 'label', dataType: 'STRING', length: 40, unit: '', searchable: false, qualityCode: false }] });
    await client.assets.putAssetType(`${T}.Probe`, { name: 'Probe', parentTypeId: 'core.basicasset', instantiable: true,
      aspects: [{ name: 'env', aspectTypeId: `${T}.Env` }] });
    assetId = (await client.assets.createAsset({ name: 'probe', typeId: `${T}.Probe`, parentId: (await client.assets.root()).assetId })).assetId;
  });
  after(async () => { await s.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('has an example in the help of every command, and --json on every command that prints data', () => {
    const all = leaves(buildProgram());
    assert.ok(all.length >= 15);
    for (const { path: p, cmd } of all) {
      assert.match(cmd.helpInformation(), /example/i, `ironbridge ${p} --help has no example`);
      // completion prints a shell script
      if (p !== 'completion') {
        assert.ok(cmd.options.some((o) => o.long === '--json'), `ironbridge ${p} has no --json`);
      }
    }
  });

  it('serve --json announces the address in one line; the first-start key is in a 0600 file, not on stdout', async () => {
    const data = tempDir('ironbridge-serve-');
    const child = await startCliChild<{ ready: boolean; url: string; firstStart: { tenant: string; secretsFile: string } }>(
      ['serve', '--port', '0', '--data-dir', data, '--json'], { IRONBRIDGE_SECRET_HASH_COST: '10', IRONBRIDGE_LOG_LEVEL: 'warn' }, (l) => l['ready'] === true);
    try {
      const { url, firstStart } = child.ready;
      assert.equal(firstStart.tenant, 'local');
      assert.equal(fs.statSync(firstStart.secretsFile).mode & 0o777, 0o600);
      const { key } = JSON.parse(fs.readFileSync(firstStart.secretsFile, 'utf8')) as { key: { clientId: string; clientSecret: string; tokenUrl: string } };
      assert.ok(!child.output().includes(key.clientSecret), 'the secret is not on stdout or in a log line');
      const client = IronbridgeClient.fromEnv({ baseUrl: url }, { IRONBRIDGE_TOKEN_URL: key.tokenUrl,
        IRONBRIDGE_CLIENT_ID: key.clientId, IRONBRIDGE_CLIENT_SECRET: key.clientSecret });
      assert.equal((await client.tenants.tenantInfo()).name, 'local');
    } finally {
      await child.stop();
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('completes commands, subcommands and flags in bash', async () => {
    const script = bashScript(buildProgram());
    const complete = async (...words: string[]) => {
      const cword = words.length - 1;
      const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${cword}; _ironbridge; echo "\${COMPREPLY[@]}"`;
      return (await promisify(execFile)('bash', ['-c', program])).stdout.trim();
    };
    assert.equal(await complete('ironbridge', 'ten'), 'tenant');
    assert.equal(await complete('ironbridge', 'ts', ''), 'export import --help');
    assert.equal(await complete('ironbridge', 'ts', 'export', '--as'), '--asset --aspect');
    assert.equal(await complete('ironbridge', 'keys', 'create', '--name', 'x', '--app-'), '--app-name --app-version');
    // file names after --file, folder names after --data-dir
    fs.mkdirSync(path.join(dir, 'compl'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'compl', 'env.csv'), '');
    fs.mkdirSync(path.join(dir, 'compl', 'envdir'), { recursive: true });
    assert.deepEqual((await complete('ironbridge', 'ts', 'import', '--file', path.join(dir, 'compl', 'en'))).split(' ').sort(),
      [path.join(dir, 'compl', 'env.csv'), path.join(dir, 'compl', 'envdir')]);
    assert.equal(await complete('ironbridge', 'backup', '--data-dir', path.join(dir, 'compl', 'en')), path.join(dir, 'compl', 'envdir'));
    const cli = await runCli(['completion', 'zsh']);
    assert.equal(cli.code, 0);
    assert.match(cli.stdout, /bashcompinit/);
    assert.equal((await runCli(['completion', 'tcsh'])).code, 1);
  });

  it('colours only when asked on a pipe, and names the missing variable', async () => {
    const plain = await runCli(['token'], { env: { IRONBRIDGE_TOKEN_URL: '', IRONBRIDGE_CLIENT_ID: '', IRONBRIDGE_CLIENT_SECRET: '' } });
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /IRONBRIDGE_TOKEN_URL is not set/);
    assert.ok(!plain.stderr.includes(ESC), 'no colour on a pipe');
    const forced = await runCli(['token'], { env: { FORCE_COLOR: '1', IRONBRIDGE_TOKEN_URL: '', IRONBRIDGE_CLIENT_ID: '', IRONBRIDGE_CLIENT_SECRET: '' } });
    assert.ok(forced.stderr.includes(`${ESC}31m`));
  });

  it('prints a token as JSON', async () => {
    const t = await runCli(['token', '--json'], { env });
    assert.equal(t.code, 0, t.stderr);
    const tok = JSON.parse(t.stdout) as { access_token: string; expires_in: number };
    const res = await fetch(`${s.url}/api/tenantmanagement/v4/tenantInfo`, { headers: { authorization: `Bearer ${tok.access_token}` } });
    assert.equal(res.status, 200);
  });

  it('lists assets over the API when the binding-key variables are set', async () => {
    const list = await runCli(['assets', 'list', '--json', '--filter', '{"name":"probe"}'], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { assetId: string }[]).map((a) => a.assetId), [assetId]);
    const bad = await runCli(['assets', 'list', '--filter', '{"name":'], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--filter must be JSON/);
  });

  it('imports CSV and exports it again as CSV and JSON Lines', async () => {
    const start = Date.parse('2024-06-01T00:00:00Z');
    const rows = Array.from({ length: 2500 }, (_, i) => [new Date(start + i * 1000).toISOString(), (i / 4).toString(), String(i % 3),
      i % 2 === 0 ? 'true' : 'false', i === 7 ? '"a, ""quoted"" label"' : `l${i}`]);
    const csv = path.join(dir, 'in.csv');
    fs.writeFileSync(csv, `_time,temperature,temperature_qc,on,label\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const imp = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', csv, '--json'], { env });
    assert.equal(imp.code, 0, imp.stderr);
    assert.deepEqual(JSON.parse(imp.stdout), { records: 2500, asset: assetId, aspect: 'env' });
    const from = new Date(start - 1).toISOString();
    const to = new Date(start + 2500 * 1000).toISOString();
    const outCsv = path.join(dir, 'out.csv');
    const exp = await runCli(['ts', 'export', '--asset', assetId, '--aspect', 'env', '--from', from, '--to', to, '--out', outCsv, '--json'], { env });
    assert.equal(exp.code, 0, exp.stderr);
    assert.ok(!/MaxListenersExceeded/.test(exp.stderr), exp.stderr);
    assert.ok(exp.stderr.includes(`platform ${new URL(s.key.tokenUrl).origin} (token from ${s.key.tokenUrl})`), exp.stderr);
    assert.equal((JSON.parse(exp.stdout) as { records: number }).records, 2500);
    const back = parseCsv(fs.readFileSync(outCsv, 'utf8'));
    assert.deepEqual(back[0], ['_time', 'temperature', 'temperature_qc', 'on', 'label']);
    assert.equal(back.length, 2501);
    assert.deepEqual(back[8], [rows[7]![0], '1.75', '1', 'false', 'a, "quoted" label']);
    assert.equal(Date.parse(back[2500]![0]!), Date.parse(rows[2499]![0]!));
    const jl = await runCli(['ts', 'export', '--asset', assetId, '--aspect', 'env', '--from', from, '--to', to], { env });
    assert.equal(jl.code, 0, jl.stderr);
    const lines = jl.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2500);
    assert.deepEqual([lines[3]!['temperature'], lines[3]!['on'], lines[3]!['label']], [0.75, false, 'l3']);
    // the JSON Lines export imports again as it is
    const client = IronbridgeClient.fromEnv({}, env);
    await client.timeSeries.delete(assetId, 'env', from, to);
    const jlFile = path.join(dir, 'out.jsonl');
    fs.writeFileSync(jlFile, jl.stdout);
    const again = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', jlFile], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /2500 records imported/);
    assert.deepEqual(await client.timeSeries.readAll(assetId, 'env', { from, to }), lines);
  });

  it('ends quietly when the reader of standard output goes away, and refuses an unknown --out extension', async () => {
    const from = '2024-05-31T23:59:59.999Z';
    const to = '2024-06-02T00:00:00Z';
    const bin = path.join(ROOT, 'bin', 'ironbridge.js');
    const piped = await promisify(execFile)('bash', ['-c', `set -o pipefail; node '${bin}' ts export --asset ${assetId} --aspect env --from ${from} --to ${to} | head -n 3; echo "exit \${PIPESTATUS[0]}" >&2`],
      { env: { ...process.env, ...env } });
    assert.equal(piped.stdout.trim().split('\n').length, 3);
    assert.match(piped.stderr, /exit 0/);
    assert.ok(!/EPIPE|Error/.test(piped.stderr), piped.stderr);
    const parquet = await runCli(['ts', 'export', '--asset', assetId, '--aspect', 'env', '--from', from, '--to', to, '--out', path.join(dir, 'x.parquet')], { env });
    assert.equal(parquet.code, 1);
    assert.match(parquet.stderr, /--out .*x\.parquet: unknown extension "\.parquet"; use \.csv, \.jsonl or \.ndjson/);
    assert.ok(!fs.existsSync(path.join(dir, 'x.parquet')), 'nothing written');
    const clash = await runCli(['ts', 'export', '--asset', assetId, '--aspect', 'env', '--from', from, '--to', to, '--out', path.join(dir, 'x.csv'), '--format', 'jsonl'], { env });
    assert.match(clash.stderr, /contradicts --format jsonl/);
  });

  it('imports what Excel and European locales write: BOM, semicolons, decimal commas, zone-less local times', async () => {
    const file = path.join(dir, 'excel.csv');
    fs.writeFileSync(file, '\uFEFF_time;temperature;on\r\n2026-12-02 17:40:00;21,5;true\r\n2026-07-01 08:00;-3,25;false\r\n');
    const zoneless = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', file, '--delimiter', ';', '--decimal-comma'], { env });
    assert.equal(zoneless.code, 1);
    assert.match(zoneless.stderr, /excel\.csv line 2, column 1 \(_time\): "2026-12-02 17:40:00" has no zone: add one .* or pass --timezone/);
    const comma = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', file, '--delimiter', ';', '--timezone', 'Europe/Berlin'], { env });
    assert.match(comma.stderr, /line 2, column 2 \(temperature\): "21,5" is not a number \(decimal commas need --decimal-comma\)/);
    const badZone = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', file, '--delimiter', ';', '--timezone', 'Mars/Olympus'], { env });
    assert.match(badZone.stderr, /--timezone "Mars\/Olympus" is not a known time zone id/);
    const ok = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', file, '--delimiter', ';', '--decimal-comma', '--timezone', 'Europe/Berlin', '--json'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).records, 2);
    const client = IronbridgeClient.fromEnv({}, env);
    const back = await client.timeSeries.readAll(assetId, 'env', { from: '2026-06-30T00:00:00Z', to: '2026-12-31T00:00:00Z' });
    // 17:40 in Berlin in December is UTC+1; 08:00 in July is UTC+2
    assert.deepEqual(back.map((r) => [Date.parse(r._time), r['temperature'], r['on']]),
      [[Date.parse('2026-07-01T06:00:00Z'), -3.25, false], [Date.parse('2026-12-02T16:40:00Z'), 21.5, true]]);
    const broken = path.join(dir, 'broken.csv');
    fs.writeFileSync(broken, '_time,temperature\n2024-07-01T00:00:00Z,"1.5\n');
    const b = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', broken], { env });
    assert.equal(b.code, 1);
    assert.match(b.stderr, /broken\.csv line \d+: .*quote/i);
  });

  it('writes CSV cells that read back as they were (commas, quotes, line breaks)', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.string(), { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 20 }), (rows) => {
      const text = rows.map((r) => r.map(csvCell).join(',')).join('\r\n');
      assert.deepEqual(parseCsv(text), rows);
    }), { numRuns: 300 });
  });

  it('rejects a bad import before writing anything, naming the row and column', async () => {
    const csv = path.join(dir, 'bad.csv');
    fs.writeFileSync(csv, '_time,temperature,on\n2024-07-01T00:00:00Z,1.5,true\n2024-07-01T00:00:01Z,warm,true\n');
    const r = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', csv], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.csv line 3, column 2 \(temperature\): "warm" is not a number/);
    const unknown = path.join(dir, 'unknown.csv');
    fs.writeFileSync(unknown, '_time,pressure\n2024-07-01T00:00:00Z,1\n');
    const u = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'env', '--file', unknown], { env });
    assert.equal(u.code, 1);
    assert.match(u.stderr, /line 1: column "pressure" is not a variable of the aspect/);
    const client = IronbridgeClient.fromEnv({}, env);
    assert.equal((await client.timeSeries.readAll(assetId, 'env', { from: '2024-06-30T00:00:00Z', to: '2024-07-02T00:00:00Z' })).length, 0);
    const platform = await runCli(['ts', 'import', '--asset', assetId, '--aspect', 'nope', '--file', path.join(dir, 'in.csv')], { env });
    assert.equal(platform.code, 1);
    assert.match(platform.stderr, /has no aspect "nope"/);
  });
});
