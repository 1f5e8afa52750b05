/**
 * RowSink.number (src/odata/serve/row-writer.ts): a finite number written as bytes is exactly String(v), the text
 * JSON writes of it — integers, short decimals (writeNumber of src/core/number-bytes.ts, with values next to its
 * bounds and doubles one step away from a decimal) and any other double.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { writeNumber } from '../../src/core/number-bytes.js';
import { RowSink } from '../../src/odata/serve/row-writer.js';

const written = (v: number) => {
  const s = new RowSink(64);
  const at = s.o;
  s.number(v);
  return s.buf.toString('latin1', at, s.o);
};

const step = (v: number, dir: 1 | -1) => {
  const b = new Float64Array([v]);
  const i = new BigInt64Array(b.buffer);
  i[0] = i[0]! + BigInt(dir * (v < 0 ? -1 : 1));
  return b[0]!;
};

const decimals = fc.tuple(fc.integer({ min: -2_100_000_000, max: 2_100_000_000 }), fc.constantFrom(1, 10, 100, 1000, 10_000))
  .map(([k, d]) => k / d);
const numbers = fc.oneof(decimals, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(),
  fc.integer({ min: -3_000_000_000, max: 3_000_000_000 }),
  fc.constantFrom(-0, 0.001, -0.001, 0.005, 1999999.999, -1999999.999, 2_000_000.5, 1e-7, 5e-324, 2 ** 31, -(2 ** 31), 1e21, 0.1 + 0.2));

describe('row writer numbers', () => {
  it('write String(v) of every finite number', () => {
    fc.assert(fc.property(numbers, fc.constantFrom(0, 1, -1), (v, d) => {
      const x = d === 0 ? v : step(v, d as 1 | -1);
      if (!Number.isFinite(x)) return;
      assert.equal(written(x), String(x));
    }), { numRuns: 20_000 });
  });

  it('take the digit path for integers of 32 bits and decimals of up to six places, and no other number', () => {
    const buf = Buffer.alloc(64);
    const text = (v: number) => buf.toString('latin1', 0, writeNumber(buf, 0, v));
    assert.equal(text(12.25), '12.25');
    assert.equal(text(-0.005), '-0.005');
    assert.equal(text(0.0001), '0.0001');
    assert.equal(text(2_000_000.5), '2000000.5');
    assert.equal(text(-0), '0');
    assert.equal(text(-2147483647), '-2147483647');
    assert.equal(writeNumber(buf, 0, 47.67499999999998), -1);
    assert.equal(writeNumber(buf, 0, 1e-7), -1);
    assert.equal(writeNumber(buf, 0, 2 ** 53), -1);
  });
});
