/**
 * Time series rows written from record bytes (src/odata/serve/series-page.ts) against the row path they replace
 * (raw-rows.ts rawRow, or the parsed object row, then pageBytes or the page text's UTF-8, as the route sends it):
 * for any records (declared keys in any order, missing, repeated or undeclared keys, strings with quotes,
 * backslashes, `,{"_time":"` and non-ASCII characters, nested values, times not in the toISOString form), any asset
 * id (`$`, quotes, non-ASCII), any split into runs, either direction and any limit, the page's bytes are the same,
 * byte for byte, and so is the last row's timestamp. Also pageRuns (timeseries/service.ts), the runs a page without
 * its own are cut into, gives back exactly the records of the page's bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SeriesRuns } from '../../src/odata/ports.js';
import { pageBytes, pageText, rawRow, rawShape } from '../../src/odata/serve/raw-rows.js';
import { parsedRow, type SeriesProps, writeSeriesRows } from '../../src/odata/serve/series-page.js';
import { pageRuns } from '../../src/timeseries/service.js';
import type { RecordPage } from '../../src/timeseries/store.js';

const DECLARED = ['temperature', 'temperature_qc', 'count', 'label', 'a'];
const PROPS: SeriesProps = DECLARED.map((k) => [k, k] as const);
const keyArb = fc.constantFrom(...DECLARED, ...DECLARED, 'stale', 'temperature2', 'abc', '_time');
const valueArb = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(),
  fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('"', '\\', '":', '"a":', ',"count":1', ',{"_time":"', '{"_time":"x"}', '}', '{', '[1]', '$&', '', 'grün €', '😀', '\u2028'),
  fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({ a: 1 }));
const timeArb = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => new Date(t).toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('2024-01-01 00:00:00.000Z', '2024-01-01T00:00:00Z', '+012024-01-01T00:00:00.000Z', '2024-01-01T00:00:0:.000Z', '2024-01-01T00:00:00.000z', 'x') });
const assetArb = fc.constantFrom('e1', '0123456789abcdef0123456789abcdef', 'a$&b', 'x"y', '$$', 'é1', 'a\\b', '😀');

/** A record text with the members in the given order; a key may repeat (JSON.stringify cannot write that). */
const recordText = (time: string, members: [string, unknown][]) =>
  `{"_time":${JSON.stringify(time)}${members.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('')}}`;

const recordArb = fc.oneof(
  // plain records: declared keys, some missing, in the declared or another order
  { weight: 3, arbitrary: fc.tuple(timeArb, fc.shuffledSubarray(DECLARED, { minLength: 0 }), fc.integer(), fc.boolean())
    .map(([t, keys, n, all]) => recordText(t, (all ? DECLARED : keys).map((k, i) => [k, i % 2 ? n + 0.5 : `v${n}:x,}`]))) },
  // declared keys, distinct, in any order, with any values (almost qualifying: a backslash, a non-ASCII character, a nested value)
  { weight: 2, arbitrary: fc.tuple(timeArb, fc.shuffledSubarray(DECLARED, { minLength: 1 }), fc.array(valueArb, { minLength: 5, maxLength: 5 }))
    .map(([t, keys, vs]) => recordText(t, keys.map((k, i) => [k, vs[i]]))) },
  { weight: 2, arbitrary: fc.tuple(timeArb, fc.array(fc.tuple(keyArb, valueArb), { maxLength: 7 })).map(([t, m]) => recordText(t, m)) },
);

/** The records (page order) as runs of a store page: each run's records ascending in its own bytes. */
function runsOf(texts: string[], cuts: number[], desc: boolean): SeriesRuns {
  const bounds = [...new Set([0, ...cuts.map((c) => c % (texts.length + 1)), texts.length])].sort((x, y) => x - y);
  const runs: { bytes: Buffer; offs: Int32Array; times: Float64Array }[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const part = texts.slice(bounds[k], bounds[k + 1]);
    if (desc) part.reverse();
    const starts = [0];
    for (const t of part) starts.push(starts[starts.length - 1]! + Buffer.byteLength(t) + 1);
    runs.push({ bytes: Buffer.from(part.join(',')), offs: Int32Array.from(starts), times: new Float64Array(part.length) });
  }
  return {
    count: texts.length,
    runs: (visit) => { for (const r of runs) visit(r.bytes, r.offs, r.times, 0, r.times.length); },
  };
}

