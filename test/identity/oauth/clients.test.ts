/**
 * Confidential OAuth clients of the web app flow (client_secret_basic and client_secret_post, RFC 6749 §2.3.1)
 * beside public PKCE-only ones, registered over REST and the CLI; and the revocation endpoint (RFC 7009).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { verifySecret } from '../../../src/core/secrets.js';
import { runCli, useServer } from '../../helpers/server.js';
import {
  authorizeCode, basicAuth, oauthError, oauthPost, registerOAuthClient, type OAuthApp, type OAuthTokens,
} from './helpers.js';

const EMAIL = 'confidential@example.com';

describe('OAuth confidential clients', () => {
  const s = useServer();
  let secretApp: OAuthApp;
  let publicApp: OAuthApp;

  before(async () => {
    await s().platform.identity.service.addUser(s().tenant, EMAIL, 'correct-horse-battery', 'user');
    secretApp = await registerOAuthClient(s(), true, 'Backend App');
    publicApp = await registerOAuthClient(s(), false, 'SPA');
  });

  const codeBody = async (app: OAuthApp) => {
    const { code, verifier } = await authorizeCode(s(), app, EMAIL);
    return { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier };
  };
  const assertInvalidClient = async (res: Response, description: RegExp) => {
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="ironbridge"/);
    const e = await oauthError(res);
    assert.equal(e.error, 'invalid_client');
    assert.match(e.description, description);
  };

  it('registration shows the secret once and stores only its slow hash; public clients get none', async () => {
    const res = await s().api('/api/gatewayregistry/v1/oauthclients', { method: 'POST',
      body: JSON.stringify({ name: 'Shown Once', redirectUris: ['https://shown.example.com/cb'], confidential: true }) });
    assert.equal(res.status, 201);
    const body = await res.json() as { clientId: string; clientSecret: string; confidential: boolean; tokenEndpointAuthMethods: string[]; revocationEndpoint: string };
    assert.equal(body.confidential, true);
    assert.match(body.clientSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(body.tokenEndpointAuthMethods, ['client_secret_basic', 'client_secret_post']);
    assert.equal(body.revocationEndpoint, '/oauth/webapp/revoke');
    const stored = (await s().platform.identity.oauthStore.getClient(body.clientId))!;
    assert.match(stored.secretHash!, /^scrypt\$10\$/);
    assert.ok(!stored.secretHash!.includes(body.clientSecret));
    assert.ok(await verifySecret(body.clientSecret, stored.secretHash!));

    const pub = await s().api('/api/gatewayregistry/v1/oauthclients', { method: 'POST', body: JSON.stringify({ name: 'Public', redirectUris: ['https://p.example.com/cb'] }) });
    const p = await pub.json() as Record<string, unknown>;
    assert.equal(p['confidential'], false);
    assert.equal('clientSecret' in p, false);
    assert.deepEqual(p['tokenEndpointAuthMethods'], ['none']);
    assert.equal((await s().platform.identity.oauthStore.getClient(p['clientId'] as string))!.secretHash, null);

    const bad = await s().api('/api/gatewayregistry/v1/oauthclients', { method: 'POST', body: JSON.stringify({ name: 'x', redirectUris: ['https://x.example.com/'], confidential: 'yes' }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { errors: { message: string }[] }).errors[0]!.message, /confidential/);
  });

  it('client_secret_basic: code exchange and refresh with the secret in the Authorization header', async () => {
    const auth = { authorization: basicAuth(secretApp.clientId, secretApp.clientSecret!) };
    const res = await oauthPost(s(), 'token', await codeBody(secretApp), auth);
    assert.equal(res.status, 200, await res.clone().text());
    const t = await res.json() as OAuthTokens;
    const refreshed = await oauthPost(s(), 'token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: secretApp.clientId }, auth);
    assert.equal(refreshed.status, 200, 'a client_id in the body equal to the header\'s is fine');
  });

  it('client_secret_post: code exchange and refresh with client_id and client_secret in the body', async () => {
    const creds = { client_id: secretApp.clientId, client_secret: secretApp.clientSecret! };
    const res = await oauthPost(s(), 'token', { ...(await codeBody(secretApp)), ...creds });
    assert.equal(res.status, 200);
    const t = await res.json() as OAuthTokens;
    assert.equal((await oauthPost(s(), 'token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, ...creds })).status, 200);
  });

  it('a wrong, missing or unknown secret is 401 invalid_client with WWW-Authenticate, and leaves the code usable', async () => {
    const body = await codeBody(secretApp);
    // One answer for every failure about who the client is: the body does not tell which client ids exist.
    await assertInvalidClient(await oauthPost(s(), 'token', body, { authorization: basicAuth(secretApp.clientId, 'wrong-secret') }),
      /^Bad credentials\.$/);
    await assertInvalidClient(await oauthPost(s(), 'token', { ...body, client_id: secretApp.clientId, client_secret: 'wrong-secret' }),
      /^Bad credentials\.$/);
    await assertInvalidClient(await oauthPost(s(), 'token', { ...body, client_id: secretApp.clientId }), /^Bad credentials\.$/);
    await assertInvalidClient(await oauthPost(s(), 'token', body, { authorization: basicAuth('nobody-app-1', secretApp.clientSecret!) }),
      /^Bad credentials\.$/);
    await assertInvalidClient(await oauthPost(s(), 'token', body), /Client authentication is missing/);
    const ok = await oauthPost(s(), 'token', body, { authorization: basicAuth(secretApp.clientId, secretApp.clientSecret!) });
    assert.equal(ok.status, 200, 'failed client authentication does not use up the code');
  });

  it('a refresh token of a confidential client needs the secret too', async () => {
    const first = await oauthPost(s(), 'token', { ...(await codeBody(secretApp)), client_id: secretApp.clientId, client_secret: secretApp.clientSecret! });
    const t = await first.json() as OAuthTokens;
    await assertInvalidClient(await oauthPost(s(), 'token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: secretApp.clientId }),
      /^Bad credentials\.$/);
    const res = await oauthPost(s(), 'token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: secretApp.clientId, client_secret: secretApp.clientSecret! });
    assert.equal(res.status, 200, 'the refused attempt did not count as a use');
  });

  it('malformed or doubled client authentication', async () => {
    const body = await codeBody(secretApp);
    await assertInvalidClient(await oauthPost(s(), 'token', body, { authorization: 'Bearer abc' }), /expected "Basic base64\(client_id:client_secret\)"/);
    await assertInvalidClient(await oauthPost(s(), 'token', body, { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }),
      /no "client_id:" part/);
    const twice = await oauthError(await oauthPost(s(), 'token', { ...body, client_secret: secretApp.clientSecret! },
      { authorization: basicAuth(secretApp.clientId, secretApp.clientSecret!) }));
    assert.deepEqual([twice.status, twice.error], [400, 'invalid_request']);
    assert.match(twice.description, /both in the Authorization header and as client_secret/);
    const differs = await oauthError(await oauthPost(s(), 'token', { ...body, client_id: publicApp.clientId },
      { authorization: basicAuth(secretApp.clientId, secretApp.clientSecret!) }));
    assert.deepEqual([differs.status, differs.error], [400, 'invalid_request']);
    assert.match(differs.description, /client_id differs from the client of the Authorization header/);
  });

  it('public clients keep PKCE alone: a secret is refused, an empty Basic secret is no secret', async () => {
    const body = await codeBody(publicApp);
    await assertInvalidClient(await oauthPost(s(), 'token', { ...body, client_id: publicApp.clientId, client_secret: 'made-up' }),
      /^Bad credentials\.$/);
    await assertInvalidClient(await oauthPost(s(), 'token', body, { authorization: basicAuth(publicApp.clientId, 'made-up') }), /^Bad credentials\.$/);
    const ok = await oauthPost(s(), 'token', body, { authorization: basicAuth(publicApp.clientId, '') });
    assert.equal(ok.status, 200);
    const noVerifier = await oauthPost(s(), 'token', { ...(await codeBody(secretApp)), code_verifier: '', client_id: secretApp.clientId, client_secret: secretApp.clientSecret! });
    assert.match((await oauthError(noVerifier)).description, /code_verifier is missing/, 'a secret does not replace PKCE');
  });

  it('the CLI registers clients like REST: the secret is printed once and works at the token endpoint', async () => {
    const cli = (args: string[]) => runCli(['app', 'oauth-client', 'register', '--data-dir', s().config.dataDir, '--tenant', s().tenant, ...args]);
    const res = await cli(['--name', 'CLI App', '--redirect-uri', 'http://app.example.com/callback', '--redirect-uri', 'http://app.example.com/other', '--confidential', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const c = JSON.parse(res.stdout) as { clientId: string; clientSecret: string; confidential: boolean; redirectUris: string[] };
    assert.equal(c.confidential, true);
    assert.deepEqual(c.redirectUris, ['http://app.example.com/callback', 'http://app.example.com/other']);
    const app = { clientId: c.clientId, clientSecret: c.clientSecret, redirectUri: 'http://app.example.com/callback' };
    const t = await oauthPost(s(), 'token', await codeBody(app), { authorization: basicAuth(c.clientId, c.clientSecret) });
    assert.equal(t.status, 200);

    const human = await cli(['--name', 'CLI SPA', '--redirect-uri', 'http://app.example.com/callback']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /clientId {6}\S+-app-\S+\n\(public client: no secret, PKCE S256 required\)/);
    const bad = await cli(['--name', 'Bad', '--redirect-uri', 'ftp://app.example.com/cb']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /redirectUris\[0\] is invalid: must be an http\(s\) URL/);
  });
});

describe('OAuth token revocation (RFC 7009)', () => {
  const s = useServer();
  let app: OAuthApp;
  let secretApp: OAuthApp;

  before(async () => {
    await s().platform.identity.service.addUser(s().tenant, EMAIL, 'correct-horse-battery', 'user');
    app = await registerOAuthClient(s());
    secretApp = await registerOAuthClient(s(), true, 'Backend App');
  });

  const tokensFor = async (a: OAuthApp, creds: Record<string, string> = { client_id: a.clientId }) => {
    const { code, verifier } = await authorizeCode(s(), a, EMAIL);
    const res = await oauthPost(s(), 'token', { grant_type: 'authorization_code', code, redirect_uri: a.redirectUri, code_verifier: verifier, ...creds });
    assert.equal(res.status, 200);
    return res.json() as Promise<OAuthTokens>;
  };
  const refresh = (refreshToken: string) => oauthPost(s(), 'token', { grant_type: 'refresh_token', client_id: app.clientId, refresh_token: refreshToken });

  it('revoking a refresh token answers 200 with no body and ends its family', async () => {
    const t1 = await tokensFor(app);
    const t2 = await (await refresh(t1.refresh_token)).json() as OAuthTokens;
    const res = await oauthPost(s(), 'revoke', { token: t2.refresh_token, token_type_hint: 'refresh_token', client_id: app.clientId });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const after = await oauthError(await refresh(t2.refresh_token));
    assert.deepEqual([after.status, after.error], [400, 'invalid_grant']);
    assert.match(after.description, /revoked/);
  });

  it('revoking a rotated-out refresh token ends the family too', async () => {
    const t1 = await tokensFor(app);
    const t2 = await (await refresh(t1.refresh_token)).json() as OAuthTokens;
    assert.equal((await oauthPost(s(), 'revoke', { token: t1.refresh_token, client_id: app.clientId })).status, 200);
    assert.equal((await refresh(t2.refresh_token)).status, 400);
  });

  it('unknown, already revoked and access tokens answer 200 and change nothing else', async () => {
    const t = await tokensFor(app);
    for (const token of ['no-such-token', t.access_token]) {
      const res = await oauthPost(s(), 'revoke', { token, client_id: app.clientId });
      assert.equal(res.status, 200, token);
    }
    assert.equal((await oauthPost(s(), 'revoke', { token: 'x', token_type_hint: 'something_else', client_id: app.clientId })).status, 200,
      'an unknown hint is ignored (RFC 7009 §2.1)');
    const rotated = await refresh(t.refresh_token);
    assert.equal(rotated.status, 200, 'revoking other tokens left this family alone');
    const t2 = await rotated.json() as OAuthTokens;
    assert.equal((await oauthPost(s(), 'revoke', { token: t2.refresh_token, client_id: app.clientId })).status, 200);
    assert.equal((await oauthPost(s(), 'revoke', { token: t2.refresh_token, client_id: app.clientId })).status, 200, 'revoking twice is fine');
  });

  it('refuses a missing token, another client\'s token, and unauthenticated confidential clients', async () => {
    const missing = await oauthError(await oauthPost(s(), 'revoke', { client_id: app.clientId }));
    assert.deepEqual([missing.status, missing.error], [400, 'invalid_request']);
    assert.match(missing.description, /token is missing/);

    const creds = { client_id: secretApp.clientId, client_secret: secretApp.clientSecret! };
    const t = await tokensFor(secretApp, creds);
    const foreign = await oauthError(await oauthPost(s(), 'revoke', { token: t.refresh_token, client_id: app.clientId }));
    assert.deepEqual([foreign.status, foreign.error], [400, 'invalid_grant']);
    assert.match(foreign.description, /issued to another client/);

    const noSecret = await oauthPost(s(), 'revoke', { token: t.refresh_token, client_id: secretApp.clientId });
    assert.equal(noSecret.status, 401);
    assert.match(noSecret.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal((await oauthError(noSecret)).error, 'invalid_client');
    const wrong = await oauthPost(s(), 'revoke', { token: t.refresh_token }, { authorization: basicAuth(secretApp.clientId, 'wrong') });
    assert.equal(wrong.status, 401);
    const unknownClient = await oauthPost(s(), 'revoke', { token: t.refresh_token, client_id: 'nobody' });
    assert.equal(unknownClient.status, 401);

    const still = await oauthPost(s(), 'token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, ...creds });
    assert.equal(still.status, 200, 'refused revocations changed nothing');
    const t2 = await still.json() as OAuthTokens;
    const ok = await oauthPost(s(), 'revoke', { token: t2.refresh_token }, { authorization: basicAuth(secretApp.clientId, secretApp.clientSecret!) });
    assert.equal(ok.status, 200);
    assert.equal((await oauthPost(s(), 'token', { grant_type: 'refresh_token', refresh_token: t2.refresh_token, ...creds })).status, 400);
  });
});

describe('OAuth client secret checks under load', () => {
  const s = useServer({ secretHashCost: 14, maxConcurrentSecretChecks: 1, authBackoffAfter: 1000 });
  let secretApp: OAuthApp;

  before(async () => {
    secretApp = await registerOAuthClient(s(), true, 'Backend App');
  });

  it('more concurrent secret checks than --max-secret-checks get 429 temporarily_unavailable before any hashing', async () => {
    const attempt = () => oauthPost(s(), 'token', { grant_type: 'refresh_token', refresh_token: 'x' },
      { authorization: basicAuth(secretApp.clientId, 'wrong-secret') });
    const answers = await Promise.all(Array.from({ length: 6 }, attempt));
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.includes(401), statuses.join());
    const busy = answers.find((a) => a.status === 429);
    assert.ok(busy, `expected a 429 among ${statuses.join()}`);
    assert.equal(busy.headers.get('retry-after'), '1');
    assert.equal((await oauthError(busy)).error, 'temporarily_unavailable');
    assert.equal((await attempt()).status, 401, 'one at a time is checked');
  });
});
