/**
 * The contract preview (`POST /api/odatacontracts/v1/contracts/preview`), which the Asset Manager's contract wizard
 * shows while asset types are picked ("Insights Hub IIoT for Makers" §2.3.3): the entity sets a body would serve
 * and its problems, a too-long `AGGR_…` name with the alias to keep it, nothing saved; a body error is a 400
 * naming the field, as create answers it
 * (an asset type the tenant does not have included).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aspectType, call } from '../assets/helpers.js';
import { useServer } from '../helpers/server.js';
import { buildFixture, json, REG } from './helpers.js';

describe('OData contract preview', () => {
  const s = useServer();
  const T = () => s().tenant;
  const preview = (body: unknown) => s().api(`${REG}/contracts/preview`, { method: 'POST', body: JSON.stringify(body) });

  it('lists the entity sets of the chosen types and saves nothing', async () => {
    await buildFixture(s(), 1);
    const before = (await json(await s().api(`${REG}/contracts`))).contracts.length;
    const r = await preview({ assetTypes: [`${T()}.Turbine`] });
    assert.equal(r.status, 200);
    const body = await json(r);
    const names = body.entitySets.map((e: { name: string }) => e.name);
    assert.ok(names.includes('Turbine'), names.join());
    assert.ok(names.includes('PowerConsumption_PrimaryMotor_Turbine'));
    assert.ok(names.includes('AGGR_PowerConsumption_PrimaryMotor_Turbine'));
    const turbine = body.entitySets.find((e: { name: string }) => e.name === 'Turbine');
    assert.equal(turbine.kind, 'assets');
    assert.ok(turbine.properties.includes('site'));
    assert.deepEqual(body.problems, []);
    assert.equal((await json(await s().api(`${REG}/contracts`))).contracts.length, before);
  });

  it('names a too-long AGGR_ name with the alias to keep it, and the alias makes it valid', async () => {
    assert.equal((await call(s(), 'PUT', `/aspecttypes/${T()}.Spectrum`, aspectType('Spectrum', 'dynamic', [{ name: 'rms', dataType: 'DOUBLE', unit: 'g' }]), { 'if-none-match': '*' })).status, 201);
    const typeName = `Compressor${'Y'.repeat(50)}`;
    const aspectName = `Vibration${'X'.repeat(48)}`;
    assert.equal((await call(s(), 'PUT', `/assettypes/${T()}.Compressor`, { name: typeName, parentTypeId: 'core.basicasset',
      aspects: [{ name: aspectName, aspectTypeId: `${T()}.Spectrum` }] }, { 'if-none-match': '*' })).status, 201);
    const aggr = `AGGR_Spectrum_${aspectName}_${typeName}`;
    const body = await json(await preview({ assetTypes: [`${T()}.Compressor`] }));
    const problem = body.problems.find((p: { alias?: { for: string } }) => p.alias?.for === aggr);
    assert.ok(problem, JSON.stringify(body.problems));
    assert.match(problem.rule, /has \d+ characters; an OData \(CSDL\) identifier may have at most 128/);
    assert.ok(!body.entitySets.some((e: { name: string }) => e.name === aggr));
    const fixed = await json(await preview({ assetTypes: [`${T()}.Compressor`], aliases: { [aggr]: problem.alias.suggestion } }));
    assert.deepEqual(fixed.problems, []);
    assert.ok(fixed.entitySets.some((e: { name: string }) => e.name === problem.alias.suggestion));
  });

  it('answers a body error and an unknown asset type with a 400 naming the field', async () => {
    const missing = await preview({});
    assert.equal(missing.status, 400);
    assert.match((await json(missing)).errors[0].message, /assetTypes is missing/);
    const badName = await preview({ name: 'has space', assetTypes: [`${T()}.Turbine`] });
    assert.equal(badName.status, 400);
    assert.match((await json(badName)).errors[0].message, /name is invalid/);
    const notObject = await preview([1]);
    assert.equal(notObject.status, 400);
    const unknown = await preview({ assetTypes: [`${T()}.Turbine`, `${T()}.Nope`] });
    assert.equal(unknown.status, 400);
    assert.match((await json(unknown)).errors[0].message, /assetTypes\[1\] is invalid: "local\.Nope" is not an asset type of this tenant/);
  });
});
