/**
 * Property tests of the exchange's multipart parser (src/agents/multipart.ts): whatever parts a client sends, with
 * CRLF or bare LF line endings, they come back as they were; the MindConnect Node.js SDK's exact bytes parse; a
 * body cut short is refused, never misread.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { boundaryOf, formatMultipart, MultipartError, parseMultipart, type Part } from '../../src/agents/multipart.js';

const BOUNDARY = 'mindspheremessage';
/** Bodies that hold no line equal to a delimiter (what a client's boundary choice guarantees). */
const body = fc.string({ unit: fc.constantFrom('a', 'b', '{', '}', '"', ':', ' ', '\n', '\r\n', '-', '0', 'é') })
  .filter((b) => !b.split('\n').some((l) => l.replace(/\r$/, '').trim().startsWith(`--${BOUNDARY}`)) && !b.endsWith('\r'));
const part = fc.record({
  headers: fc.dictionary(fc.constantFrom('content-type', 'x-a', 'x-b'), fc.stringMatching(/^[a-z0-9/;=+.-]{1,20}$/)),
  body,
});

describe('exchange multipart parser', () => {
  it('gives back the parts it was given, with CRLF or bare LF line endings', () => {
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), fc.constantFrom('\r\n', '\n'), (parts: Part[], eol) => {
      const plain = parts.map((p) => ({ headers: { ...p.headers }, body: p.body }));
      assert.deepEqual(parseMultipart(formatMultipart(parts, BOUNDARY, eol), BOUNDARY), plain);
    }));
  });

  it('refuses every body cut before its closing delimiter', () => {
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), fc.nat(), (parts: Part[], cut) => {
      const text = formatMultipart(parts, BOUNDARY, '\n');
      const at = cut % (text.length - `--${BOUNDARY}--\n`.length + 1);
      assert.throws(() => parseMultipart(text.slice(0, at), BOUNDARY), MultipartError);
    }));
  });

  it('reads the SDK\'s bytes: bare LF, no space after the colon, CRLF before the closing inner delimiter', () => {
    const sdk = '--mindspheremessage\nContent-Type:multipart/related;boundary=mindspherepart\n\n--mindspherepart\n'
      + 'Content-Type:application/vnd.siemens.mindsphere.meta+json\n\n{"type":"item"}\n\n--mindspherepart\nContent-Type:application/json\n\n'
      + '[{"timestamp":"2024-01-01T00:00:00.000Z","values":[]}]\n\n\r\n--mindspherepart--\n--mindspheremessage--\n';
    const [outer] = parseMultipart(sdk, 'mindspheremessage');
    assert.equal(boundaryOf(outer!.headers['content-type']!), 'mindspherepart');
    const inner = parseMultipart(outer!.body, 'mindspherepart');
    assert.deepEqual(inner.map((p) => p.headers['content-type']), ['application/vnd.siemens.mindsphere.meta+json', 'application/json']);
    assert.deepEqual(JSON.parse(inner[1]!.body), [{ timestamp: '2024-01-01T00:00:00.000Z', values: [] }]);
    assert.equal(boundaryOf('multipart/mixed; boundary="a b"'), 'a b');
  });
});
