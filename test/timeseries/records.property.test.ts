/**
 * The compiled record check (validateRecords in src/timeseries/records.ts) against the field-by-field reference
 * (validateRecordsGeneric): for any aspect and any body they accept the same records with the same result, and
 * refuse the same records with the same error (code, status and message naming the field and the rule).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { iso } from '../../src/core/instant.js';
import type { ModelVariable, VariableDataType } from '../../src/core/model.js';
import { type RecordRules, validateRecords, validateRecordsGeneric, valueCount, variableMap } from '../../src/timeseries/records.js';
import type { WriteRecord } from '../../src/timeseries/store.js';

const TYPES: VariableDataType[] = ['DOUBLE', 'INT', 'LONG', 'BOOLEAN', 'STRING', 'BIG_STRING', 'TIMESTAMP'];
const NAMES = ['a', 'b', 'temp', 'a_qc', '_time', '1', 'x'];

const variable = fc.record({
  name: fc.constantFrom(...NAMES),
  dataType: fc.constantFrom(...TYPES),
  length: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
  qualityCode: fc.boolean(),
});
const variables = fc.uniqueArray(variable, { selector: (v) => v.name, maxLength: 5 }).map((vs) => vs.map((v): ModelVariable => (
  { ...v, unit: '', searchable: false, defaultValue: null } as unknown as ModelVariable)));

const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const time = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -5, max: 5 }).map((d) => iso(T0 + d * 1000)) },
  fc.constantFrom('2024-01-01T01:00:00+01:00', '2024-01-01T00:00:00Z', '2024-02-30T00:00:00.000Z', '1969-12-31T23:59:59.999Z',
    '2024-01-01T00:00:00.0001Z', 'yesterday', '', '2024-01-01 00:00:00.000Z'),
  fc.constantFrom(undefined, null, 17, true),
);
const value = fc.oneof(
  fc.double(), fc.integer(), fc.constantFrom(2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, -0, 4_294_967_295, 1.5),
  fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.constantFrom('2024-01-01T01:00:00+01:00', '2024-01-01T00:00:00.000Z', 'not a time'),
  fc.constantFrom({}, [], { a: 1 }),
);
/** Values each type accepts, and some it refuses near its bounds. */
const typed: Record<VariableDataType, fc.Arbitrary<unknown>> = {
  DOUBLE: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 1.5, '1.5')),
  INT: fc.oneof(fc.integer(), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 1.5, -0)),
  LONG: fc.oneof(fc.maxSafeInteger(), fc.constantFrom(2 ** 53, 0.5)),
  BOOLEAN: fc.oneof(fc.boolean(), fc.constant(1)),
  STRING: fc.string({ maxLength: 8 }),
  BIG_STRING: fc.string({ maxLength: 8 }),
  TIMESTAMP: fc.constantFrom('2024-01-01T01:00:00+01:00', '2024-01-01T00:00:00.000Z', 'not a time', 5),
};
const qualityCode = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(4_294_967_295, 4_294_967_296, 1.5));

/** Records for an aspect: mostly its own fields with values of their types, sometimes anything. */
function bodyFor(vs: ModelVariable[]): fc.Arbitrary<unknown> {
  const fields = vs.flatMap((v) => [v.name, `${v.name}_qc`]).concat(['other', 'x_qc']);
  const valueOf = (name: string): fc.Arbitrary<unknown> => {
    const v = vs.find((x) => x.name === name);
    const own = v ? typed[v.dataType] : name.endsWith('_qc') ? qualityCode : value;
    return fc.oneof({ weight: 12, arbitrary: own }, { weight: 1, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) });
  };
  const rec = fc.tuple(time, fc.uniqueArray(fc.constantFrom(...fields), { maxLength: 6 }))
    .chain(([t, names]) => fc.tuple(fc.constant(t), fc.tuple(...names.map((n) => fc.tuple(fc.constant(n), valueOf(n))))))
    .map(([t, pairs]) => {
      const out: Record<string, unknown> = t === undefined ? {} : { _time: t };
      for (const [k, v] of pairs) if (k !== '_time') out[k] = v;
      return out;
    });
  const record = fc.oneof({ weight: 12, arbitrary: rec }, { weight: 1, arbitrary: fc.constantFrom(null, 3, 'text', [], [{ _time: iso(T0) }]) });
  return fc.oneof({ weight: 12, arbitrary: fc.array(record, { maxLength: 6 }) }, { weight: 1, arbitrary: fc.constantFrom({}, null, 'x') });
}
const rules = fc.constantFrom<RecordRules>({}, {}, {}, { earliest: T0 - 2000, latest: T0 + 2000 }, { forbidden: new Set(['BIG_STRING']) });

type Outcome = { records: { t: number; values: Record<string, unknown>; json: string; count: number }[] } | { error: unknown };
/** What the metric of values written counts: the keys of a record's values but `_time`, and no undefined ones. */
const keysOf = (r: WriteRecord) => Object.keys(r.values).filter((k) => k !== '_time' && r.values[k] !== undefined).length;
function outcome(check: () => WriteRecord[]): Outcome {
  let records: WriteRecord[];
  try {
    records = check();
  } catch (err) {
    const e = err as { code?: string; status?: number; message: string };
    return { error: { code: e.code, status: e.status, message: e.message } };
  }
  return { records: records.map((r) => {
    assert.equal(valueCount([r]), keysOf(r), 'the value count');
    return { t: r.t, values: r.values, json: r.json, count: valueCount([r]) };
  }) };
}

it('the compiled check accepts, normalises and refuses exactly as the field-by-field check', () => {
  fc.assert(fc.property(variables.chain((vs) => fc.tuple(fc.constant(vs), bodyFor(vs))), rules, ([vs, raw], r) => {
    const vars = variableMap(vs);
    const a = structuredClone(raw);
    const b = structuredClone(raw);
    const compiled = outcome(() => validateRecords(a, vars, r));
    const generic = outcome(() => validateRecordsGeneric(b, vars, r));
    assert.deepEqual(compiled, generic);
    assert.deepEqual(a, b, 'the body is normalised in place alike');
  }), { numRuns: 3000 });
});

it('an accepted record\'s text is its canonical time and its values, in the record\'s key order', () => {
  const vars = variableMap([
    { name: 'v', dataType: 'DOUBLE', qualityCode: true }, { name: 's', dataType: 'STRING', qualityCode: false },
    { name: 'when', dataType: 'TIMESTAMP', qualityCode: false },
  ].map((v) => ({ ...v, unit: '', length: null, searchable: false, defaultValue: null }) as unknown as ModelVariable));
  const [first, second] = validateRecords([
    { s: 'a"b', v_qc: 3, _time: '2024-01-01T01:00:00+01:00', v: -0, when: '2024-01-01T01:00:00+01:00' },
    { _time: '2024-01-01T00:00:01.000Z', v: null, s: 'x' },
  ], vars);
  assert.equal(first!.json, '{"_time":"2024-01-01T00:00:00.000Z","s":"a\\"b","v_qc":3,"v":0,"when":"2024-01-01T00:00:00.000Z"}');
  assert.equal(second!.json, '{"_time":"2024-01-01T00:00:01.000Z","s":"x"}');
  assert.deepEqual(second!.values, { _time: undefined, s: 'x' });
});
