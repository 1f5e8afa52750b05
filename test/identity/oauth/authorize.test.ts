/**
 * "Sign in with Ironbridge": authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636) for a registered
 * third-party web app, consent, 30-minute access tokens usable on the platform API, 12-hour rotating refresh
 * tokens, and every refusal.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { useServer } from '../../helpers/server.js';
import { decodeJwt } from '../../gateway/helpers.js';

const form = (v: Record<string, string>) => new URLSearchParams(v).toString();
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

describe('OAuth authorization code + PKCE for third-party web apps', () => {
  const s = useServer();
  let clientId: string;
  const redirectUri = 'http://app.example.com/callback';
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  before(async () => {
    await s().platform.identity.service.addUser(s().tenant, 'sso@example.com', 'correct-horse-battery', 'user');
    const res = await s().api('/api/gatewayregistry/v1/oauthclients', { method: 'POST', body: JSON.stringify({ name: 'Acme Dashboard', redirectUris: [redirectUri] }) });
    assert.equal(res.status, 201);
    clientId = ((await res.json()) as { clientId: string }).clientId;
  });

  const authorizeParams = (extra: Record<string, string> = {}) => ({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge,
    code_challenge_method: 'S256', state: 'xyz', ...extra,
  });
  const approve = async (extra: Record<string, string> = {}) => {
    const res = await fetch(`${s().url}/oauth/webapp/authorize`, { method: 'POST', redirect: 'manual', headers: formHeaders,
      body: form({ ...authorizeParams(extra), email: 'sso@example.com', password: 'correct-horse-battery', decision: 'allow' }) });
    assert.equal(res.status, 302, await res.clone().text());
    return new URL(res.headers.get('location')!);
  };
  const token = (body: Record<string, string>) => fetch(`${s().url}/oauth/webapp/token`, { method: 'POST', headers: formHeaders, body: form(body) });

  it('shows the consent page with the client name, exchanges code + verifier for tokens, and refreshes', async () => {
    const page = await fetch(`${s().url}/oauth/webapp/authorize?${form(authorizeParams())}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Acme Dashboard asks to sign you in/);
    const back = await approve();
    assert.equal(back.origin + back.pathname, redirectUri);
    assert.equal(back.searchParams.get('state'), 'xyz');
    const code = back.searchParams.get('code')!;
    const res = await token({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
    assert.equal(res.status, 200);
    const t = await res.json() as { access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number; token_type: string };
    assert.equal(t.token_type, 'Bearer');
    assert.ok(t.expires_in > 1790 && t.expires_in <= 1800);
    assert.ok(t.refresh_expires_in > 43190 && t.refresh_expires_in <= 43200);
    const claims = decodeJwt(t.access_token);
    assert.equal(claims['client_id'], clientId);
    assert.equal(claims['user_name'], 'sso@example.com');
    assert.equal(claims['ten'], s().tenant);
    const api = await s().api('/api/tenantmanagement/v4/tenantInfo', { token: t.access_token });
    assert.equal(api.status, 200);

    const refreshed = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: t.refresh_token });
    assert.equal(refreshed.status, 200);
    const t2 = await refreshed.json() as { access_token: string; refresh_token: string; refresh_expires_in: number };
    assert.notEqual(t2.refresh_token, t.refresh_token);
    assert.ok(t2.refresh_expires_in <= t.refresh_expires_in, 'rotation never extends the 12 hours');
    const again = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: t2.refresh_token });
    assert.equal(again.status, 200, 'each rotated token works once');
  });

  it('single sign-on: the first approval opens a session, later authorizations need only consent', async () => {
    const first = await fetch(`${s().url}/oauth/webapp/authorize`, { method: 'POST', redirect: 'manual', headers: formHeaders,
      body: form({ ...authorizeParams(), email: 'sso@example.com', password: 'correct-horse-battery', decision: 'allow' }) });
    assert.equal(first.status, 302);
    const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    assert.match(cookie, /SESSION=.*REGION-SESSION=/);
    const page = await fetch(`${s().url}/oauth/webapp/authorize?${form(authorizeParams())}`, { headers: { cookie } });
    const text = await page.text();
    assert.match(text, /Signed in as sso@example.com/);
    assert.doesNotMatch(text, /type="password"/);
    const again = await fetch(`${s().url}/oauth/webapp/authorize`, { method: 'POST', redirect: 'manual', headers: { ...formHeaders, cookie },
      body: form({ ...authorizeParams(), decision: 'allow' }) });
    assert.equal(again.status, 302);
    const code = new URL(again.headers.get('location')!).searchParams.get('code')!;
    const t = await token({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
    assert.equal(t.status, 200);
    assert.equal(decodeJwt(((await t.json()) as { access_token: string }).access_token)['user_name'], 'sso@example.com');
    const noSession = await fetch(`${s().url}/oauth/webapp/authorize`, { method: 'POST', redirect: 'manual', headers: formHeaders,
      body: form({ ...authorizeParams(), decision: 'allow' }) });
    assert.equal(noSession.status, 401, 'without a session the password is required');
  });

  it('narrows the token to requested scopes the user has', async () => {
    const back = await approve({ scope: 'iot.tim.r gw.registry.w' });
    const res = await token({ grant_type: 'authorization_code', client_id: clientId, code: back.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier });
    const t = await res.json() as { scope: string };
    assert.equal(t.scope, 'iot.tim.r');
  });

  it('refuses a wrong code_verifier, another redirect_uri and another client', async () => {
    const code1 = (await approve()).searchParams.get('code')!;
    const wrong = await token({ grant_type: 'authorization_code', client_id: clientId, code: code1, redirect_uri: redirectUri, code_verifier: randomBytes(32).toString('base64url') });
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as { error_description: string }).error_description, /code_verifier does not match/);
    const code2 = (await approve()).searchParams.get('code')!;
    const other = await token({ grant_type: 'authorization_code', client_id: clientId, code: code2, redirect_uri: 'http://app.example.com/other', code_verifier: verifier });
    assert.equal(other.status, 400);
    const unknown = await token({ grant_type: 'authorization_code', client_id: 'nobody', code: 'x', redirect_uri: redirectUri, code_verifier: verifier });
    assert.equal(unknown.status, 401);
    assert.equal(((await unknown.json()) as { error: string }).error, 'invalid_client');
  });

  it('redirects with an error for a missing PKCE challenge, plain method, wrong response type and a denial', async () => {
    for (const [extra, error] of [
      [{ code_challenge: '' }, 'invalid_request'], [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
    ] as [Record<string, string>, string][]) {
      const res = await fetch(`${s().url}/oauth/webapp/authorize?${form(authorizeParams(extra))}`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      const loc = new URL(res.headers.get('location')!);
      assert.equal(loc.searchParams.get('error'), error);
      assert.equal(loc.searchParams.get('state'), 'xyz');
    }
    const deny = await fetch(`${s().url}/oauth/webapp/authorize`, { method: 'POST', redirect: 'manual', headers: formHeaders, body: form({ ...authorizeParams(), decision: 'deny' }) });
    assert.equal(new URL(deny.headers.get('location')!).searchParams.get('error'), 'access_denied');
  });

  it('never redirects to an unregistered redirect_uri; a wrong password shows the page again', async () => {
    const res = await fetch(`${s().url}/oauth/webapp/authorize?${form(authorizeParams({ redirect_uri: 'http://evil.example.com/cb' }))}`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    const bad = await fetch(`${s().url}/oauth/webapp/authorize`, { method: 'POST', redirect: 'manual', headers: formHeaders,
      body: form({ ...authorizeParams(), email: 'sso@example.com', password: 'wrong-password', decision: 'allow' }) });
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /Wrong e-mail address or password/);
  });

  it('refuses client registrations with bad redirect URIs', async () => {
    const res = await s().api('/api/gatewayregistry/v1/oauthclients', { method: 'POST', body: JSON.stringify({ name: 'x', redirectUris: ['http://a/#frag'] }) });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { errors: { message: string }[] }).errors[0]!.message, /redirectUris\[0\]/);
  });
});
