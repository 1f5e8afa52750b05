/**
 * fast-check generators of hostile input for the fuzz suites: strings (long, unicode, control characters,
 * percent-encodings, traversal, injection- and number-shaped), JSON values of every type including deep nesting
 * up to a bound, values of a route's JSON schema (where fastify has one) and the same with the wrong types.
 */
import fc from 'fast-check';

/** The deepest nesting generated (well past any sane limit, short of megabyte bodies). */
export const MAX_NESTING = 20_000;

const special = fc.constantFrom(
  '', ' ', '.', '..', '../..', '%', '%%', '%2', '%zz', '%00', '%2F', '%2e%2e', '%c0%af', '%ff%fe', '%u0041', '+', '*', '?', '#', '&', '=',
  'null', 'true', 'false', 'undefined', 'NaN', '-1', '0', '-0', '1e309', '9'.repeat(40), '0x10', '1.5', '١٢٣',
  '__proto__', 'constructor', 'prototype', 'toString', "' OR '1'='1", '"; DROP TABLE x; --', '${7*7}', '{{7*7}}', '<script>alert(1)</script>',
  '\u0000', '\r\n', '\t', '\u2028', '\u202e', '\ufeff', '\uffff', '\ud800', '\udfff', '😀', 'é', 'e\u0301', 'ß', 'İ', '中文', 'a\u0000b',
  '2026-13-45T25:61:61Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z', '1970-01-01T00:00:00.000+14:00',
);

/** Strings an attacker would try: specials, arbitrary unicode, control characters, long runs. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: special, weight: 4 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\r', '\n', '"', '\\', '/', '%'), maxLength: 20 }), weight: 1 },
  { arbitrary: fc.tuple(special, fc.integer({ min: 100, max: 70_000 })).map(([s, n]) => (s || 'a').repeat(Math.ceil(n / Math.max(1, s.length)))), weight: 1 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 8 }), special, fc.string({ maxLength: 8 })).map(([a, b, c]) => a + b + c), weight: 2 },
);

/** Text for places where bytes go out as they are (0x21-0xFF: what undici lets into a request target or header). */
export const rawText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom('%c0%af', '%ff', '%', '%2', '%zz', '%00', '%2F', '%5C', '..', '%2e%2e', '[', ']', '{', '}', '"', '<', '>', '\\', '^', '`', '|', 'é') },
);

/** JSON values of every type, bounded in depth and size. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 4 },
  { arbitrary: hostileString, weight: 2 },
  { arbitrary: fc.constantFrom(0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, true, false, null, [], {}), weight: 2 },
  { arbitrary: fc.dictionary(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', '')), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), weight: 1 },
);

/** JSON text nested `depth` levels deep, of arrays or objects, built as text (no recursion on our side). */
export const deepJson: fc.Arbitrary<string> = fc.tuple(fc.constantFrom(10, 100, 1000, 3000, 10_000, MAX_NESTING), fc.boolean(), fc.constantFrom('1', '"x"', 'null', '{}', '[]'))
  .map(([depth, arrays, leaf]) => (arrays ? `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`));

/** The deepest nesting of arrays and objects in a JSON text (0 for a scalar), counted outside strings. */
export function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
}

/** Values of a JSON schema (the subset fastify routes here use), each field sometimes hostile or of the wrong type. */
export function fromSchema(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(jsonValue, hostileString);
  const valid = (): fc.Arbitrary<unknown> => {
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'object': {
        if (depth > 3) return fc.constant({});
        const props = schema.properties ?? {};
        const required = new Set(schema.required ?? []);
        const fields = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, fromSchema(s, depth + 1)]));
        return fc.record(fields, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) })
          .chain((obj) => fc.option(fc.tuple(hostileString, jsonValue), { freq: 4 }).map((extra) => (extra ? { ...obj, [extra[0]]: extra[1] } : obj)));
      }
      case 'array':
        return fc.array(schema.items ? fromSchema(schema.items, depth + 1) : jsonValue, { maxLength: Math.min(schema.maxItems ?? 5, 5) + 2 });
      case 'string': {
        const max = schema.maxLength ?? 64;
        return fc.oneof(fc.string({ minLength: schema.minLength ?? 0, maxLength: max }), fc.string({ minLength: max + 1, maxLength: max + 50 }), hostileString);
      }
      case 'integer': return fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 2 ** 53));
      case 'number': return fc.oneof(fc.double(), fc.integer());
      case 'boolean': return fc.boolean();
      default: return jsonValue;
    }
  };
  return fc.oneof({ arbitrary: valid(), weight: 5 }, { arbitrary: wrong, weight: 1 });
}
