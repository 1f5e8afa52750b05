/**
 * User lifecycle over the wire (issue 11: `user remove|passwd|role`): a user's access token works until the user's
 * password or role changes or the user is removed, and then stops at once, because each change replaces the
 * revocation signature the token carries (Industrial IoT Gateway "Required claims": a token the issuer no longer
 * stands behind is refused with 401).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useServer } from '../../helpers/server.js';
import { authorizeCode, oauthPost, registerOAuthClient, type OAuthApp, type OAuthTokens } from './helpers.js';

describe('a user\'s tokens stop when the user changes', () => {
  const s = useServer();
  let app: OAuthApp;
  before(async () => { app = await registerOAuthClient(s()); });

  const tokenOf = async (email: string, password = 'correct-horse-battery'): Promise<string> => {
    const { code, verifier } = await authorizeCode(s(), app, email, password);
    const res = await oauthPost(s(), 'token', { grant_type: 'authorization_code', client_id: app.clientId, code, redirect_uri: app.redirectUri, code_verifier: verifier });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json() as OAuthTokens).access_token;
  };
  const info = async (token: string) => (await s().api('/api/tenantmanagement/v4/tenantInfo', { token })).status;

  it('passwd, role and remove each make the tokens issued before answer 401; a new token after passwd works', async () => {
    const id = s().platform.identity.service;
    const T = s().tenant;
    await id.addUser(T, 'pat@example.com', 'correct-horse-battery', 'user');

    const first = await tokenOf('pat@example.com');
    assert.equal(await info(first), 200);
    await id.setPassword(T, 'pat@example.com', 'a-new-long-password');
    assert.equal(await info(first), 401, 'a token from before the password change stops');
    const second = await tokenOf('pat@example.com', 'a-new-long-password');
    assert.equal(await info(second), 200);

    await id.setRole(T, 'pat@example.com', 'admin');
    assert.equal(await info(second), 401, 'a token with the old role\'s scopes stops');
    const third = await tokenOf('pat@example.com', 'a-new-long-password');
    assert.equal(await info(third), 200);

    await id.removeUser(T, 'pat@example.com');
    assert.equal(await info(third), 401, 'a removed user\'s token stops');
    await assert.rejects(id.removeUser(T, 'pat@example.com'), /No user pat@example\.com/);
  });

  it('the admin REST API under /api/ironbridge/v1/users does the same for the caller\'s tenant, naming what is wrong', async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await s().api(`/api/ironbridge/v1/users${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
      return { status: res.status, text: await res.text() };
    };
    assert.equal((await call('POST', '', { email: 'Rita@example.com', password: 'correct-horse-battery' })).status, 201);
    assert.match((await call('POST', '', { email: 'x@example.com', password: 'short' })).text, /password.*at least 10 characters/);
    assert.match((await call('POST', '', { email: 'y@example.com', password: 'correct-horse-battery', role: 'root' })).text, /role.*must be one of admin, user/);
    assert.match((await call('POST', '', { email: 'rita@example.com', password: 'correct-horse-battery' })).text, /already exists/);
    const listed = JSON.parse((await call('GET', '')).text) as { email: string; role: string }[];
    assert.ok(listed.some((u) => u.email === 'rita@example.com' && u.role === 'user'));
    assert.ok(!JSON.stringify(listed).includes('scrypt'));

    const before = await tokenOf('rita@example.com');
    const changed = await call('PATCH', '/rita@example.com', { password: 'another-long-password', role: 'admin' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(JSON.parse(changed.text).role, 'admin');
    assert.equal(await info(before), 401);
    assert.match((await call('PATCH', '/rita@example.com', {})).text, /must change password or role/);
    assert.match((await call('PATCH', '/rita@example.com', { role: 'root' })).text, /role.*must be one of/);

    assert.equal((await call('DELETE', '/rita@example.com')).status, 204);
    const gone = await call('DELETE', '/rita@example.com');
    assert.equal(gone.status, 404);
    assert.doesNotMatch(gone.text, /rita/, 'a 404 does not repeat the address');
  });
});
