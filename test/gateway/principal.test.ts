/**
 * A bearer token on a web app host's /api path is verified once: the gateway verifies it (tenant of the host) and
 * hands the principal to the API layer, which checks the endpoint's scope without verifying again. The hand-off lives
 * on the request object, so no header can stand in for it.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fetchToken, useServer } from '../helpers/server.js';
import { hostRequest, loginAs, registerOk, webHost } from './helpers.js';

const INFO = '/api/tenantmanagement/v4/tenantInfo';

describe('one token verification per request', () => {
  const s = useServer();
  let verifications = 0;
  let host: string;

  before(async () => {
    await registerOk(s(), { name: 'dash', target: 'http://127.0.0.1:1', patterns: ['/**'] });
    host = webHost(s(), 'dash');
    const tokens = s().platform.identity.tokens;
    const verify = tokens.verify.bind(tokens);
    tokens.verify = async (token) => { verifications++; return verify(token); };
  });
  const counted = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const before = verifications;
    const out = await fn();
    return [out, verifications - before];
  };

  it('a bearer call to the platform API on a web app host: verified once, by the gateway', async () => {
    const token = await s().token();
    const [res, n] = await counted(() => hostRequest(s().url, { host, path: INFO, headers: { authorization: `Bearer ${token}` } }));
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).name, s().tenant);
    assert.equal(n, 1);
  });

  it('a session call and a call on the platform host: verified once as well', async () => {
    const b = await loginAs(s(), host, 'once@example.com');
    const [session, n1] = await counted(() => hostRequest(s().url, { host, path: INFO, headers: { cookie: b.cookie } }));
    assert.equal(session.status, 200);
    assert.equal(n1, 1);
    const [platform, n2] = await counted(() => s().api(INFO));
    assert.equal(platform.status, 200);
    assert.equal(n2, 1);
  });

  it('the handed-on principal still meets the endpoint\'s scope check', async () => {
    const narrow = await fetchToken(s().url, await s().platform.identity.service.createKey(s().tenant, 'narrow', { scopes: ['iot.tim.r'] }));
    const res = await hostRequest(s().url, { host, path: INFO, headers: { authorization: `Bearer ${narrow}` } });
    assert.equal(res.status, 403);
    assert.match(JSON.parse(res.body).errors[0].message, /tm\.ti\.r/);
  });

  it('no header stands in for a verified principal', async () => {
    const token = await s().token();
    const claims = Buffer.from(token.split('.')[1]!, 'base64url').toString();
    const forged: Record<string, string>[] = [{ 'x-principal': claims }, { 'x-forwarded-user': 'admin' }, { 'x-verified-principal': claims }];
    for (const headers of forged) {
      const res = await s().api(INFO, { token: null, headers });
      assert.equal(res.status, 401, JSON.stringify(Object.keys(headers)));
      const onApp = await hostRequest(s().url, { host, path: INFO, headers: { ...headers, 'x-requested-with': 'XMLHttpRequest' } });
      assert.equal(onApp.status, 401);
    }
  });
});
