/**
 * Properties of our resource-path parser (src/odata/serve/resource.ts): a data lake object's key keeps its slashes
 * unencoded, so for any object path the key of `Set('…')`, `Set('…')/$value` and `Set(path='…')` comes back as
 * that path (quotes doubled, the rest percent-encoded or not, quotes as ' or %27); random text never throws
 * anything but a 400 in the OData shape.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../../src/core/errors.js';
import { parseResource } from '../../src/odata/serve/resource.js';

const NAME = fc.stringMatching(/^[A-Za-z0-9_\-.!*'()&$@:+,;[\]<>~ ]{1,12}$/);
const PATH = fc.array(NAME, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
const SET = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);

/** Percent-encodes each segment (or not), keeping the slashes; quotes doubled and optionally sent as %27. */
function keyText(path: string, encode: boolean, quoteAs: string): string {
  const doubled = path.replace(/'/g, "''");
  const body = encode ? doubled.split('/').map((s) => encodeURIComponent(s).replace(/'/g, quoteAs)).join('/') : doubled.replace(/'/g, quoteAs);
  return `${quoteAs}${body}${quoteAs}`;
}

const keyOf = (r: ReturnType<typeof parseResource>): unknown => {
  if (r.kind !== 'entity' && r.kind !== 'media') return undefined;
  return 'single' in r.key ? r.key.single.value : r.key.named['path']?.value;
};

it('an object path as the key comes back whole, with or without $value and a key name', () => {
  fc.assert(fc.property(SET, PATH, fc.boolean(), fc.constantFrom("'", '%27'), fc.constantFrom('', '/$value'), fc.boolean(),
    (set, path, encode, quoteAs, tail, named) => {
      const resource = parseResource(`${set}(${named ? 'path=' : ''}${keyText(path, encode, quoteAs)})${tail}`);
      assert.equal(resource.kind, tail ? 'media' : 'entity');
      assert.equal((resource as { set?: string }).set, set);
      assert.equal(keyOf(resource), path);
    }), { numRuns: 500 });
});

it('random resource paths are a resource or a 400, never another error', () => {
  const chars = fc.constantFrom(...'ab()/\'%27$=,_ '.split(''));
  fc.assert(fc.property(fc.array(chars, { maxLength: 40 }).map((c) => c.join('')), (text) => {
    try {
      parseResource(text);
    } catch (err) {
      assert.ok(err instanceof AppError && err.status === 400, String(err));
    }
  }), { numRuns: 1000 });
});
