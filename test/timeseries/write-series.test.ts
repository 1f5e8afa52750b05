/**
 * The one multi-series write path (TimeseriesWriter.writeSeries, exported for the agents' exchange and MQTT), and
 * the multi-entity PUT that uses it: every item checked before anything is stored, all items in one transaction,
 * the refused item named; the PUT's per-pair report in the legacy error shape.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AppError } from '../../src/core/errors.js';
import type { TimeseriesContext } from '../../src/timeseries/index.js';
import { useServer } from '../helpers/server.js';
import { json, makeAsset, TS } from './helpers.js';

const t0 = Date.parse('2024-04-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms).toISOString();

describe('multi-series writes', () => {
  const server = useServer();
  let ctx: TimeseriesContext;
  let A: string;
  let B: string;
  before(async () => {
    const s = server();
    ctx = s.platform.contexts.find((c) => c.name === 'timeseries') as unknown as TimeseriesContext;
    A = await makeAsset(s, 'WriterA');
    B = await makeAsset(s, 'WriterB', { aspect: 'Vib', variables: [{ name: 'v', dataType: 'DOUBLE', unit: '' }] });
  });

  const read = async (asset: string, aspect: string) => {
    const res = await server().api(`${TS}/${asset}/${aspect}?from=${at(-1)}&to=${at(1e9)}`);
    assert.equal(res.status, 200);
    return json(res) as Promise<Record<string, unknown>[]>;
  };

  it('stores many series of a tenant in one call; of two records at one timestamp the later wins, across items', async () => {
    const s = server();
    const refused = await ctx.writer.writeSeries(s.tenant, [
      { assetId: A, aspect: 'Env', records: [{ _time: at(1), temperature: 1, count: 1 }, { _time: at(2), count: 2 }] },
      { assetId: B, aspect: 'Vib', records: [{ _time: at(1), v: 0.5 }] },
      { assetId: A, aspect: 'Env', records: [{ _time: at(2), count: 20 }, { _time: at(3), on: true }] },
      { assetId: B, aspect: 'Vib', records: [] },
    ]);
    assert.deepEqual(refused, []);
    assert.deepEqual(await read(A, 'Env'), [
      { _time: at(1), temperature: 1, count: 1 }, { _time: at(2), count: 20 }, { _time: at(3), on: true }]);
    assert.deepEqual(await read(B, 'Vib'), [{ _time: at(1), v: 0.5 }]);
    const agg = await json(await s.api(`/api/iottsaggregates/v4/aggregates?assetId=${A}&aspectName=Env&from=${at(0)}&to=${at(3600_000)}&intervalUnit=hour&intervalValue=1`));
    assert.equal(agg.aggregates[0].count.sum, 21, 'roll-ups of the call are exact');
  });

  it('one bad item refuses the call: nothing stored, the error names the item and quotes its cause', async () => {
    const s = server();
    const C = await makeAsset(s, 'WriterC');
    const cases: [unknown[], number, string, RegExp, string][] = [
      [[{ _time: at(10), v: 1 }, { _time: at(11), nope: 1 }], 1, 'Vib', /Record 1: field nope is not a variable/, 'mdsp.core.iottimeseries.invalidRecord'],
      [{ _time: at(10) } as unknown as unknown[], 1, 'Vib', /must be a JSON array/, 'mdsp.core.iottimeseries.bodyNotArray'],
      [[{ _time: at(10), v: 1 }], 1, 'Nope', /has no aspect Nope/, 'mdsp.core.iottimeseries.aspectNotFound'],
    ];
    for (const [records, index, aspect, message, cause] of cases) {
      const err = await ctx.writer.writeSeries(s.tenant, [
        { assetId: C, aspect: 'Env', records: [{ _time: at(10), count: 10 }] },
        { assetId: B, aspect, records },
        { assetId: C, aspect: 'Env', records: [{ _time: at(12), count: 12 }] },
      ]).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.code, 'mdsp.core.iottimeseries.seriesRejected');
      assert.equal(err.status, 400);
      assert.match(err.message, new RegExp(`^Series ${index} \\(asset ${B}, aspect ${aspect}\\) was refused, so nothing of the batch was stored: `));
      assert.match(err.message, message);
      assert.deepEqual(err.parameters.map((p) => p.name), ['index', 'assetId', 'aspect', 'reason']);
      assert.equal((err.cause as AppError).code, cause);
    }
    const unknown = await ctx.writer.writeSeries(s.tenant, [{ assetId: 'f'.repeat(32), aspect: 'Env', records: [{ _time: at(10), count: 1 }] }])
      .then(() => undefined, (e: unknown) => e as AppError);
    assert.match(unknown!.message, /Series 0 .* Asset f{32} does not exist in this tenant/);
    assert.deepEqual(await read(C, 'Env'), [], 'the good items were not stored');
    assert.deepEqual((await read(B, 'Vib')).map((r) => r['_time']), [at(1)]);
  });

  it('another tenant\'s asset is unknown to the write path', async () => {
    const s = server();
    await s.platform.provisionTenant('writer2', 'writer2.localhost');
    const err = await ctx.writer.writeSeries('writer2', [{ assetId: A, aspect: 'Env', records: [{ _time: at(50), count: 1 }] }])
      .then(() => undefined, (e: unknown) => e as AppError);
    assert.equal((err?.cause as AppError | undefined)?.code, 'mdsp.core.iottimeseries.assetNotFound');
    assert.equal((await read(A, 'Env')).length, 3);
  });

  it('partial: refused items come back in call order, the others are stored together', async () => {
    const s = server();
    const D = await makeAsset(s, 'WriterD');
    const refused = await ctx.writer.writeSeries(s.tenant, [
      { assetId: D, aspect: 'Env', records: [{ _time: at(1), count: 1 }] },
      { assetId: D, aspect: 'Env', records: [{ _time: at(2), count: 'two' }] },
      { assetId: D, aspect: 'Gone', records: [] },
      { assetId: D, aspect: 'Env', records: [{ _time: at(3), count: 3 }] },
    ], { partial: true });
    assert.deepEqual(refused.map((r) => [r.index, r.assetId, r.aspect, r.error.code]), [
      [1, D, 'Env', 'mdsp.core.iottimeseries.invalidRecord'], [2, D, 'Gone', 'mdsp.core.iottimeseries.aspectNotFound']]);
    assert.deepEqual((await read(D, 'Env')).map((r) => r['count']), [1, 3]);
  });

  it('multi-entity PUT: the per-pair report in the legacy shape, a malformed pair reported at its index', async () => {
    const s = server();
    const E = await makeAsset(s, 'WriterE');
    const res = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: [
      { entityId: E, propertySetName: 'Env', data: [{ _time: at(1), count: 1 }] },
      { propertySetName: 'Env', data: [{ _time: at(2), count: 2 }] },
      { entityId: E, propertySetName: 'Env', data: [{ _time: at(3), count: 'x' }] },
      { entityId: E, data: [] },
      { entityId: E, propertySetName: 'Env', data: [{ _time: at(4), count: 4 }] },
    ] }) });
    assert.equal(res.status, 202);
    const body = await json(res);
    assert.deepEqual(body.errors.map((e: Record<string, unknown>) => Object.keys(e)), Array(3).fill(['index', 'entityId', 'propertySetName', 'status', 'id', 'message']));
    assert.deepEqual(body.errors.map((e: Record<string, unknown>) => [e['index'], e['entityId'], e['propertySetName'], e['status']]),
      [[1, '', 'Env', 400], [2, E, 'Env', 400], [3, E, '', 400]]);
    assert.match(body.errors[0].message, /timeseries\[1\]\.entityId is required/);
    assert.match(body.errors[1].message, /Record 0: field count/);
    assert.match(body.errors[2].message, /timeseries\[3\]\.propertySetName is required/);
    assert.ok(body.errors.every((e: { id: string }) => e.id === body.errors[0].id && e.id.length > 0), 'the logref of the request');
    assert.deepEqual((await read(E, 'Env')).map((r) => r['count']), [1, 4]);
    const none = await s.api(TS, { method: 'PUT', body: JSON.stringify({ timeseries: [{ entityId: E, propertySetName: 'Env', data: [{ _time: at(5), count: 5 }] }] }) });
    assert.deepEqual(await json(none), { errors: [] });
    const xml = await s.api(TS, { method: 'PUT', headers: { accept: 'application/xml' }, body: JSON.stringify({ timeseries: 'no' }) });
    assert.equal(xml.status, 400);
    assert.match(await xml.text(), /<message>Request body property timeseries is required/);
  });
});
