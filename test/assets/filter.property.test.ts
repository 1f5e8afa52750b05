import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { evaluate, parseFilter, toSql, type FieldSpec } from '../../src/core/filter.js';
import { AppError } from '../../src/core/errors.js';
import { useServer } from '../helpers/server.js';
import { call, createAsset, rootId } from './helpers.js';

const FIELDS: FieldSpec = { name: 'string', externalId: 'string', typeId: 'string', deleted: 'date', tags: 'string' };
const ALPHABET = ['', 'a', 'ab', 'abc', 'b', 'ba', 'Ä', 'äb', 'x😀', '😀', 'A_b', 'ẞ'];
const text = fc.oneof(fc.constantFrom(...ALPHABET), fc.string({ maxLength: 4 }), fc.string({ maxLength: 3, unit: 'binary' }));
const stamp = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString());

/** Condition objects for one field kind, nested up to a small depth. */
const stringCond: fc.Arbitrary<unknown> = fc.letrec<{ c: unknown }>((tie) => ({
  c: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.oneof(text, fc.constant(null)),
    text.map((v) => ({ eq: v })),
    fc.array(fc.oneof(text, fc.constant(null)), { maxLength: 3 }).map((v) => ({ in: { value: v } })),
    text.map((v) => ({ startsWith: v })), text.map((v) => ({ endsWith: v })), text.map((v) => ({ contains: v })),
    tie('c').filter((c) => c !== null && typeof c === 'object').map((c) => ({ not: c })),
    fc.array(tie('c').filter((c) => c !== null && typeof c === 'object'), { minLength: 1, maxLength: 3 }).map((cs) => ({ or: cs })),
  ),
})).c;
const dateCond: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null), stamp, stamp.map((v) => ({ before: v })), stamp.map((v) => ({ after: v })),
  fc.tuple(stamp, stamp, fc.boolean(), fc.boolean()).map(([a, b, l, r]) => {
    const [x, y] = a <= b ? [a, b] : [b, a];
    return { between: `${l ? '[' : '('}${x}, ${y}${r ? ']' : ')'}` };
  }),
);
const clause = fc.oneof(
  fc.record({ name: stringCond }, { requiredKeys: [] }),
  fc.record({ externalId: stringCond, typeId: stringCond }, { requiredKeys: [] }),
  fc.record({ deleted: dateCond }),
  fc.record({ tags: stringCond }),
  fc.record({ colour: fc.jsonValue() }),
);
const validFilter: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ f: Record<string, unknown> }>((tie) => ({
  f: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    clause as fc.Arbitrary<Record<string, unknown>>,
    fc.array(tie('f'), { maxLength: 3 }).map((fs) => ({ and: fs })),
    fc.array(tie('f'), { maxLength: 3 }).map((fs) => ({ or: fs })),
    tie('f').map((f) => ({ not: f })),
    fc.tuple(tie('f'), tie('f')).map(([a, b]) => ({ or: { ...a, ...b } })),
  ),
})).f;

/** An invalid piece and the clause path the error must name (relative to where it is placed). */
const invalidPiece: fc.Arbitrary<[Record<string, unknown>, string]> = fc.oneof(
  fc.constantFrom('like', 'gt', 'regex', 'EQ').map((op) => [{ name: { [op]: 'x' } }, `name.${op}`] as [Record<string, unknown>, string]),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant([])).map((v) => [{ name: { startsWith: v } }, 'name.startsWith'] as [Record<string, unknown>, string]),
  fc.constantFrom('yesterday', '2020-13-45T00:00:00Z', '').map((v) => [{ deleted: { before: v } }, 'deleted.before'] as [Record<string, unknown>, string]),
  fc.constantFrom('[a, b)', '2020-01-01T00:00:00Z', '[2020-01-02T00:00:00Z, 2020-01-01T00:00:00Z]').map((v) => [{ deleted: { between: v } }, 'deleted.between'] as [Record<string, unknown>, string]),
  fc.constant([{ name: ['a'] }, 'name'] as [Record<string, unknown>, string]),
  fc.constant([{ externalId: { in: 'a' } }, 'externalId.in'] as [Record<string, unknown>, string]),
  fc.constant([{ typeId: 17 }, 'typeId'] as [Record<string, unknown>, string]),
  fc.constant([{ name: { contains: 'a', after: '2020-01-01T00:00:00Z' } }, 'name.after'] as [Record<string, unknown>, string]),
  fc.constant([{ not: 'x' }, 'not'] as [Record<string, unknown>, string]),
);
/** Places the invalid piece inside a valid filter; returns the filter and the full expected clause path. */
const invalidFilter: fc.Arbitrary<[Record<string, unknown>, string]> = fc.tuple(invalidPiece, validFilter, fc.nat(3)).map(
  ([[piece, path], valid, where]): [Record<string, unknown>, string] => {
    switch (where) {
      case 0: return [piece, path];
      case 1: return [{ and: [valid, piece] }, `and[1].${path}`];
      case 2: return [{ or: [piece, valid] }, `or[0].${path}`];
      default: return [{ not: { and: [valid, piece] } }, `not.and[1].${path}`];
    }
  });

