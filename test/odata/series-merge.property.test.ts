/**
 * Time series pages over several assets written from record bytes (src/odata/serve/series-merge.ts, through
 * rows.ts RowReader.page) against the row path they replace (the same reader over a port without readSeriesRuns:
 * rows.ts lanes, order.ts mergeLanes, raw-rows.ts pages): for random assets (ids with `$`, quotes, non-ASCII),
 * records at colliding times across assets (declared keys in any order, missing ones, values that do not qualify
 * for raw rows), random splits of each asset's records into the store's chunks, and random queries (window,
 * direction, $skip, $top, page size), every page followed by its next cursors to the end is the same bytes with the
 * same next cursor — read once, and again with the rows kept (RowCache, row views). Every page with rows must come
 * from the byte path (`written`), so a declining merge fails too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { iso } from '../../src/core/instant.js';
import type { EdmSet } from '../../src/odata/model/edm.js';
import type { ODataPort, SeriesRange, SeriesRuns } from '../../src/odata/ports.js';
import type { Cursor } from '../../src/odata/serve/order.js';
import type { SeriesPlan } from '../../src/odata/serve/plan.js';
import { pageBytes, pageText } from '../../src/odata/serve/raw-rows.js';
import { RowReader } from '../../src/odata/serve/rows.js';
import { RowCache } from '../../src/odata/serve/series-page.js';

const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const SECOND = 1000;
const DECLARED = ['p1', 'p2', 'state', 'p1_qc'];
const set = {
  name: 'TS', kind: 'timeseries', typeId: 'T', family: ['T', 'T2'], aspect: { name: 'power' },
  properties: [{ name: 'assetId', source: { kind: 'assetId' } }, { name: 'timestamp', source: { kind: 'timestamp' } },
    ...DECLARED.map((k) => ({ name: k, source: { kind: 'seriesValue', key: k } }))],
} as unknown as EdmSet;

const valueArb = fc.oneof({ weight: 6, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('run', 'a b', '')) },
  { weight: 1, arbitrary: fc.constantFrom('"', '\\', 'grün €', '😀', ',{"_time":"', null, true) });
/** One record's members: declared keys (some missing) in the declared or another order. */
const membersArb = fc.tuple(fc.shuffledSubarray(DECLARED), fc.array(valueArb, { minLength: DECLARED.length, maxLength: DECLARED.length }))
  .map(([keys, vs]) => keys.map((k, i) => [k, vs[i]] as const));
/** A record at T0 + sec seconds with the members in their order. */
const recordOf = (sec: number, members: readonly (readonly [string, unknown])[]) => {
  const t = T0 + sec * SECOND;
  return { t, text: `{"_time":"${iso(t)}"${members.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('')}}` };
};
/** An asset's records: distinct seconds in a small range (so times collide across assets), each with its members. */
const recordsOf = (maxLength: number) => fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 90 }), membersArb), { selector: ([s]) => s, maxLength })
  .map((list) => list.sort((x, y) => x[0] - y[0]).map(([sec, m]) => recordOf(sec, m)));
// sparse and dense assets: a dense one among sparse ones outruns its even share, so its lane is read again
const denseArb = fc.uniqueArray(fc.integer({ min: 1, max: 90 }), { minLength: 40, maxLength: 90 })
  .chain((secs) => fc.array(membersArb, { minLength: secs.length, maxLength: secs.length })
    .map((ms) => secs.sort((x, y) => x - y).map((sec, i) => recordOf(sec, ms[i]!))));
const recordsArb = fc.oneof(recordsOf(3), recordsOf(20), denseArb);
const idArb = fc.constantFrom('0123456789abcdef0123456789abcdef', 'e1', 'e10', 'e2', 'a$&b', 'x"y', 'é1', 'Z', '😀');
const assetArb = fc.record({ records: recordsArb, type: fc.constantFrom('T', 'T', 'T2', 'other'), cuts: fc.array(fc.nat(80), { maxLength: 4 }) });

interface Stored { t: number; text: string; chunk: number; at: number }
interface Chunk { bytes: Buffer; offs: Int32Array; times: Float64Array }

