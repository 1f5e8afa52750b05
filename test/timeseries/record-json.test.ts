/**
 * recordJson() (src/timeseries/records.ts), the stored and served text of a record built from its values: `_time`
 * first whatever the variables are named, the same text validateRecords() stores and the chunk codec renders;
 * and renderRecords() with a `select`, which keeps `_time` first the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelVariable } from '../../src/core/model.js';
import { recordJson, renderRecords, validateRecords, variableMap } from '../../src/timeseries/records.js';
import { chunkText, encodeChunk } from '../../src/timeseries/store/chunk-codec.js';

const T = Date.parse('2024-03-01T00:00:00.000Z');
const variable = (name: string): ModelVariable => ({ name, dataType: 'DOUBLE', unit: '', length: null, qualityCode: true,
  searchable: false, defaultValue: null });

describe('recordJson', () => {
  it('begins with _time when variables are named like array indices', () => {
    const values = { b: 2, 1: 1.5, 0: -3, a: 'x' } as Record<string, unknown>;
    const text = recordJson(T, values);
    assert.equal(text, '{"_time":"2024-03-01T00:00:00.000Z","0":-3,"1":1.5,"b":2,"a":"x"}');
    assert.deepEqual(JSON.parse(text), { _time: '2024-03-01T00:00:00.000Z', 0: -3, 1: 1.5, b: 2, a: 'x' });
  });

  it('equals the text validateRecords() stores and chunkText() renders for the same record', () => {
    const vars = variableMap(['1', '7', 'temperature'].map(variable));
    const body = [{ temperature: 20.5, _time: '2024-03-01T00:00:00.000Z', 7: 3, '1_qc': 0, 1: 0.25 }];
    const [rec] = validateRecords(body, vars);
    const values = rec!.values as Record<string, unknown>;
    assert.equal(recordJson(rec!.t, values), rec!.json);
    assert.deepEqual(chunkText(encodeChunk([{ t: rec!.t, values }]), -Infinity, Infinity, 1, false), [rec!.json]);
    assert.ok(rec!.json.startsWith('{"_time":"2024-03-01T00:00:00.000Z",'));
  });

  it('skips null, undefined and _time values, writes non-finite numbers as null, and keeps a __proto__ key', () => {
    const values: Record<string, unknown> = { _time: 'x', a: null, b: undefined, c: Infinity, d: [1, { e: true }] };
    Object.defineProperty(values, '__proto__', { value: 5, enumerable: true, writable: true, configurable: true });
    assert.equal(recordJson(T, values), '{"_time":"2024-03-01T00:00:00.000Z","c":null,"d":[1,{"e":true}],"__proto__":5}');
  });
});

describe('renderRecords with select', () => {
  const json = recordJson(T, { b: 2, 1: 1.5, '1_qc': 0, 0: -3, a: 'x', a_qc: 1 });

  it('keeps _time first, then the selected variables and their quality codes in select order', () => {
    assert.equal(renderRecords([{ t: T, json }], ['a', '1', '0']),
      '[{"_time":"2024-03-01T00:00:00.000Z","a":"x","a_qc":1,"1":1.5,"1_qc":0,"0":-3}]');
  });

  it('writes a field once when it is selected twice, skips absent and inherited names and keeps __proto__', () => {
    const proto = '{"_time":"2024-03-01T00:00:00.000Z","__proto__":5,"c":1}';
    assert.equal(renderRecords([{ t: T, json: proto }, { t: T, json }], ['c', 'toString', '__proto__', 'c', 'nope']),
      '[{"_time":"2024-03-01T00:00:00.000Z","c":1,"__proto__":5},{"_time":"2024-03-01T00:00:00.000Z"}]');
  });
});
