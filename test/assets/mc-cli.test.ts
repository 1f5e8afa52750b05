import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { call, rootId } from './helpers.js';

const MC = path.join(ROOT, 'node_modules', '.bin', 'mc');

describe('the public CLI (mc aspects, asset-types, assets) against Ironbridge (mindconnect-sdk.md §5.1)', () => {
  let s: TestServer;
  let home: string;
  let T: string;
  const passkey = 'test-passkey-1';

  const mc = (args: string[]): Promise<{ code: number | null; out: string }> => new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_UPDATE_NOTIFIER: '1', MDSP_PASSKEY: passkey, FORCE_COLOR: '0' };
    for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete env[v];
    const child = spawn(MC, args, { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => resolve({ code, out }));
  });
  const ok = async (args: string[]) => {
    const r = await mc(args);
    assert.equal(r.code, 0, `mc ${args.join(' ')}:\n${r.out}`);
    return r.out;
  };
  const file = (name: string, content: unknown) => {
    const p = path.join(home, name);
    fs.writeFileSync(p, JSON.stringify(content));
    return p;
  };

  before(async () => {
    // The tree command asks for size=2000 (larger than Insights Hub's 200); this server allows it.
    s = await startServer({ assetMaxPageSize: 2000 });
    T = s.tenant;
    home = tempDir('ironbridge-mc-');
    await ok(['service-credentials', '--mode', 'add', '--type', 'SERVICE', '--user', s.key.clientId, '--password', s.key.clientSecret,
      '--passkey', passkey, '--gateway', s.url, '--tenant', T]);
  });
  after(async () => {
    await s.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('creates, lists and deletes an aspect type and an asset type', async () => {
    await ok(['aspects', '--mode', 'create', '--file', file('aspect.json', {
      name: 'CliVibration', category: 'dynamic', scope: 'private', description: 'from mc',
      variables: [{ name: 'Acceleration', dataType: 'DOUBLE', unit: 'm/s2', searchable: false, qualityCode: true }],
    })]);
    assert.equal((await call(s, 'GET', `/aspecttypes/${T}.CliVibration`)).status, 200);
    assert.match(await ok(['aspects', '--mode', 'list']), new RegExp(`${T}\\.CliVibration`));
    await ok(['asset-types', '--mode', 'create', '--file', file('type.json', {
      name: 'CliPump', description: 'from mc', parentTypeId: 'core.basicasset', instantiable: true, scope: 'private',
      aspects: [{ name: 'vibration', aspectTypeId: `${T}.CliVibration` }], variables: [], fileAssignments: [],
    })]);
    const types = await ok(['asset-types', '--mode', 'list']);
    assert.match(types, new RegExp(`${T}\\.CliPump`));
    assert.match(types, /core\.basicsite/);
    await ok(['asset-types', '--mode', 'delete', '--assettype', 'CliPump']);
    assert.equal((await call(s, 'GET', `/assettypes/${T}.CliPump`)).status, 404);
    await ok(['aspects', '--mode', 'delete', '--aspect', 'CliVibration']);
    assert.equal((await call(s, 'GET', `/aspecttypes/${T}.CliVibration`)).status, 404);
  });

  it('creates assets, lists them across pages, prints the tree and deletes', async () => {
    const root = await rootId(s);
    await ok(['assets', '--mode', 'create', '--file', file('site.json', {
      name: 'CliSite', typeId: 'core.basicsite', parentId: root, description: 'from mc', twinType: 'performance',
    })]);
    const site = (await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify({ name: 'CliSite' }))}`)).body._embedded.assets[0];
    assert.ok(site, 'site created');
    await ok(['assets', '--mode', 'create', '--assetname', 'CliDevice', '--typeid', 'core.basicdevice', '--parentid', site.assetId]);
    for (let i = 0; i < 105; i++) {
      const r = await call(s, 'POST', '/assets', { name: `Bulk${String(i).padStart(3, '0')}`, typeId: 'core.basicasset', parentId: site.assetId });
      assert.equal(r.status, 201);
    }
    const listed = await ok(['assets', '--mode', 'list']);
    assert.match(listed, /108 assets listed/); // 105 + site + device + root, fetched 100 per page
    assert.match(listed, /Bulk104/);
    assert.match(listed, /CliDevice/);
    const tree = await ok(['assets', '--mode', 'tree']);
    assert.match(tree, new RegExp(T));
    assert.match(tree, /CliSite/);
    assert.match(tree, /CliDevice/);
    assert.match(tree, /Bulk104/);
    const device = (await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify({ name: 'CliDevice' }))}`)).body._embedded.assets[0];
    await ok(['assets', '--mode', 'delete', '--assetid', device.assetId]);
    assert.equal((await call(s, 'GET', `/assets?filter=${encodeURIComponent(JSON.stringify({ name: 'CliDevice' }))}`)).body.page.totalElements, 0);
    const blocked = await mc(['assets', '--mode', 'delete', '--assetid', site.assetId]);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.out, /child/);
  });
});