describe('filter language properties', () => {
  it('SQL compilation and in-memory evaluation agree on every valid filter', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, external_id TEXT, type_id TEXT, deleted INTEGER, tags TEXT)');
    const rows = fc.sample(fc.record({
      name: fc.oneof(fc.constantFrom(...ALPHABET), text), externalId: fc.oneof(fc.constant(null), fc.constantFrom(...ALPHABET)),
      typeId: fc.constantFrom('a', 'b', 'ab'), deleted: fc.oneof(fc.constant(null), stamp.map((s) => Date.parse(s))),
      // a multi-valued field (like an asset's file ids): a condition holds when one value satisfies it
      tags: fc.array(fc.constantFrom(...ALPHABET), { maxLength: 3 }),
    }), { numRuns: 60, seed: 7 });
    const insert = db.prepare('INSERT INTO t (id, name, external_id, type_id, deleted, tags) VALUES (?, ?, ?, ?, ?, ?)');
    rows.forEach((r, i) => insert.run(i, r.name, r.externalId, r.typeId, r.deleted, JSON.stringify(r.tags)));
    const cols: Record<string, string> = { name: 'name', externalId: 'external_id', typeId: 'type_id', deleted: 'deleted' };
    const column = (field: string) => (field === 'tags' ? { from: 'json_each(t.tags)', value: 'value' } : cols[field]!);
    fc.assert(fc.property(validFilter, (f) => {
      const node = parseFilter(JSON.stringify(f), FIELDS);
      const sql = toSql(node, column);
      const fromSql = (db.prepare(`SELECT id FROM t WHERE ${sql.sql} ORDER BY id`).all(...sql.params) as { id: number }[]).map((r) => r.id);
      const fromJs = rows.flatMap((r, i) => (evaluate(node, (field) => (r as Record<string, string | number | null | string[]>)[field] ?? null) ? [i] : []));
      assert.deepEqual(fromSql, fromJs, JSON.stringify(f));
    }), { numRuns: 400 });
    db.close();
  });

  it('invalid filters are rejected with the clause path, never with anything else', () => {
    fc.assert(fc.property(invalidFilter, ([f, path]) => {
      try {
        parseFilter(JSON.stringify(f), FIELDS);
      } catch (err) {
        assert.ok(err instanceof AppError);
        assert.equal(err.status, 400);
        assert.equal(err.parameters[0]?.value, `filter clause "${path}"`, JSON.stringify(f));
        return;
      }
      assert.fail(`accepted ${JSON.stringify(f)}`);
    }), { numRuns: 400 });
  });

  describe('over HTTP', () => {
    const s = useServer();
    before(async () => {
      const root = await rootId(s);
      for (const n of ALPHABET.filter(Boolean)) await createAsset(s, n, 'core.basicasset', root, { externalId: n });
    });

    const asAssets = (f: Record<string, unknown>) => `/assets?size=200&filter=${encodeURIComponent(JSON.stringify(f))}`;

    it('random valid filters never fail: 200 with a HAL page', async () => {
      await fc.assert(fc.asyncProperty(validFilter, async (f) => {
        const r = await call(s, 'GET', asAssets(f));
        assert.equal(r.status, 200, `${JSON.stringify(f)} → ${JSON.stringify(r.body)}`);
        assert.ok(Array.isArray(r.body._embedded.assets));
      }), { numRuns: 150 });
    });

    it('random invalid filters give 400 naming the clause', async () => {
      await fc.assert(fc.asyncProperty(invalidFilter, async ([f, path]) => {
        const r = await call(s, 'GET', asAssets(f));
        assert.equal(r.status, 400, JSON.stringify(f));
        assert.equal(r.body.errors[0].messageParameters[0].value, `filter clause "${path}"`);
      }), { numRuns: 150 });
    });

    it('arbitrary strings as filter give 200 or 400, never 500', async () => {
      await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 40 }), fc.json({ maxDepth: 3 })), async (raw) => {
        const r = await call(s, 'GET', `/assets?filter=${encodeURIComponent(raw)}`);
        assert.ok(r.status === 200 || r.status === 400, `${raw} → ${r.status}`);
      }), { numRuns: 150 });
    });
  });
});
