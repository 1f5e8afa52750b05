/**
 * The open (tail) chunk form and column blocks of the time series chunk codec
 * (src/timeseries/store/chunk-codec-open.ts, issue 17 time-major writes): the fast paths must equal the slow one.
 * - columnsOf takes exactly the records of one key pattern with numbers only, and recordsOf gives them back;
 * - encodeColumns writes the bytes encodeChunk writes for the same records;
 * - every read (decodeChunk, chunkText, chunkJson, chunkInfo, chunkTimes) of the open form equals that of
 *   encodeChunk, for any range, limit and direction;
 * - concatenated and sliced blocks equal the blocks of the joined and sliced records.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type ChunkRecord, chunkInfo, chunkJson, chunkText, chunkTimes, decodeChunk, encodeChunk,
} from '../../src/timeseries/store/chunk-codec.js';
import {
  columnsOf, concatColumns, encodeColumns, encodeOpenColumns, recordsOf, sliceColumns,
} from '../../src/timeseries/store/chunk-codec-open.js';

const NUMBER_KINDS: fc.Arbitrary<number>[] = [
  fc.tuple(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), fc.integer({ min: 0, max: 6 }))
    .map(([m, k]) => m / 10 ** k),
  fc.integer({ min: -1000, max: 1000 }).map((m) => m / 1000),
  fc.double(),
  fc.constantFrom(-0, 0, 5e-324, 1.7976931348623157e308, Number.MAX_SAFE_INTEGER, 2 ** 50 + 1, 0.1, 1e21, NaN, Infinity),
  fc.maxSafeInteger(),
  fc.constant(192),
];

const key = fc.oneof(
  fc.constantFrom('v0', 'v1', 'temperature', 'temperature_qc', 'ünï', '"k"', '', '0', '42', '__proto__'),
  fc.string({ unit: 'binary', maxLength: 5 }),
).filter((k) => k !== '_time');

/** Records of one key pattern and numbers only (with `_time: undefined` as the service leaves it, sometimes). */
const numericRecords = fc.uniqueArray(key, { minLength: 1, maxLength: 6 }).chain((keys) =>
  fc.tuple(...keys.map(() => fc.integer({ min: 0, max: NUMBER_KINDS.length - 1 }))).chain((kinds) =>
    fc.tuple(
      fc.boolean(),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.array(fc.tuple(fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 10_000 })),
        fc.tuple(...kinds.map((k) => NUMBER_KINDS[k]!))), { minLength: 1, maxLength: 70 }),
    ).map(([timeKey, t0, rows]) => {
      let t = t0;
      return rows.map(([dt, vals]): ChunkRecord => {
        t += dt;
        const entries: [string, unknown][] = keys.map((k, i) => [k, vals[i]]);
        if (timeKey) entries.unshift(['_time', undefined]);
        return { t, values: Object.fromEntries(entries) };
      });
    })));

/** The same, with a record after the first changed so that they are no block (another value kind, key order, key). */
const brokenRecords = fc.tuple(numericRecords.filter((r) => r.length > 1), fc.nat(), fc.integer({ min: 0, max: 3 })).map(([recs, at, how]) => {
  const i = 1 + (at % (recs.length - 1));
  const values = { ...recs[i]!.values };
  const ks = Object.keys(values).filter((k) => values[k] !== undefined);
  if (how === 0) values[ks[0]!] = 'text';
  else if (how === 1) values['extra key'] = 1;
  else if (how === 2) delete values[ks[ks.length - 1]!];
  else if (ks.length > 1) {
    const v = values[ks[0]!];
    delete values[ks[0]!];
    values[ks[0]!] = v; // first key moved last
  } else values[ks[0]!] = true;
  // integer-like keys enumerate first whatever the order they were set in: then a value kind breaks the block
  if (how === 3 && Object.keys(values).join('\u0000') === Object.keys(recs[i]!.values).join('\u0000')) values[ks[0]!] = 'text';
  if (Object.keys(values).length === 0) values['x'] = false;
  return recs.map((r, j) => (j === i ? { t: r.t, values } : r));
});

const defined = (r: ChunkRecord) =>
  ({ t: r.t, values: Object.fromEntries(Object.entries(r.values).filter(([, v]) => v !== undefined)) });

