/**
 * Grant families of the web app OAuth flow (RFC 9700 §4.14.2, RFC 6749 §4.1.2): a replayed code or rotated-out
 * refresh token revokes every refresh token of its authorization and no other; expired families are swept.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sha256 as hash } from '../../../src/core/secrets.js';
import { testClock, useServer } from '../../helpers/server.js';
import { authorizeCode, oauthError, oauthPost, registerOAuthClient, type OAuthApp, type OAuthTokens } from './helpers.js';

const EMAIL = 'family@example.com';

describe('OAuth grant families: reuse detection', () => {
  const s = useServer();
  let app: OAuthApp;
  let other: OAuthApp;

  before(async () => {
    await s().platform.identity.service.addUser(s().tenant, EMAIL, 'correct-horse-battery', 'user');
    app = await registerOAuthClient(s());
    other = await registerOAuthClient(s(), false, 'Other App');
  });

  const exchange = async (a: OAuthApp = app): Promise<OAuthTokens & { code: string; verifier: string }> => {
    const { code, verifier } = await authorizeCode(s(), a, EMAIL);
    const res = await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: a.clientId, code, redirect_uri: a.redirectUri, code_verifier: verifier });
    assert.equal(res.status, 200);
    return { ...(await res.json() as OAuthTokens), code, verifier };
  };
  const refresh = (refreshToken: string, clientId = app.clientId) =>
    oauthPost(s(), 'token', { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });

  it('a second use of a code is refused and revokes the refresh token issued from it', async () => {
    const t = await exchange();
    const again = await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: app.clientId, code: t.code,
      redirect_uri: app.redirectUri, code_verifier: t.verifier });
    const e = await oauthError(again);
    assert.equal(e.status, 400);
    assert.equal(e.error, 'invalid_grant');
    assert.match(e.description, /code was already used; the refresh tokens issued from it are revoked/);
    const r = await oauthError(await refresh(t.refresh_token));
    assert.equal(r.status, 400);
    assert.equal(r.error, 'invalid_grant');
    assert.match(r.description, /revoked/);
  });

  it('a replayed code also revokes refresh tokens rotated after the exchange', async () => {
    const t = await exchange();
    const r1 = await refresh(t.refresh_token);
    assert.equal(r1.status, 200);
    const t2 = await r1.json() as OAuthTokens;
    const replay = await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: app.clientId, code: t.code,
      redirect_uri: app.redirectUri, code_verifier: t.verifier });
    assert.equal(replay.status, 400);
    assert.equal((await oauthError(await refresh(t2.refresh_token))).error, 'invalid_grant');
  });

  it('a rotated-out refresh token presented again revokes the whole family, the current token included, and no other family', async () => {
    const t1 = await exchange();
    const bystander = await exchange();
    const t2 = await (await refresh(t1.refresh_token)).json() as OAuthTokens;
    const t3 = await (await refresh(t2.refresh_token)).json() as OAuthTokens;
    const replay = await oauthError(await refresh(t1.refresh_token));
    assert.equal(replay.status, 400);
    assert.equal(replay.error, 'invalid_grant');
    assert.match(replay.description, /already used; every refresh token of this authorization is revoked/);
    const current = await oauthError(await refresh(t3.refresh_token));
    assert.equal(current.status, 400);
    assert.equal(current.error, 'invalid_grant');
    assert.match(current.description, /the refresh token was revoked/);
    const replayAgain = await refresh(t2.refresh_token);
    assert.equal(replayAgain.status, 400);
    assert.equal((await refresh(bystander.refresh_token)).status, 200, 'another authorization of the same user and client lives on');
    const api = await s().api('/api/tenantmanagement/v4/tenantInfo', { token: t3.access_token });
    assert.equal(api.status, 200, 'access tokens already issued are self-contained JWTs and live out their 30 minutes');
  });

  it('two concurrent uses of one refresh token: exactly one succeeds, and the family is revoked', async () => {
    const t = await exchange();
    const answers = await Promise.all([refresh(t.refresh_token), refresh(t.refresh_token)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400]);
    const winner = await answers.find((a) => a.status === 200)!.json() as OAuthTokens;
    assert.equal((await oauthError(await refresh(winner.refresh_token))).error, 'invalid_grant');
  });

  it('a refresh token or code presented by another client is refused without using it up', async () => {
    const t = await exchange();
    const wrong = await oauthError(await refresh(t.refresh_token, other.clientId));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.error, 'invalid_grant');
    assert.match(wrong.description, /issued to another client/);
    assert.equal((await refresh(t.refresh_token)).status, 200, 'the rightful client still rotates it once');
    const { code, verifier } = await authorizeCode(s(), app, EMAIL);
    const foreign = await oauthError(await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: other.clientId, code,
      redirect_uri: app.redirectUri, code_verifier: verifier }));
    assert.match(foreign.description, /code was issued to another client/);
    const own = await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: app.clientId, code, redirect_uri: app.redirectUri, code_verifier: verifier });
    assert.equal(own.status, 200);
  });

  it('unknown refresh tokens and codes, a missing or unsupported grant_type', async () => {
    const unknown = await oauthError(await refresh('not-a-token'));
    assert.deepEqual([unknown.status, unknown.error], [400, 'invalid_grant']);
    const noCode = await oauthError(await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: app.clientId, redirect_uri: app.redirectUri }));
    assert.deepEqual([noCode.status, noCode.error], [400, 'invalid_grant']);
    const password = await oauthError(await oauthPost(s(), 'token', { grant_type: 'password', client_id: app.clientId }));
    assert.deepEqual([password.status, password.error], [400, 'unsupported_grant_type']);
    assert.match(password.description, /grant_type "password" is not supported/);
    const missing = await oauthError(await oauthPost(s(), 'token', { client_id: app.clientId }));
    assert.deepEqual([missing.status, missing.error], [400, 'invalid_request']);
  });
});

describe('OAuth grant families: sweeping', () => {
  const clock = testClock();
  const s = useServer({ refreshTokenTtlSeconds: 1 }, { now: clock.now });
  let app: OAuthApp;

  before(async () => {
    await s().platform.identity.service.addUser(s().tenant, EMAIL, 'correct-horse-battery', 'user');
    app = await registerOAuthClient(s());
  });

  it('removes families that ended, with their code and refresh tokens; a pending code stays', async () => {
    const { code, verifier } = await authorizeCode(s(), app, EMAIL);
    const res = await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: app.clientId, code, redirect_uri: app.redirectUri, code_verifier: verifier });
    const t1 = await res.json() as OAuthTokens;
    const t2 = await (await oauthPost(s(), 'token', { grant_type: 'refresh_token', client_id: app.clientId, refresh_token: t1.refresh_token })).json() as OAuthTokens;
    const pending = await authorizeCode(s(), app, EMAIL);
    clock.advance(1100);
    const expired = await oauthError(await oauthPost(s(), 'token', { grant_type: 'refresh_token', client_id: app.clientId, refresh_token: t2.refresh_token }));
    assert.deepEqual([expired.status, expired.error], [400, 'invalid_grant']);

    const db = new Database(path.join(s().config.dataDir, 'identity.db'), { readonly: true });
    try {
      const familyOf = db.prepare<[string], { family_id: string }>('SELECT family_id FROM oauth_grants WHERE hash = ?');
      const ended = familyOf.get(hash(code))!.family_id;
      const count = (familyId: string) => (db.prepare('SELECT COUNT(*) AS n FROM oauth_grants WHERE family_id = ?').get(familyId) as { n: number }).n;
      assert.equal(count(ended), 3, 'code and both refresh tokens are kept until the family ends');
      const pendingFamily = familyOf.get(hash(pending.code))!.family_id;
      await s().platform.identity.oauth.sweep();
      assert.equal(count(ended), 0);
      assert.equal(db.prepare('SELECT COUNT(*) AS n FROM oauth_families WHERE family_id = ?').pluck().get(ended), 0);
      assert.equal(count(pendingFamily), 1, 'a code still within its 60 s is not swept');
    } finally {
      db.close();
    }
    const late = await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: app.clientId, code: pending.code, redirect_uri: app.redirectUri, code_verifier: pending.verifier });
    assert.equal(late.status, 200);
  });
});
