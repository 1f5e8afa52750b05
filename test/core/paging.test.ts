/** The page number bound every list shares: one rule and one message for assets, files, events and the data lake. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_PAGE, pageNumber } from '../../src/core/paging.js';
import { useServer } from '../helpers/server.js';

const refused = (raw: unknown): boolean => {
  try { pageNumber(raw); return false; } catch { return true; }
};

it('accepts exactly the whole numbers 0..MAX_PAGE, as numbers or decimal strings; absent or empty is 0', () => {
  assert.equal(pageNumber(undefined), 0);
  assert.equal(pageNumber(''), 0);
  assert.equal(pageNumber(MAX_PAGE), MAX_PAGE);
  assert.equal(pageNumber(String(MAX_PAGE)), MAX_PAGE);
  for (const bad of [-1, MAX_PAGE + 1, 1.5, Number.NaN, 'abc', '-1', '1000000001', null, true, ['1'], {}]) assert.ok(refused(bad), String(bad));
  fc.assert(fc.property(fc.integer({ min: 0, max: MAX_PAGE }), (n) => pageNumber(n) === n && pageNumber(String(n)) === n));
  fc.assert(fc.property(fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: MAX_PAGE + 1 })), (n) => refused(n) && refused(String(n))));
  fc.assert(fc.property(fc.string(), (s) => {
    const n = Number(s);
    const ok = s === '' || (Number.isInteger(n) && n >= 0 && n <= MAX_PAGE);
    return refused(s) === !ok;
  }));
});

describe('every list answers an out-of-range page with the same 400', () => {
  const s = useServer();
  const lists = [
    '/api/assetmanagement/v3/assets',
    '/api/assetmanagement/v3/files',
    '/api/eventmanagement/v3/events',
    `/api/datalake/v3/objectMetadata?filter=${encodeURIComponent(JSON.stringify({ none: { name: { eq: 'x' } } }))}`,
  ];
  it('refuses page=-1 and page=1000000001 naming page and its rule, and serves page=1000000000', async () => {
    for (const list of lists) {
      const sep = list.includes('?') ? '&' : '?';
      for (const bad of ['-1', '1000000001']) {
        const res = await s().api(`${list}${sep}page=${bad}`);
        const text = await res.text();
        assert.equal(res.status, 400, `${list} page=${bad}: ${text}`);
        assert.match(text, /page/, list);
        assert.match(text, /must be a whole number from 0 to 1000000000/, list);
      }
      const last = await s().api(`${list}${sep}page=1000000000`);
      assert.equal(last.status, 200, `${list}: ${await last.text()}`);
    }
  });
});
