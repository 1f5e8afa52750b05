/**
 * Properties of our $filter/$orderby/$select/$expand parser: print → parse gives back the same tree for random
 * valid trees; random text never throws anything but a 400 in the OData shape (and never recurses unboundedly).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../../src/core/errors.js';
import type { Expr, ExpandItem } from '../../src/odata/query/ast.js';
import { parseExpand, parseFilter, parseOrderby } from '../../src/odata/query/parser.js';
import { printExpand, printFilter, printOrderby } from '../../src/odata/query/print.js';

/** fast-check builds objects without a prototype; compare plain JSON values. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const KEYWORDS = new Set(['and', 'or', 'not', 'eq', 'ne', 'gt', 'ge', 'lt', 'le', 'true', 'false', 'null', 'asc', 'desc']);
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((n) => !KEYWORDS.has(n));
const literal: fc.Arbitrary<Expr> = fc.oneof(
  fc.string({ maxLength: 8 }).map((v) => ({ kind: 'literal', type: 'string', value: v }) as Expr),
  fc.integer({ min: -1e6, max: 1e6 }).map((v) => ({ kind: 'literal', type: 'int', value: v === 0 ? 0 : v }) as Expr),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((v) => !Object.is(v, -0)).map((v) => ({ kind: 'literal', type: 'decimal', value: v }) as Expr),
  fc.boolean().map((v) => ({ kind: 'literal', type: 'boolean', value: v }) as Expr),
  fc.constant({ kind: 'literal', type: 'null', value: null } as Expr),
  fc.date({ min: new Date('1970-01-01'), max: new Date('9999-01-01'), noInvalidDate: true })
    .map((d) => ({ kind: 'literal', type: 'dateTimeOffset', value: d.toISOString() }) as Expr),
);
const property = fc.array(name, { minLength: 1, maxLength: 2 }).map((path) => ({ kind: 'property', path }) as Expr);
const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    literal, property,
    fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le' as const), left: tie('expr'), right: tie('expr') }) as fc.Arbitrary<Expr>,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('expr'), right: tie('expr') }) as fc.Arbitrary<Expr>,
    fc.record({ kind: fc.constant('not' as const), operand: tie('expr') }) as fc.Arbitrary<Expr>,
    fc.record({ kind: fc.constant('call' as const), name: fc.constantFrom('contains', 'startswith', 'endswith'), args: fc.array(tie('expr'), { maxLength: 3 }) }) as fc.Arbitrary<Expr>,
  ),
}));

it('$filter: print → parse is the identity on random trees', () => {
  fc.assert(fc.property(expr, (e) => {
    assert.deepStrictEqual(parseFilter(printFilter(e)), plain(e));
  }), { numRuns: 500 });
});

it('$orderby and $expand round-trip', () => {
  const order = fc.array(fc.record({ path: fc.array(name, { minLength: 1, maxLength: 2 }), direction: fc.constantFrom('asc' as const, 'desc' as const) }), { minLength: 1, maxLength: 4 });
  fc.assert(fc.property(order, (o) => assert.deepStrictEqual(parseOrderby(printOrderby(o)), plain(o))), { numRuns: 200 });
  const item: fc.Arbitrary<ExpandItem> = fc.record({
    path: fc.array(name, { minLength: 1, maxLength: 1 }),
    options: fc.record({ filter: expr, top: fc.nat(1000), orderby: order, count: fc.boolean() }, { requiredKeys: [] }),
  });
  fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 3 }), (items) => assert.deepStrictEqual(parseExpand(printExpand(items)), plain(items))), { numRuns: 200 });
});

it('random text is either a tree or a 400 in the OData error shape, never another error', () => {
  const chunks = fc.array(fc.constantFrom('(', ')', "'", ',', ' ', 'and', 'or', 'not', 'eq', 'name', '1', '-', '2024-01-01T00:00:00Z', 'contains(', '/', '$', '%', 'é'), { maxLength: 40 });
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 60 }), chunks.map((c) => c.join(''))), (text) => {
    try {
      parseFilter(text);
    } catch (err) {
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.status, 400);
      assert.match(err.code, /^ironbridge\.odata\./);
    }
  }), { numRuns: 2000 });
});

it('nesting is bounded before work: deep parentheses and long not-chains are a 400 naming the limit', () => {
  for (const text of [`${'('.repeat(5000)}a eq 1${')'.repeat(5000)}`, `${'not '.repeat(2000)}a`]) {
    assert.throws(() => parseFilter(text, { maxLength: 1e6, maxTokens: 1e6, maxDepth: 32, maxExpandDepth: 3 }),
      (err: unknown) => err instanceof AppError && err.status === 400 && /nesting deeper than 32/.test(err.message));
  }
});
