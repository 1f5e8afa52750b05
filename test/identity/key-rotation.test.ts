/**
 * Binding key rotation (`POST /api/ironbridge/v1/keys/{name}/rotate`, `ironbridge keys rotate`): the new secret works
 * at once, the old one until the grace period (keyRotationGraceSeconds) ends by the server's injected clock, and
 * not after; a wrong secret never; another tenant's key and an unknown name are 404.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchToken, runCli, startServer, testClock, type TestServer } from '../helpers/server.js';

const GRACE_S = 3600;

describe('binding key rotation: old and new secret during the grace period, only the new one after', () => {
  const clock = testClock();
  let s: TestServer;
  before(async () => { s = await startServer({ keyRotationGraceSeconds: GRACE_S }, { now: clock.now }); });
  after(() => s.close());

  const token = (clientId: string, clientSecret: string) => fetchToken(s.url, { clientId, clientSecret });
  const rotate = (name: string, bearer?: string) => s.api(`/api/ironbridge/v1/keys/${name}/rotate`, { method: 'POST',
    ...(bearer ? { token: bearer } : {}) });

  it('REST: both secrets work during the grace period, the old one fails after it, a wrong one never', async () => {
    const old = await s.platform.identity.service.createKey(s.tenant, 'rotating');
    const res = await rotate('rotating');
    assert.equal(res.status, 200);
    const rotated = await res.json() as { clientId: string; clientSecret: string; tokenUrl: string; previousSecretValidUntil: string };
    assert.equal(rotated.clientId, old.clientId, 'the client id stays, so apps change only the secret');
    assert.notEqual(rotated.clientSecret, old.clientSecret);
    assert.match(rotated.tokenUrl, new RegExp(`:${new URL(s.url).port}/oauth/token$`));
    assert.equal(rotated.previousSecretValidUntil, new Date(clock.now() + GRACE_S * 1000).toISOString());
    const tokenBefore = await token(old.clientId, old.clientSecret);
    assert.ok(await token(rotated.clientId, rotated.clientSecret));
    assert.ok(await token(old.clientId, old.clientSecret), 'the old secret during the grace period');
    await assert.rejects(token(old.clientId, 'wrong-secret'), /401/);
    clock.advance(GRACE_S * 1000 - 1000);
    assert.ok(await token(old.clientId, old.clientSecret), 'a second before the end');
    clock.advance(2000);
    await assert.rejects(token(old.clientId, old.clientSecret), /401/, 'the old secret after the grace period');
    assert.ok(await token(rotated.clientId, rotated.clientSecret), 'the new secret after it');
    const info = await s.api('/api/tenantmanagement/v4/tenantInfo', { token: tokenBefore });
    assert.equal(info.status, 200, 'a rotation revokes no token');
  });

  it('a second rotation ends the first secret at once; an unknown key and another tenant\'s key are 404; no write scope is 403', async () => {
    const first = await s.platform.identity.service.createKey(s.tenant, 'twice');
    const second = await (await rotate('twice')).json() as { clientSecret: string };
    const third = await (await rotate('twice')).json() as { clientSecret: string };
    await assert.rejects(token(first.clientId, first.clientSecret), /401/, 'two rotations back');
    assert.ok(await token(first.clientId, second.clientSecret));
    assert.ok(await token(first.clientId, third.clientSecret));
    const unknown = await rotate('no-such-key');
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json() as { errors: { code: string }[] }).errors[0]?.code, 'ironbridge.identity.keyNotFound');
    await s.platform.provisionTenant('other', 'other.example.com');
    const otherKey = await s.platform.identity.service.createKey('other', 'theirs');
    assert.equal((await rotate('theirs')).status, 404, 'a key of another tenant');
    await assert.rejects(token(otherKey.clientId, 'x'), /401/);
    assert.ok(await token(otherKey.clientId, otherKey.clientSecret), 'not rotated');
    const reader = await s.platform.identity.service.createKey(s.tenant, 'reader', { scopes: ['iam.user.r'] });
    assert.equal((await rotate('twice', await token(reader.clientId, reader.clientSecret))).status, 403);
  });

  it('ironbridge keys rotate prints the new secret and the deadline of the old one', async () => {
    const key = await s.platform.identity.service.createKey(s.tenant, 'fromcli');
    const cli = await runCli(['keys', 'rotate', '--tenant', s.tenant, '--name', 'fromcli', '--json', '--data-dir', s.config.dataDir],
      { env: { IRONBRIDGE_KEY_ROTATION_GRACE: '600' } });
    assert.equal(cli.code, 0, cli.stderr);
    const out = JSON.parse(cli.stdout) as { clientId: string; clientSecret: string; previousSecretValidUntil: string };
    assert.equal(out.clientId, key.clientId);
    const until = Date.parse(out.previousSecretValidUntil);
    assert.ok(Math.abs(until - (Date.now() + 600_000)) < 60_000, out.previousSecretValidUntil);
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(await token(key.clientId, out.clientSecret), 'the new secret, written by another process');
    const missing = await runCli(['keys', 'rotate', '--tenant', s.tenant, '--name', 'nope', '--data-dir', s.config.dataDir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No active binding key named "nope"/);
  });
});
