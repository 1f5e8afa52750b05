/**
 * The fast paths of two parsers every time series write passes (issue 17, lean hot path), against what they
 * replace: parseInstant's canonical form (`YYYY-MM-DDTHH:MM:SS.sssZ`, without the regular expression) answers as
 * the general parser does for the same instant written `+00:00` (valid or not: the same number, the same rule);
 * iso prints what Date#toISOString prints (the day's text kept between calls); nestingBeyond's path-free first walk gives null exactly when no object or array lies deeper than the bound.
 * parseJsonBody's look at the text before it walks the value refuses the keys fastify's own parser refuses, however
 * they are written (`"\u005f_proto__"` is `__proto__`); where mayHoldForbiddenKey says a text cannot hold such a key, JSON.parse
 * alone (the application/json parser's fast path, core/http.ts) gives what fastify's parser gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type InstantForm, iso, parseInstant } from '../../src/core/instant.js';
import Fastify from 'fastify';
import { mayHoldForbiddenKey, nestingBeyond, parseJsonBody } from '../../src/core/json.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** Canonical-looking text whose fields may be out of range (month 13, day 31 of February, hour 24, year 0000...). */
const canonicalText = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }),
  fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 999 }))
  .map(([y, mo, d, h, mi, s, ms]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`);
const validText = fc.integer({ min: -62_000_000_000_000, max: 253_402_300_799_999 }).map((t) => new Date(t).toISOString())
  .filter((s) => s.length === 24);

/** The same instant through the general parser (a `+00:00` zone), its message quoting the text as given. */
function general(text: string, form: InstantForm): number | string {
  const other = `${text.slice(0, 23)}+00:00`;
  const r = parseInstant(other, form);
  return typeof r === 'string' ? r.replace(other.slice(0, 40), text.slice(0, 40)) : r;
}

/** JSON values with short word keys (so a returned path can be followed back). */
const nested = fc.letrec((tie) => ({
  node: fc.oneof({ maxDepth: 8, depthIdentifier: 'json' }, fc.integer(), fc.constant(null), fc.string({ maxLength: 3 }),
    fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'json' }),
    fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), tie('node'), { maxKeys: 3, depthIdentifier: 'json' })),
})).node;

const depthOf = (v: unknown): number => (v === null || typeof v !== 'object' ? 0
  : 1 + Math.max(0, ...Object.values(v as object).map(depthOf)));

describe('hot-path parsers', () => {
  it('parseInstant: the canonical form answers as the general parser does, in every form, valid or not', () => {
    fc.assert(fc.property(fc.oneof(canonicalText, validText), fc.constantFrom<InstantForm>('strict', 'filter', 'lenient'),
      (text, form) => {
        assert.equal(parseInstant(text, form), general(text, form), text);
        if (typeof parseInstant(text, form) === 'number') assert.equal(parseInstant(text, form), Date.parse(text));
      }), { numRuns: 3000 });
    // the day kept between calls does not leak into the next: same date, then another, then back
    assert.equal(parseInstant('2024-02-29T23:59:59.999Z'), Date.parse('2024-02-29T23:59:59.999Z'));
    assert.match(String(parseInstant('2023-02-29T00:00:00.000Z')), /not a valid calendar date-time \("2023-02-29T00:00:00.000Z"\)/);
    assert.equal(parseInstant('2024-02-29T00:00:00.001Z'), Date.parse('2024-02-29T00:00:00.001Z'));
    assert.match(String(parseInstant('2024-01-01T24:00:00.000Z')), /not a valid calendar date-time/);
    assert.match(String(parseInstant('2024-01-01T00:00:00.000z')), /must be an ISO-8601 date-time with a zone/);
  });

  it('parseInstant: a canonical text with any one character changed answers as the general parser does', () => {
    const odd = fc.constantFrom('/', ':', '0', '9', '5', 'a', ' ', '+', '-', '.', 'T', 'Z', '\u0660', '\uff10', '\0');
    fc.assert(fc.property(fc.oneof(canonicalText, validText), fc.integer({ min: 0, max: 22 }), odd,
      fc.constantFrom<InstantForm>('strict', 'filter', 'lenient'), (text, at, c, form) => {
        const changed = text.slice(0, at) + c + text.slice(at + 1);
        assert.equal(parseInstant(changed, form), general(changed, form), changed);
      }), { numRuns: 5000 });
  });

  it('iso: prints what Date#toISOString prints, for instants of one day and of many, and throws where it throws', () => {
    const day = fc.integer({ min: 0, max: 2_932_896 }).chain((d) => fc.array(fc.integer({ min: 0, max: 86_399_999 }).map((ms) => d * 86_400_000 + ms), { minLength: 1, maxLength: 5 }));
    const any = fc.array(fc.oneof(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), fc.double({ min: -1e15, max: 1e15, noNaN: true })), { minLength: 1, maxLength: 5 });
    fc.assert(fc.property(fc.oneof(day, any), (ts) => {
      for (const t of ts) assert.equal(iso(t), new Date(t).toISOString(), String(t));
    }), { numRuns: 3000 });
    for (const t of [0, 253_402_300_799_999, 253_402_300_800_000, -1, 1.5, 86_399_999, 86_400_000]) assert.equal(iso(t), new Date(t).toISOString());
    assert.throws(() => iso(NaN), RangeError);
  });

  it('nestingBeyond: null exactly when nothing nests deeper than the bound, else a path to something that does', () => {
    fc.assert(fc.property(nested, fc.integer({ min: 1, max: 8 }), (value, max) => {
      const path = nestingBeyond(value, max);
      assert.equal(path === null, depthOf(value) <= max);
      if (path !== null) {
        let at: unknown = value;
        for (const step of path.match(/[^.[\]]+/g) ?? []) at = (at as Record<string, unknown>)[step];
        assert.ok(at !== null && typeof at === 'object');
      }
    }), { numRuns: 2000 });
  });

  it('parseJsonBody refuses __proto__ and constructor.prototype keys as fastify\'s parser does, escaped or not', () => {
    const fastify = Fastify().getDefaultJsonParser('error', 'error');
    const refusedByFastify = (text: string): boolean => {
      let refused = false;
      fastify({} as never, text, (err: Error | null) => { refused = err !== null; });
      return refused;
    };
    /** A key written with some of its characters as \u escapes. */
    const key = fc.tuple(fc.constantFrom('a', '__proto__', 'constructor', 'prototype', 'proto'), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }))
      .map(([k, esc]) => `"${[...k].map((c, i) => (esc[i] ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('')}"`);
    const text = fc.letrec((tie) => ({
      node: fc.oneof({ maxDepth: 4, depthIdentifier: 'obj' }, fc.constantFrom('1', 'null', '"x"', '[]'),
        fc.array(fc.tuple(key, tie('node')), { maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `${k} : ${v}`).join(',')}}`),
        fc.array(tie('node'), { maxLength: 2 }).map((vs) => `[${vs.join(',')}]`)),
    })).node as fc.Arbitrary<string>;
    fc.assert(fc.property(text, (t) => {
      let refused = false;
      try { parseJsonBody(t); } catch { refused = true; }
      assert.equal(refused, refusedByFastify(t), t);
    }), { numRuns: 3000 });
    assert.throws(() => parseJsonBody('{"\\u005f_proto__":{"polluted":1}}'), /the key "__proto__" is not allowed/);
  });

  it('where mayHoldForbiddenKey is false, JSON.parse alone answers as fastify\'s parser does', () => {
    const fastify = Fastify().getDefaultJsonParser('error', 'error');
    const viaFastify = (text: string): { error: string } | { value: unknown } => {
      let out: { error: string } | { value: unknown } = { error: 'no answer' };
      fastify({} as never, text, (err: Error | null, value?: unknown) => { out = err ? { error: err.message } : { value }; });
      return out;
    };
    const key = fc.constantFrom('"a"', '"__proto__"', '"constructor"', '"prototype"', '"\\u005f_proto__"', '"__pr\\u006fto__"',
      '"c\\u006fnstructor"', '"proto"', '"x\\n"', '"_time"');
    const text = fc.letrec((tie) => ({
      node: fc.oneof({ maxDepth: 4, depthIdentifier: 'obj' }, fc.constantFrom('1', 'null', '"x"', '[]', '"__proto__"', '"\\u0041"'),
        fc.array(fc.tuple(key, tie('node')), { maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `${k}:${v}`).join(',')}}`),
        fc.array(tie('node'), { maxLength: 2 }).map((vs) => `[${vs.join(',')}]`)),
    })).node as fc.Arbitrary<string>;
    const damaged = fc.oneof(text, text.map((t) => `\ufeff${t}`), text.map((t) => t.slice(0, -1)), fc.constantFrom('', ' ', '{"a":1}x'));
    fc.assert(fc.property(damaged, (t) => {
      if (mayHoldForbiddenKey(t)) return;
      let direct: { error: string } | { value: unknown };
      try { direct = { value: JSON.parse(t) }; } catch { direct = { error: "Body is not valid JSON but content-type is set to 'application/json'" }; }
      if (t.length === 0) return; // the content-type parser sends an empty body to fastify's parser
      assert.deepEqual(direct, viaFastify(t), t);
    }), { numRuns: 5000 });
    assert.equal(mayHoldForbiddenKey('{"\\u005f_proto__":{}}'), true);
    assert.equal(mayHoldForbiddenKey('{"__proto__":{}}'), true);
    assert.equal(mayHoldForbiddenKey('{"constructor":{"prototype":{}}}'), true);
    assert.equal(mayHoldForbiddenKey('\ufeff{}'), true);
    assert.equal(mayHoldForbiddenKey('[{"_time":"2024-01-01T00:00:00.000Z","v":1}]'), false);
  });
});
