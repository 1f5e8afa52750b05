/**
 * Aggregates (reference §3) against a brute-force computation on random data with fast-check: random batches,
 * late writes, overwrites and range deletes, around both daylight-saving changes of Europe/Berlin, checked at
 * 2/10-minute, 1-hour and 1-day intervals. Buckets are derived independently from local wall-clock time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startServer, type TestServer } from '../helpers/server.js';
import { AGG4, json, makeAsset, put, TS } from './helpers.js';

type Rec = { a?: number; a_qc?: number; b?: number };
const ZONE = 'Europe/Berlin';
const WINDOWS = [Date.parse('2024-03-30T14:00:00Z'), Date.parse('2024-10-26T14:00:00Z')]; // spans 01:00Z shifts
const SPAN = 20 * 3600_000;

const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
/** Independent bucket key: local wall-clock fields of t-1 truncated to the interval. */
function keyOf(t: number, unit: string, value: number, startUtcHour: number): string {
  const s = wall.format(new Date(t - 1)); // "2024-03-31 03:15:00"
  const date = s.slice(0, 10);
  if (unit === 'day') return date;
  const hour = s.slice(11, 13);
  // The hour of a repeated local hour differs by offset; distinguish by the UTC hour of the instant.
  const utcHour = String(Math.floor((t - 1 - startUtcHour) / 3600_000));
  if (unit === 'hour') return `${date} ${hour} ${utcHour}`;
  return `${date} ${hour} ${utcHour} ${Math.floor(Number(s.slice(14, 16)) / value)}`;
}

function qcClass(qc: number | undefined): number {
  if (qc === undefined) return 0;
  const sev = (qc >>> 30) & 3;
  return sev === 0 ? 0 : sev === 1 ? 1 : 2;
}

function brute(points: [number, number, number | undefined][]) {
  const sorted = [...points].sort((x, y) => x[0] - y[0]);
  const counts = [0, 0, 0];
  for (const p of sorted) counts[qcClass(p[2])]!++;
  const vals = sorted.map((p) => p[1]);
  const n = vals.length;
  const sum = vals.reduce((s, v) => s + v, 0);
  const mean = sum / n;
  const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  let min = sorted[0]!; let max = sorted[0]!;
  for (const p of sorted) { if (p[1] < min[1]) min = p; if (p[1] > max[1]) max = p; }
  return { countgood: counts[0], countuncertain: counts[1], countbad: counts[2], sum, average: mean, sd,
    minvalue: min[1], mintime: new Date(min[0]).toISOString(), maxvalue: max[1], maxtime: new Date(max[0]).toISOString(),
    firstvalue: sorted[0]![1], firsttime: new Date(sorted[0]![0]).toISOString(),
    lastvalue: sorted[n - 1]![1], lasttime: new Date(sorted[n - 1]![0]).toISOString() };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

const recordArb = fc.record({
  off: fc.integer({ min: 1, max: SPAN }),
  a: fc.option(fc.integer({ min: -4000, max: 4000 }).map((v) => v / 4), { nil: undefined }),
  qc: fc.constantFrom(undefined, 0, 1, 0x40000000, 0x80000000, 0xC0000001),
  b: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: undefined }),
});
const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), records: fc.array(recordArb, { minLength: 1, maxLength: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), pick: fc.nat(), rec: recordArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: fc.integer({ min: 0, max: SPAN }), len: fc.integer({ min: 1, max: 4 * 3600_000 }) }) },
);

describe('aggregates v4 equal a brute-force computation (fast-check)', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(async () => { await s.close(); });

  it('for random writes, late writes, overwrites and deletes across DST changes', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(0, 1), fc.array(opArb, { minLength: 1, maxLength: 8 }),
      fc.constantFrom(['minute', 2], ['minute', 10], ['hour', 1], ['day', 1]),
      async (w, ops, [unit, value]) => {
        const base = WINDOWS[w]!;
        const id = await makeAsset(s, `P${n++}`, { timezone: ZONE, aspect: 'Agg', variables: [
          { name: 'a', dataType: 'DOUBLE', unit: '', qualityCode: true }, { name: 'b', dataType: 'INT', unit: '' }] });
        const model = new Map<number, Rec>();
        const toRec = (r: { a?: number; qc?: number; b?: number }): Rec => {
          const rec: Rec = {};
          if (r.a !== undefined) { rec.a = r.a; if (r.qc !== undefined) rec.a_qc = r.qc; }
          if (r.b !== undefined) rec.b = r.b;
          return rec;
        };
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
        const groups = new Map<string, { a: [number, number, number | undefined][]; b: [number, number, number | undefined][] }>();
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
            const want = brute(g[name]);
            const have = interval[name];
            for (const [field, v] of Object.entries(want)) {
              if (typeof v === 'number') assert.ok(close(have[field], v), `${name}.${field}: ${have[field]} != ${v}`);
              else assert.equal(have[field], v, `${name}.${field}`);
            }
          }
        }
      }), { numRuns: 40 });
  });

  it('day intervals in Europe/Berlin are 23 and 25 hours long on the DST days', async () => {
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
