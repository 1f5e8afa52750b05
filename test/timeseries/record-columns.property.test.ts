/**
 * The column reader of time series PUT bodies (src/timeseries/record-reader.ts) and the column check
 * (records.ts checkColumns) against the general path: where the reader gives a value, it is what JSON.parse gives
 * of the text (values, -0, key order), and it gives none for a text JSON.parse refuses; where the column check
 * accepts, validateRecords accepts the same records with the same result, and the writer thread's wire carries
 * the same records as it carries for the general path's records.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { iso, parseInstant } from '../../src/core/instant.js';
import type { ModelVariable, VariableDataType } from '../../src/core/model.js';
import { zoneOf } from '../../src/timeseries/buckets.js';
import { plainValue, RecordColumns } from '../../src/timeseries/record-columns.js';
import { readBatchBody, readRecordsBody } from '../../src/timeseries/record-reader.js';
import { checkColumns, columnRecords, columnWrite, validateRecords, valueCount, variableMap } from '../../src/timeseries/records.js';
import type { SeriesWrite } from '../../src/timeseries/store.js';
import { decodeWrites, encodeWrites, VarTable } from '../../src/timeseries/store/worker-wire.js';

const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const KEYS = ['_time', 'a', 'b', 'a_qc', 'temp', '1', '01', 'x y', 'é', '__proto__', 'constructor'];
const scalar = fc.oneof(
  fc.double(), fc.integer(), fc.constantFrom(-0, 0.1, 1e21, 1e-7, 2 ** 53, 2 ** 53 + 2, 123456789012345680000, 5e-324),
  fc.string({ maxLength: 6 }), fc.constantFrom('a"b', 'a\\b', '\n', '\u2028', '\ud800'), fc.boolean(), fc.constant(null),
  fc.integer({ min: -5, max: 5 }).map((d) => iso(T0 + d * 1000)),
);
const anyValue = fc.oneof({ weight: 10, arbitrary: scalar }, { weight: 1, arbitrary: fc.constantFrom({}, [], { a: 1 }, [1]) });
const record = fc.array(fc.tuple(fc.constantFrom(...KEYS), anyValue), { maxLength: 5 }).map((pairs) => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of pairs) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
});
const records = fc.oneof({ weight: 10, arbitrary: fc.array(record, { maxLength: 6 }) }, { weight: 1, arbitrary: anyValue });
/** A JSON text of the value, in one of three layouts, sometimes with one character deleted, inserted or changed. */
function textOf(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const layout = fc.constantFrom<(v: unknown) => string>((v) => JSON.stringify(v), (v) => JSON.stringify(v, null, 1),
    (v) => ` ${JSON.stringify(v, null, '\t').replace(/\n/g, '\r\n')}\n`);
  const edit = fc.option(fc.tuple(fc.nat(), fc.constantFrom('', ',', '"', '{', '}', '[', ']', ':', '0', '-', '.', 'e', ' ', '\\', 'x')));
  return fc.tuple(value, layout, edit).map(([v, f, e]) => {
    const text = f(v) ?? '';
    if (!e) return text;
    const at = e[0] % (text.length + 1);
    return text.slice(0, at) + e[1] + text.slice(at + (e[1] === '' || e[0] % 2 === 0 ? 1 : 0));
  });
}

/** The reader gives nothing, or what JSON.parse gives (key order by the text of both). */
function sameAsJsonParse(raw: string, read: unknown): void {
  let parsed: unknown;
  const text = Buffer.from(raw).toString(); // what the server parses: the body's bytes decoded
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.equal(read, undefined, `the reader took a text JSON.parse refuses: ${text}`);
    return;
  }
  if (read === undefined) return;
  const plain = plainValue(read);
  assert.deepStrictEqual(plain, parsed);
  assert.equal(JSON.stringify(plain), JSON.stringify(parsed), 'key order');
}

it('the reader of a record array gives what JSON.parse gives, or nothing', () => {
  fc.assert(fc.property(textOf(records), (text) => sameAsJsonParse(text, readRecordsBody(Buffer.from(text)))), { numRuns: 5000 });
});

