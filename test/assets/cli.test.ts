import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/server.js';

describe('ironbridge aspect-types / asset-types / assets commands', () => {
  let dir: string;
  const cli = async (args: string[]) => {
    const r = await runCli([...args, '--data-dir', dir]);
    return r;
  };
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const file = (name: string, body: unknown) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, JSON.stringify(body));
    return p;
  };

  before(async () => {
    dir = tempDir();
    await ok(['tenant', 'create', 'acme', '--company-domain', 'acme.com']);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates, shows, lists and deletes types and assets, and prints the tree', async () => {
    const t = ['--tenant', 'acme'];
    await ok(['aspect-types', 'create', ...t, '--file', file('a.json', { name: 'Env', category: 'dynamic', variables: [{ name: 'temp', dataType: 'DOUBLE', unit: 'C' }] })]);
    assert.match(await ok(['aspect-types', 'list', ...t, '--filter', '{"tenantId":"acme"}']), /acme\.Env\s+dynamic\s+1/);
    assert.equal(JSON.parse(await ok(['aspect-types', 'show', 'acme.Env', ...t, '--json'])).variables[0].name, 'temp');
    await ok(['asset-types', 'create', ...t, '--file', file('t.json', { name: 'Pump', parentTypeId: 'core.basicdevice', aspects: [{ name: 'env', aspectTypeId: 'acme.Env' }] })]);
    const shown = await ok(['asset-types', 'show', 'acme.Pump', ...t]);
    assert.match(shown, /variable\s+serialNumber\s+STRING\s+core\.basicdevice/);
    assert.match(shown, /aspect\s+env\s+acme\.Env\s+acme\.Pump/);
    assert.match(await ok(['asset-types', 'list', ...t, '--filter', '{"hasType":"core.basicdevice"}']), /acme\.Pump/);
    const site = JSON.parse(await ok(['assets', 'create', ...t, '--json', '--file', file('s.json', { name: 'Plant', typeId: 'core.basicsite' })]));
    const pump = JSON.parse(await ok(['assets', 'create', ...t, '--json', '--file', file('p.json', { name: 'P1', typeId: 'acme.Pump', parentId: site.assetId, timezone: 'Europe/Berlin' })]));
    assert.match(await ok(['assets', 'list', ...t]), /P1\s+acme\.Pump/);
    assert.equal(JSON.parse(await ok(['assets', 'show', pump.assetId, ...t, '--json'])).timezone, 'Europe/Berlin');
    const tree = (await ok(['assets', 'tree', ...t])).split('\n');
    assert.match(tree[0]!, /^acme\s+\[core\.tenant\]/);
    assert.match(tree[1]!, /^ {2}Plant\s+\[core\.basicsite\]/);
    assert.match(tree[2]!, /^ {4}P1\s+\[acme\.Pump\]/);
    const blocked = await cli(['assets', 'delete', site.assetId, ...t]);
    assert.equal(blocked.code, 1);
    assert.match(blocked.stderr, /child/);
    await ok(['assets', 'delete', pump.assetId, ...t]);
    await ok(['asset-types', 'delete', 'acme.Pump', ...t]);
    await ok(['aspect-types', 'delete', 'acme.Env', ...t]);
    assert.doesNotMatch(await ok(['aspect-types', 'list', ...t]), /acme\.Env/);
  });

  it('names the bad input', async () => {
    const bad = await cli(['aspect-types', 'create', '--tenant', 'acme', '--file', file('bad.json', { name: 'X', category: 'static', variables: [{ name: 'id', dataType: 'INT' }] })]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /variables\[0\]\.name.*reserved/);
    const missing = await cli(['assets', 'create', '--tenant', 'acme', '--file', path.join(dir, 'nope.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read --file/);
    const filter = await cli(['assets', 'list', '--tenant', 'acme', '--filter', '{"name":{"like":"x"}}']);
    assert.equal(filter.code, 1);
    assert.match(filter.stderr, /name\.like/);
  });
});
