/**
 * Folder contracts over the wire: Integrated Data Lake folders in the OData contract registry (at most 20 folders
 * per contract, 50 folder contracts per tenant, 400 naming the limit; folders checked by the data lake's path
 * rules), published as a read-only OData service with one entity set per folder describing the objects below it
 * (path, name, size, lastModified, tags) as media entities whose `$value` is the object's bytes (checked by hash);
 * no key reaches outside the set's folder and no other tenant sees the service.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fetchToken, runCli, useServer } from '../helpers/server.js';
import { pattern, putObject, sha256 } from '../datalake/helpers.js';
import { json, REG } from './helpers.js';

const SVC = '/api/odata/v4/Lake/1.0.0/';
/** A key predicate with the path's slashes as they are (the gateway refuses %2F in URLs). */
const key = (path: string) => `('${path.replace(/'/g, "''").split('/').map(encodeURIComponent).join('/')}')`;

describe('OData folder contracts (Integrated Data Lake folders)', () => {
  const s = useServer();
  const post = (body: unknown) => s().api(`${REG}/contracts`, { method: 'POST', body: JSON.stringify(body) });
  const data = pattern(300_000, 7);

  it('refuses more than 20 folders, a missing or invalid folder, asset types, naming the field and the rule', async () => {
    const folders = Array.from({ length: 21 }, (_, i) => `f${i}/`);
    const many = await post({ kind: 'folders', name: 'TooMany', folders });
    assert.equal(many.status, 400);
    const e = (await json(many)).errors[0];
    assert.equal(e.code, 'ironbridge.odatacontracts.tooManyFolders');
    assert.match(e.message, /at most 20 folders per contract\); 21 were given/);
    assert.equal((await post({ kind: 'folders', name: 'Twenty', folders: folders.slice(0, 20) })).status, 201);
    assert.match((await json(await post({ kind: 'folders', name: 'None' }))).errors[0].message, /folders is missing/);
    assert.match((await json(await post({ kind: 'folders', name: 'Empty', folders: [] }))).errors[0].message, /1 to 20 data lake folders/);
    for (const [folder, rule] of [['../up/', /folders\[0\].*"\.\." segments are not allowed/], ['/abs/', /folders\[0\].*absolute/],
      ['a%2Fb/', /folders\[0\].*encoded slashes/], ['a"b/', /folders\[0\].*not supported/]] as const) {
      const r = await post({ kind: 'folders', name: 'Bad', folders: [folder] });
      assert.equal(r.status, 400, folder);
      assert.match((await json(r)).errors[0].message, rule, folder);
    }
    assert.match((await json(await post({ kind: 'folders', name: 'Twice', folders: ['a', 'a/'] }))).errors[0].message, /folders\[1\].*twice/);
    assert.match((await json(await post({ kind: 'folders', name: 'Mixed', folders: ['a/'], assetTypes: ['x'] }))).errors[0].message, /assetTypes.*kind assets/);
    assert.match((await json(await post({ kind: 'lake', name: 'Kind', folders: ['a/'] }))).errors[0].message, /kind .*assets or folders/);
  });

  it('publishes folders as entity sets of their objects, with filter, order, paging, count and the bytes as $value', async () => {
    await putObject(s(), 'plant/line 1/a.csv', 'time,value\n');
    await putObject(s(), 'plant/line 1/deep/b.bin', data);
    await putObject(s(), "plant/line 1/o'brien.txt", 'quoted');
    await putObject(s(), 'plant/line 2/not-here.txt', 'elsewhere');
    await putObject(s(), 'lab/c.txt', 'lab bytes');
    await putObject(s(), 'secret/s.txt', 'not published');
    assert.equal((await s().api('/api/datalake/v3/objectMetadata/plant/line%201/deep/b.bin', { method: 'PUT',
      body: JSON.stringify({ tags: ['raw', 'line1'] }) })).status, 200);
    const created = await post({ kind: 'folders', name: 'Lake', folders: ['plant/line 1', 'lab/'], publish: true });
    assert.equal(created.status, 201, await created.clone().text());
    const c = await json(created);
    assert.deepEqual([c.kind, c.folders, c.entitySets, c.state], ['folders', ['plant/line 1/', 'lab/'], ['plant_line_1', 'lab'], 'valid']);

    const doc = await json(await s().api(SVC));
    assert.deepEqual(doc.value.map((v: { name: string }) => v.name), ['plant_line_1', 'lab']);
    const metadata = await (await s().api(`${SVC}$metadata`)).text();
    assert.match(metadata, /<EntityType Name="plant_line_1" HasStream="true">/);
    for (const p of ['<Property Name="path" Type="Edm.String" Nullable="false" MaxLength="1024"/>', '<Property Name="size" Type="Edm.Int64" Nullable="false"/>',
      '<Property Name="lastModified" Type="Edm.DateTimeOffset" Nullable="false"/>', '<Property Name="tags" Type="Collection(Edm.String)" Nullable="false"/>']) {
      assert.ok(metadata.includes(p), p);
    }

    const all = await json(await s().api(`${SVC}plant_line_1?$count=true`));
    assert.equal(all['@odata.count'], 3);
    assert.deepEqual(all.value.map((o: { path: string }) => o.path), ['plant/line 1/a.csv', 'plant/line 1/deep/b.bin', "plant/line 1/o'brien.txt"]);
    const b = all.value[1];
    assert.deepEqual([b.name, b.size, b.tags], ['b.bin', data.length, ['raw', 'line1']]);
    assert.ok(!Number.isNaN(Date.parse(b.lastModified)));
    const big = await json(await s().api(`${SVC}plant_line_1?$filter=${encodeURIComponent("size gt 100 and endswith(name,'.bin')")}&$select=path,size`));
    assert.deepEqual(big.value, [{ path: 'plant/line 1/deep/b.bin', size: data.length }]);
    const bySize = await json(await s().api(`${SVC}plant_line_1?$orderby=size desc&$top=2`));
    assert.deepEqual(bySize.value.map((o: { name: string }) => o.name), ['b.bin', 'a.csv']);
    const seen: string[] = [];
    for (let url: string | undefined = `${SVC}plant_line_1`; url;) {
      const page = await json(await s().api(url.replace(/^https?:\/\/[^/]+/, ''), { headers: { prefer: 'odata.maxpagesize=1' } }));
      seen.push(...page.value.map((o: { path: string }) => o.path));
      url = page['@odata.nextLink'];
    }
    assert.deepEqual(seen, all.value.map((o: { path: string }) => o.path), 'paging reaches every object once');
    assert.equal(await (await s().api(`${SVC}lab/$count`)).text(), '1');
    const bad = await s().api(`${SVC}plant_line_1?$filter=${encodeURIComponent('tags eq 1')}`);
    assert.equal(bad.status, 400);
    assert.match((await json(bad)).error.message, /Filtering on tags is not supported/);

    const one = await json(await s().api(`${SVC}plant_line_1${key('plant/line 1/deep/b.bin')}`));
    assert.deepEqual([one.path, one.size], ['plant/line 1/deep/b.bin', data.length]);
    const media = await s().api(`${SVC}plant_line_1${key('plant/line 1/deep/b.bin')}/$value`);
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-length'), String(data.length));
    assert.equal(sha256(Buffer.from(await media.arrayBuffer())), sha256(data));
    assert.equal(await (await s().api(`${SVC}plant_line_1${key("plant/line 1/o'brien.txt")}/$value`)).text(), 'quoted');

    // No key reaches outside the set's folder, not even another published folder or a traversal.
    for (const path of ['secret/s.txt', 'lab/c.txt', 'plant/line 2/not-here.txt', 'plant/line 1/../../secret/s.txt', 'plant/line 1/missing']) {
      // a dot segment is resolved by the gateway (RFC 3986) before the service sees the key: 400 or 404, never the bytes
      const refused = path.includes('..') ? [400, 404] : [404];
      const r = await s().api(`${SVC}plant_line_1${key(path)}/$value`);
      assert.ok(refused.includes(r.status), `${path}: ${r.status}`);
      assert.doesNotMatch(await r.text(), /not published|elsewhere|lab bytes/);
      const entity = await s().api(`${SVC}plant_line_1${key(path)}`);
      assert.ok(refused.includes(entity.status), `${path}: ${entity.status}`);
    }
    const assetsMedia = await s().api(`${SVC}lab/$value`);
    assert.equal(assetsMedia.status, 400);
    assert.equal((await s().api(`${SVC}plant_line_1${key('plant/line 1/a.csv')}/$value`, { method: 'PUT', body: 'x' })).status, 405);

    const p = s().platform;
    await p.provisionTenant('other', 'other.com');
    const other = await fetchToken(s().url, await p.identity.service.createKey('other', 'k'));
    assert.equal((await s().api(SVC, { token: other })).status, 404);
    assert.equal((await s().api(`${SVC}plant_line_1${key('plant/line 1/deep/b.bin')}/$value`, { token: other })).status, 404);

    const put = await s().api(`${REG}/contracts/${c.id}`, { method: 'PUT', headers: { 'if-match': String(c.etag) },
      body: JSON.stringify({ name: 'Lake', assetTypes: ['x'] }) });
    assert.equal(put.status, 400);
    assert.match((await json(put)).errors[0].message, /kind is invalid: this is a contract of kind folders/);
  });

  it('ironbridge contract create --folder saves and publishes a folder contract', async () => {
    const env = { IRONBRIDGE_TOKEN_URL: s().key.tokenUrl, IRONBRIDGE_CLIENT_ID: s().key.clientId, IRONBRIDGE_CLIENT_SECRET: s().key.clientSecret };
    const r = await runCli(['contract', 'create', '--name', 'ViaCli', '--folder', 'lab/', '--folder', 'plant/line 1/', '--publish', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.deepEqual([c.kind, c.folders, c.entitySets, c.published], ['folders', ['lab/', 'plant/line 1/'], ['lab', 'plant_line_1'], true]);
    const doc = await json(await s().api('/api/odata/v4/ViaCli/1.0.0/lab'));
    assert.deepEqual(doc.value.map((o: { path: string }) => o.path), ['lab/c.txt']);
    const bad = await runCli(['contract', 'create', '--name', 'BadCli', '--folder', '../x/'], { env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /folders\[0\]/);
  });

  it('a tenant has at most 50 folder contracts; the 51st gets 400 naming the limit', async () => {
    const existing = (await json(await s().api(`${REG}/contracts`)));
    const list: Array<{ kind: string }> = Array.isArray(existing) ? existing : existing.contracts ?? existing._embedded?.contracts ?? [];
    let n = list.filter((c) => c.kind === 'folders').length;
    assert.ok(n >= 2, JSON.stringify(existing).slice(0, 300));
    for (; n < 50; n++) assert.equal((await post({ kind: 'folders', name: `L${n}`, folders: [`l${n}/`] })).status, 201);
    const over = await post({ kind: 'folders', name: 'L50', folders: ['l50/'] });
    assert.equal(over.status, 400);
    const e = (await json(over)).errors[0];
    assert.equal(e.code, 'ironbridge.odatacontracts.tooManyFolderContracts');
    assert.match(e.message, /at most 50 folder contracts per tenant/);
  });
});
