/**
 * Back-off against guessing (docs/gateway.md "Guessing"), over the wire with an injected clock: after
 * --auth-backoff-after failures a client id or user is locked (429 + Retry-After, no hash check), the lock doubles
 * with each further failure up to --auth-backoff-max, a success forgets the failures, other accounts are not
 * affected, locks are logged and counted in the metrics; and the limiter's memory is bounded.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { metricsRegistry } from '../../src/core/metrics.js';
import { Backoff } from '../../src/identity/backoff.js';
import { testClock, useServer } from '../helpers/server.js';
import { hostRequest, registerOk, webHost } from '../gateway/helpers.js';
import { basicAuth, oauthPost, registerOAuthClient } from './oauth/helpers.js';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({ write(chunk: Buffer, _enc, done) {
  for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  done();
} });

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = metricsRegistry.getSingleMetric(name);
  const values = (await m!.get()).values;
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

describe('back-off per client id and per user (after 5 failures, 1 s doubling to 30 s)', () => {
  const clock = testClock();
  const s = useServer({}, { now: clock.now, logger: createLogger('info', sink) });
  const token = (secret: string, clientId = s().key.clientId) => fetch(`${s().url}/oauth/token`, { method: 'POST',
    headers: { authorization: basicAuth(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });

  it('the right secret after 200 wrong ones does not simply work at once; after the lock it does, and resets the count', async () => {
    const locksBefore = await metric('ironbridge_identity_credential_locks_total', { kind: 'client' });
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await token('wrong-secret')).status);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(statuses.slice(5).every((x) => x === 429), 'locked after the fifth failure; refused attempts are not checked');
    const right = await token(s().key.clientSecret);
    assert.equal(right.status, 429, 'the right secret waits for the lock too');
    assert.equal(right.headers.get('retry-after'), '1');
    assert.deepEqual(await right.json(), { error: 'temporarily_unavailable',
      error_description: 'Too many failed attempts for these credentials; retry in 1 s.' });
    assert.equal(await metric('ironbridge_identity_credential_locks_total', { kind: 'client' }), locksBefore + 1,
      'refusals during the lock did not lengthen it');
    assert.ok(lines.some((l) => l['msg'] === 'repeated failed credential checks: account locked (back-off)' && l['account'] === s().key.clientId
      && l['kind'] === 'client'), 'the lock is logged with the client id');
    clock.advance(1000);
    assert.equal((await token(s().key.clientSecret)).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await token('wrong-secret')).status, 401, 'the success forgot the failures');
    assert.equal((await token(s().key.clientSecret)).status, 200);
  });

  it('each further failure doubles the lock, up to the maximum; other clients are not affected', async () => {
    const other = await s().platform.identity.service.createKey(s().tenant, 'bystander');
    const key = await s().platform.identity.service.createKey(s().tenant, 'guessed');
    const attempt = (secret: string) => token(secret, key.clientId);
    for (let i = 0; i < 5; i++) assert.equal((await attempt('wrong')).status, 401);
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const locked = await attempt('wrong');
      assert.equal(locked.status, 429);
      seen.push(locked.headers.get('retry-after')!);
      clock.advance(Number(locked.headers.get('retry-after')) * 1000);
      assert.equal((await attempt('wrong')).status, 401, 'checked again once the lock is over');
    }
    assert.deepEqual(seen, ['1', '2', '4', '8', '16', '30', '30', '30']);
    assert.equal((await token(other.clientSecret, other.clientId)).status, 200, 'another client of the tenant works meanwhile');
    assert.equal((await attempt(key.clientSecret)).status, 429);
    clock.advance(30_000);
    assert.equal((await attempt(key.clientSecret)).status, 200, 'the legitimate client waits at most --auth-backoff-max');
  });

  it('unknown client ids lock like known ones: the answers do not tell which exist', async () => {
    const known = await s().platform.identity.service.createKey(s().tenant, 'known');
    for (const id of [known.clientId, `${s().tenant}-unknown-0000`]) {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await token('wrong', id)).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429], id);
    }
  });

  it('a user is locked after 5 wrong passwords at /login, in the errors shape and on the HTML form', async () => {
    await registerOk(s(), { name: 'dash', target: 'http://127.0.0.1:1', patterns: ['/**'] });
    const host = webHost(s(), 'dash');
    await s().platform.identity.service.addUser(s().tenant, 'guessed@example.com', 'correct-horse-battery', 'user');
    const login = (password: string, accept = 'application/json') => hostRequest(s().url, { host, path: '/login', method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
      body: new URLSearchParams({ email: 'Guessed@Example.com', password }).toString() });
    for (let i = 0; i < 5; i++) assert.equal((await login('wrong-password')).status, 401);
    const locked = await login('correct-horse-battery');
    assert.equal(locked.status, 429);
    assert.equal(locked.headers['retry-after'], '1');
    assert.equal(JSON.parse(locked.body).errors[0].code, 'ironbridge.identity.locked');
    const page = await login('correct-horse-battery', 'text/html');
    assert.equal(page.status, 429);
    assert.match(page.body, /Too many failed attempts for these credentials; retry in 1 s\./);
    assert.match(page.body, /<form method="post" action="\/login">/);
    assert.ok(await metric('ironbridge_identity_credential_locks_total', { kind: 'user' }) >= 1);
    assert.ok(lines.some((l) => l['kind'] === 'user' && l['account'] === `${s().tenant}/guessed@example.com`));
    clock.advance(1000);
    assert.equal((await login('correct-horse-battery')).status, 303);
  });

  it('a confidential web app client is locked at the sign-in\'s token endpoint too', async () => {
    const app = await registerOAuthClient(s(), true, 'Guessed App');
    const body = { grant_type: 'refresh_token', refresh_token: 'x' };
    for (let i = 0; i < 5; i++) assert.equal((await oauthPost(s(), 'token', body, { authorization: basicAuth(app.clientId, 'wrong') })).status, 401);
    const locked = await oauthPost(s(), 'token', body, { authorization: basicAuth(app.clientId, app.clientSecret!) });
    assert.equal(locked.status, 429);
    clock.advance(1000);
    const ok = await oauthPost(s(), 'token', body, { authorization: basicAuth(app.clientId, app.clientSecret!) });
    assert.equal(ok.status, 400, 'authenticated; the made-up refresh token is the only fault');
  });
});

describe('the back-off remembers a bounded number of accounts', () => {
  it('at most maxEntries, the least recently failing forgotten first; forgotten after forgetMs without failures', () => {
    const clock = testClock(0);
    const b = new Backoff({ after: 2, initialMs: 1000, maxMs: 4000, forgetMs: 60_000, maxEntries: 3, now: clock.now });
    assert.deepEqual([b.failed('a'), b.failed('a')], [0, 1000]);
    assert.equal(b.wait('a'), 1000);
    for (const k of ['b', 'c']) b.failed(k);
    assert.equal(b.size, 3);
    b.failed('a'); // the latest failure moves "a" to the end
    b.failed('d');
    assert.equal(b.size, 3);
    assert.equal(b.wait('a'), 2000, '"a" failed last but one: kept');
    assert.equal(b.failed('b'), 0, '"b" was the least recently failing: forgotten, counting from one again');
    clock.advance(60_000);
    assert.equal(b.wait('a'), 0);
    assert.equal(b.failed('a'), 0, 'failures older than forgetMs are forgotten');
    for (let i = 0; i < 10_000; i++) b.failed(`flood-${i}`);
    assert.equal(b.size, 3);
  });
});
