/**
 * The rows of a rendered chunk are written once per chunk, asset and shape (series-page.ts rowChunk) and reused by
 * every later page of that chunk: pages over the same chunk buffers, for other assets, shapes, windows (a run may
 * start and end inside a chunk), directions and limits, with caches of any size (entries dropped while in use), are
 * still byte for byte the row path's page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SeriesRuns } from '../../src/odata/ports.js';
import { pageBytes, pageText, rawRow, rawShape } from '../../src/odata/serve/raw-rows.js';
import { parsedRow, RowCache, type SeriesProps, writeSeriesRows } from '../../src/odata/serve/series-page.js';

const DECLARED = ['temperature', 'count', 'label'];
const SHAPES: { keys: string[]; props: SeriesProps }[] = [DECLARED, ['count', 'label'], ['label', 'x', 'temperature']]
  .map((keys) => ({ keys, props: keys.map((k) => [k, k] as const) }));
const assetArb = fc.constantFrom('e1', 'a$&b', 'x"y', 'é1');
const valueArb = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('a', '"', '\\', 'ü', ',{"_time":"', null));
const recordArb = fc.tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.shuffledSubarray([...DECLARED, 'x'], { minLength: 0 }),
  fc.array(valueArb, { minLength: 4, maxLength: 4 }), fc.boolean())
  .map(([t, keys, vs, bad]) => `{"_time":${JSON.stringify(bad ? new Date(t).toISOString().slice(0, 19) : new Date(t).toISOString())}${keys.map((k, i) => `,${JSON.stringify(k)}:${JSON.stringify(vs[i])}`).join('')}}`);

interface Chunk { bytes: Buffer; offs: Int32Array; times: Float64Array; texts: string[] }

const chunkOf = (texts: string[]): Chunk => {
  const starts = [0];
  for (const t of texts) starts.push(starts[starts.length - 1]! + Buffer.byteLength(t) + 1);
  return { bytes: Buffer.from(texts.join(',')), offs: Int32Array.from(starts), times: new Float64Array(texts.length), texts };
};

describe('rows of rendered chunks, reused across pages', () => {
  it('give the row path\'s page for any later page over the same chunks', () => {
    fc.assert(fc.property(fc.array(fc.array(recordArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(assetArb, fc.nat(2), fc.boolean(), fc.nat(40), fc.nat(12), fc.nat(12)), { minLength: 1, maxLength: 6 }),
      fc.constantFrom(0, 400, 1500, 1 << 20),
      (records, pages, maxBytes) => {
        const chunks = records.map(chunkOf);
        const cache = new RowCache(maxBytes);
        for (const [assetId, si, desc, limit, cutA, cutB] of pages) {
          const { keys, props } = SHAPES[si]!;
          const shape = rawShape(keys)!;
          // each chunk's window [s, e): the first chunk may start late, the last may end early (page order)
          const spans = chunks.map((c, k) => {
            const n = c.texts.length;
            const s = k === 0 ? Math.min(cutA, n) : 0;
            const e = k === chunks.length - 1 ? Math.max(s, n - Math.min(cutB, n)) : n;
            return { c, s, e };
          });
          const ordered = desc ? [...spans].reverse() : spans;
          const texts = ordered.flatMap(({ c, s, e }) => (desc ? c.texts.slice(s, e).reverse() : c.texts.slice(s, e)));
          const page: SeriesRuns = { count: texts.length, runs: (visit) => { for (const { c, s, e } of ordered) visit(c.bytes, c.offs, c.times, s, e); } };
          const { rows, last } = writeSeriesRows(page, limit, desc, assetId, shape, props, cache);
          const shown = texts.slice(0, limit);
          assert.equal(rows.count, shown.length);
          const body = { '@odata.context': 'http://x/$metadata#S', value: rows, '@odata.nextLink': 'n' };
          const want = shown.map((t) => rawRow(shape, assetId, t) ?? parsedRow(assetId, t, props));
          const wantPage = { ...body, value: want };
          const wantBytes = pageBytes(wantPage) ?? Buffer.from(pageText(wantPage).text);
          assert.ok(pageBytes(body)!.equals(wantBytes), `${pageBytes(body)!.toString()}\n!==\n${wantBytes.toString()}`);
          assert.deepEqual(last, want[want.length - 1]?.['timestamp']);
        }
      }), { numRuns: 700 });
  });
});
