/**
 * Pages written from text (time series rows from the stored records, aggregate rows from pieces, asset rows from
 * their set's template, when every property is sent and nothing is expanded) against the same pages written from
 * objects (the same query with an $expand, which takes the object path), over the wire: the rows are the same JSON
 * values in the same order, page after page to the end, ascending and descending, for one asset and for the family.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { buildFixture, json, putRecords, type Fixture } from './helpers.js';

describe('OData text rows', () => {
  const s = useServer();
  let f: Fixture;
  const TS = 'PowerConsumption_PrimaryMotor_Turbine';
  const AGG = 'AGGR_PowerConsumption_PrimaryMotor_Turbine';

  before(async () => {
    f = await buildFixture(s(), 40);
    // records with a variable missing and in another key order, beside the fixture's
    const res = await s().api(`/api/iottimeseries/v3/timeseries/${f.c2}/PrimaryMotor`, { method: 'PUT', body: JSON.stringify([
      { _time: '2024-03-01T00:00:30.000Z', voltage: 1, current: 2 },
      { _time: '2024-03-01T00:01:30.000Z', state: 'a"b\\c' },
      { _time: '2024-03-01T00:02:30.000Z', current_qc: 3, current: 4 },
      { _time: '2024-03-01T00:03:30.000Z', state: 'grün € 😀', current: 5 },
    ]) });
    assert.ok(res.status === 204 || res.status === 200, await res.text());
    await putRecords(s(), f.c2, 'PrimaryMotor', 5, 7);
    // an asset whose row is not ASCII (its page is sent as the UTF-8 text), with a static value of its own
    const asset = await s().api('/api/assetmanagement/v3/assets', { method: 'POST', body: JSON.stringify({
      name: 'Turbine grün € 😀 "q"', typeId: `${s().tenant}.Turbine`, parentId: f.plant, description: 'a\\b \u2028',
      aspects: [{ name: 'plate', variables: [{ name: 'ratedPower', value: '7.25' }] }] }) });
    assert.equal(asset.status, 201, await asset.text());
  });

  /** Every row of a query, following next links, with the `asset` navigation removed. */
  async function rows(query: string, prefer?: string, nav = 'asset'): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let url: string | undefined = `${f.service}${query}`; url;) {
      const r = await s().api(url.replace(s().url, ''), prefer ? { headers: { prefer } } : {});
      const body = await json(r);
      assert.equal(r.status, 200, JSON.stringify(body));
      for (const v of body.value as Record<string, unknown>[]) {
        delete v[nav];
        out.push(v);
      }
      url = body['@odata.nextLink'];
    }
    return out;
  }

  async function same(set: string, filter: string, extra = '', prefer?: string) {
    const q = `${set}?${filter ? `$filter=${encodeURIComponent(filter)}&` : ''}${extra}`;
    const text = await rows(q, prefer);
    const objects = await rows(`${q}&$expand=asset($select=assetId)`, prefer);
    assert.ok(text.length > 0, q);
    assert.deepEqual(text, objects, q);
  }

  it('writes time series pages from the stored records as the object path writes them', async () => {
    await same(TS, `assetId eq '${f.c2}'`);
    await same(TS, `assetId eq '${f.t1}'`, '$orderby=timestamp desc', 'odata.maxpagesize=7');
    await same(TS, '', '', 'odata.maxpagesize=11');
    await same(TS, 'timestamp gt 2024-03-01T00:10:00Z', '$orderby=timestamp desc&$skip=3&$top=50', 'odata.maxpagesize=9');
  });

  it('sends ASCII and non-ASCII pages as their UTF-8 text', async () => {
    for (const [filter, ascii] of [[`assetId eq '${f.c2}'`, false], [`assetId eq '${f.t1}'`, true]] as const) {
      const r = await s().api(`${f.service}${TS}?$filter=${encodeURIComponent(filter)}`);
      const bytes = Buffer.from(await r.arrayBuffer());
      assert.equal(Number(r.headers.get('content-length')), bytes.length);
      const text = bytes.toString('utf8');
      assert.equal(text.includes('grün € 😀'), !ascii);
      assert.equal(Buffer.byteLength(text) === text.length, ascii);
      assert.ok(JSON.parse(text).value.length > 0);
    }
  });

  it('writes asset pages from the set template as the object path writes them', async () => {
    for (const [set, nav] of [['Turbine', 'ChildrenCNGTurbine'], ['CNGTurbine', 'ParentTurbine'], ['LPGTurbine', 'ParentCNGTurbine']] as const) {
      for (const [q, prefer] of [[`${set}?$count=true`, undefined], [`${set}?$orderby=name desc&$top=5`, 'odata.maxpagesize=2'],
        [`${set}?$filter=${encodeURIComponent("contains(name,'o')")}`, undefined]] as const) {
        const text = await rows(q, prefer, nav);
        const objects = await rows(`${q}&$expand=${nav}`, prefer, nav);
        assert.ok(text.length > 0, q);
        assert.deepEqual(text, objects, q);
      }
    }
    const r = await s().api(`${f.service}Turbine`);
    const bytes = Buffer.from(await r.arrayBuffer());
    assert.equal(Number(r.headers.get('content-length')), bytes.length);
    const names = (JSON.parse(bytes.toString('utf8')).value as { name: string }[]).map((v) => v.name);
    assert.ok(names.includes('Turbine grün € 😀 "q"'), names.join());
  });

  it('writes aggregate pages from pieces as the object path writes them', async () => {
    await same(AGG, `assetId eq '${f.c2}' and intervalUnit eq 'minutes'`);
    await same(AGG, `assetId eq '${f.t1}' and intervalUnit eq 'minutes' and intervalValue eq 10`, '$orderby=timestamp desc', 'odata.maxpagesize=13');
    await same(AGG, "intervalUnit eq 'hours' and variableName eq 'current'", '$count=true', 'odata.maxpagesize=5');
    await same(AGG, "intervalUnit eq 'minutes' and aggregationType eq 'sd' and timestamp gt 2024-03-01T00:04:00Z and intervalCount eq 6", '');
  });
});
