/**
 * Token verification on every /api request (Industrial IoT Gateway docs "Required claims"; Insights Hub token claims): the claim set checked
 * by an independent JWT library, and every way a token can fail — absent, malformed, forged, expired, revoked,
 * without `ten`, without the scope — plus key rotation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair, importPKCS8, SignJWT } from 'jose';
import jwt from 'jsonwebtoken';
import { fetchToken, runCli, useServer } from '../helpers/server.js';

const INFO = '/api/tenantmanagement/v4/tenantInfo';

async function errorOf(res: Response): Promise<{ code: string; message: string; logref: string }> {
  const body = await res.json() as { errors: { code: string; message: string; logref: string }[] };
  assert.equal(body.errors.length, 1);
  return body.errors[0]!;
}

describe('bearer token verification', () => {
  const s = useServer();

  async function forge(claims: Record<string, unknown>, opts: { expiresIn?: number; kid?: string } = {}): Promise<string> {
    const [current] = await s().platform.identity.store.listSigningKeys();
    const key = await importPKCS8(current!.privatePem, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? current!.kid, typ: 'JWT' })
      .setIssuer(`${s().platform.publicUrl()}/oauth/token`)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now + (opts.expiresIn ?? 600))
      .sign(key);
  }
  const baseClaims = () => ({ client_id: s().key.clientId, ten: s().tenant, scope: ['tm.ti.r'], rev_sig: '' });

  it('issues the Insights Hub claim set, verifiable with an independent library against /token_keys', async () => {
    const token = await s().token();
    const keys = await (await fetch(`${s().url}/token_keys`)).json() as { keys: { kid: string; value: string; kty: string; alg: string; use: string; n: string; e: string }[] };
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string; alg: string; typ: string };
    assert.deepEqual({ alg: header.alg, typ: header.typ }, { alg: 'RS256', typ: 'JWT' });
    assert.equal(keys.keys[0]!.kid, header.kid, 'the signing key is listed first');
    assert.match(keys.keys[0]!.value, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
    assert.deepEqual([keys.keys[0]!.kty, keys.keys[0]!.alg, keys.keys[0]!.use], ['RSA', 'RS256', 'sig']);
    const claims = jwt.verify(token, keys.keys[0]!.value, { algorithms: ['RS256'], issuer: `${s().platform.publicUrl()}/oauth/token` }) as Record<string, unknown>;
    for (const c of ['iss', 'sub', 'aud', 'jti', 'iat', 'exp', 'zid', 'ten', 'scope', 'client_id', 'cid', 'azp', 'grant_type']) {
      assert.ok(c in claims, `claim ${c}`);
    }
    assert.ok(Array.isArray(claims['aud']) && Array.isArray(claims['scope']));
    assert.equal(Number(claims['exp']) - Number(claims['iat']), 1800);
    assert.equal(claims['ten'], s().tenant);
    assert.equal(claims['client_id'], s().key.clientId);
    assert.equal(claims['grant_type'], 'client_credentials');
    const jwks = await (await fetch(`${s().url}/.well-known/jwks.json`)).json() as { keys: { kid: string }[] };
    assert.equal(jwks.keys[0]!.kid, header.kid);
    const discovery = await (await fetch(`${s().url}/.well-known/openid-configuration`)).json() as Record<string, string>;
    assert.equal(discovery['issuer'], claims['iss']);
    assert.match(discovery['jwks_uri']!, /\/\.well-known\/jwks\.json$/);
  });

  it('401 without a token, with a non-Bearer header and with garbage, in the errors shape', async () => {
    for (const authorization of [undefined, 'Basic abc', 'Bearer', 'Bearer not-a-jwt', 'Bearer a.b.c']) {
      const res = await s().api(INFO, { token: null, headers: authorization ? { authorization } : {} });
      assert.equal(res.status, 401, String(authorization));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      const e = await errorOf(res);
      assert.match(e.code, /unauthorized|tokenInvalid/);
      assert.match(e.logref, /^[0-9a-f-]{36}$/);
    }
  });

  it('401 for a token signed by a foreign key, a tampered payload and an expired token', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const [current] = await s().platform.identity.store.listSigningKeys();
    const foreign = await new SignJWT(baseClaims()).setProtectedHeader({ alg: 'RS256', kid: current!.kid })
      .setIssuer(`${s().platform.publicUrl()}/oauth/token`).setExpirationTime('10m').sign(privateKey);
    assert.equal((await s().api(INFO, { token: foreign })).status, 401);

    // the original is accepted (and so cached, keyed by its signature) before the same signature is replayed on
    // another payload
    const original = await s().token();
    assert.equal((await s().api(INFO, { token: original })).status, 200);
    const [h, p, sig] = original.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, ten: 'other' })).toString('base64url'), sig].join('.');
    assert.equal((await s().api(INFO, { token: tampered })).status, 401);
    assert.equal((await s().api(INFO, { token: original })).status, 200, 'the cached original still verifies');

    const client = await s().platform.identity.store.getClient(s().key.clientId);
    const expired = await forge({ ...baseClaims(), rev_sig: client!.revSig }, { expiresIn: -60 });
    const res = await s().api(INFO, { token: expired });
    assert.equal(res.status, 401);
    assert.match((await errorOf(res)).message, /expired/);
    assert.equal((await s().api(INFO, { token: await forge({ ...baseClaims(), rev_sig: client!.revSig }, { kid: 'unknown-kid' }) })).status, 401);
  });

  it('403 when the ten claim is missing or malformed', async () => {
    const client = await s().platform.identity.store.getClient(s().key.clientId);
    for (const ten of [undefined, '', 'Not A Tenant', 42]) {
      const claims: Record<string, unknown> = { ...baseClaims(), rev_sig: client!.revSig, ten };
      if (ten === undefined) delete claims['ten'];
      const res = await s().api(INFO, { token: await forge(claims) });
      assert.equal(res.status, 403, String(ten));
      assert.match((await errorOf(res)).message, /"ten"/);
    }
  });

  it('403 when the token lacks the scope the endpoint needs, naming it', async () => {
    const narrow = await s().platform.identity.service.createKey(s().tenant, 'narrow', { scopes: ['iot.tim.r'] });
    const token = await fetchToken(s().url, narrow);
    const res = await s().api(INFO, { token });
    assert.equal(res.status, 403);
    assert.match((await errorOf(res)).message, /tm\.ti\.r/);
  });

  it('a revoked key: no new tokens, and its live tokens stop working at once (CLI revocation while serving)', async () => {
    const key = await s().platform.identity.service.createKey(s().tenant, 'shortlived');
    const token = await fetchToken(s().url, key);
    assert.equal((await s().api(INFO, { token })).status, 200); // now in the verified-token cache
    const cli = await runCli(['keys', 'revoke', '--name', 'shortlived', '--tenant', s().tenant, '--data-dir', s().config.dataDir, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(JSON.parse(cli.stdout).revokedAt);
    const res = await s().api(INFO, { token });
    assert.equal(res.status, 401);
    assert.match((await errorOf(res)).message, /revoked/);
    await assert.rejects(fetchToken(s().url, key), /401/);
    // The same name can be used again, and the old tokens stay dead.
    const again = await s().platform.identity.service.createKey(s().tenant, 'shortlived');
    assert.notEqual(again.clientId, key.clientId);
    assert.equal((await s().api(INFO, { token })).status, 401);
  });

  it('tenants are isolated: each token sees its own tenant only', async () => {
    await s().platform.provisionTenant('othertenant', 'other.example.com');
    const other = await s().platform.identity.service.createKey('othertenant', 'k');
    const otherToken = await fetchToken(s().url, other);
    const mine = await (await s().api(INFO)).json() as { name: string };
    const theirs = await (await s().api(INFO, { token: otherToken })).json() as { name: string };
    assert.equal(mine.name, s().tenant);
    assert.equal(theirs.name, 'othertenant');
    assert.equal((await s().platform.identity.service.listKeys('othertenant')).some((k) => k.clientId === s().key.clientId), false);
  });

  it('rotation: a new signing key is listed first, the old one stays until its tokens expire', async () => {
    const oldToken = await s().token();
    const before = (await (await fetch(`${s().url}/token_keys`)).json() as { keys: { kid: string }[] }).keys;
    await s().platform.identity.keys.ensureCurrent(Date.now() + 31 * 86_400_000);
    const afterKeys = (await (await fetch(`${s().url}/token_keys`)).json() as { keys: { kid: string }[] }).keys;
    assert.notEqual(afterKeys[0]!.kid, before[0]!.kid);
    assert.ok(afterKeys.some((k) => k.kid === before[0]!.kid), 'old key still published');
    assert.equal((await s().api(INFO, { token: oldToken })).status, 200);
    const fresh = await fetchToken(s().url, s().key);
    const kid = (JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    assert.equal(kid, afterKeys[0]!.kid);
    assert.equal((await s().api(INFO, { token: fresh })).status, 200);
  });

  it('unknown /api paths need a token first, then answer 404 in the errors shape', async () => {
    assert.equal((await s().api('/api/nothing/v1/here', { token: null })).status, 401);
    const res = await s().api('/api/nothing/v1/here');
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, 'mdsp.core.generic.routeNotFound');
  });
});
