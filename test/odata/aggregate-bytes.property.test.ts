/**
 * Aggregate byte rows (src/odata/serve/aggregate-text.ts AggregateBytes, row-writer.ts) against the text rows they
 * replace (the oracle: assetAggregates with byte rows off): for random roll-up intervals (values finite, NaN,
 * ±Infinity, -0, decimals, null sd, value timestamps canonical, not canonical or with quotes; non-ASCII and quoted asset ids
 * and variable names) and random supported queries (a variable, a type, a cursor, descending, page sizes), the
 * rows carry the same order keys and the page is the same bytes, whether written from the byte rows or from the text;
 * read again after one value or value timestamp changed, the page still is the text rows' (aggregate-blocks.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { iso } from '../../src/core/instant.js';
import { AGGREGATION_TYPES } from '../../src/odata/model/edm.js';
import { assetAggregates } from '../../src/odata/serve/aggregate-rows.js';
import { keyOf, type Row } from '../../src/odata/serve/order.js';
import type { AggregatePlan } from '../../src/odata/serve/plan.js';
import { pageBytes, pageText } from '../../src/odata/serve/raw-rows.js';
import { L, portOf, set, T0, VARS } from './aggregate-fixture.js';


const valueArb = fc.oneof(fc.double(), fc.integer(), fc.integer({ min: -3_000_000, max: 3_000_000 }).map((k) => k / 1000), fc.integer({ min: 0, max: 3_000_000_000 }),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 1e21, 5e-324, -0.0000012345678901234567), fc.constant(null), fc.constant('text'));
const timeArb = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }).map(iso), fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => iso(t).replace('Z', '+00:00')),
  fc.constant('2024-01-01T00:00:00.000Z"'), fc.constant(undefined));
const aggArb = fc.record({
  countgood: valueArb, countuncertain: valueArb, countbad: valueArb, sum: valueArb, average: valueArb, minvalue: valueArb, mintime: timeArb,
  maxvalue: valueArb, maxtime: timeArb, firstvalue: valueArb, firsttime: timeArb, lastvalue: valueArb, lasttime: timeArb, sd: valueArb,
}, { requiredKeys: [] });
const intervalsArb = fc.array(fc.record({ k: fc.integer({ min: 0, max: 40 }), vars: fc.dictionary(fc.constantFrom(...VARS), aggArb) }), { maxLength: 12 })
  .map((list) => [...new Map(list.map((x) => [x.k, x])).values()].sort((a, b) => a.k - b.k));


/** The page as the service sends it: pageBytes when it writes one, else the text's UTF-8 bytes. */
const page = (rows: Row[], next: boolean) => {
  const body = { '@odata.context': 'http://h/api/odata/v4/B/1/$metadata#AGGR', value: rows, ...(next ? { '@odata.nextLink': 'http://h/x?$skiptoken=é' } : {}) };
  return pageBytes(body) ?? Buffer.from(pageText(body).text);
};

describe('aggregate byte rows', () => {
  it('give the same rows and the same page bytes as text rows', async () => {
    await fc.assert(fc.asyncProperty(intervalsArb, fc.constantFrom('0123456789abcdef0123456789abcdef', 'a"b', 'é1', '$&'),
      fc.option(fc.constantFrom(...VARS), { nil: undefined }), fc.option(fc.constantFrom(...AGGREGATION_TYPES), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 3_000_000_000 }), { nil: null }), fc.integer({ min: 1, max: 120 }), fc.boolean(),
      fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }), fc.boolean(), fc.boolean(),
      async (intervals, assetId, variableName, aggregationType, count, need, desc, cursorK, withCursor, next) => {
        const port = portOf(intervals);
        const plan: AggregatePlan = { kind: 'aggregates', after: T0 - 1, upTo: T0 + 41 * L, bounded: true, unitName: 'minutes', unit: 'minute',
          value: 2, count, empty: false, ...(variableName ? { variableName } : {}), ...(aggregationType ? { aggregationType } : {}) };
        const pos = withCursor && cursorK !== undefined ? { n: 0, t: T0 + cursorK * L, a: assetId, s: `${VARS[cursorK % 4]}\u0000${AGGREGATION_TYPES[cursorK % 10]}` } : undefined;
        // a value timestamp that is no instant makes both throw (iso of NaN): the same error either way
        const read = (bytesOn: boolean) => assetAggregates(port, 't', set, plan, assetId, need, pos, desc, true, bytesOn).catch((e: Error) => e);
        const bytes = await read(true);
        const text = await read(false);
        if (bytes instanceof Error || text instanceof Error) {
          assert.equal(String(bytes), String(text));
          return;
        }
        assert.deepEqual(bytes.map(keyOf), text.map(keyOf));
        // a page of byte rows may be written into their buffer (row-writer.ts inPlacePage): fresh rows for each page
        for (const n of [bytes.length, Math.min(need, bytes.length), 1]) {
          const fresh = await read(true) as Row[];
          assert.equal(page(fresh.slice(0, n), next).toString(), page(text.slice(0, n), next).toString());
        }
      }), { numRuns: 1500 });
  });

  it('give the text rows\' page again after one value or value timestamp changed (row blocks of the same inputs only)', async () => {
    const fields = ['countgood', 'sum', 'average', 'minvalue', 'mintime', 'maxvalue', 'maxtime', 'firstvalue', 'firsttime', 'lastvalue', 'lasttime', 'sd'];
    await fc.assert(fc.asyncProperty(intervalsArb, fc.nat(), fc.constantFrom(...fields), fc.oneof(valueArb, timeArb), fc.boolean(),
      async (intervals, at, field, to, withCursor) => {
        const plan: AggregatePlan = { kind: 'aggregates', after: T0 - 1, upTo: T0 + 41 * L, bounded: true, unitName: 'minutes', unit: 'minute',
          value: 2, count: null, empty: false };
        const pos = withCursor ? { n: 0, t: T0 + 3 * L, a: 'asset', s: `p1\u0000sd` } : undefined;
        const read = (list: typeof intervals, bytesOn: boolean) =>
          assetAggregates(portOf(list), 't', set, plan, 'asset', 500, pos, false, true, bytesOn).catch((e: Error) => e);
        const pageOf = (rows: Row[] | Error) => (rows instanceof Error ? String(rows) : page(rows, false).toString());
        // written once, so the blocks of these inputs are kept
        await read(intervals, true);
        const changed = intervals.map((iv) => ({ k: iv.k, vars: Object.fromEntries(Object.entries(iv.vars).map(([v, agg]) => [v, { ...agg }])) }));
        const target: Record<string, Record<string, unknown>> = changed.length ? changed[at % changed.length]!.vars : {};
        const names = Object.keys(target);
        if (names.length) target[names[at % names.length]!]![field] = to;
        assert.equal(pageOf(await read(changed, true)), pageOf(await read(changed, false)));
        assert.equal(pageOf(await read(intervals, true)), pageOf(await read(intervals, false)));
      }), { numRuns: 1500 });
  });
});
