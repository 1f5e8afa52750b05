/**
 * Raw time series rows (src/odata/serve/raw-rows.ts) against the parsing path: for any stored record text (keys
 * declared or not, in any order, duplicated, values with quotes, backslashes, colons, braces and unicode), a raw
 * row, when one is made, is the same JSON value as the row the parser builds (declared keys, null where missing,
 * nothing else); a text with a key the set does not declare, or a key twice, is never made raw; and a page of
 * raw and parsed rows of several assets (ids with `$`, quotes) parses to the same document as JSON.stringify of
 * the parsed rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ASCII, pageBytes, pageJson, pageText, rawRow, rawRowText, rawShape, TEXT } from '../../src/odata/serve/raw-rows.js';

const DECLARED = ['temperature', 'temperature_qc', 'count', 'label', 'a'];
const keyArb = fc.constantFrom(...DECLARED, 'stale', 'temperature2', 'abc');
const valueArb = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(),
  fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '\\', '":', '"a":', ',"count":1', '{"_time":"x"}', '}', '{', '[1]', '$&', ''),
  fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({ a: 1 }));
const timeArb = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => new Date(t).toISOString());
const assetArb = fc.constantFrom('e1', 'e2', 'a$&b', 'x"y', '$$', 'é1');

const parsedRow = (assetId: string, text: string) => {
  const rec = JSON.parse(text) as Record<string, unknown>;
  const row: Record<string, unknown> = { assetId, timestamp: rec['_time'] };
  for (const k of DECLARED) row[k] = rec[k] ?? null;
  return row;
};

/** A record text with the members in the given order; a key may repeat (JSON.stringify cannot write that). */
const recordText = (time: string, members: [string, unknown][]) =>
  `{"_time":${JSON.stringify(time)}${members.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('')}}`;

const membersArb = fc.array(fc.tuple(keyArb, valueArb), { maxLength: 7 });

