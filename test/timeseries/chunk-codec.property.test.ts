/**
 * The columnar chunk codec of the time series store (src/timeseries/store/chunk-codec.ts, issue 17 "Compressed
 * storage"): exact round trips of arbitrary records, the stored text equal to recordJson(), header and timestamp
 * reads that agree with the full decode, corrupt input refused, and the compressed sizes the issue asks for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { recordJson } from '../../src/timeseries/records.js';
import { INT_LIMIT, Reader, Writer } from '../../src/timeseries/store/chunk-codec-bits.js';
import { readInts, writeInts } from '../../src/timeseries/store/chunk-codec-ints.js';
import { decimalText } from '../../src/timeseries/store/chunk-codec-text.js';
import {
  type ChunkRecord, chunkInfo, chunkText, chunkTimes, decodeChunk, encodeChunk,
} from '../../src/timeseries/store/chunk-codec.js';

const SPECIAL = [-0, 0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER, 2 ** 50, -(2 ** 50), 2 ** 50 + 1, 0.1, 1e-7, 1e21, 123456789012345.6, NaN, Infinity, -Infinity];

/** Value generators, one picked per column (so homogeneous columns meet their compact encodings). */
const COLUMN_KINDS: fc.Arbitrary<unknown>[] = [
  fc.tuple(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), fc.integer({ min: 0, max: 6 }))
    .map(([m, k]) => m / 10 ** k),                                                  // fixed decimals
  fc.integer({ min: -1000, max: 1000 }).map((m) => m / 1000),                       // one scale
  fc.double(),                                                                      // any double, -0, NaN, ±∞
  fc.constantFrom(...SPECIAL),
  fc.maxSafeInteger(),
  fc.constant(192),                                                                 // a constant quality code
  fc.integer({ min: -2_147_483_648, max: 4_294_967_295 }),
  fc.string({ unit: 'binary' }),                                                    // incl. lone surrogates
  fc.constantFrom('', 'on', 'off', '"quoted"\\', 'ünï©ødé 😀'),
  fc.boolean(),
  fc.jsonValue(),                                                                   // nested objects and arrays
  fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.jsonValue()),                 // mixed
];

const key = fc.oneof(
  fc.constantFrom('v0', 'v1', 'temperature', 'temperature_qc', 'ünï', '"k"', 'a\\b', ''),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

/** Arbitrary records: a pool of keys, a value kind per key, each record a subset of the keys in any order. */
function recordsArb(keyArb: fc.Arbitrary<string>, maxRecords = 60): fc.Arbitrary<ChunkRecord[]> {
  return fc.uniqueArray(keyArb, { maxLength: 6 }).chain((keys) =>
    fc.tuple(...keys.map(() => fc.integer({ min: 0, max: COLUMN_KINDS.length - 1 }))).chain((kinds) =>
      fc.tuple(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.array(fc.tuple(
          fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 10_000 })),
          fc.shuffledSubarray(keys.map((_, i) => i)),
          fc.tuple(...kinds.map((k) => COLUMN_KINDS[k]!)),
        ), { maxLength: maxRecords }),
      ).map(([t0, rows]) => {
        let t = t0;
        return rows.map(([dt, present, vals]) => {
          t += dt;
          // fromEntries defines own properties, so a key `__proto__` stays a key.
          return { t, values: Object.fromEntries(present.map((i) => [keys[i]!, vals[i]])) };
        });
      })));
}

function assertSameRecords(actual: ChunkRecord[], expected: ChunkRecord[]): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.equal(actual[i]!.t, expected[i]!.t);
    assert.deepEqual(Object.keys(actual[i]!.values), Object.keys(expected[i]!.values), 'key order');
    // deepStrictEqual compares numbers with Object.is semantics for -0 and NaN, nested values too.
    assert.deepStrictEqual(actual[i]!.values, expected[i]!.values);
  }
}

/** Keys of stored text: any but `_time`, array indices (a variable named "1") and `__proto__` included. */
const textKey = fc.oneof(key, fc.constantFrom('0', '1', '42', '4294967294', '__proto__')).filter((k) => k !== '_time');

