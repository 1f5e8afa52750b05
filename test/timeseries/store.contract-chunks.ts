/**
 * Cases of the TimeseriesStore contract (store.contract.ts) at the scale where a chunked store (issue 17) has chunk
 * boundaries: long series written time-major (20 records per write, which a chunk store compacts), larger than one
 * chunk, then overwritten across boundaries, given late data in the middle, patched, cut by deleteRange, counted
 * and read both ways with limits. Every read, count and roll-up is checked against a model of the records.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SeriesKey, SeriesShape, TimeseriesStore, WriteRecord } from '../../src/timeseries/store.js';
import { recordJson } from '../../src/timeseries/records.js';
import type { Rec as OracleRec } from './oracle.js';

type Rec = OracleRec & { s?: string };

export interface ChunkCaseContext {
  store: () => TimeseriesStore;
  fresh: () => SeriesKey;
  shape: SeriesShape;
  recs: (list: readonly (Rec & { t: number })[]) => WriteRecord[];
  checkRollups: (key: SeriesKey, model: ReadonlyMap<number, Rec>, zone: string, reference: number) => Promise<void>;
  t0: number;
}

export function chunkBoundaryCases(c: ChunkCaseContext): void {
  const T0 = c.t0;
  const S = 1000;
  const isoOf = (t: number) => new Date(t).toISOString();
  const rec = (i: number): Rec => ({ a: Math.round(Math.sin(i / 100) * 1e6) / 1e3, b: i });
  const put = (key: SeriesKey, list: (Rec & { t: number })[]) => c.store().put([{ key, shape: c.shape, records: c.recs(list) }]);
  const entries = (model: Map<number, Rec>) => [...model].sort((x, y) => x[0] - y[0]);
  /** Reads of every kind against the model. */
  async function check(key: SeriesKey, model: Map<number, Rec>, label: string): Promise<void> {
    const store = c.store();
    const all = entries(model);
    const text = (t: number, r: Rec) => recordJson(t, r as Record<string, unknown>);
    const asc = await store.readText(key, { limit: 1e6, desc: false });
    assert.equal(asc.length, all.length, `${label}: count of records`);
    assert.deepEqual(asc.map((s) => JSON.parse(s) as unknown), all.map(([t, r]) => ({ _time: isoOf(t), ...r })), `${label}: all`);
    for (const [from, to, limit] of [[T0 + 1999 * S, T0 + 7001 * S, 2500], [T0 - 1, T0 + 4000 * S + 500, 3999], [T0 + 3999 * S, T0 + 4001 * S, 10]]) {
      const inRange = all.filter(([t]) => t > from! && t <= to!);
      assert.equal(await store.count(key, from!, to!), inRange.length, `${label}: count (${from! - T0}, ${to! - T0}]`);
      assert.deepEqual(await store.readText(key, { from, to, limit: limit!, desc: false }),
        inRange.slice(0, limit).map(([t, r]) => text(t, r)), `${label}: ascending with a limit`);
      assert.deepEqual(await store.readText(key, { from, to, limit: limit!, desc: true }),
        inRange.reverse().slice(0, limit).map(([t, r]) => text(t, r)), `${label}: descending with a limit`);
      for (const desc of [false, true]) {
        // The reply's bytes: the same texts as one JSON array, read twice (a store may keep rendered chunks).
        const want = `[${(await store.readText(key, { from, to, limit: limit!, desc })).join(',')}]`;
        for (const round of [1, 2]) {
          const page = await store.readJson(key, { from, to, limit: limit!, desc });
          assert.equal(page.bytes().toString(), want, `${label}: readJson ${desc ? 'desc' : 'asc'}, read ${round}`);
          // runs (optional): the same records where they lie, in page order, with their times
          if (page.runs) {
            const texts: string[] = [];
            const times: number[] = [];
            page.runs((b, offs, ts, s, e) => {
              for (let i = desc ? e - 1 : s; desc ? i >= s : i < e; i += desc ? -1 : 1) {
                texts.push(b.toString('utf8', offs[i]!, offs[i + 1]! - 1));
                times.push(ts[i]!);
              }
            });
            assert.equal(`[${texts.join(',')}]`, want, `${label}: readJson runs ${desc ? 'desc' : 'asc'}, read ${round}`);
            assert.deepEqual(times, texts.map((t) => Date.parse((JSON.parse(t) as { _time: string })._time)), `${label}: runs' times`);
          }
        }
      }
    }
    await c.checkRollups(key, model, 'UTC', T0);
  }

  it('chunk boundaries: a long series written 20 records at a time, overwritten, late data, patch, deleteRange, count, reads', async () => {
    const key = c.fresh();
    const model = new Map<number, Rec>();
    const N = 9000;
    for (let i = 0; i < N; i += 20) {
      const list = Array.from({ length: 20 }, (_, j) => ({ t: T0 + (i + j) * S, ...rec(i + j) }));
      await put(key, list);
      for (const r of list) { const { t, ...v } = r; model.set(t, v); }
    }
    await check(key, model, 'written');
    // an overwrite across what would be chunk boundaries, whole records replaced (a is gone)
    const over = Array.from({ length: 700 }, (_, j) => ({ t: T0 + (3700 + j) * S, b: -j - 1 }));
    await put(key, over);
    for (const { t, ...v } of over) model.set(t, v);
    await check(key, model, 'overwritten');
    // late data between stored timestamps in the middle, and records in front of the first one
    const late = [...Array.from({ length: 150 }, (_, j) => ({ t: T0 + (2000 + j) * S + 500, a: j / 4 })),
      ...Array.from({ length: 30 }, (_, j) => ({ t: T0 - (j + 1) * S, b: j }))];
    await put(key, late);
    for (const { t, ...v } of late) model.set(t, v);
    await check(key, model, 'late data');
    // patch inside a compacted chunk: given variables replace, the others stay
    const patch = Array.from({ length: 50 }, (_, j) => ({ t: T0 + (6000 + j * 3) * S, b: 1e6 + j, s: `p${j}` }));
    await c.store().patch({ key, shape: c.shape, records: c.recs(patch) }, recordJson);
    for (const { t, ...v } of patch) model.set(t, { ...model.get(t), ...v });
    await check(key, model, 'patched');
    // deleteRange inside one chunk (splits it) and across several
    for (const [from, to] of [[T0 + 5000 * S + 500, T0 + 5100 * S], [T0 + 1500 * S, T0 + 8500 * S - 1]]) {
      const gone = [...model.keys()].filter((t) => t > from! && t <= to!);
      assert.equal(await c.store().deleteRange(key, c.shape, from!, to!), gone.length);
      for (const t of gone) model.delete(t);
      await check(key, model, `deleted (${from! - T0}, ${to! - T0}]`);
    }
  });

  it('chunk boundaries: time-major writes arriving out of order (as concurrent requests do), near and far', async () => {
    const key = c.fresh();
    const model = new Map<number, Rec>();
    const blocks = Array.from({ length: 450 }, (_, b) =>
      Array.from({ length: 20 }, (_, j) => ({ t: T0 + (b * 20 + j) * S, ...rec(b * 20 + j) })));
    // neighbours swapped, runs of 3 reversed, and some blocks held back for 40 or 70 blocks (past a full chunk)
    const order: number[] = [];
    const held = new Map<number, number[]>();
    for (let b = 0; b < blocks.length; b++) {
      if (b % 97 === 5) { held.set(b + 40, [...(held.get(b + 40) ?? []), b]); continue; }
      if (b % 131 === 7) { held.set(b + 70, [...(held.get(b + 70) ?? []), b]); continue; }
      order.push(b);
      for (const h of held.get(b) ?? []) order.push(h);
    }
    for (const h of [...held].filter(([at]) => at >= blocks.length).flatMap(([, bs]) => bs)) order.push(h);
    for (let i = 0; i + 1 < order.length; i += 7) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
    for (let i = 3; i + 2 < order.length; i += 11) [order[i], order[i + 2]] = [order[i + 2]!, order[i]!];
    assert.equal(new Set(order).size, blocks.length);
    for (const b of order) {
      await put(key, blocks[b]!);
      for (const { t, ...v } of blocks[b]!) model.set(t, v);
    }
    await check(key, model, 'out of order');
    // then an overwrite of a late block's records and new records after them still merge exactly
    const over = Array.from({ length: 30 }, (_, j) => ({ t: T0 + (5 * 20 + j) * S + (j % 2 ? 0 : 500), b: -j - 1 }));
    await put(key, over);
    for (const { t, ...v } of over) model.set(t, v);
    await check(key, model, 'out of order, then overwritten');
  });

  it('chunk boundaries: one write larger than a chunk, then the same records again, then one record in each gap', async () => {
    const key = c.fresh();
    const model = new Map<number, Rec>();
    const list = Array.from({ length: 12_345 }, (_, i) => ({ t: T0 + i * S, ...rec(i) }));
    await put(key, list);
    for (const { t, ...v } of list) model.set(t, v);
    await check(key, model, 'one write');
    await put(key, list.map((r) => ({ ...r, b: r.b! + 1 })));
    for (const { t, ...v } of list) model.set(t, { ...v, b: v.b! + 1 });
    await check(key, model, 'rewritten');
    const gaps = Array.from({ length: 40 }, (_, i) => ({ t: T0 + i * 300 * S + 1, b: -i - 1 }));
    await put(key, gaps);
    for (const { t, ...v } of gaps) model.set(t, v);
    await check(key, model, 'gaps');
  });
}
