/**
 * Raw time series rows (src/odata/serve/raw-rows.ts) against the parsing path: for any stored record text (keys
 * declared or not, values with quotes, backslashes, colons and unicode), a raw row, when one is made, is the same
 * JSON value as the row the parser builds (declared keys, null where missing, nothing else); a text with a key
 * the set does not declare is never made raw; and a page with raw rows parses to the same document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pageJson, RAW, rawRow, rawShape } from '../../src/odata/serve/raw-rows.js';

const DECLARED = ['temperature', 'temperature_qc', 'count', 'label', 'a'];
const keyArb = fc.constantFrom(...DECLARED, 'stale', 'temperature2', 'abc');
const valueArb = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(),
  fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '\\', '":', '"a":', ',"count":1', '{"_time":"x"}'));
const timeArb = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => new Date(t).toISOString());

const parsedRow = (assetId: string, text: string) => {
  const rec = JSON.parse(text) as Record<string, unknown>;
  const row: Record<string, unknown> = { assetId, timestamp: rec['_time'] };
  for (const k of DECLARED) row[k] = rec[k] ?? null;
  return row;
};

describe('raw time series rows', () => {
  const shape = rawShape(DECLARED);

  it('is the row the parser builds whenever it is made, and never for a record with an undeclared key', () => {
    fc.assert(fc.property(timeArb, fc.dictionary(keyArb, valueArb, { maxKeys: 6 }), (time, values) => {
      const text = JSON.stringify({ _time: time, ...values });
      const row = rawRow(shape, 'e1', '"e1"', text);
      if (!row) return;
      assert.ok(Object.keys(values).every((k) => DECLARED.includes(k)), `raw row made for ${text}`);
      assert.equal(row['timestamp'], time);
      assert.deepEqual(JSON.parse((row as Record<symbol, string>)[RAW]!), parsedRow('e1', text));
    }), { numRuns: 2000 });
  });

  it('is made for plain records with declared keys only', () => {
    const text = JSON.stringify({ _time: '2024-01-01T00:00:00.000Z', temperature: 20.5, temperature_qc: 0, label: 'x:y' });
    const row = rawRow(shape, 'e1', '"e1"', text)!;
    assert.ok(row);
    assert.deepEqual(JSON.parse((row as Record<symbol, string>)[RAW]!), parsedRow('e1', text));
  });

  it('splices raw rows into a page that parses to the same document as the parsed rows', () => {
    fc.assert(fc.property(fc.array(fc.tuple(timeArb, fc.dictionary(fc.constantFrom(...DECLARED), valueArb, { maxKeys: 5 })), { maxLength: 20 }),
      fc.option(fc.string(), { nil: undefined }), (records, next) => {
        const texts = records.map(([t, v]) => JSON.stringify({ _time: t, ...v }));
        const rows = texts.map((t) => rawRow(shape, 'e1', '"e1"', t) ?? parsedRow('e1', t));
        const page = { '@odata.context': 'http://x/$metadata#S', value: rows, ...(next !== undefined ? { '@odata.nextLink': next } : {}) };
        const expected = { '@odata.context': 'http://x/$metadata#S', value: texts.map((t) => parsedRow('e1', t)),
          ...(next !== undefined ? { '@odata.nextLink': next } : {}) };
        assert.deepEqual(JSON.parse(pageJson(page)), expected);
      }), { numRuns: 500 });
  });
});