describe('chunk codec', () => {
  it('round-trips arbitrary records exactly, and header and timestamps agree with the decode', () => {
    fc.assert(fc.property(recordsArb(key), (records) => {
      const buf = encodeChunk(records);
      const back = decodeChunk(buf);
      assertSameRecords(back, records);
      const info = chunkInfo(buf);
      assert.deepEqual(info, { n: records.length, lo: records[0]?.t ?? 0, hi: records.at(-1)?.t ?? 0 });
      assert.deepEqual(chunkTimes(buf), back.map((r) => r.t));
    }), { numRuns: 300 });
  });

  it('renders the text recordJson() stores, for any range, limit and direction', () => {
    fc.assert(fc.property(recordsArb(textKey), fc.integer(), fc.integer(), fc.integer({ min: 0, max: 80 }), fc.boolean(),
      (records, x, y, limit, desc) => {
        const buf = encodeChunk(records);
        const all = records.map((r) => recordJson(r.t, r.values as Record<string, unknown>));
        assert.deepEqual(chunkText(buf, -Infinity, Infinity, Infinity, false), all);
        const lo = records.length ? records[0]!.t + (x % 20_000) : x;
        const hi = lo + Math.abs(y % 100_000);
        let want = all.filter((_, i) => records[i]!.t > lo && records[i]!.t <= hi);
        want = desc ? want.reverse().slice(0, limit) : want.slice(0, limit);
        assert.deepEqual(chunkText(buf, lo, hi, limit, desc), want);
      }), { numRuns: 300 });
  });

  it('integer sequences round-trip at every order, up to ±2^50, in runs that pick each order', () => {
    const int = fc.integer({ min: -INT_LIMIT, max: INT_LIMIT });
    const smooth = fc.tuple(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: -1000, max: 1000 }),
      fc.integer({ min: -3, max: 3 }), fc.nat(400), fc.array(fc.integer({ min: -2, max: 2 }), { maxLength: 400 }))
      .map(([a, b, c, n, noise]) => Array.from({ length: n }, (_, i) => a + b * i + c * i * i + (noise[i] ?? 0)));
    fc.assert(fc.property(fc.oneof(fc.array(int, { maxLength: 300 }), smooth, fc.array(fc.constantFrom(-INT_LIMIT, INT_LIMIT, 0))),
      (xs) => {
        const w = new Writer(16);
        writeInts(w, xs);
        const buf = Buffer.from(w.finish());
        const r = new Reader(buf, 0, buf.length);
        assert.deepEqual(Array.from(readInts(r, xs.length)), xs);
        assert.equal(r.pos, buf.length);
      }), { numRuns: 500 });
  });

  it('a column whose values need different scales round-trips (the regression of fast-check seed 1524573813)', () => {
    const records = [0, 1515461086, -1472677456, 0.000651].map((v, i) => ({ t: 1000 + i, values: { q: v } }));
    assertSameRecords(decodeChunk(encodeChunk(records)), records);
  });

  it('slowly varying doubles that are not fixed decimals round-trip through XOR, smaller than raw float64', () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ t: i * 1000 + 1, values: { x: Math.sin(i / 1000), c: Math.PI } }));
    const buf = encodeChunk(records);
    assertSameRecords(decodeChunk(buf), records);
    assert.ok(buf.length < 1000 * 8, `${buf.length} bytes`);
  });

  it('renders long strings and nested values that outgrow the text buffer, with the columns after them intact', () => {
    const records = [10, 300, 600, 900, 1200, 1500, 3000, 70_000].map((len, i) => ({ t: 1000 * (i + 1),
      values: { s: 'x'.repeat(len), 'ü': i % 2 === 0, n: i + 0.5, j: { deep: ['y'.repeat(len)] }, d: Math.PI * i } }));
    assert.deepEqual(chunkText(encodeChunk(records), 0, Infinity, 10, false),
      records.map((r) => recordJson(r.t, r.values)));
  });

  it('writes decimals as String() does', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.integer({ min: 0, max: 6 }), (m, k) => {
      assert.equal(decimalText(m, k, 10 ** k), String(m / 10 ** k));
    }), { numRuns: 2000 });
  });

  it('refuses corrupt and truncated chunks with a clear error', () => {
    fc.assert(fc.property(recordsArb(key, 20), fc.nat(), fc.integer({ min: 0, max: 7 }), (records, at, bit) => {
      const buf = encodeChunk(records);
      const flipped = Buffer.from(buf);
      flipped[at % buf.length]! ^= 1 << bit;
      const cut = buf.subarray(0, at % buf.length);
      for (const bad of [flipped, cut]) {
        for (const read of [decodeChunk, chunkTimes, chunkInfo, (b: Buffer) => chunkText(b, 0, 1, 1, false)]) {
          assert.throws(() => read(bad), /corrupt time series chunk/);
        }
      }
    }), { numRuns: 200 });
  });

  it('returns no text for an empty range or a limit below 1 or NaN', () => {
    const buf = encodeChunk([{ t: 5, values: { a: 1 } }, { t: 6, values: { a: 2 } }]);
    assert.deepEqual(chunkText(buf, 6, 100, 10, false), []);
    assert.deepEqual(chunkText(buf, 0, 100, 0, true), []);
    assert.deepEqual(chunkText(buf, 0, 100, NaN, false), []);
    assert.deepEqual(chunkText(buf, 0, 100, 1.5, true), ['{"_time":"1970-01-01T00:00:00.006Z","a":2}']);
    assert.deepEqual(chunkText(encodeChunk([]), 0, 100, 10, false), []);
  });

  it('refuses records out of order or with times that are not epoch milliseconds', () => {
    assert.throws(() => encodeChunk([{ t: 2, values: {} }, { t: 2, values: {} }]), RangeError);
    assert.throws(() => encodeChunk([{ t: 1.5, values: {} }]), RangeError);
  });
});

