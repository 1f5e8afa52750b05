/** POST /oauth/token (Insights Hub technical user credentials (UAA)): every accepted form, and every failure in the UAA shape. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer, useServer } from '../helpers/server.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('POST /oauth/token', () => {
  const s = useServer();

  const post = (init: { query?: string; headers?: Record<string, string>; body?: string }) =>
    fetch(`${s().url}/oauth/token${init.query ?? ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
      body: init.body ?? '',
    });

  it('issues a token for Basic credentials and grant_type in the body', async () => {
    const res = await post({ headers: { authorization: basic(s().key.clientId, s().key.clientSecret) }, body: 'grant_type=client_credentials' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.json() as Record<string, unknown>;
    assert.equal(body['token_type'], 'Bearer');
    assert.equal(body['expires_in'], 1800);
    assert.equal(typeof body['access_token'], 'string');
    assert.equal(typeof body['jti'], 'string');
    assert.match(String(body['scope']), /iot\.tim\.r/);
  });

  it('accepts grant_type in the query string (TokenURL form of low-code connectors)', async () => {
    const res = await post({ query: '?grant_type=client_credentials', headers: { authorization: basic(s().key.clientId, s().key.clientSecret) } });
    assert.equal(res.status, 200);
  });

  it('accepts client_id and client_secret form fields', async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: s().key.clientId, client_secret: s().key.clientSecret });
    const res = await post({ body: body.toString() });
    assert.equal(res.status, 200);
  });

  it('narrows to a requested scope and refuses one not granted', async () => {
    const auth = { authorization: basic(s().key.clientId, s().key.clientSecret) };
    const ok = await post({ headers: auth, body: 'grant_type=client_credentials&scope=iot.tim.r' });
    assert.equal(((await ok.json()) as { scope: string }).scope, 'iot.tim.r');
    const bad = await post({ headers: auth, body: 'grant_type=client_credentials&scope=nope.x.r' });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'invalid_scope', error_description: 'Scope "nope.x.r" is not granted to this client.' });
  });

  it('401 invalid_client for a wrong secret, an unknown client and no credentials', async () => {
    const cases: Record<string, string>[] = [{ authorization: basic(s().key.clientId, 'wrong') }, { authorization: basic('nobody', 'x') }, {}];
    for (const headers of cases) {
      const res = await post({ headers, body: 'grant_type=client_credentials' });
      assert.equal(res.status, 401);
      const body = await res.json() as Record<string, string>;
      assert.equal(body['error'], 'invalid_client');
      assert.ok(body['error_description']);
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
      // RFC 6749 §5.2: the Basic challenge when the client tried HTTP Basic
      assert.equal(res.headers.get('www-authenticate'), headers['authorization'] ? 'Basic realm="ironbridge", charset="UTF-8"' : null);
    }
  });

  it('401 for a malformed Basic header, naming the expected form', async () => {
    for (const authorization of ['Basic', 'Basic !!!notbase64', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Bearer abc']) {
      const res = await post({ headers: { authorization }, body: 'grant_type=client_credentials' });
      assert.equal(res.status, 401, authorization);
      const body = await res.json() as Record<string, string>;
      assert.equal(body['error'], 'invalid_client');
      assert.match(body['error_description'] ?? '', /malformed/);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="ironbridge", charset="UTF-8"');
    }
  });

  it('400 when grant_type is missing or unsupported', async () => {
    const auth = { authorization: basic(s().key.clientId, s().key.clientSecret) };
    const missing = await post({ headers: auth });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: string }).error, 'invalid_request');
    const unsupported = await post({ headers: auth, body: 'grant_type=password' });
    assert.equal(unsupported.status, 400);
    const body = await unsupported.json() as { error: string; error_description: string };
    assert.equal(body.error, 'unsupported_grant_type');
    assert.match(body.error_description, /"password"/);
  });

  it('400 when credentials come both as Basic and as form fields', async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: s().key.clientId, client_secret: s().key.clientSecret });
    const res = await post({ headers: { authorization: basic(s().key.clientId, s().key.clientSecret) }, body: body.toString() });
    assert.equal(res.status, 400);
  });

  it('413 for an oversized body and 400 for a malformed one, in the UAA shape', async () => {
    const big = await post({ body: `grant_type=client_credentials&x=${'a'.repeat(70 * 1024)}` });
    assert.equal(big.status, 413);
    assert.ok(((await big.json()) as { error_description: string }).error_description.includes('limit'));
    const res = await fetch(`${s().url}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":',
    });
    assert.equal(res.status, 400);
    const body = await res.json() as Record<string, string>;
    assert.ok(body['error'] && body['error_description']);
  });
});

describe('POST /oauth/token under a credential-check flood', () => {
  it('answers 429 with Retry-After before hashing once the concurrent check limit is reached', async () => {
    const s = await startServer({ maxConcurrentSecretChecks: 1, secretHashCost: 16, authBackoffAfter: 1000 });
    try {
      const auth = `Basic ${Buffer.from(`${s.key.clientId}:wrong`).toString('base64')}`;
      const results = await Promise.all(Array.from({ length: 8 }, () => fetch(`${s.url}/oauth/token`, {
        method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })));
      const statuses = results.map((r) => r.status);
      assert.ok(statuses.includes(401), String(statuses));
      const busy = results.find((r) => r.status === 429);
      assert.ok(busy, String(statuses));
      assert.equal(busy.headers.get('retry-after'), '1');
      assert.equal(((await busy.json()) as { error: string }).error, 'temporarily_unavailable');
    } finally {
      await s.close();
    }
  });
});
