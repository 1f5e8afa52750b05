import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mcSession, type Mc } from '../helpers/mc.js';
import { useServer } from '../helpers/server.js';
import { call, rootId } from './helpers.js';
import { uploadFile } from '../assetfiles/helpers.js';

describe('the public CLI (mc aspects, asset-types, assets) against Ironbridge (the public MindConnect Node.js SDK (mc commands))', () => {
  // default settings: the tree command asks for size=2000, which the default page limit serves
  const s = useServer();
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
    T = s().tenant;
    session = mcSession('test-passkey-1');
    home = session.home;
    const added = await session.addServiceCredentials(s().key, s().url, T);
    assert.equal(added.code, 0, added.out);
  });
  after(() => session.dispose());

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

  it('creates an aspect type from the file `mc aspects --mode template` writes, and reads it back', async () => {
    await ok(['aspects', '--mode', 'template', '--aspect', 'CliTemplate']);
    const template = path.join(home, 'CliTemplate.aspect.mdsp.json');
    const written = JSON.parse(fs.readFileSync(template, 'utf8')) as { category: string; variables: { searchable: boolean }[] };
    // what makes the file interesting: a dynamic aspect type whose variables are all marked searchable
    assert.equal(written.category, 'dynamic');
    assert.ok(written.variables.length > 0 && written.variables.every((v) => v.searchable));
    await ok(['aspects', '--mode', 'create', '--file', template]);
    const got = await call(s, 'GET', `/aspecttypes/${T}.CliTemplate`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.deepEqual(got.body.variables.map((v: { name: string; dataType: string; searchable: boolean }) => [v.name, v.dataType, v.searchable]),
      [['var1', 'BOOLEAN', true], ['var2', 'INT', true], ['var3', 'DOUBLE', true], ['var4', 'STRING', true],
        ['var5', 'BIG_STRING', true], ['var6', 'TIMESTAMP', true]]);
    assert.match(await ok(['aspects', '--mode', 'info', '--aspect', 'CliTemplate']), /"var6"/);
    assert.match(await ok(['aspects', '--mode', 'list', '--aspect', 'CliTemplate']), /1 aspects listed/);
  });

  it('creates an asset type from the `mc asset-types --mode template` file once its example aspect is replaced', async () => {
    await ok(['asset-types', '--mode', 'template', '--assettype', 'CliTplType']);
    const template = path.join(home, 'CliTplType.assettype.mdsp.json');
    const body = JSON.parse(fs.readFileSync(template, 'utf8')) as { aspects: { aspectTypeId: string }[]; fileAssignments: { key: string; fileId: string }[] };
    // the template names an example aspect type (mdsp.wing) that no tenant here has; the CLI says to edit the file
    const refused = await mc(['asset-types', '--mode', 'create', '--file', template]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.out, /aspects\[0\]\.aspectTypeId/);
    body.aspects[0]!.aspectTypeId = `${T}.CliTemplate`;
    fs.writeFileSync(template, JSON.stringify(body));
    // so does its example file assignment: file ids are checked against the tenant's Asset Management files
    const noFile = await mc(['asset-types', '--mode', 'create', '--file', template]);
    assert.notEqual(noFile.code, 0);
    assert.match(noFile.out, /fileAssignments\[key=logo_small\]\.fileId/);
    body.fileAssignments[0]!.fileId = await uploadFile(s(), 'logo.png');
    fs.writeFileSync(template, JSON.stringify(body));
    await ok(['asset-types', '--mode', 'create', '--file', template]);
    const info = await ok(['asset-types', '--mode', 'info', '--assettype', 'CliTplType']);
    assert.match(info, /"temperature"/);
    assert.match(info, /"defaultValue": "25\/77"/);
  });

  it('creates an asset from the `mc assets --mode template` file, and reads its aspects\' variables (mc prepare-bulk)', async () => {
    await ok(['assets', '--mode', 'template', '--typeid', 'CliTplType', '--assetname', 'CliTplAsset']);
    await ok(['assets', '--mode', 'create', '--file', path.join(home, 'CliTplAsset.asset.mdsp.json')]);
    const byName = encodeURIComponent(JSON.stringify({ name: 'CliTplAsset' }));
    const asset = (await call(s, 'GET', `/assets?filter=${byName}`)).body._embedded.assets[0];
    assert.equal(asset?.typeId, `${T}.CliTplType`);
    assert.equal(asset.timezone, 'Europe/Berlin');
    assert.equal(asset.location.locality, 'Erlangen');
    assert.deepEqual(asset.variables, [{ name: 'temperature', value: '25/77' }]);
    // prepare-bulk reads GET /assets/{id}/aspects and writes one CSV column per variable of each dynamic aspect
    // (it generates sample values and knows no TIMESTAMP, so it reads an aspect type without one)
    await ok(['aspects', '--mode', 'create', '--file', file('bulk-aspect.json', {
      name: 'CliBulk', category: 'dynamic', variables: [
        { name: 'speed', dataType: 'DOUBLE', unit: 'rpm', searchable: true, qualityCode: true },
        { name: 'running', dataType: 'BOOLEAN', unit: '', searchable: true, qualityCode: false }],
    })]);
    await ok(['asset-types', '--mode', 'create', '--file', file('bulk-type.json', {
      name: 'CliBulkType', parentTypeId: 'core.basicdevice', aspects: [{ name: 'drive', aspectTypeId: `${T}.CliBulk` }],
    })]);
    const device = await call(s, 'POST', '/assets', { name: 'CliBulkDevice', typeId: `${T}.CliBulkType`, parentId: await rootId(s) });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    const dir = path.join(home, 'bulk');
    await ok(['prepare-bulk', '--assetid', device.body.assetId, '--twintype', 'performance', '--dir', dir, '--files', '1', '--size', '2']);
    const csv = fs.readFileSync(path.join(dir, 'csv', 'drive', '1.csv'), 'utf8').split('\n');
    assert.equal(csv[0], '_time, speed, speed_qc, running');
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'asset.json'), 'utf8')).assetId, device.body.assetId);
    // leave the tenant as the next test counts it
    await ok(['assets', '--mode', 'delete', '--assetid', device.body.assetId]);
    await ok(['assets', '--mode', 'delete', '--assetid', asset.assetId]);
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
