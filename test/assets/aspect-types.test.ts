import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { aspectType, call, dbl, assertError } from './helpers.js';

describe('aspect types (Asset Management API v3, aspect types)', () => {
  const s = useServer();
  let T: string;
  before(() => { T = s().tenant; });

  const put = (name: string, body: unknown, headers: Record<string, string> = {}) =>
    call(s, 'PUT', `/aspecttypes/${T}.${name}`, body, headers);
  const expect400 = async (name: string, body: unknown, field: string, rule: RegExp) => {
    const r = await put(name, body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const e = r.body.errors[0];
    assert.match(e.code, /^mdsp\.core\./);
    assert.ok(e.logref);
    assert.ok(e.messageParameters.some((p: { value: string }) => p.value === field), `${field} named in ${JSON.stringify(e)}`);
    assert.match(e.message, rule);
  };

  it('lists at least 10 seeded core aspect types by default, 10 per page', async () => {
    const r = await call(s, 'GET', '/aspecttypes');
    assert.equal(r.status, 200);
    assert.equal(r.body._embedded.aspectTypes.length, 10);
    assert.equal(r.body.page.size, 10);
    assert.equal(r.body.page.number, 0);
    assert.ok(r.body.page.totalElements >= 11);
  });

  it('enforces the id rules: tenant prefix, characters, length', async () => {
    for (const id of ['other.Thing', `${T}.bad-char`, `${T}.`, `${T}.${'x'.repeat(130)}`, 'noprefix']) {
      const r = await call(s, 'PUT', `/aspecttypes/${encodeURIComponent(id)}`, aspectType('X', 'static', []));
      assert.equal(r.status, 400, `${id}: ${JSON.stringify(r.body)}`);
      assertError(r, 'mdsp.core.generic.invalidParameter', /not a valid id/);
    }
  });

  it('validates category, variables, reserved names and data types, naming the field', async () => {
    await expect400('A1', { name: 'A1', variables: [] }, 'category', /missing/);
    await expect400('A1', { name: 'A1', category: 'sometimes', variables: [] }, 'category', /static or dynamic/);
    await expect400('A1', { name: 'A1', category: 'static' }, 'variables', /missing/);
    await expect400('A1', aspectType('A1', 'static', [dbl('etag')]), 'variables[0].name', /reserved/);
    await expect400('A1', aspectType('A1', 'static', [dbl('ParentTypeId')]), 'variables[0].name', /reserved/);
    await expect400('A1', aspectType('A1', 'static', [{ name: 'v', dataType: 'FLOAT' }]), 'variables[0].dataType', /one of BOOLEAN/);
    await expect400('A1', aspectType('A1', 'static', [{ name: 'v', dataType: 'BIG_STRING' }]), 'variables[0].dataType', /only allowed in dynamic/);
    await expect400('A1', aspectType('A1', 'static', [{ name: 's', dataType: 'STRING', length: 256 }]), 'variables[0].length', /1\.\.255/);
    await expect400('A1', aspectType('A1', 'dynamic', [{ name: 's', dataType: 'BIG_STRING', length: 100001 }]), 'variables[0].length', /1\.\.100000/);
    await expect400('A1', aspectType('A1', 'static', [{ name: 'd', dataType: 'DOUBLE', length: 3 }]), 'variables[0].length', /only to STRING/);
    await expect400('A1', aspectType('A1', 'static', [dbl('v'), dbl('v')]), 'variables[1].name', /twice/);
    await expect400('A1', aspectType('A1', 'dynamic', [dbl('v', { defaultValue: '1' })]), 'variables[0].defaultValue', /only static/);
  });

  it('takes searchable on dynamic variables, as Insights Hub does (the official CLI\'s template sends it), and keeps it fixed', async () => {
    const body = aspectType('DynSearch', 'dynamic', [dbl('v', { searchable: true }), dbl('w')]);
    const r = await put('DynSearch', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.variables.map((v: { searchable: boolean }) => v.searchable), [true, false]);
    assert.equal((await call(s, 'GET', `/aspecttypes/${T}.DynSearch`)).body.variables[0].searchable, true);
    const flip = await put('DynSearch', aspectType('DynSearch', 'dynamic', [dbl('v'), dbl('w')]), { 'if-match': '0' });
    assertError(flip, 'mdsp.core.generic.invalidRequestBodyProperty', /cannot be changed after the creation/);
    assert.equal(flip.body.errors[0].messageParameters[0].value, 'variables[0].searchable');
    await expect400('A1', aspectType('A1', 'dynamic', [dbl('v', { searchable: 'yes' })]), 'variables[0].searchable', /true or false/);
  });

  it('parses default values against the data type', async () => {
    const cases: [string, string, boolean][] = [
      ['BOOLEAN', 'true', true], ['BOOLEAN', 'yes', false], ['INT', '-2147483648', true], ['INT', '2147483648', false],
      ['INT', '1.5', false], ['LONG', '9223372036854775807', true], ['LONG', '9223372036854775808', false],
      ['DOUBLE', '-1.5e3', true], ['DOUBLE', 'NaN', false], ['TIMESTAMP', '2024-01-01T00:00:00.000Z', true],
      ['TIMESTAMP', 'yesterday', false], ['STRING', 'x'.repeat(10), false],
    ];
    for (const [i, [dataType, value, ok]] of cases.entries()) {
      const v = { name: 'v', dataType, defaultValue: value, ...(dataType === 'STRING' ? { length: 5 } : {}) };
      const r = await put(`D${i}`, aspectType(`D${i}`, 'static', [v]));
      assert.equal(r.status, ok ? 201 : 400, `${dataType} ${value}: ${JSON.stringify(r.body)}`);
      if (!ok) assert.equal(r.body.errors[0].messageParameters[0].value, 'variables[0].defaultValue');
    }
  });

  it('keeps name, category and variable definitions immutable; allows adding variables and longer static strings', async () => {
    const body = aspectType('Imm', 'static', [{ name: 's', dataType: 'STRING', length: 10 }, dbl('d', { qualityCode: true })]);
    assert.equal((await put('Imm', body)).status, 201);
    const upd = (b: unknown) => put('Imm', b, { 'if-match': '0' });
    assertError((await upd({ ...body, category: 'dynamic' })), 'mdsp.core.generic.invalidRequestBodyProperty', /cannot be changed after the creation/);
    assertError((await upd({ ...body, name: 'Other' })), 'mdsp.core.generic.invalidRequestBodyProperty', /cannot be changed after the creation/);
    assert.match((await upd({ ...body, variables: [body.variables[0]] })).body.errors[0].message, /cannot be removed/);
    assert.equal((await upd({ ...body, variables: [body.variables[0], dbl('d', { qualityCode: false })] })).status, 400);
    assert.equal((await upd({ ...body, variables: [{ name: 's', dataType: 'INT' }, body.variables[1]] })).status, 400);
    assert.match((await upd({ ...body, variables: [{ name: 's', dataType: 'STRING', length: 5 }, body.variables[1]] })).body.errors[0].message, /only increase/);
    const ok = await upd({ ...body, variables: [{ name: 's', dataType: 'STRING', length: 20 }, body.variables[1], dbl('added')] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.etag, 1);
    assert.deepEqual(ok.body.variables.map((v: { name: string }) => v.name), ['s', 'd', 'added']);
  });

  it('dynamic string length is immutable', async () => {
    const body = aspectType('DynS', 'dynamic', [{ name: 's', dataType: 'STRING', length: 10 }]);
    assert.equal((await put('DynS', body)).status, 201);
    const r = await put('DynS', aspectType('DynS', 'dynamic', [{ name: 's', dataType: 'STRING', length: 20 }]), { 'if-match': '0' });
    assertError(r, 'mdsp.core.generic.invalidRequestBodyProperty', /cannot be changed after the creation/);
  });

  it('preconditions: If-None-Match * → 409, missing If-Match → 428, stale → 412, If-None-Match etag → 304', async () => {
    const body = aspectType('Pre', 'static', [dbl('v')]);
    assert.equal((await put('Pre', body, { 'if-none-match': '*' })).status, 201);
    const again = await put('Pre', body, { 'if-none-match': '*' });
    assert.equal(again.status, 409);
    assertError(again, 'mdsp.core.generic.conflict', /already exists/);
    const missing = await put('Pre', body);
    assert.equal(missing.status, 428);
    assert.equal(missing.body.errors[0].code, 'mdsp.core.generic.preconditionRequired');
    const stale = await put('Pre', body, { 'if-match': '7' });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.errors[0].code, 'mdsp.core.generic.preconditionFailed');
    assert.equal((await call(s, 'DELETE', `/aspecttypes/${T}.Pre`)).status, 428);
    assert.equal((await call(s, 'DELETE', `/aspecttypes/${T}.Pre`, undefined, { 'if-match': '3' })).status, 412);
    const cached = await s().api(`/api/assetmanagement/v3/aspecttypes/${T}.Pre`, { headers: { 'if-none-match': '"0"' } });
    assert.equal(cached.status, 304);
    const changed = await s().api(`/api/assetmanagement/v3/aspecttypes/${T}.Pre`, { headers: { 'if-none-match': '"5"' } });
    assert.equal(changed.status, 200);
    assert.equal(changed.headers.get('etag'), '"0"');
    const noSuch = await call(s, 'PUT', `/aspecttypes/${T}.Nope`, aspectType('Nope', 'static', []), { 'if-match': '0' });
    assert.equal(noSuch.status, 412);
  });

  it('merge-patch updates the description and keeps the rest', async () => {
    assert.equal((await put('Pat', aspectType('Pat', 'static', [dbl('v')]))).status, 201);
    const res = await s().api(`/api/assetmanagement/v3/aspecttypes/${T}.Pat`, {
      method: 'PATCH', body: JSON.stringify({ description: 'patched' }),
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '0' },
    });
    const body = await res.json() as { description: string; etag: number; variables: unknown[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.description, 'patched');
    assert.equal(body.etag, 1);
    assert.equal(body.variables.length, 1);
    const noIfMatch = await s().api(`/api/assetmanagement/v3/aspecttypes/${T}.Pat`, {
      method: 'PATCH', body: '{}', headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(noIfMatch.status, 428);
  });

  it('a name is unique in the tenant', async () => {
    assert.equal((await put('Uniq1', aspectType('SameName', 'static', []))).status, 201);
    const r = await put('Uniq2', aspectType('SameName', 'static', []));
    assert.equal(r.status, 409);
  });

  it('deletes only while no asset type uses it; core types are read-only', async () => {
    assert.equal((await put('Used', aspectType('Used', 'static', [dbl('v')]))).status, 201);
    const at = await call(s, 'PUT', `/assettypes/${T}.User`, { name: 'User', parentTypeId: 'core.basicasset', aspects: [{ name: 'u', aspectTypeId: `${T}.Used` }] });
    assert.equal(at.status, 201, JSON.stringify(at.body));
    const r = await call(s, 'DELETE', `/aspecttypes/${T}.Used`, undefined, { 'if-match': '0' });
    assert.equal(r.status, 409);
    assert.match(r.body.errors[0].message, new RegExp(`${T}.User`));
    assert.equal((await call(s, 'DELETE', `/assettypes/${T}.User`, undefined, { 'if-match': '0' })).status, 204);
    assert.equal((await call(s, 'DELETE', `/aspecttypes/${T}.Used`, undefined, { 'if-match': '0' })).status, 204);
    const core = await call(s, 'DELETE', '/aspecttypes/core.environment', undefined, { 'if-match': '0' });
    assert.equal(core.status, 403);
    assert.equal((await call(s, 'PUT', '/aspecttypes/core.environment', aspectType('environment', 'dynamic', []), { 'if-match': '0' })).status, 403);
  });

  it('announces aspect and asset type changes after commit', async () => {
    const seen: string[] = [];
    const off = s().platform.assets.events.on((e) => { seen.push(`${e.type} ${'aspectTypeId' in e ? e.aspectTypeId : 'typeId' in e ? e.typeId : ''}`); });
    await put('Ev', aspectType('Ev', 'static', [dbl('v')]));
    await put('Ev', aspectType('Ev', 'static', [dbl('v'), dbl('w')]), { 'if-match': '0' });
    await call(s, 'PUT', `/assettypes/${T}.EvT`, { name: 'EvT', parentTypeId: 'core.basicasset' });
    await call(s, 'DELETE', `/assettypes/${T}.EvT`, undefined, { 'if-match': '0' });
    await call(s, 'DELETE', `/aspecttypes/${T}.Ev`, undefined, { 'if-match': '1' });
    await put('Ev', aspectType('Ev', 'static', [{ name: 'bad', dataType: 'NOPE' }]));
    off();
    assert.deepEqual(seen, [`aspecttype.created ${T}.Ev`, `aspecttype.updated ${T}.Ev`, `assettype.created ${T}.EvT`,
      `assettype.deleted ${T}.EvT`, `aspecttype.deleted ${T}.Ev`]);
  });
});