/** A port over the assets' records, each asset's cut into chunks of bytes made once (as the store's rendered chunks). */
function portOf(assets: Map<string, { records: { t: number; text: string }[]; type: string; cuts: number[] }>, runs: boolean): ODataPort {
  const stored = new Map<string, { list: Stored[]; chunks: Chunk[] }>();
  for (const [id, a] of assets) {
    const n = a.records.length;
    const bounds = [...new Set([0, ...a.cuts.map((c) => c % (n + 1)), n])].sort((x, y) => x - y);
    const list: Stored[] = [];
    const chunks: Chunk[] = [];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const part = a.records.slice(bounds[k], bounds[k + 1]);
      const starts = [1];
      for (const r of part) starts.push(starts[starts.length - 1]! + Buffer.byteLength(r.text) + 1);
      part.forEach((r, at) => list.push({ ...r, chunk: chunks.length, at }));
      chunks.push({ bytes: Buffer.from(`[${part.map((r) => r.text).join(',')}]`), offs: Int32Array.from(starts), times: Float64Array.from(part, (r) => r.t) });
    }
    stored.set(id, { list, chunks });
  }
  const select = (assetId: string, r: SeriesRange): Stored[] => {
    const inRange = (stored.get(assetId)?.list ?? []).filter((x) => x.t > r.after && x.t <= r.upTo);
    return (r.desc ? inRange.reverse() : inRange).slice(0, r.limit);
  };
  const port = {
    assetsWithSeries: async () => [...assets.keys(), 'no-records'],
    familyAssets: async (_t: string, _type: string, among: string[]) => among.filter((id) => set.family.includes(assets.get(id)?.type ?? '')).sort(),
    assetTypeOf: async (_t: string, id: string) => assets.get(id)?.type,
    readSeries: async (_t: string, assetId: string, _a: string, r: SeriesRange) => select(assetId, r).map((x) => x.text),
    ...(runs ? {
      readSeriesRuns: async (_t: string, assetId: string, _a: string, r: SeriesRange): Promise<SeriesRuns> => {
        const picked = select(assetId, r);
        // consecutive records of one chunk are one run, in page order
        const out: [Chunk, number, number][] = [];
        for (const x of picked) {
          const c = stored.get(assetId)!.chunks[x.chunk]!;
          const last = out[out.length - 1];
          if (last && last[0] === c && (r.desc ? last[1] === x.at + 1 : last[2] === x.at)) {
            if (r.desc) last[1] = x.at;
            else last[2] = x.at + 1;
          } else out.push([c, x.at, x.at + 1]);
        }
        return { count: picked.length, runs: (visit) => { for (const [c, s, e] of out) visit(c.bytes, c.offs, c.times, s, e); } };
      },
    } : {}),
  };
  return port as unknown as ODataPort;
}

const envelope = { '@odata.context': 'http://h/api/odata/v4/B/1/$metadata#TS' };
const bytesOf = (value: unknown) => {
  const body = { ...envelope, value };
  return (pageBytes(body) ?? Buffer.from(pageText(body).text)).toString('base64');
};

interface Query { plan: SeriesPlan; desc: boolean; skip: number; top: number; pageSize: number }

/** Every page of the query, following next cursors: its bytes and next cursor; `written` says each came as bytes. */
async function pages(reader: RowReader, q: Query, mustWrite: boolean): Promise<string[]> {
  const out: string[] = [];
  let cursor: Cursor | undefined;
  for (let k = 0; k < 200; k++) {
    const page = await reader.page({ tenant: 't', set, plan: q.plan, order: [{ field: 'timestamp', direction: q.desc ? 'desc' : 'asc' }],
      skip: q.skip, top: q.top, cursor, pageSize: q.pageSize, raw: true });
    if (mustWrite && page.rows.length > 0) assert.fail('a page with rows did not come from the byte path');
    out.push(`${bytesOf(page.written ?? page.rows)} ${JSON.stringify(page.next)}`);
    if (!page.next) break;
    cursor = page.next;
  }
  return out;
}

describe('time series pages over several assets written from record bytes', () => {
  it('are the row path\'s pages and next cursors, for any assets, records, chunks and query', async () => {
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.tuple(idArb, assetArb), { selector: ([id]) => id, minLength: 2, maxLength: 6 }),
      fc.integer({ min: 0, max: 95 }), fc.integer({ min: 0, max: 95 }), fc.boolean(), fc.oneof(fc.constant(0), fc.nat(120)),
      fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 300 })), fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 120 })),
      async (list, a, b, desc, skip, top, pageSize) => {
        const assets = new Map(list);
        const q: Query = { plan: { kind: 'timeseries', after: T0 + Math.min(a, b) * SECOND - 1, upTo: T0 + Math.max(a, b) * SECOND, empty: false }, desc, skip, top, pageSize };
        const expected = await pages(new RowReader(portOf(assets, false)), q, false);
        const cache = new RowCache(1 << 24);
        const subject = new RowReader(portOf(assets, true), cache);
        // read three times: rows written per page, then kept (the second read keeps them), then copied through their views
        for (let round = 0; round < 3; round++) assert.deepEqual(await pages(subject, q, true), expected);
      }), { numRuns: 400 });
  });
});
