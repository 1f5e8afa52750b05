/**
 * Aggregates (IoT Time Series Aggregates API) against a brute-force computation on random data with fast-check: random batches,
 * late writes, overwrites and range deletes, around both daylight-saving changes of Europe/Berlin, checked at
 * 2/10-minute, 1-hour and 1-day intervals. Buckets are derived independently from local wall-clock time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { useServer } from '../helpers/server.js';
import { AGG4, json, makeAsset, put, TS } from './helpers.js';
import { brute, keyOf as zoneKeyOf, type Point, type Rec, recordArb as oracleRecordArb, sameAggregate, toRec } from './oracle.js';

const ZONE = 'Europe/Berlin';
const WINDOWS = [Date.parse('2024-03-30T14:00:00Z'), Date.parse('2024-10-26T14:00:00Z')]; // spans 01:00Z shifts
const SPAN = 20 * 3600_000;

const keyOf = (t: number, unit: string, value: number, reference: number) =>
  zoneKeyOf(ZONE, t, unit as 'minute' | 'hour' | 'day', value, reference);

const recordArb = oracleRecordArb(SPAN);
const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), records: fc.array(recordArb, { minLength: 1, maxLength: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), pick: fc.nat(), rec: recordArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: fc.integer({ min: 0, max: SPAN }), len: fc.integer({ min: 1, max: 4 * 3600_000 }) }) },
);

describe('aggregates v4 equal a brute-force computation (fast-check)', () => {
  const server = useServer();

  it('for random writes, late writes, overwrites and deletes across DST changes', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(0, 1), fc.array(opArb, { minLength: 1, maxLength: 8 }),
      fc.constantFrom(['minute', 2], ['minute', 10], ['hour', 1], ['day', 1]),
      async (w, ops, [unit, value]) => {
        const s = server();
        const base = WINDOWS[w]!;
        const id = await makeAsset(s, `P${n++}`, { timezone: ZONE, aspect: 'Agg', variables: [
          { name: 'a', dataType: 'DOUBLE', unit: '', qualityCode: true }, { name: 'b', dataType: 'INT', unit: '' }] });
        const model = new Map<number, Rec>();
        for (const op of ops) {
          if (op.kind === 'put') {
            const body = op.records.map((r) => ({ _time: new Date(base + r.off).toISOString(), ...toRec(r) }));
            assert.equal((await put(s, id, 'Agg', body)).status, 204);
            for (const r of op.records) model.set(base + r.off, toRec(r));
          } else if (op.kind === 'overwrite') {
            const keys = [...model.keys()];
            const t = keys.length ? keys[op.pick % keys.length]! : base + op.rec.off;
            assert.equal((await put(s, id, 'Agg', [{ _time: new Date(t).toISOString(), ...toRec(op.rec) }])).status, 204);
            model.set(t, toRec(op.rec));
          } else {
            const from = base + op.a; const to = from + op.len;
            const r = await s.api(`${TS}/${id}/Agg?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`, { method: 'DELETE' });
            assert.equal(r.status, 204);
            for (const t of [...model.keys()]) if (t > from && t <= to) model.delete(t);
          }
        }
        // Query a range that covers the window; minute intervals may span at most 24 h.
        const from = new Date(base).toISOString();
        const to = new Date(base + SPAN).toISOString();
        const res = await s.api(`${AGG4}?assetId=${id}&aspectName=Agg&from=${from}&to=${to}&intervalUnit=${unit}&intervalValue=${value}`);
        const body = await json(res);
        assert.equal(res.status, 200, JSON.stringify(body));
        const groups = new Map<string, { a: Point[]; b: Point[] }>();
        const dayStart = Date.parse(from);
        for (const [t, rec] of model) {
          const k = keyOf(t, unit as string, value as number, dayStart);
          const g = groups.get(k) ?? { a: [], b: [] };
          if (rec.a !== undefined) g.a.push([t, rec.a, rec.a_qc]);
          if (rec.b !== undefined) g.b.push([t, rec.b, undefined]);
          if (rec.a !== undefined || rec.b !== undefined) groups.set(k, g);
        }
        const got = body.aggregates as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.equal(got.length, groups.size, `intervals ${got.map((x) => x['starttime']).join(' ')} vs groups ${[...groups.keys()].join(' | ')}`);
        for (const interval of got) {
          const start = Date.parse(interval['starttime']);
          const end = Date.parse(interval['endtime']);
          if (unit === 'hour') assert.equal(end - start, 3600_000);
          if (unit === 'minute') assert.equal(end - start, (value as number) * 60_000);
          const g = groups.get(keyOf(start + 1, unit as string, value as number, dayStart));
          assert.ok(g, `interval ${interval['starttime']} has no brute-force group`);
          for (const name of ['a', 'b'] as const) {
            if (g[name].length === 0) { assert.equal(interval[name], undefined); continue; }
            const wrong = sameAggregate(interval[name], brute(g[name]), name);
            assert.equal(wrong, undefined, wrong);
          }
        }
      }), { numRuns: 40 });
  });

  it('day intervals in Europe/Berlin are 23 and 25 hours long on the DST days', async () => {
    const s = server();
    const id = await makeAsset(s, 'DstDays', { timezone: ZONE, aspect: 'Agg', variables: [
      { name: 'a', dataType: 'DOUBLE', unit: '', qualityCode: true }, { name: 'b', dataType: 'INT', unit: '' }] });
    const hours = (start: string, n: number) => Array.from({ length: n }, (_, i) => ({ _time: new Date(Date.parse(start) + i * 3600_000 + 1).toISOString(), a: 1 }));
    await put(s, id, 'Agg', [...hours('2024-03-30T00:00:00Z', 72), ...hours('2024-10-26T00:00:00Z', 72)]);
    for (const [from, to, day, len, count] of [
      ['2024-03-30T10:00:00Z', '2024-04-01T10:00:00Z', '2024-03-30T23:00:00.000Z', 23, 23],
      ['2024-10-26T10:00:00Z', '2024-10-28T10:00:00Z', '2024-10-26T22:00:00.000Z', 25, 25],
    ] as const) {
      const body = await json(await s.api(`${AGG4}?assetId=${id}&aspectName=Agg&from=${from}&to=${to}&intervalUnit=day&intervalValue=1`));
      const d = body.aggregates.find((x: { starttime: string }) => x.starttime === day);
      assert.ok(d, JSON.stringify(body.aggregates.map((x: { starttime: string }) => x.starttime)));
      assert.equal((Date.parse(d.endtime) - Date.parse(d.starttime)) / 3600_000, len);
      assert.equal(d.a.countgood, count);
    }
  });
});