it('the reader of a multi-entity body gives what JSON.parse gives, or nothing', () => {
  const pair = fc.record({ entityId: fc.oneof(fc.string({ maxLength: 3 }), scalar), propertySetName: fc.string({ maxLength: 3 }),
    data: records }, { requiredKeys: [] });
  const envelope = fc.oneof({ weight: 10, arbitrary: fc.record({ timeseries: fc.array(pair, { maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ timeseries: anyValue, other: scalar }, { requiredKeys: [] }) }, { weight: 1, arbitrary: records });
  fc.assert(fc.property(textOf(envelope), (text) => sameAsJsonParse(text, readBatchBody(Buffer.from(text)))), { numRuns: 3000 });
});

it('numbers are read as JSON.parse reads them', () => {
  const digits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 25 }).map((d) => d.join(''));
  const decimal = fc.tuple(fc.boolean(), digits, fc.option(digits), fc.option(fc.integer({ min: -330, max: 330 })))
    .map(([neg, i, f, e]) => `${neg ? '-' : ''}${i.replace(/^0+(?=\d)/, '')}${f === null ? '' : `.${f}`}${e === null ? '' : `e${e}`}`);
  const text = fc.oneof(fc.double().filter(Number.isFinite).map((d) => JSON.stringify(d)), decimal);
  fc.assert(fc.property(text, (n) => {
    const body = `[{"_time":"x","v":${n}}]`;
    const read = readRecordsBody(Buffer.from(body));
    assert.ok(read instanceof RecordColumns, body);
    assert.ok(Object.is((plainValue(read) as { v: number }[])[0]!.v, JSON.parse(n)), n);
  }), { numRuns: 5000 });
});

it('the bench\'s bodies are read into columns (not left to the general parser)', () => {
  const recs = Array.from({ length: 30 }, (_, i) => ({ _time: iso(T0 + i), v0: i / 7, v1: -i, s: `t${i}`, ok: i % 2 === 0 }));
  assert.ok(readRecordsBody(Buffer.from(JSON.stringify(recs))) instanceof RecordColumns);
  const batch = readBatchBody(Buffer.from(JSON.stringify({ timeseries: [{ entityId: 'e', propertySetName: 'p', data: recs }] })));
  assert.ok((batch?.['timeseries'] as { data: unknown }[])[0]!.data instanceof RecordColumns);
});

// ---- the column check against validateRecords, and the wire ----

const TYPES: VariableDataType[] = ['DOUBLE', 'INT', 'LONG', 'BOOLEAN', 'STRING', 'BIG_STRING', 'TIMESTAMP'];
const variables = fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'temp', 'a_qc', '1'), dataType: fc.constantFrom(...TYPES),
  length: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }), qualityCode: fc.boolean() }), { selector: (v) => v.name, maxLength: 4 })
  .map((vs) => vs.map((v) => ({ ...v, unit: '', searchable: false, defaultValue: null }) as unknown as ModelVariable));
const typedValue = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger(),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 32, 4_294_967_295, 2 ** 53, 1.5, -0, null, '1.5', '2024-01-01T00:00:00.000Z'),
  fc.boolean(), fc.string({ maxLength: 8 }));
const timeValue = fc.oneof({ weight: 60, arbitrary: fc.integer({ min: -3, max: 3 }).map((d) => iso(T0 + d * 1000)) },
  fc.constantFrom('2024-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', 'x', 5, null));
