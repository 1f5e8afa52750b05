/**
 * RowSink.number (src/odata/serve/row-writer.ts): a finite number written as bytes is exactly String(v), the text
 * JSON writes of it — integers, numbers of at most three decimals (the `decimal` path, with values next to its
 * bounds and doubles one step away from a decimal) and any other double.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decimal, RowSink } from '../../src/odata/serve/row-writer.js';

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

  it('take the decimal path for decimals of up to three places and no other number', () => {
    const buf = Buffer.alloc(64);
    assert.equal(buf.toString('latin1', 0, decimal(buf, 0, 12.25)), '12.25');
    assert.equal(buf.toString('latin1', 0, decimal(buf, 0, -0.005)), '-0.005');
    assert.equal(decimal(buf, 0, 47.67499999999998), -1);
    assert.equal(decimal(buf, 0, 0.0001), -1);
    assert.equal(decimal(buf, 0, 2_000_000.5), -1);
  });
});
