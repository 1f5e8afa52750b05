/**
 * splitRecords (src/timeseries/service.ts), which cuts a readJson page back into the record texts readText gives
 * (test/timeseries/read-json.test.ts proves the page is those texts joined): for any records as the store renders
 * them, with variable names and string values holding `,{"_time":"`, quotes, backslashes and non-ASCII text, the
 * pieces are exactly the texts; a page that is not a run of such records is refused, not cut wrongly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { recordJson } from '../../src/timeseries/records.js';
import { splitRecords } from '../../src/timeseries/service.js';

const tricky = fc.constantFrom(',{"_time":"', '},{"_time":"2024-01-01T00:00:00.000Z"', '"', '\\', '\\"', 'ü', '\u2028', '{"', '');
const textArb = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), tricky, fc.array(tricky).map((a) => a.join('x')));
const valueArb = fc.oneof(textArb, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
const recordArb = fc.tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.dictionary(textArb, valueArb, { maxKeys: 5 }))
  .map(([t, values]) => recordJson(t, values));

describe('splitRecords', () => {
  it('gives back exactly the record texts of a readJson page', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 30 }), (texts) => {
      assert.deepEqual(splitRecords(Buffer.from(`[${texts.join(',')}]`)), texts);
    }), { numRuns: 500 });
  });

  it('refuses a page that does not begin with a record', () => {
    assert.equal(splitRecords(Buffer.from('[{"a":1}]')), undefined);
    assert.equal(splitRecords(Buffer.from('{"_time":"2024-01-01T00:00:00.000Z"}')), undefined);
    assert.equal(splitRecords(Buffer.from('[ {"_time":"2024-01-01T00:00:00.000Z"}]')), undefined);
    assert.deepEqual(splitRecords(Buffer.from('[]')), []);
  });
});