const fitting: Record<VariableDataType, fc.Arbitrary<unknown>> = {
  DOUBLE: fc.double({ noNaN: true, noDefaultInfinity: true }), INT: fc.integer(), LONG: fc.maxSafeInteger(), BOOLEAN: fc.boolean(),
  STRING: fc.string({ maxLength: 7 }), BIG_STRING: fc.string({ maxLength: 7 }), TIMESTAMP: timeValue,
};
/** Records of one key pattern mostly (runs of segments), with values mostly of their variable's type. */
function typedBody(vs: ModelVariable[]): fc.Arbitrary<Record<string, unknown>[]> {
  const valueOf = (k: string): fc.Arbitrary<unknown> => {
    const v = vs.find((x) => x.name === k);
    const own = v ? fitting[v.dataType] : k.endsWith('_qc') ? fc.integer() : typedValue;
    return fc.oneof({ weight: 30, arbitrary: own }, { weight: 1, arbitrary: typedValue });
  };
  const names = [...new Set([...vs.flatMap((v) => [v.name, `${v.name}_qc`]), 'other'])];
  return fc.tuple(fc.uniqueArray(fc.constantFrom(...names), { maxLength: 4 }), fc.nat(3))
    .chain(([keys, timeAt]) => fc.array(fc.tuple(timeValue, fc.tuple(...keys.map(valueOf)), fc.nat(20)), { minLength: 1, maxLength: 8 })
      .map((rows) => rows.map(([t, vals, drop]) => {
        const out: Record<string, unknown> = {};
        const ks = drop === 0 && keys.length > 0 ? keys.slice(1) : keys;
        ks.forEach((k, j) => {
          if (j === Math.min(timeAt, ks.length)) out['_time'] = t;
          out[k] = vals[j + keys.length - ks.length];
        });
        if (!('_time' in out)) out['_time'] = t;
        return out;
      })));
}

const key = { tenant: 't', assetId: 'a', aspect: 'p' };
const thread = (w: SeriesWrite) => decodeWrites(encodeWrites([w], new VarTable()).data, (_z, _v) => w.shape)[0]!.records
  .map((r) => ({ t: r.t, values: r.values, keys: Object.keys(r.values), json: r.json }));

it('the column check accepts only what validateRecords accepts, with the same records; the wire carries them alike', () => {
  fc.assert(fc.property(variables.chain((vs) => fc.tuple(fc.constant(vs), typedBody(vs))), ([vs, body]) => {
    const vars = variableMap(vs);
    const text = JSON.stringify(body);
    const cols = readRecordsBody(Buffer.from(text));
    if (!(cols instanceof RecordColumns)) return; // an escape in a string: the general path
    const checked = checkColumns(cols, vars);
    if (!checked) return;
    const expected = validateRecords(JSON.parse(text), vars);
    const got = columnRecords(checked);
    assert.deepStrictEqual(got.map((r) => ({ t: r.t, values: r.values, keys: Object.keys(r.values), json: r.json })),
      expected.map((r) => ({ t: r.t, values: r.values, keys: Object.keys(r.values), json: r.json })));
    assert.equal(checked.count, valueCount(expected));
    const shape = { zone: zoneOf('UTC'), variables: vars };
    assert.deepStrictEqual(thread(columnWrite(key, shape, checkColumns(readRecordsBody(Buffer.from(text)) as RecordColumns, vars)!)),
      thread({ key, shape, records: expected }));
  }), { numRuns: 3000 });
});

it('a _time of the canonical form is read with parseInstant\'s instant, and any other is left to the check', () => {
  const d = (n: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n }).map((c) => c.join(''));
  const near = fc.tuple(fc.integer({ min: -1e12, max: 3e14 }), fc.constantFrom(0, 1, 2)).map(([t, k]) => {
    const s = iso(t);
    return k === 0 ? s : s.slice(0, 11 + 3 * k) + '9' + s.slice(12 + 3 * k);
  });
  const shaped = fc.tuple(d(4), d(2), d(2), d(2), d(2), d(2), d(3)).map(([y, mo, da, h, mi, s, ms]) => `${y}-${mo}-${da}T${h}:${mi}:${s}.${ms}Z`);
  fc.assert(fc.property(fc.array(fc.oneof(near, shaped), { minLength: 1, maxLength: 4 }), (times) => {
    const cols = readRecordsBody(Buffer.from(JSON.stringify(times.map((t) => ({ _time: t, v: 1 })))));
    assert.ok(cols instanceof RecordColumns);
    const expected = times.map((t) => parseInstant(t));
    const [seg] = cols.segs;
    assert.equal(cols.segs.length, 1);
    if (expected.every((t) => typeof t === 'number')) {
      assert.ok(seg!.timed);
      assert.deepStrictEqual([...cols.data.subarray(seg!.timeAt, seg!.timeAt + times.length)], expected);
    } else assert.ok(!seg!.timed);
    assert.deepStrictEqual(plainValue(cols), times.map((t) => ({ _time: t, v: 1 })));
  }), { numRuns: 3000 });
});
