/**
 * The TimeseriesStore contract (src/timeseries/store.ts): every implementation (SQLite now; the compressed chunk
 * store and PostgreSQL later) runs this suite through runTimeseriesStoreContract(name, open, newLocation, remove).
 * `open(at)` opens a store on the data at `at`; a second open of the same location is a second connection, as a
 * second worker process or the CLI has, whose commits the store promises to show to the next call.
 * Records are made by the service's codec (records.ts), as the service makes them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ModelVariable } from '../../src/core/model.js';
import { type Level, zoneOf } from '../../src/timeseries/buckets.js';
import { recordJson, validateRecords, variableMap } from '../../src/timeseries/records.js';
import { renderAgg } from '../../src/timeseries/rollup.js';
import { type SeriesKey, type SeriesShape, SeriesZoneError, type TimeseriesStore, type WriteRecord } from '../../src/timeseries/store.js';
import { chunkBoundaryCases } from './store.contract-chunks.js';
import { brute, keyOf, type Point, type Rec as OracleRec, recordArb as oracleRecordArb, sameAggregate, toRec } from './oracle.js';

const variable = (name: string, dataType: ModelVariable['dataType'], qualityCode = false): ModelVariable =>
  ({ name, dataType, unit: '', length: null, qualityCode, searchable: false, defaultValue: null });
const VARS = variableMap([variable('a', 'DOUBLE', true), variable('b', 'INT'), variable('s', 'STRING')]);
const shapeIn = (zone: string): SeriesShape => ({ zone: zoneOf(zone), variables: VARS });
const UTC = shapeIn('UTC');
const BERLIN = shapeIn('Europe/Berlin');
const KOLKATA = shapeIn('Asia/Kolkata');

type Rec = OracleRec & { s?: string };
const isoOf = (t: number) => new Date(t).toISOString();
/** Records at epoch-ms times, through the service's validation and encoding. */
const recs = (list: readonly (Rec & { t: number })[]): WriteRecord[] =>
  validateRecords(list.map(({ t, ...values }) => ({ _time: isoOf(t), ...values })), VARS);
const ALL = { limit: 1_000_000, desc: false };
const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const EVERYTHING: [number, number] = [-8.64e15, 8.64e15];
const levels: readonly Level[] = [0, 1, 2];
const UNIT_OF_LEVEL = [['minute', 2], ['hour', 1], ['day', 1]] as const;

