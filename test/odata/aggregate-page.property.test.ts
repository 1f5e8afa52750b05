/**
 * The aggregate page written as bytes without row objects (src/odata/serve/aggregate-page.ts aggregateBytesPage)
 * against the row path it stands for (the oracle: rows.ts' one-lane merge over assetAggregates with text rows, the
 * page from raw-rows.ts): for random roll-up intervals (values finite, NaN, ±Infinity, -0, decimals, null sd; value
 * timestamps canonical, not canonical or with quotes; asset ids and variable names with quotes and non-ASCII
 * characters) and random queries (a variable, a type, a count, a cursor with rows delivered before it, $top, page
 * sizes), the page is the same bytes and the next cursor the same, read once, again (row blocks), and again after
 * one value or value timestamp changed. Where it declines (undefined), the row path writes the page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { iso } from '../../src/core/instant.js';
import { AGGREGATION_TYPES } from '../../src/odata/model/edm.js';
import type { ODataPort } from '../../src/odata/ports.js';
import { aggregateBytesPage } from '../../src/odata/serve/aggregate-page.js';
import { assetAggregates } from '../../src/odata/serve/aggregate-rows.js';
import { type Cursor, keyOf, type Row } from '../../src/odata/serve/order.js';
import type { AggregatePlan } from '../../src/odata/serve/plan.js';
import { pageBytes, pageText } from '../../src/odata/serve/raw-rows.js';
import { type Intervals, L, portOf, set, T0, VARS } from './aggregate-fixture.js';


const valueArb = fc.oneof(fc.double(), fc.integer(), fc.integer({ min: -3_000_000, max: 3_000_000 }).map((k) => k / 1000),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 1e21, 5e-324, 123456.789012), fc.constant(null), fc.constant('text'));
const timeArb = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }).map(iso), fc.constant('2024-01-01T00:00:00+00:00'),
  fc.constant('2024-01-01T00:00:00.000Z"'), fc.constant(undefined));
const aggArb = fc.record({
  countgood: valueArb, countuncertain: valueArb, countbad: valueArb, sum: valueArb, average: valueArb, minvalue: valueArb, mintime: timeArb,
  maxvalue: valueArb, maxtime: timeArb, firstvalue: valueArb, firsttime: timeArb, lastvalue: valueArb, lasttime: timeArb, sd: valueArb,
}, { requiredKeys: [] });
// mostly canonical value timestamps, so most pages are written as bytes
const plainAggArb = aggArb.map((a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, k.endsWith('time') && typeof v === 'string' && v.length !== 24 ? iso(T0) : v])));
const intervalsArb = fc.array(fc.record({ k: fc.integer({ min: 0, max: 40 }), vars: fc.dictionary(fc.constantFrom(...VARS), fc.oneof(plainAggArb, plainAggArb, aggArb)) }), { maxLength: 14 })
  .map((list) => [...new Map(list.map((x) => [x.k, x])).values()].sort((a, b) => a.k - b.k));


const envelope = { '@odata.context': 'http://h/api/odata/v4/B/1/$metadata#AGGR' };
const bytesOf = (value: unknown) => {
  const body = { ...envelope, value };
  return (pageBytes(body) ?? Buffer.from(pageText(body).text)).toString('latin1');
};

interface Query { plan: AggregatePlan; assetId: string; top: number; pageSize: number; cursor: Cursor | undefined }

/** rows.ts merged() over the asset's one lane with text rows: the page's bytes and next cursor, or the error. */
async function oracle(port: ODataPort, q: Query): Promise<string> {
  const n0 = q.cursor?.n ?? 0;
  const need = Math.max(0, Math.min(q.pageSize, q.top - n0));
  if (need === 0) return `${bytesOf([])} undefined`;
  const pos = q.cursor?.t === undefined ? undefined : q.cursor;
  try {
    const rows: Row[] = await assetAggregates(port, 't', set, q.plan, q.assetId, need + 1, pos, false, true, false);
    if (rows.length > need + 1) rows.length = need + 1;
    const more = rows.length > need && n0 + need < q.top;
    if (rows.length > need) rows.length = need;
    const next = more ? { ...keyOf(rows[rows.length - 1]!), n: n0 + rows.length } : undefined;
    return `${bytesOf(rows)} ${JSON.stringify(next)}`;
  } catch (err) {
    return String(err);
  }
}

