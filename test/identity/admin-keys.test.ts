/**
 * Binding keys over the admin REST API (`/api/ironbridge/v1/keys`, "Insights Hub IIoT for Makers" binding keys):
 * a key is created by name and its secret is in that one answer only; the list never shows a secret; a key gets
 * no scope its creator's token lacks; revoking stops the key and its tokens at once, and frees the name. Every
 * refusal names the field and the rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';

const KEYS = '/api/ironbridge/v1/keys';

describe('binding keys over /api/ironbridge/v1/keys', () => {
  const s = useServer();
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await s().api(`${KEYS}${path}`, {
      method, ...(token ? { token } : {}),
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    let message = text;
    try { message = (JSON.parse(text) as { errors?: { message: string }[] }).errors?.[0]?.message ?? text; } catch { /* not JSON */ }
    return { status: res.status, text, message, headers: res.headers };
  };
  const tokenOf = async (k: { clientId: string; clientSecret: string; tokenUrl: string }) => fetch(`${k.tokenUrl}?grant_type=client_credentials`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${k.clientId}:${k.clientSecret}`).toString('base64')}` },
  });
  type Created = { name: string; clientId: string; clientSecret: string; tokenUrl: string };
  type Listed = { name: string; clientId: string; scopes: string[]; revokedAt: string | null };

  it('creates a key shown once, lists it without a secret, revokes it (tokens stop at once) and frees its name', async () => {
    const made = await call('POST', '', { name: 'mendix-line7' });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.headers.get('cache-control'), 'no-store');
    const key = JSON.parse(made.text) as Created;
    assert.equal(key.name, 'mendix-line7');
    assert.equal(new URL(key.tokenUrl).pathname, '/oauth/token');
    const granted = await tokenOf(key);
    assert.equal(granted.status, 200);
    const access = ((await granted.json()) as { access_token: string }).access_token;
    assert.equal((await s().api('/api/tenantmanagement/v4/tenantInfo', { token: access })).status, 200);

    const listed = await call('GET', '');
    assert.equal(listed.status, 200);
    const mine = (JSON.parse(listed.text) as Listed[]).find((k) => k.name === 'mendix-line7');
    assert.equal(mine?.clientId, key.clientId);
    assert.equal(mine?.revokedAt, null);
    assert.ok(!listed.text.includes(key.clientSecret) && !listed.text.includes('scrypt'), 'the list holds no secret and no hash');

    assert.match((await call('POST', '', { name: 'mendix-line7' })).message, /An active binding key named "mendix-line7" already exists/);
    assert.equal((await call('DELETE', '/mendix-line7')).status, 204);
    assert.equal((await tokenOf(key)).status, 401, 'a revoked key gets no token');
    assert.equal((await s().api('/api/tenantmanagement/v4/tenantInfo', { token: access })).status, 401, 'its earlier token stops');
    const again = await call('DELETE', '/mendix-line7');
    assert.equal(again.status, 404);
    assert.match(again.message, /No active binding key named "mendix-line7"/);
    const revoked = (JSON.parse((await call('GET', '')).text) as Listed[]).find((k) => k.clientId === key.clientId);
    assert.ok(revoked?.revokedAt, 'the revoked key stays listed with its time');
    assert.equal((await call('POST', '', { name: 'mendix-line7' })).status, 201, 'the name is free again');
  });

  it('refuses a missing or invalid name and scopes, naming the field and the rule', async () => {
    for (const [body, pattern] of [
      [{}, /Field name value "undefined" is invalid: must be a string/],
      [{ name: 7 }, /Field name value "7" is invalid: must be a string/],
      [{ name: 'no spaces here' }, /name.*must be 1-64 letters, digits/],
      [{ name: '' }, /name.*must be 1-64 letters, digits/],
      [{ name: 'x'.repeat(65) }, /name.*must be 1-64 letters, digits/],
      [{ name: 'ok', scopes: 'am.asset.r' }, /Field scopes value "am\.asset\.r" is invalid: must be a non-empty array of scope names/],
      [{ name: 'ok', scopes: [] }, /scopes.*must be a non-empty array/],
      [{ name: 'ok', scopes: [1] }, /scopes.*must be a non-empty array/],
      [{ name: 'ok', scopes: ['no.such.scope'] }, /Field scopes value "no\.such\.scope" is invalid: a key may only have scopes your own token has/],
    ] as const) {
      const res = await call('POST', '', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.match(res.message, pattern, JSON.stringify(body));
    }
    assert.equal((await call('DELETE', '/never-made')).status, 404);
    assert.equal((JSON.parse((await call('GET', '')).text) as Listed[]).some((k) => k.name === 'ok'), false, 'no refused call made a key');
  });

  it('gives a key no scope its creator lacks: the creator\'s scopes by default, a subset on request', async () => {
    const creator = JSON.parse((await call('POST', '', { name: 'creator', scopes: ['iam.user.w', 'iam.user.r', 'am.asset.r'] })).text) as Created;
    const token = ((await (await tokenOf(creator)).json()) as { access_token: string }).access_token;
    const wider = await call('POST', '', { name: 'wider', scopes: ['am.asset.r', 'dl.ds.r'] }, token);
    assert.equal(wider.status, 400);
    assert.match(wider.message, /scopes value "dl\.ds\.r" is invalid: a key may only have scopes your own token has/);
    assert.equal((await call('POST', '', { name: 'same' }, token)).status, 201);
    assert.equal((await call('POST', '', { name: 'narrow', scopes: ['am.asset.r'] }, token)).status, 201);
    const list = JSON.parse((await call('GET', '')).text) as Listed[];
    assert.deepEqual(list.find((k) => k.name === 'same')?.scopes.sort(), ['am.asset.r', 'iam.user.r', 'iam.user.w']);
    assert.deepEqual(list.find((k) => k.name === 'narrow')?.scopes, ['am.asset.r']);
    // reading needs iam.user.r, changing iam.user.w
    const reader = JSON.parse((await call('POST', '', { name: 'reader', scopes: ['am.asset.r'] })).text) as Created;
    const readerToken = ((await (await tokenOf(reader)).json()) as { access_token: string }).access_token;
    const refused = await call('GET', '', undefined, readerToken);
    assert.equal(refused.status, 403);
    assert.match(refused.message, /iam\.user\.r/);
  });
});