function sameReads(open: Buffer, slow: Buffer, from: number, to: number, limit: number, desc: boolean): void {
  assert.deepStrictEqual(decodeChunk(open), decodeChunk(slow));
  assert.deepStrictEqual(chunkInfo(open), chunkInfo(slow));
  assert.deepStrictEqual(chunkTimes(open), chunkTimes(slow));
  assert.deepStrictEqual(chunkText(open, from, to, limit, desc), chunkText(slow, from, to, limit, desc));
  for (const whole of [undefined, () => true]) {
    const a = chunkJson(open, from, to, limit, desc, whole);
    const b = chunkJson(slow, from, to, limit, desc, whole);
    assert.equal(a.whole, b.whole);
    assert.ok(a.json.bytes.equals(b.json.bytes), 'same rendered bytes');
    assert.deepStrictEqual([...a.json.offs], [...b.json.offs]);
    assert.deepStrictEqual([...a.json.times], [...b.json.times]);
    assert.equal(a.json.ascii, b.json.ascii);
  }
}

describe('open chunk form and column blocks', () => {
  it('a block of numeric records round-trips, encodes as encodeChunk does, and its open form reads the same', () => {
    fc.assert(fc.property(numericRecords, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 80 }), fc.boolean(),
      (recs, a, b, limit, desc) => {
        const block = columnsOf(recs);
        assert.ok(block, 'numeric records of one pattern are a block');
        assert.deepStrictEqual(recordsOf(block), decodeChunk(encodeChunk(recs)));
        assert.deepStrictEqual(recordsOf(block), recs.map(defined));
        const slow = encodeChunk(recs);
        assert.ok(encodeColumns(block).equals(slow), 'encodeColumns writes the bytes of encodeChunk');
        const lo = recs[0]!.t;
        const span = recs[recs.length - 1]!.t - lo + 2;
        const from = lo - 1 + (a % span);
        const to = from + (b % span);
        sameReads(encodeOpenColumns(block), slow, from, to, limit, desc);
        sameReads(encodeOpenColumns(block), slow, -Infinity, Infinity, 1e9, desc);
      }), { numRuns: 300 });
  });

  it('records that are not one numeric key pattern are no block', () => {
    fc.assert(fc.property(brokenRecords, (recs) => {
      assert.equal(columnsOf(recs), undefined);
    }), { numRuns: 200 });
    assert.equal(columnsOf([]), undefined);
    assert.equal(columnsOf([{ t: 1, values: { _time: undefined } }]), undefined);
    assert.equal(columnsOf([{ t: 2, values: { a: 1 } }, { t: 2, values: { a: 1 } }]), undefined, 'times not ascending');
    assert.equal(columnsOf([{ t: 1.5, values: { a: 1 } }]), undefined, 'not an epoch millisecond');
    const inherited = Object.create({ b: 2 }) as Record<string, unknown>;
    inherited['a'] = 1;
    assert.equal(columnsOf([{ t: 1, values: { a: 1 } }, { t: 2, values: inherited }]), undefined, 'inherited key');
  });

  it('concatenated and sliced blocks equal the blocks of the joined and sliced records', () => {
    fc.assert(fc.property(numericRecords, fc.nat(), fc.nat(), (recs, x, y) => {
      const cut = x % (recs.length + 1);
      const whole = columnsOf(recs)!;
      if (cut > 0 && cut < recs.length) {
        const joined = concatColumns([columnsOf(recs.slice(0, cut))!, columnsOf(recs.slice(cut))!])!;
        assert.ok(encodeColumns(joined).equals(encodeColumns(whole)));
      }
      const s = y % recs.length;
      const e = s + 1 + ((x + y) % (recs.length - s));
      assert.ok(encodeColumns(sliceColumns(whole, s, e)).equals(encodeChunk(recs.slice(s, e))));
    }), { numRuns: 200 });
    const a = columnsOf([{ t: 1, values: { a: 1 } }])!;
    const b = columnsOf([{ t: 2, values: { b: 1 } }])!;
    assert.equal(concatColumns([a, b]), undefined, 'different keys');
  });

  it('the open form of the bench shape takes about 8 bytes a value, more than the full encode', () => {
    const recs = Array.from({ length: 20 }, (_, i) => ({
      t: 1_700_000_000_000 + i * 1000,
      values: Object.fromEntries(Array.from({ length: 10 }, (_, v) => [`v${v}`, Math.round(Math.sin(i / 100 + v) * 1e6) / 1e3])),
    }));
    const open = encodeOpenColumns(columnsOf(recs)!);
    assert.ok(open.length <= 20 * 10 * 8 + 100, `${open.length} bytes`);
    assert.ok(encodeChunk(recs).length < open.length);
  });
});
