/**
 * `ironbridge contract …` against a real server on an ephemeral port (not the default 8080) with a binding key of
 * a second tenant (`acme`, not the first-start `local`): the command sequence docs/odata.md prints is run verbatim
 * and every step checked over the wire; then the errors (platform 400 naming the item, unknown names, ambiguous
 * names, bad flags) and the example of every subcommand's --help.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommanderError, type Command } from 'commander';
import { ConfigurationError, IronbridgeClient, IronbridgeError } from '@ironbridge/sdk';
import { buildProgram } from '../../src/cli/main.js';
import { BIN, fetchToken, ROOT, startServer, tempDir, type TestServer } from '../helpers/server.js';

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every command of a program throws instead of exiting the process. */
function noExit(cmd: Command): Command {
  cmd.exitOverride();
  for (const sub of cmd.commands) noExit(sub);
  return cmd;
}

/**
 * The CLI in this process (cheaper than a child per case): standard output and error captured, a failure
 * reported the way `main()` prints it, with its exit code.
 */
async function inProcess(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  // the CLI writes text; the test runner's own reports (bytes) pass through
  const capture = (into: string[], original: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    ((c: string | Uint8Array, ...rest: unknown[]) => (typeof c === 'string' ? (into.push(c), true)
      : (original as (...a: unknown[]) => boolean).call(stream, c, ...rest))) as typeof process.stdout.write;
  process.stdout.write = capture(out, write.out, process.stdout);
  process.stderr.write = capture(err, write.err, process.stderr);
  let code: number | null = 0;
  try {
    await noExit(buildProgram()).parseAsync(args, { from: 'user' });
  } catch (e) {
    code = e instanceof CommanderError ? e.exitCode : e instanceof ConfigurationError ? 2 : 1;
    if (!(e instanceof CommanderError)) err.push(`ironbridge: ${e instanceof IronbridgeError ? e.describe() : (e as Error).message}\n`);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Shell words of a documented command line (double quotes only, as the docs use them). */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);

/** The `ironbridge contract …` lines of the CLI block of docs/odata.md, in order. */
function documentedCommands(): string[][] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'odata.md'), 'utf8');
  const block = /<!-- cli-example -->\s*```sh\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/odata.md has the <!-- cli-example --> block');
  return block[1]!.split('\n').filter((l) => l.startsWith('ironbridge contract ')).map((l) => words(l).slice(1));
}

describe('ironbridge contract', () => {
  let s: TestServer;
  let env: Record<string, string>;
  let dir: string;
  let token: string;
  before(async () => {
    s = await startServer();
    dir = tempDir('ironbridge-contract-cli-');
    await s.platform.provisionTenant('acme', 'acme.com');
    const key = await s.platform.identity.service.createKey('acme', 'cli');
    env = { IRONBRIDGE_TOKEN_URL: key.tokenUrl, IRONBRIDGE_CLIENT_ID: key.clientId, IRONBRIDGE_CLIENT_SECRET: key.clientSecret,
      HOME: dir, NO_COLOR: '1' };
    token = await fetchToken(s.url, key);
    // for the in-process runs (each test file is its own process)
    Object.assign(process.env, env);
    const client = IronbridgeClient.fromEnv({}, env);
    await client.assets.putAspectType('acme.Flow', { name: 'Flow', category: 'dynamic', variables: [
      { name: 'rate', dataType: 'DOUBLE', unit: 'l/s', searchable: false, qualityCode: false }] });
    await client.assets.putAssetType('acme.Pump', { name: 'Pump', parentTypeId: 'core.basicasset', instantiable: true,
      aspects: [{ name: 'flow', aspectTypeId: 'acme.Flow' }] });
  });
  after(async () => { await s.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  const cli = (args: string[]) => run(args, env, dir);
  const here = (args: string[]) => inProcess(args);
  const service = (root: string) => fetch(root, { headers: { authorization: `Bearer ${token}` } });

  it('runs the command sequence docs/odata.md prints, against a non-default port and tenant', async () => {
    assert.notEqual(new URL(s.url).port, '8080');
    const commands = documentedCommands();
    assert.deepEqual(commands.map((c) => c[1]), ['create', 'list', 'show', 'download', 'publish', 'list', 'unpublish', 'delete']);
    const results: Run[] = [];
    let root = '';
    for (const args of commands) {
      const r = await cli(args);
      assert.equal(r.code, 0, `ironbridge ${args.join(' ')}: ${r.stderr}`);
      results.push(r);
      if (args[1] === 'show') {
        const c = JSON.parse(r.stdout) as { serviceRoot: string; published: boolean; tenant: string; entitySets: string[] };
        assert.equal(c.tenant, 'acme');
        assert.equal(c.published, false);
        assert.deepEqual(c.entitySets, ['Pump', 'Flow_flow_Pump', 'AGGR_Flow_flow_Pump']);
        root = c.serviceRoot;
        assert.equal(new URL(root).port, new URL(s.url).port, root);
        assert.equal(new URL(root).pathname, '/api/odata/v4/Pumps/1.0.0/');
        assert.equal((await service(root)).status, 404, 'not published yet: no service');
      }
      if (args[1] === 'download') {
        const file = path.join(dir, args[args.indexOf('--out') + 1]!);
        assert.match(fs.readFileSync(file, 'utf8'), /<EntitySet Name="Pump" EntityType="Ironbridge\.Pumps\.Pump"/);
      }
      if (args[1] === 'publish') {
        assert.equal((await service(root)).status, 200);
        const meta = await (await service(`${root}$metadata`)).text();
        const file = commands.find((c) => c[1] === 'download')!;
        assert.equal(fs.readFileSync(path.join(dir, file[file.indexOf('--out') + 1]!), 'utf8'), meta, 'the download is the $metadata');
      }
      if (args[1] === 'list' && args.includes('--catalog')) {
        const list = JSON.parse(r.stdout) as { name: string; metadataUrl: string }[];
        assert.deepEqual(list.map((c) => [c.name, c.metadataUrl]), [['Pumps', `${root}$metadata`]]);
      }
      if (args[1] === 'unpublish') assert.equal((await service(root)).status, 404);
    }
    assert.match(results[0]!.stdout, /^contract Pumps 1\.0\.0 created \(id [0-9a-f]{32}\)/);
    assert.match(results[1]!.stdout, /^name +version +published +state/);
    assert.match(results[1]!.stdout, /\nPumps +1\.0\.0 +no +valid/);
    assert.match(results[7]!.stdout, /^contract Pumps 1\.0\.0 deleted/);
    const left = await here(['contract', 'list', '--json']);
    assert.deepEqual(JSON.parse(left.stdout), []);
    // the first-start tenant saw none of it
    const local = await s.api('/api/odatacontracts/v1/contracts');
    assert.deepEqual((await local.json() as { contracts: unknown[] }).contracts, []);
  });

  it('prints --json for create, publish and delete, and takes a contract from --file with aliases', async () => {
    const file = path.join(dir, 'contract.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'FromFile', assetTypes: ['acme.Pump'], description: 'from a file' }));
    const created = await here(['contract', 'create', '--file', file, '--version', '2.0', '--alias', 'AGGR_Flow_flow_Pump=PumpFlowAggregates', '--publish', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout) as { id: string; version: string; published: boolean; entitySets: string[]; description: string };
    assert.deepEqual([c.version, c.published, c.description], ['2.0', true, 'from a file']);
    assert.ok(c.entitySets.includes('PumpFlowAggregates'));
    const unpublished = JSON.parse((await here(['contract', 'unpublish', c.id, '--json'])).stdout) as { published: boolean };
    assert.equal(unpublished.published, false);
    const deleted = await here(['contract', 'delete', 'FromFile', '--json']);
    assert.deepEqual(JSON.parse(deleted.stdout), { deleted: c.id, name: 'FromFile', version: '2.0' });
  });

  it('fails with a message naming the field, the item or the name', async () => {
    const bad = await cli(['contract', 'create', '--name', 'Bad', '--asset-type', 'acme.Nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /assetTypes\[0\] "acme\.Nope" is not an asset type of this tenant/);
    const name = await here(['contract', 'create', '--name', 'has space', '--asset-type', 'acme.Pump']);
    assert.match(name.stderr, /name is invalid: must start with a letter/);
    assert.match((await here(['contract', 'create', '--asset-type', 'acme.Pump'])).stderr, /--name is required/);
    assert.match((await here(['contract', 'create', '--name', 'X'])).stderr, /--asset-type is required/);
    assert.match((await here(['contract', 'create', '--name', 'X', '--asset-type', 'acme.Pump', '--alias', 'nope'])).stderr, /--alias nope must be generated-name=alias/);
    assert.match((await here(['contract', 'create', '--file', path.join(dir, 'missing.json')])).stderr, /cannot read --file/);
    assert.match((await here(['contract', 'create', '--name', 'X', '--asset-type', 'acme.Pump', '--environment-type', 'prod'])).stderr, /--environment-type.*Allowed choices are sandbox, production, non-production/);
    for (const v of ['1', '2']) assert.equal((await here(['contract', 'create', '--name', 'Twice', '--version', v, '--asset-type', 'acme.Pump'])).code, 0);
    const ambiguous = await here(['contract', 'show', 'Twice']);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /contract Twice has several versions \(1, 2\); name one with --version/);
    assert.match((await here(['contract', 'show', 'Twice', '--version', '3'])).stderr, /contract Twice has no version 3 \(it has 1, 2\)/);
    assert.equal((await here(['contract', 'show', 'Twice', '--version', '2'])).code, 0);
    assert.match((await here(['contract', 'publish', 'Nope'])).stderr, /no contract with the id or name Nope in this tenant \(contracts: .*Twice 1, Twice 2\)/);
    const dup = await here(['contract', 'create', '--name', 'Twice', '--version', '1', '--asset-type', 'acme.Pump']);
    assert.match(dup.stderr, /A contract named Twice with version 1 already exists/);
    const noKey = await run(['contract', 'list'], { ...env, IRONBRIDGE_CLIENT_SECRET: '' }, dir);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /IRONBRIDGE_CLIENT_SECRET is not set/);
  });

  it('has an example in every subcommand\'s help that the docs use too', () => {
    const contract = buildProgram().commands.find((c) => c.name() === 'contract')!;
    const documented = documentedCommands().map((c) => c.join(' '));
    assert.deepEqual(contract.commands.map((c) => c.name()), ['create', 'list', 'show', 'download', 'publish', 'unpublish', 'delete']);
    for (const sub of contract.commands) {
      const example = /example: ironbridge (contract \S+.*)$/m.exec(sub.helpInformation())?.[1];
      assert.ok(example, `contract ${sub.name()} --help has an example`);
      assert.ok(documented.some((d) => d === example || d.startsWith(`contract ${sub.name()} `)), `docs show contract ${sub.name()}`);
    }
  });
});