export function runTimeseriesStoreContract(name: string, open: (at: string) => Promise<TimeseriesStore>,
  newLocation: () => string, remove: (at: string) => void = () => {}): void {
  describe(`TimeseriesStore contract: ${name}`, () => {
    const location = newLocation();
    let store: TimeseriesStore;
    let n = 0;
    /** A series of its own for each case (tenant t1 unless given). */
    const fresh = (tenant = 't1'): SeriesKey => ({ tenant, assetId: `asset${n++}`, aspect: 'env' });
    const values = async (key: SeriesKey, q: { from?: number; to?: number; limit?: number; desc?: boolean } = {}) =>
      (await store.read(key, { limit: q.limit ?? 1_000_000, desc: q.desc ?? false, from: q.from, to: q.to }))
        .map((r) => JSON.parse(r.json) as Rec & { _time: string });

    /** Every stored roll-up of every level against the brute-force aggregates of `model` in `zone`. */
    async function checkRollups(key: SeriesKey, model: ReadonlyMap<number, Rec>, zone: string, reference: number): Promise<void> {
      for (const level of levels) {
        const [unit, value] = UNIT_OF_LEVEL[level];
        const groups = new Map<string, { a: Point[]; b: Point[] }>();
        for (const [t, rec] of model) {
          if (rec.a === undefined && rec.b === undefined && rec.s === undefined) continue;
          const k = keyOf(zone, t, unit, value, reference);
          const g = groups.get(k) ?? { a: [], b: [] };
          if (rec.a !== undefined) g.a.push([t, rec.a, rec.a_qc]);
          if (rec.b !== undefined) g.b.push([t, rec.b, undefined]);
          groups.set(k, g);
        }
        const rollups = await store.rollups(key, level, ...EVERYTHING);
        assert.deepEqual(rollups.map((r) => keyOf(zone, r.start + 1, unit, value, reference)).sort(), [...groups.keys()].sort(),
          `level ${level}: buckets`);
        for (let i = 1; i < rollups.length; i++) assert.ok(rollups[i - 1]!.start < rollups[i]!.start, 'ascending');
        for (const r of rollups) {
          const g = groups.get(keyOf(zone, r.start + 1, unit, value, reference))!;
          for (const v of ['a', 'b'] as const) {
            if (g[v].length === 0) { assert.equal(r.aggs[v], undefined, `level ${level} ${isoOf(r.start)} ${v}`); continue; }
            const wrong = sameAggregate(renderAgg(r.aggs[v]!, true) as unknown as Record<string, unknown>, brute(g[v]),
              `level ${level} ${isoOf(r.start)} ${v}`);
            assert.equal(wrong, undefined, wrong);
          }
        }
      }
    }

    before(async () => { store = await open(location); });
    chunkBoundaryCases({ store: () => store, fresh: () => fresh(), shape: UTC, recs, checkRollups, t0: T0 });
    after(() => {
      store.close();
      remove(location);
    });

    it('deleteTenant drops every series, record and roll-up of the tenant and nothing of another tenant', async () => {
      const key = fresh('td');
      const other = { ...key, tenant: 'te' };
      for (const k of [key, other, { ...key, aspect: 'second' }]) await store.put([{ key: k, shape: UTC, records: recs([{ t: T0 + 1, b: 1 }, { t: T0 + 2, b: 2 }]) }]);
      assert.equal((await store.read(key, ALL)).length, 2, 'read once: caches are warm');
      assert.equal(await store.deleteTenant('td'), 2);
      assert.deepEqual([await store.read(key, ALL), await store.read({ ...key, aspect: 'second' }, ALL), await store.zoneOf(key)], [[], [], undefined]);
      for (const level of levels) assert.deepEqual(await store.rollups(key, level, ...EVERYTHING), []);
      assert.equal((await store.read(other, ALL)).length, 2);
      assert.ok((await store.rollups(other, 1, ...EVERYTHING)).length > 0);
      await store.put([{ key, shape: UTC, records: recs([{ t: T0 + 3, b: 3 }]) }]);
      assert.deepEqual((await store.read(key, ALL)).map((r) => r.t), [T0 + 3], 'a new series starts empty');
      assert.equal(await store.deleteTenant('nobody'), 0);
    });

    it('stores records as the service made them and reads them back, each series and tenant apart', async () => {
      const key = fresh();
      const twin = { ...key, tenant: 't2' };
      const written = recs([{ t: T0 + 2, a: 1.5, a_qc: 0, b: 7, s: 'x' }, { t: T0 + 1, b: -3 }]);
      await store.put([{ key, shape: UTC, records: written }]);
      await store.put([{ key: twin, shape: UTC, records: recs([{ t: T0 + 1, s: 'other tenant' }]) }]);
      const rows = await store.read(key, ALL);
      assert.deepEqual(rows.map((r) => r.t), [T0 + 1, T0 + 2]);
      assert.deepEqual(rows.map((r) => r.json), [written[1]!.json, written[0]!.json], 'the text as it was given');
      assert.deepEqual(await store.readText(key, ALL), rows.map((r) => r.json));
      assert.deepEqual((await store.readText(key, { ...ALL, desc: true })), [written[0]!.json, written[1]!.json]);
      assert.deepEqual(await values(twin), [{ _time: isoOf(T0 + 1), s: 'other tenant' }]);
      assert.deepEqual(await store.read({ ...key, aspect: 'other' }, ALL), []);
      assert.deepEqual(await store.read({ ...key, assetId: 'nobody' }, ALL), []);
      assert.deepEqual(await store.readText({ ...key, assetId: 'nobody' }, ALL), []);
      assert.equal(await store.count(key, T0 - 1, T0 + 10), 2);
      assert.equal(await store.count(key, T0 + 1, T0 + 2), 1, 'from is exclusive, to inclusive');
      assert.equal(await store.count(key, T0 + 2, T0 + 1), 0, 'an empty range');
      assert.equal(await store.count({ ...key, assetId: 'nobody' }, T0 - 1, T0 + 10), 0);
    });

    it('a record at a stored timestamp replaces it whole; of two at one timestamp in one call the later wins', async () => {
      const key = fresh();
      await store.put([{ key, shape: UTC, records: recs([{ t: T0 + 10, a: 1, b: 1, s: 'first' }]) }]);
      await store.put([{ key, shape: UTC, records: recs([{ t: T0 + 10, b: 2 }]) }]);
      assert.deepEqual(await values(key), [{ _time: isoOf(T0 + 10), b: 2 }], 'variables not sent are gone');
      await store.put([{ key, shape: UTC, records: recs([{ t: T0 + 20, b: 1 }, { t: T0 + 20, b: 2 }, { t: T0 + 5, b: 9 }, { t: T0 + 20, a: 3 }]) }]);
      await store.put([
        { key, shape: UTC, records: recs([{ t: T0 + 30, b: 1 }]) },
        { key, shape: UTC, records: recs([{ t: T0 + 30, b: 2 }, { t: T0 + 10, a: 4 }]) },
      ]);
      assert.deepEqual(await values(key), [
        { _time: isoOf(T0 + 5), b: 9 }, { _time: isoOf(T0 + 10), a: 4 }, { _time: isoOf(T0 + 20), a: 3 }, { _time: isoOf(T0 + 30), b: 2 }]);
      await checkRollups(key, new Map([[T0 + 5, { b: 9 }], [T0 + 10, { a: 4 }], [T0 + 20, { a: 3 }], [T0 + 30, { b: 2 }]]), 'UTC', T0);
    });

    it('ranges: from exclusive, to inclusive, either open; at most limit, ascending or descending', async () => {
      const key = fresh();
      await store.put([{ key, shape: UTC, records: recs([1, 2, 3, 4, 5].map((i) => ({ t: T0 + i * 1000, b: i }))) }]);
      const bs = async (q: Parameters<typeof values>[1]) => (await values(key, q)).map((r) => r.b);
      assert.deepEqual(await bs({ from: T0 + 1000, to: T0 + 3000 }), [2, 3]);
      assert.deepEqual(await bs({ from: T0 + 999, to: T0 + 3001 }), [1, 2, 3]);
      assert.deepEqual(await bs({ from: T0 + 3000 }), [4, 5]);
      assert.deepEqual(await bs({ to: T0 + 2000 }), [1, 2]);
      assert.deepEqual(await bs({ from: T0 + 1000, to: T0 + 4000, desc: true }), [4, 3, 2]);
      assert.deepEqual(await bs({ limit: 2 }), [1, 2]);
      assert.deepEqual(await bs({ limit: 2, desc: true }), [5, 4]);
      assert.deepEqual(await bs({ from: T0 + 1000, to: T0 + 5000, limit: 1, desc: true }), [5]);
      assert.deepEqual(await bs({ from: T0 + 5000 }), []);
      assert.deepEqual(await bs({ from: T0 + 2000, to: T0 + 2000 }), []);
      assert.deepEqual((await store.readText(key, { from: T0 + 1000, to: T0 + 3000, limit: 1, desc: true })).map((j) => JSON.parse(j).b), [3]);
    });

    it('paging by the last timestamp read visits every record once, in both orders, whatever the write order', async () => {
      const key = fresh();
      const times = Array.from({ length: 3000 }, (_, i) => T0 + i * 7 + 1);
      const shuffled = times.map((_, i) => times[(i * 7919) % times.length]!); // 7919 is prime to 3000: a permutation
      for (let i = 0; i < shuffled.length; i += 500) {
        await store.put([{ key, shape: UTC, records: recs(shuffled.slice(i, i + 500).map((t) => ({ t, b: t - T0 }))) }]);
      }
      for (const desc of [false, true]) {
        const seen: number[] = [];
        let from: number | undefined;
        let to: number | undefined;
        for (;;) {
          const page = await store.read(key, { from, to, limit: 137, desc });
          if (page.length === 0) break;
          seen.push(...page.map((r) => r.t));
          if (desc) to = page[page.length - 1]!.t - 1; else from = page[page.length - 1]!.t;
        }
        assert.deepEqual(seen, desc ? [...times].reverse() : times);
      }
    });

    it('limits: 20,000 records in one write, the extreme timestamps, a read limit larger than the series', async () => {
      const key = fresh();
      const many = Array.from({ length: 20_000 }, (_, i) => ({ t: T0 + i * 100 + 1, a: i % 97, b: i }));
      await store.put([{ key, shape: UTC, records: recs(many) }]);
      assert.equal((await store.read(key, { limit: 25_000, desc: false })).length, 20_000);
      assert.deepEqual((await store.read(key, { limit: 1, desc: true })).map((r) => r.t), [T0 + 19_999 * 100 + 1]);
      const day = await store.rollups(key, 2, ...EVERYTHING);
      assert.deepEqual(day.map((d) => d.aggs['b']![0]), [20_000], 'one day, every record counted');
      const edges = fresh();
      const last = Date.parse('9999-12-31T23:59:59.999Z');
      await store.put([{ key: edges, shape: UTC, records: recs([{ t: 1, b: 1 }, { t: last, b: 2 }]) }]);
      assert.deepEqual((await values(edges)).map((r) => r._time), ['1970-01-01T00:00:00.001Z', '9999-12-31T23:59:59.999Z']);
      assert.equal((await store.rollups(edges, 2, ...EVERYTHING)).length, 2);
    });

    it('a write without records stores nothing and creates no series', async () => {
      const key = fresh();
      await store.put([{ key, shape: UTC, records: [] }]);
      await store.patch({ key, shape: UTC, records: [] }, recordJson);
      assert.equal(await store.zoneOf(key), undefined);
      assert.deepEqual(await store.assetsWithAspect('t1', 'never'), []);
    });

    it('zonesOf gives what zoneOf gives for each series, in order', async () => {
      const berlin = fresh();
      const utc = fresh();
      const none = fresh();
      await store.put([{ key: berlin, shape: BERLIN, records: recs([{ t: T0 + 1, b: 1 }]) },
        { key: utc, shape: UTC, records: recs([{ t: T0 + 1, b: 2 }]) }]);
      const keys = [utc, none, berlin, utc];
      assert.deepEqual(await store.zonesOf(keys), await Promise.all(keys.map((k) => store.zoneOf(k))));
      assert.deepEqual(await store.zonesOf(keys), [UTC.zone.id, undefined, BERLIN.zone.id, UTC.zone.id]);
      assert.deepEqual(await store.zonesOf([]), []);
    });

    it('a put is one transaction: a refused write leaves every other write of the call unstored', async () => {
      const berlin = fresh();
      await store.put([{ key: berlin, shape: BERLIN, records: recs([{ t: T0 + 1, b: 1 }]) }]);
      const other = fresh();
      await assert.rejects(store.put([
        { key: other, shape: UTC, records: recs([{ t: T0 + 1, b: 1 }]) },
        { key: berlin, shape: BERLIN, records: recs([{ t: T0 + 2, b: 2 }]) },
        { key: berlin, shape: UTC, records: recs([{ t: T0 + 3, b: 3 }]) },
      ]), SeriesZoneError);
      assert.deepEqual(await values(other), []);
      assert.equal(await store.zoneOf(other), undefined);
      assert.deepEqual((await values(berlin)).map((r) => r.b), [1]);
      await checkRollups(berlin, new Map([[T0 + 1, { b: 1 }]]), 'Europe/Berlin', T0);
    });

    it('many series in one put, each with its own records and roll-ups', async () => {
      const keys = Array.from({ length: 50 }, () => fresh());
      await store.put(keys.map((key, k) => ({ key, shape: UTC,
        records: recs(Array.from({ length: 20 }, (_, i) => ({ t: T0 + i * 60_000 + 1, b: k * 100 + i }))) })));
      for (const [k, key] of keys.entries()) {
        assert.deepEqual((await values(key)).map((r) => r.b), Array.from({ length: 20 }, (_, i) => k * 100 + i));
      }
      await checkRollups(keys[7]!, new Map(Array.from({ length: 20 }, (_, i) => [T0 + i * 60_000 + 1, { b: 700 + i }])), 'UTC', T0);
    });

    it('patch merges the given variables into stored records, adds missing ones, and corrects the roll-ups', async () => {
      const key = fresh();
      await store.put([{ key, shape: UTC, records: recs([{ t: T0 + 1, a: 1, a_qc: 0x40000000, b: 1 }, { t: T0 + 2, b: 2 }]) }]);
      await store.patch({ key, shape: UTC, records: recs([{ t: T0 + 1, b: 10, s: 'p' }, { t: T0 + 3, a: 3 }]) }, recordJson);
      assert.deepEqual(await values(key), [
        { _time: isoOf(T0 + 1), a: 1, a_qc: 0x40000000, b: 10, s: 'p' }, { _time: isoOf(T0 + 2), b: 2 }, { _time: isoOf(T0 + 3), a: 3 }]);
      await checkRollups(key, new Map<number, Rec>([[T0 + 1, { a: 1, a_qc: 0x40000000, b: 10 }], [T0 + 2, { b: 2 }], [T0 + 3, { a: 3 }]]), 'UTC', T0);
      const text = (await store.readText(key, ALL))[0]!;
      assert.ok(text.startsWith(`{"_time":"${isoOf(T0 + 1)}"`), 'merged text made by the encoder');
    });

    it('deleteRange: from exclusive, to inclusive, the count, roll-ups corrected; nothing for an empty range or series', async () => {
      const key = fresh();
      const model = new Map<number, Rec>(Array.from({ length: 200 }, (_, i) => [T0 + i * 45_000 + 1, { b: i, a: i / 2 }]));
      await store.put([{ key, shape: UTC, records: recs([...model].map(([t, r]) => ({ t, ...r }))) }]);
      assert.equal(await store.deleteRange(key, UTC, T0 + 1, T0 + 45_000 * 10 + 1), 10);
      for (let i = 1; i <= 10; i++) model.delete(T0 + i * 45_000 + 1);
      assert.deepEqual((await values(key, { to: T0 + 45_000 * 12 + 1 })).map((r) => r.b), [0, 11, 12]);
      assert.equal(await store.deleteRange(key, UTC, T0 + 3600_000, T0 + 3600_000), 0);
      assert.equal(await store.deleteRange(key, UTC, T0 + 3600_000, T0), 0);
      assert.equal(await store.deleteRange(fresh(), UTC, T0, T0 + 3600_000), 0);
      await checkRollups(key, model, 'UTC', T0);
      assert.equal(await store.deleteRange(key, UTC, ...EVERYTHING), 190);
      assert.deepEqual(await values(key), []);
      for (const level of levels) assert.deepEqual(await store.rollups(key, level, ...EVERYTHING), [], `level ${level} emptied`);
    });

    it('rollups(level, from, to) holds the buckets with from <= start < to', async () => {
      const key = fresh();
      await store.put([{ key, shape: UTC, records: recs([{ t: T0 + 1, b: 1 }, { t: T0 + 3600_000 + 1, b: 2 }, { t: T0 + 7200_000, b: 3 }]) }]);
      const starts = async (from: number, to: number) => (await store.rollups(key, 1, from, to)).map((r) => r.start - T0);
      assert.deepEqual(await starts(T0, T0 + 7200_000), [0, 3600_000], 'a record at 02:00 is in the hour from 01:00');
      assert.deepEqual(await starts(T0 + 1, T0 + 3600_000 + 1), [3600_000]);
      assert.deepEqual(await starts(T0, T0), []);
      assert.deepEqual(await store.rollups({ ...key, assetId: 'nobody' }, 1, ...EVERYTHING), []);
    });

    it('series lifecycle: zoneOf, dropSeries, dropAsset, assetsWithAspect', async () => {
      const a = fresh('t3');
      const b = { ...a, aspect: 'vib' };
      const c = { ...fresh('t3'), aspect: 'vib' };
      for (const key of [a, b, c]) await store.put([{ key, shape: KOLKATA, records: recs([{ t: T0 + 1, b: 1 }]) }]);
      assert.equal(await store.zoneOf(a), 'Asia/Kolkata');
      assert.deepEqual((await store.assetsWithAspect('t3', 'vib')).sort(), [a.assetId, c.assetId].sort());
      assert.deepEqual(await store.assetsWithAspect('t1', 'vib'), [], 'per tenant');
      await store.dropSeries(c);
      assert.deepEqual(await store.assetsWithAspect('t3', 'vib'), [a.assetId]);
      assert.deepEqual(await store.read(c, ALL), []);
      assert.equal(await store.zoneOf(c), undefined);
      assert.equal(await store.dropAsset('t1', a.assetId), 0, 'another tenant');
      assert.equal(await store.dropAsset('t3', a.assetId), 2);
      assert.deepEqual(await store.read(a, ALL), []);
      assert.deepEqual(await store.rollups(b, 0, ...EVERYTHING), []);
      assert.deepEqual(await store.assetsWithAspect('t3', 'vib'), []);
      await store.put([{ key: a, shape: UTC, records: recs([{ t: T0 + 2, b: 2 }]) }]);
      assert.deepEqual((await values(a)).map((r) => r.b), [2], 'a dropped series starts again empty');
      assert.equal(await store.zoneOf(a), 'UTC');
    });

    it('time zones: a write in another zone is refused; rebuild realigns to equal a series that always had the zone', async () => {
      const moved = fresh();
      const native = fresh();
      const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) =>
        ({ t: Date.parse('2024-03-30T00:00:00Z') + (from + i) * 97_000, a: (from + i) % 13, a_qc: (from + i) % 3 === 0 ? 0x40000000 : 0 }));
      await store.put([{ key: moved, shape: UTC, records: recs(batch(0, 1500)) }]);
      assert.equal(await store.zoneOf(moved), 'UTC');
      await assert.rejects(store.put([{ key: moved, shape: KOLKATA, records: recs(batch(1500, 500)) }]), SeriesZoneError);
      await assert.rejects(store.patch({ key: moved, shape: KOLKATA, records: recs(batch(1500, 1)) }, recordJson), SeriesZoneError);
      await assert.rejects(store.deleteRange(moved, KOLKATA, ...EVERYTHING), SeriesZoneError);
      assert.equal((await store.read(moved, ALL)).length, 1500, 'nothing of the refused writes');
      await store.rebuild(moved, KOLKATA);
      assert.equal(await store.zoneOf(moved), 'Asia/Kolkata');
      await store.put([{ key: moved, shape: KOLKATA, records: recs(batch(1500, 500)) }]);
      await store.put([{ key: native, shape: KOLKATA, records: recs(batch(0, 1500)) }]);
      await store.put([{ key: native, shape: KOLKATA, records: recs(batch(1500, 500)) }]);
      for (const level of levels) {
        const ra = await store.rollups(moved, level, ...EVERYTHING);
        const rb = await store.rollups(native, level, ...EVERYTHING);
        assert.ok(ra.length > 0);
        assert.deepEqual(ra.map((r) => r.start), rb.map((r) => r.start), `level ${level} bucket starts`);
        for (let i = 0; i < ra.length; i++) {
          const x = ra[i]!.aggs['a']!;
          const y = rb[i]!.aggs['a']!;
          assert.deepEqual([x[0], x[1], x[2], x[3], x[7], x[9], x[11], x[13]], [y[0], y[1], y[2], y[3], y[7], y[9], y[11], y[13]]);
          assert.ok(Math.abs(x[4] - y[4]) < 1e-9 && Math.abs(x[6] - y[6]) < 1e-6);
        }
      }
      // Kolkata is UTC+05:30: its hours start at :30 UTC.
      assert.ok((await store.rollups(moved, 1, ...EVERYTHING)).every((h) => new Date(h.start).getUTCMinutes() === 30));
      const none = fresh();
      await assert.doesNotReject(store.rebuild(none, KOLKATA), 'rebuilding a series that does not exist');
      assert.equal(await store.zoneOf(none), undefined);
    });

    it('roll-ups equal a brute-force computation after random puts, patches and deletes across DST (fast-check)', async () => {
      const windows = [Date.parse('2024-03-30T14:00:00Z'), Date.parse('2024-10-26T14:00:00Z')];
      const span = 20 * 3600_000;
      const recordArb = oracleRecordArb(span);
      const opArb = fc.oneof(
        { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), records: fc.array(recordArb, { minLength: 1, maxLength: 80 }), split: fc.nat() }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), pick: fc.nat(), rec: recordArb }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('patch' as const), pick: fc.nat(), rec: recordArb }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: fc.integer({ min: 0, max: span }), len: fc.integer({ min: 1, max: 4 * 3600_000 }) }) },
      );
      await fc.assert(fc.asyncProperty(fc.constantFrom(0, 1), fc.array(opArb, { minLength: 1, maxLength: 10 }), async (w, ops) => {
        const base = windows[w]!;
        const key = fresh();
        const model = new Map<number, Rec>();
        for (const op of ops) {
          if (op.kind === 'put') {
            // Sometimes two writes of the one series in a call: they apply in order.
            const list = op.records.map((r) => ({ t: base + r.off, ...toRec(r) }));
            const cut = op.split % (list.length + 1);
            await store.put([{ key, shape: BERLIN, records: recs(list.slice(0, cut)) }, { key, shape: BERLIN, records: recs(list.slice(cut)) }]);
            for (const { t, ...rec } of list) model.set(t, rec);
          } else if (op.kind === 'overwrite' || op.kind === 'patch') {
            const keys = [...model.keys()];
            const t = keys.length ? keys[op.pick % keys.length]! : base + op.rec.off;
            const rec = toRec(op.rec);
            if (op.kind === 'overwrite') {
              await store.put([{ key, shape: BERLIN, records: recs([{ t, ...rec }]) }]);
              model.set(t, rec);
            } else {
              await store.patch({ key, shape: BERLIN, records: recs([{ t, ...rec }]) }, recordJson);
              model.set(t, { ...model.get(t), ...rec });
            }
          } else {
            const from = base + op.a;
            const to = from + op.len;
            let expected = 0;
            for (const t of [...model.keys()]) if (t > from && t <= to) { model.delete(t); expected++; }
            assert.equal(await store.deleteRange(key, BERLIN, from, to), expected);
          }
        }
        assert.deepEqual((await store.read(key, ALL)).map((r) => r.t), [...model.keys()].sort((x, y) => x - y));
        await checkRollups(key, model, 'Europe/Berlin', base);
      }), { numRuns: 60 });
    });

    it('another connection: its commits are seen by the next call, a dropped series id is never written through', async () => {
      const other = await open(location);
      try {
        const first = { tenant: 'tp', assetId: 'first', aspect: 'x' };
        const second = { tenant: 'tp', assetId: 'second', aspect: 'x' };
        await store.put([{ key: first, shape: UTC, records: recs([{ t: T0 + 1, b: 1 }]) }]);
        assert.deepEqual((await other.read(first, ALL)).map((r) => r.t), [T0 + 1], 'a write');
        await other.dropAsset('tp', 'first');
        assert.deepEqual(await store.read(first, ALL), [], 'a drop');
        assert.equal(await store.zoneOf(first), undefined);
        // The freed id may go to the next new series: the first connection must not write through its old id.
        await other.put([{ key: second, shape: UTC, records: recs([{ t: T0 + 1, b: 2 }]) }]);
        await store.put([{ key: first, shape: UTC, records: recs([{ t: T0 + 2, b: 3 }]) }]);
        assert.deepEqual((await other.read(second, ALL)).map((r) => JSON.parse(r.json).b), [2]);
        assert.deepEqual((await other.read(first, ALL)).map((r) => JSON.parse(r.json).b), [3]);
        assert.equal(await other.zoneOf(first), 'UTC');
        await other.rebuild(second, KOLKATA);
        assert.equal(await store.zoneOf(second), 'Asia/Kolkata', 'a realignment');
        await assert.rejects(store.put([{ key: second, shape: UTC, records: recs([{ t: T0 + 3, b: 4 }]) }]), SeriesZoneError);
        await store.put([{ key: second, shape: KOLKATA, records: recs([{ t: T0 + 3, b: 4 }]) }]);
        assert.deepEqual((await other.rollups(second, 2, ...EVERYTHING)).map((d) => d.aggs['b']![0]), [2]);
      } finally {
        other.close();
      }
    });
  });
}