/** The bytes page and its next cursor, or undefined where it declines. */
async function subject(port: ODataPort, q: Query): Promise<string | undefined> {
  try {
    const page = await aggregateBytesPage(port, 't', set, q.plan, q.assetId, q);
    if (page === undefined) return undefined;
    if (!page.written) return `${bytesOf([])} ${JSON.stringify(page.next)}`;
    return `${bytesOf(page.written)} ${JSON.stringify(page.next)}`;
  } catch (err) {
    return String(err);
  }
}

const queryArb = fc.record({
  assetId: fc.constantFrom('0123456789abcdef0123456789abcdef', 'a"b', 'é1', '$&'),
  variableName: fc.option(fc.constantFrom(...VARS), { nil: undefined }),
  aggregationType: fc.option(fc.constantFrom(...AGGREGATION_TYPES), { nil: undefined }),
  count: fc.option(fc.integer({ min: 1, max: 3_000_000_000 }), { nil: null }),
  pageSize: fc.integer({ min: 1, max: 150 }),
  top: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 200 })),
  cursorK: fc.option(fc.integer({ min: -1, max: 41 }), { nil: undefined }),
  cursorN: fc.integer({ min: 0, max: 60 }),
  cursorSub: fc.nat(),
}).map((r): Query => {
  const plan: AggregatePlan = { kind: 'aggregates', after: T0 - 1, upTo: T0 + 41 * L, bounded: true, unitName: 'minutes', unit: 'minute',
    value: 2, count: r.count, empty: false, ...(r.variableName ? { variableName: r.variableName } : {}), ...(r.aggregationType ? { aggregationType: r.aggregationType } : {}) };
  const cursor = r.cursorK === undefined ? undefined : { n: r.cursorN, t: T0 + r.cursorK * L, a: r.cursorSub % 3 === 0 ? 'a"a' : r.assetId,
    s: `${VARS[r.cursorSub % 4]}\u0000${AGGREGATION_TYPES[r.cursorSub % 10]}` };
  return { plan, assetId: r.assetId, top: r.top, pageSize: r.pageSize, cursor };
});

describe('aggregate pages written as bytes', () => {
  it('are the row path\'s page and next cursor, read once and again, where they do not decline', async () => {
    let written = 0;
    await fc.assert(fc.asyncProperty(intervalsArb, queryArb, async (intervals, q) => {
      const port = portOf(intervals);
      const want = await oracle(port, q);
      for (let i = 0; i < 3; i++) {
        const got = await subject(port, q);
        if (got === undefined) return;
        written++;
        assert.equal(got, want);
      }
    }), { numRuns: 1500 });
    // most pages here are written as bytes (the property is not vacuous)
    assert.ok(written > 1500, `${written} pages written as bytes`);
  });

  it('give the row path\'s page after one value or value timestamp changed (row blocks of the same inputs only)', async () => {
    const fields = ['countgood', 'sum', 'average', 'minvalue', 'mintime', 'maxvalue', 'maxtime', 'firstvalue', 'firsttime', 'lastvalue', 'lasttime', 'sd'];
    await fc.assert(fc.asyncProperty(intervalsArb, queryArb, fc.nat(), fc.constantFrom(...fields), fc.oneof(valueArb, timeArb),
      async (intervals, q, at, field, to) => {
        // read twice: the second read gives the blocks their bytes
        await subject(portOf(intervals), q);
        await subject(portOf(intervals), q);
        const changed: Intervals = intervals.map((iv) => ({ k: iv.k, vars: Object.fromEntries(Object.entries(iv.vars).map(([v, agg]) => [v, { ...agg }])) }));
        const target = changed.length ? changed[at % changed.length]!.vars : {};
        const names = Object.keys(target);
        if (names.length) target[names[at % names.length]!]![field] = to;
        for (const list of [changed, intervals]) {
          const got = await subject(portOf(list), q);
          if (got !== undefined) assert.equal(got, await oracle(portOf(list), q));
        }
      }), { numRuns: 1500 });
  });
});
