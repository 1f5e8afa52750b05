/**
 * errorFromString ("Insights Hub IIoT for Makers", error handling in the SDK) over every error shape the platform emits, taken from real responses of the
 * server in JSON and XML, plus OData error bodies and error strings that embed a body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { errorFromString, IronbridgeError } from '@ironbridge/sdk';
import { startServer, type TestServer } from '../helpers/server.js';

describe('sdk errorFromString', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  const body = async (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const res = await s.api(path, init);
    return { status: res.status, text: await res.text(), requestLogref: res.headers.get('x-request-id') };
  };

  it('parses shape A ({errors:[…]}) from the server, JSON and XML', async () => {
    for (const accept of ['application/json', 'application/xml']) {
      const r = await body('/api/assetmanagement/v3/nothing-here?x=1', { headers: { accept } });
      assert.equal(r.status, 404);
      const e = errorFromString(r.text);
      assert.equal(e.statusCode, 404, accept);
      assert.equal(e.code, 'mdsp.core.generic.routeNotFound');
      assert.match(e.message, /No endpoint GET \/api\/assetmanagement\/v3\/nothing-here/);
      assert.match(e.logref, /^[0-9a-f-]{36}$/);
      assert.deepEqual(e.messageParameters.map((p) => p.name), ['method', 'path']);
    }
  });

  it('parses a 401 and a 403 in shape A', async () => {
    const r401 = await body('/api/tenantmanagement/v4/tenantInfo', { token: null });
    const e401 = errorFromString(r401.text);
    assert.equal(e401.statusCode, 401);
    assert.equal(e401.code, 'mdsp.core.generic.unauthorized');
    assert.match(e401.message, /Authorization header/);
    const key = await s.platform.identity.service.createKey(s.tenant, 'narrow', { scopes: ['iot.tim.r'] });
    const tokenRes = await fetch(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const r403 = await body('/api/tenantmanagement/v4/tenantInfo', { token });
    assert.equal(r403.status, 403);
    const e403 = errorFromString(r403.text);
    assert.equal(e403.statusCode, 403);
    assert.equal(e403.code, 'mdsp.core.generic.forbidden');
    assert.match(e403.message, /scope/);
  });

  it('parses shape B ({id,message}) from the server, JSON and XML, with the status from the text', async () => {
    for (const accept of ['application/json', 'application/xml']) {
      const r = await body('/api/iottimeseries/v3/unknown/route', { headers: { accept } });
      assert.equal(r.status, 404);
      const bare = errorFromString(r.text);
      assert.match(bare.message, /No endpoint GET/);
      assert.match(bare.logref, /^[0-9a-f-]{36}$/);
      const withStatus = errorFromString(`HTTP 404 Not Found: ${r.text}`);
      assert.equal(withStatus.statusCode, 404, accept);
      assert.equal(withStatus.code, 'notFound');
      assert.equal(withStatus.logref, bare.logref);
      assert.equal(errorFromString(r.text, 404).statusCode, 404);
    }
  });

  it('parses shape C (UAA) from the token endpoint', async () => {
    const res = await fetch(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('nobody:wrong').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const text = await res.text();
    const e = errorFromString(text);
    assert.equal(res.status, 401);
    assert.equal(e.statusCode, 401);
    assert.equal(e.code, 'invalid_client');
    assert.ok(e.message.length > 5);
    const grant = await fetch(`${s.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password' });
    const g = errorFromString(await grant.text());
    assert.equal(g.statusCode, grant.status);
    assert.equal(g.code, 'unsupported_grant_type');
  });

  it('parses OData v4 and v2 error bodies', () => {
    const v4 = errorFromString(JSON.stringify({ error: { code: 'mdsp.core.odata.unsupportedQuery', message: '$expand is not supported',
      details: [{ code: 'unsupported', target: '$expand', message: 'not supported' }], innererror: { logref: 'abc-123' } } }), 400);
    assert.deepEqual([v4.statusCode, v4.code, v4.message, v4.logref], [400, 'mdsp.core.odata.unsupportedQuery', '$expand is not supported', 'abc-123']);
    assert.deepEqual(v4.messageParameters, [{ name: '$expand', value: 'not supported' }]);
    const v2 = errorFromString('500 Internal Server Error {"odata.error":{"code":"","message":{"lang":"en-US","value":"Publishing failed. Correlation-ID: 77aa"}}}');
    assert.deepEqual([v2.statusCode, v2.message, v2.logref], [500, 'Publishing failed. Correlation-ID: 77aa', '77aa']);
  });

  it('finds the body inside a low-code "latest error" message', () => {
    const text = 'Error executing request: Status code: 412, Reason: Precondition Failed, Body: {"errors":[{"code":"mdsp.core.generic.preconditionFailed","logref":"f00","message":"Precondition failed: etag 3 is not 4.","messageParameters":[]}]} (caused by HttpResponseException)';
    const e = errorFromString(text);
    assert.deepEqual([e.statusCode, e.code, e.message, e.logref], [412, 'mdsp.core.generic.preconditionFailed', 'Precondition failed: etag 3 is not 4.', 'f00']);
    const plain = errorFromString('connect ECONNREFUSED 127.0.0.1:1');
    assert.deepEqual([plain.statusCode, plain.code, plain.message, plain.logref], [0, '', 'connect ECONNREFUSED 127.0.0.1:1', '']);
  });

  it('round-trips any shape-A error and never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), fc.string({ minLength: 1 }), fc.uuid(), fc.constantFrom(400, 401, 403, 404, 409, 412, 429, 500),
      (message, codeTail, logref, status) => {
        const code = `mdsp.core.x.${codeTail}`;
        const e = errorFromString(JSON.stringify({ errors: [{ code, logref, message, messageParameters: [] }] }), status);
        assert.equal(e.code, code);
        assert.equal(e.logref, logref);
        assert.equal(e.statusCode, status);
        if (message) assert.equal(e.message, message);
      }), { numRuns: 200 });
    fc.assert(fc.property(fc.string(), (text) => { errorFromString(text); }), { numRuns: 500 });
  });

  it('IronbridgeError carries the same fields and describes itself for people', () => {
    const parsed = errorFromString('{"errors":[{"code":"mdsp.core.generic.noMatch","logref":"r1","message":"No asset found."}]}');
    const err = new IronbridgeError(parsed, 'GET', 'http://x/api/assetmanagement/v3/assets/1');
    assert.deepEqual([err.statusCode, err.code, err.message, err.logref], [404, 'mdsp.core.generic.noMatch', 'No asset found.', 'r1']);
    assert.equal(err.describe(), 'GET http://x/api/assetmanagement/v3/assets/1: No asset found. (HTTP 404 mdsp.core.generic.noMatch, logref r1)');
    assert.equal(JSON.parse(JSON.stringify(err)).code, 'mdsp.core.generic.noMatch');
  });
});