/** 1 Hz records of `vars` doubles shaped like bench/timeseries-shared.ts (fixed 3-decimal sine waves). */
function benchRecords(n: number, vars: number, extra: (i: number) => Record<string, unknown> = () => ({})): ChunkRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const values: Record<string, unknown> = {};
    for (let v = 0; v < vars; v++) values[`v${v}`] = Math.round(Math.sin(i / 100 + v) * 1e6) / 1e3;
    return { t: 1_700_000_000_000 + i * 1000, values: { ...values, ...extra(i) } };
  });
}

describe('chunk codec sizes', () => {
  it('1 Hz timestamps cost ~0 bytes', () => {
    const size = encodeChunk(benchRecords(1000, 0)).length;
    const few = encodeChunk(benchRecords(10, 0)).length;
    assert.ok(size - few < 4, `1,000 empty 1 Hz records take ${size} bytes, 10 take ${few}`);
  });

  it('a constant column costs under 1 bit a value', () => {
    const base = encodeChunk(benchRecords(1000, 2)).length;
    const withQc = encodeChunk(benchRecords(1000, 2, () => ({ v0_qc: 192 }))).length;
    assert.ok((withQc - base) * 8 < 1000, `a constant quality code adds ${withQc - base} bytes to 1,000 records`);
  });

  it('missing keys and key order cost ~0 bytes while they stay the same', () => {
    const full = encodeChunk(benchRecords(1000, 10)).length;
    const shifted = benchRecords(1000, 10).map((r, i) => {
      const { v3: _omit, ...rest } = r.values as Record<string, number>;
      return i < 500 ? r : { t: r.t, values: { v9: rest['v9'], ...rest } };
    });
    const size = encodeChunk(shifted).length;
    assert.ok(size < full, `${size} bytes with one key order change and a missing key, ${full} without`);
  });

  it('fixed-decimal doubles of the bench shape take well under 6 bytes a value', () => {
    for (const n of [120, 1000, 4000]) {
      const perValue = encodeChunk(benchRecords(n, 10)).length / (n * 10);
      assert.ok(perValue < 2, `${perValue} bytes a value at ${n} records`);
    }
  });
});
