import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mcSession, type Mc } from '../helpers/mc.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, rootId } from './helpers.js';

describe('the public CLI (mc aspects, asset-types, assets) against Ironbridge (mindconnect-sdk.md §5.1)', () => {
  let s: TestServer;
  let session: Mc;
  let home: string;
  let T: string;

  const mc = (args: string[]) => session.run(args);
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
    session = mcSession('test-passkey-1');
    home = session.home;
    const added = await session.addServiceCredentials(s.key, s.url, T);
    assert.equal(added.code, 0, added.out);
  });
  after(async () => {
    await s.close();
    session.dispose();
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