describe('raw time series rows', () => {
  const shape = rawShape(DECLARED)!;

  it('is the row the parser builds whenever it is made, and never for an undeclared or repeated key', () => {
    fc.assert(fc.property(timeArb, membersArb, assetArb, (time, members, assetId) => {
      const text = recordText(time, members);
      const row = rawRow(shape, assetId, text);
      if (!row) return;
      const keys = members.map(([k]) => k);
      assert.ok(keys.every((k) => DECLARED.includes(k)), `raw row made for ${text}`);
      assert.equal(new Set(keys).size, keys.length, `raw row made for a repeated key: ${text}`);
      assert.ok(/^[\x20-\x7e]*$/.test(text), `raw row made for a text that is not printable ASCII: ${text}`);
      assert.equal(row['timestamp'], time);
      assert.equal(row['assetId'], assetId);
      assert.deepEqual(JSON.parse(rawRowText(row)), parsedRow(assetId, text));
    }), { numRuns: 3000 });
  });

  it('is made for plain records with declared keys only, in any order and with keys missing', () => {
    fc.assert(fc.property(timeArb, fc.shuffledSubarray(DECLARED), fc.integer(), (time, keys, n) => {
      const text = recordText(time, keys.map((k, i) => [k, i % 2 ? n + 0.5 : `v${n}:x,}`]));
      const row = rawRow(shape, 'e1', text);
      assert.ok(row, text);
      assert.deepEqual(JSON.parse(rawRowText(row)), parsedRow('e1', text));
    }), { numRuns: 500 });
  });

  it('never uses a pattern of a previous order for a text it does not fit', () => {
    fc.assert(fc.property(fc.array(fc.tuple(timeArb, membersArb), { minLength: 2, maxLength: 8 }), (records) => {
      for (const [time, members] of records) {
        const text = recordText(time, members);
        const row = rawRow(shape, 'e1', text);
        const keys = members.map(([k]) => k);
        const plain = keys.every((k) => DECLARED.includes(k)) && new Set(keys).size === keys.length
          && members.every(([, v]) => v === null || typeof v !== 'object') && !text.includes('\\')
          // printable ASCII only (a page of raw rows is sent as bytes unchecked)
          && /^[\x20-\x7e]*$/.test(text);
        assert.equal(row !== undefined, plain, text);
      }
    }), { numRuns: 1000 });
  });

  it('writes a page of raw and parsed rows of several assets as the document of the parsed rows', () => {
    fc.assert(fc.property(fc.array(fc.tuple(assetArb, timeArb, fc.dictionary(fc.constantFrom(...DECLARED), valueArb, { maxKeys: 5 })), { maxLength: 30 }),
      fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }), (records, next) => {
        const texts = records.map(([a, t, v]) => [a, JSON.stringify({ _time: t, ...v })] as const);
        const rows = texts.map(([a, t]) => rawRow(shape, a, t) ?? parsedRow(a, t));
        const page = { '@odata.context': 'http://x/$metadata#S', '@odata.count': rows.length, value: rows,
          ...(next !== undefined ? { '@odata.nextLink': next } : {}) };
        const expected = { '@odata.context': 'http://x/$metadata#S', '@odata.count': rows.length, value: texts.map(([a, t]) => parsedRow(a, t)),
          ...(next !== undefined ? { '@odata.nextLink': next } : {}) };
        const text = pageJson(page);
        assert.deepEqual(JSON.parse(text), expected);
        // a page said to be ASCII is (it is sent as latin1 bytes unchecked)
        const known = pageText(page);
        assert.equal(known.text, text);
        if (known.ascii) assert.equal(Buffer.byteLength(text), text.length, text);
        // the bytes written straight into a buffer are the text's UTF-8 bytes, whenever they are written
        const bytes = pageBytes(page);
        assert.equal(bytes !== undefined, known.ascii === true, text);
        if (bytes) assert.ok(bytes.equals(Buffer.from(text)), text);
        if (!rows.some((r) => Object.getOwnPropertySymbols(r).length > 0)) assert.equal(text, JSON.stringify(page));
      }), { numRuns: 1000 });
  });

  it('says a page is ASCII exactly when its raw rows, ASCII-marked text rows, heads and envelope are', () => {
    const printable = (t: string) => /^[\x20-\x7e]*$/.test(t);
    fc.assert(fc.property(fc.array(fc.tuple(assetArb, timeArb, fc.boolean(), fc.string({ unit: 'grapheme', maxLength: 4 })), { minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 3 }), (records, context) => {
        const rows = records.map(([a, t, asText, label]) => {
          if (!asText) return rawRow(shape, a, JSON.stringify({ _time: t, label })) ?? parsedRow(a, JSON.stringify({ _time: t, label }));
          const text = JSON.stringify({ assetId: a, timestamp: t, label });
          return { assetId: a, timestamp: t, [TEXT]: text, ...(printable(text) ? { [ASCII]: true } : {}) };
        });
        const { text, ascii } = pageText({ '@odata.context': context, value: rows });
        const everyKnown = rows.every((r) => RAW_OR_ASCII(r));
        assert.equal(ascii === true, everyKnown && Buffer.byteLength(text) === text.length, text);
        const bytes = pageBytes({ '@odata.context': context, value: rows });
        assert.equal(bytes !== undefined, ascii === true, text);
        if (bytes) assert.ok(bytes.equals(Buffer.from(text)), text);
      }), { numRuns: 1000 });
    function RAW_OR_ASCII(r: object): boolean {
      return Object.getOwnPropertySymbols(r).length > 0 && (!(TEXT in r) || (r as { [ASCII]?: boolean })[ASCII] === true);
    }
  });

  it('takes a record whose _time is not in the toISOString form through the parsing path', () => {
    assert.ok(rawRow(shape, 'e1', '{"_time":"2024-01-01T00:00:00.000Z","count":1}'));
    for (const time of ['2024-01-01 00:00:00.000Z', '2024-01-01T00:00:00.000+', 'x024-01-01T00:00:00.000Z', '+12024-01-01T00:00:00.000Z']) {
      assert.equal(rawRow(shape, 'e1', `{"_time":"${time}","count":1}`), undefined, time);
    }
  });

  it('takes keys that cannot appear unescaped in JSON text only through the parsing path', () => {
    assert.equal(rawShape(['a"b']), undefined);
    assert.equal(rawShape(['a\\b']), undefined);
    assert.equal(rawShape(['_time']), undefined);
  });
});
