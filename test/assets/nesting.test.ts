/**
 * Hostile nesting (issue 12): merge-patch bodies and filters nested far deeper than any real one get a 400 that
 * names the limit, before any recursive code walks them; nothing already stored changes, and the server stays up.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { AM, aspectType, assertError, call, createAsset, dbl, rootId } from './helpers.js';

/** A JSON text of `levels` objects nested under `key`, innermost value 1: `{"a":{"a":1}}` for 2. */
const nested = (levels: number, key = 'a') => `${`{"${key}":`.repeat(levels)}1${'}'.repeat(levels)}`;
const DEEP = 10_000;

describe('deeply nested JSON in Asset Management', () => {
  const s = useServer();
  let T: string;
  let assetId: string;
  before(async () => {
    T = s().tenant;
    assert.equal((await call(s(), 'PUT', `/aspecttypes/${T}.Deep`, aspectType('Deep', 'static', [dbl('v')]))).status, 201);
    assert.equal((await call(s(), 'PUT', `/assettypes/${T}.Deep`, { name: 'Deep', parentTypeId: 'core.basicasset' })).status, 201);
    assetId = (await createAsset(s(), 'DeepAsset', `${T}.Deep`, await rootId(s()), { location: { country: 'Austria' } })).assetId;
  });

  const patch = async (path: string, body: string, etag = '0') => {
    const res = await s().api(`${AM}${path}`, {
      method: 'PATCH', body, headers: { 'content-type': 'application/merge-patch+json', 'if-match': etag },
    });
    return { status: res.status, body: await res.json() as { errors: { message: string; messageParameters: { value: string }[] }[] } };
  };
  const expectNestingRefused = (r: Awaited<ReturnType<typeof patch>>, field: string) => {
    assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
    assertError({ ...r, headers: new Headers() }, 'mdsp.core.generic.invalidRequestBodyProperty', /nests deeper than 32 levels/);
    assert.equal(r.body.errors[0]!.messageParameters[0]!.value, field);
  };

  it(`refuses an asset's location nested ${DEEP} levels, and keeps the asset as it was`, async () => {
    expectNestingRefused(await patch(`/assets/${assetId}`, `{"location":${nested(DEEP)}}`), 'location');
    const after = await call(s(), 'GET', `/assets/${assetId}`);
    assert.equal(after.status, 200);
    assert.equal(after.body.etag, 0);
    assert.deepEqual(after.body.location, { country: 'Austria' });
  });

  it('the limit is 32 levels: a body of 32 is merged, 33 is refused', async () => {
    // {"location": 30 levels} is 31 levels with the body; unknown location fields are ignored
    const ok = await patch(`/assets/${assetId}`, `{"description":"within","location":${nested(30)}}`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    expectNestingRefused(await patch(`/assets/${assetId}`, `{"location":${nested(32)}}`, '1'), 'location');
    const after = await call(s(), 'GET', `/assets/${assetId}`);
    assert.equal(after.body.description, 'within');
    assert.equal(after.body.etag, 1);
  });

  it(`refuses the description of an aspect type and of an asset type nested ${DEEP} levels`, async () => {
    expectNestingRefused(await patch(`/aspecttypes/${T}.Deep`, `{"description":${nested(DEEP)}}`), 'description');
    expectNestingRefused(await patch(`/assettypes/${T}.Deep`, `{"description":${nested(DEEP)}}`), 'description');
    // a variables entry nested deep is refused the same way
    expectNestingRefused(await patch(`/assets/${assetId}`, `{"variables":[{"name":"v","value":${nested(DEEP)}}]}`, '1'), 'variables');
    assert.equal((await call(s(), 'GET', `/aspecttypes/${T}.Deep`)).body.etag, 0);
    assert.equal((await call(s(), 'GET', `/assettypes/${T}.Deep`)).body.etag, 0);
  });

  it('refuses a filter nested deeper than 64 levels on every list, even in a field it would ignore', async () => {
    const deepArray = `{"colour":${'['.repeat(1000)}${']'.repeat(1000)}}`;
    const deepObject = `{"name":"x","colour":${nested(100)}}`;
    for (const list of ['/assets', '/aspecttypes', '/assettypes', `/assets/${assetId}/variables`]) {
      for (const filter of [deepArray, deepObject]) {
        const r = await call(s(), 'GET', `${list}?filter=${encodeURIComponent(filter)}`);
        assert.equal(r.status, 400, `${list}: ${JSON.stringify(r.body)}`);
        assertError(r, 'mdsp.core.generic.invalidParameter', /must not nest deeper than 64 levels/);
        assert.equal(r.body.errors[0].messageParameters[0].value, 'filter');
      }
    }
    // shallow values of ignored fields are still ignored
    const shallow = encodeURIComponent(JSON.stringify({ name: 'DeepAsset', colour: { weird: [[1]] } }));
    assert.equal((await call(s(), 'GET', `/assets?filter=${shallow}`)).body.page.totalElements, 1);
  });
});