/** The row path's bytes of the same page: raw rows where they qualify, else the parsed row, sent as the route sends them. */
function rowPath(texts: string[], assetId: string, body: Record<string, unknown>): Buffer {
  const shape = rawShape(DECLARED)!;
  const rows = texts.map((t) => rawRow(shape, assetId, t) ?? parsedRow(assetId, t, PROPS));
  const page = { ...body, value: rows };
  return pageBytes(page) ?? Buffer.from(pageText(page).text);
}

describe('time series rows written from record bytes', () => {
  const shape = rawShape(DECLARED)!;

  it('are the row path\'s page byte for byte, for any records, asset, runs, direction and limit', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 40 }), assetArb, fc.array(fc.nat(), { maxLength: 5 }), fc.boolean(), fc.nat(45),
      fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }), fc.option(fc.nat(), { nil: undefined }),
      (texts, assetId, cuts, desc, limit, next, count) => {
        const { rows, last } = writeSeriesRows(runsOf(texts, cuts, desc), limit, desc, assetId, shape, PROPS);
        const shown = texts.slice(0, limit);
        assert.equal(rows.count, shown.length);
        const body = { '@odata.context': 'http://x/api/odata/v4/C/1.0.0/$metadata#S', ...(count !== undefined ? { '@odata.count': count } : {}),
          value: rows, ...(next !== undefined ? { '@odata.nextLink': next } : {}) };
        const want = rowPath(shown, assetId, body);
        const got = pageBytes(body)!;
        assert.ok(got.equals(want), `${got.toString()}\n!==\n${want.toString()}`);
        assert.equal(pageText(body).text, want.toString());
        const lastRow = shown.length ? rawRow(shape, assetId, shown[shown.length - 1]!) ?? parsedRow(assetId, shown[shown.length - 1]!, PROPS) : undefined;
        assert.deepEqual(last, lastRow?.['timestamp']);
      }), { numRuns: 2000 });
  });

  it('fits envelopes longer than the room left around the rows', () => {
    const texts = ['{"_time":"2024-01-01T00:00:00.000Z","count":1}', '{"_time":"2024-01-01T00:00:01.000Z","label":"ü"}'];
    const { rows } = writeSeriesRows(runsOf(texts, [1], false), 10, false, 'e1', shape, PROPS);
    const body = { '@odata.context': 'x'.repeat(5000), value: rows, '@odata.nextLink': 'ü'.repeat(3000) };
    assert.ok(pageBytes(body)!.equals(rowPath(texts, 'e1', body)));
  });

  it('pageRuns cuts a page without runs into exactly its records and times', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.dictionary(fc.constantFrom(...DECLARED),
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: 'grapheme' }), fc.constantFrom(',{"_time":"', '\\"')), { maxKeys: 4 })),
    { maxLength: 20 }), (records) => {
      const texts = records.map(([t, v]) => JSON.stringify({ _time: new Date(t).toISOString(), ...v }));
      const bytes = Buffer.from(`[${texts.join(',')}]`);
      const page: RecordPage = { count: texts.length, truncate: () => {}, lastTime: () => NaN, bytes: () => bytes };
      const seen: string[] = [];
      const times: number[] = [];
      pageRuns(page).runs((b, offs, ts, s, e) => {
        for (let i = s; i < e; i++) { seen.push(b.toString('utf8', offs[i]!, offs[i + 1]! - 1)); times.push(ts[i]!); }
      });
      assert.deepEqual(seen, texts);
      assert.deepEqual(times, records.map(([t]) => t));
    }), { numRuns: 500 });
  });
});
