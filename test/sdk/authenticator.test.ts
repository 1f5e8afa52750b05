/**
 * @ironbridge/sdk authenticator against a real server: caching, single flight under 100 callers, refresh ahead
 * of and on expiry, 401 recovery, failures as typed errors, app credentials, secrets never shown, a TokenURL on
 * another host, port and path than the API base.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Authenticator, authDispatcher, authFetch, ConfigurationError, IronbridgeError } from '@ironbridge/sdk';
import { startServer, type TestServer } from '../helpers/server.js';

/** Counts the token requests an authenticator sends, passing them to the real fetch. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    fetch: ((input: string | URL | Request, init?: RequestInit) => { calls++; return fetch(input, init); }) as typeof fetch,
    calls: () => calls,
  };
}

const claims = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('sdk authenticator', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  const auth = (extra: Partial<ConstructorParameters<typeof Authenticator>[0]> = {}) =>
    new Authenticator({ tokenUrl: s.key.tokenUrl, clientId: s.key.clientId, clientSecret: s.key.clientSecret, ...extra });

  it('gets a token the platform accepts and caches it', async () => {
    const counter = countingFetch();
    const a = auth({ fetch: counter.fetch });
    const t1 = await a.getAccessToken();
    const t2 = await a.getAccessToken();
    assert.equal(t1, t2);
    assert.equal(counter.calls(), 1);
    const res = await fetch(`${s.url}/api/tenantmanagement/v4/tenantInfo`, { headers: await a.authHeaders() });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { name: string }).name, s.tenant);
  });

  it('sends one token request for 100 concurrent callers', async () => {
    const counter = countingFetch();
    const a = auth({ fetch: counter.fetch });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => a.getAccessToken()));
    assert.equal(counter.calls(), 1);
    assert.equal(new Set(tokens).size, 1);
    // and 100 concurrent API calls through the fetch wrapper still use that one token
    const f = authFetch(a, { baseUrl: s.url });
    const statuses = await Promise.all(Array.from({ length: 100 }, () =>
      f('/api/tenantmanagement/v4/tenantInfo').then(async (r) => { await r.arrayBuffer(); return r.status; })));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(counter.calls(), 1);
  });

  it('refreshes ahead of expiry and after expiry by its clock', async () => {
    let now = Date.now();
    const counter = countingFetch();
    const a = auth({ fetch: counter.fetch, now: () => now, refreshAheadSeconds: 300 });
    const t1 = await a.getAccessToken();
    assert.equal(a.expiresIn, s.config.tokenTtlSeconds);
    now += (s.config.tokenTtlSeconds - 301) * 1000; // still more than the refresh margin left
    assert.equal(await a.getAccessToken(), t1);
    now += 2000; // inside the last 300 s
    const t2 = await a.getAccessToken();
    assert.notEqual(t2, t1);
    assert.equal(counter.calls(), 2);
    now += s.config.tokenTtlSeconds * 1000 + 1; // t2 expired
    const t3 = await a.getAccessToken();
    assert.notEqual(t3, t2);
    assert.equal(counter.calls(), 3);
    assert.notEqual(claims(t3)['jti'], claims(t2)['jti']);
  });

  it('recovers from a 401 on a token its clock still thinks is fresh', async () => {
    // A short token and a client clock stuck in the past (clock skew): the platform rejects the cached token.
    // 3 s rather than 1 s, so that a loaded machine cannot expire it before the first call is answered.
    const short = await startServer({ tokenTtlSeconds: 3 });
    try {
      const frozen = Date.now();
      const counter = countingFetch();
      const a = new Authenticator({ tokenUrl: short.key.tokenUrl, clientId: short.key.clientId,
        clientSecret: short.key.clientSecret, fetch: counter.fetch, now: () => frozen });
      const f = authFetch(a, { baseUrl: short.url });
      assert.equal((await f('/api/tenantmanagement/v4/tenantInfo')).status, 200);
      const first = await a.getAccessToken();
      // wait until the platform's clock has passed exp (seconds resolution)
      const exp = claims(first)['exp'] as number;
      while (Date.now() < exp * 1000 + 1100) await new Promise((r) => setTimeout(r, 100));
      const direct = await fetch(`${short.url}/api/tenantmanagement/v4/tenantInfo`, { headers: { authorization: `Bearer ${first}` } });
      assert.equal(direct.status, 401, 'the platform must reject the expired token');
      await direct.arrayBuffer();
      const res = await f('/api/tenantmanagement/v4/tenantInfo');
      assert.equal(res.status, 200);
      assert.equal(counter.calls(), 2);
      assert.notEqual(await a.getAccessToken(), first);
    } finally {
      await short.close();
    }
  });

  it('adds the token through an undici dispatcher and drops it on 401', async () => {
    const a = auth();
    const dispatcher = authDispatcher(a);
    const res = await request(`${s.url}/api/tenantmanagement/v4/tenantInfo`, { dispatcher });
    assert.equal(res.statusCode, 200);
    assert.equal(((await res.body.json()) as { name: string }).name, s.tenant);
    const token = await a.getAccessToken();
    // a call that brings its own (bad) Authorization keeps it, and does not drop the cached token
    const own = await request(`${s.url}/api/tenantmanagement/v4/tenantInfo`, { dispatcher, headers: { authorization: 'Bearer nope' } });
    assert.equal(own.statusCode, 401);
    await own.body.dump();
    assert.equal(await a.getAccessToken(), token);
  });

  it('throws a typed error with the platform fields for bad credentials, without retrying', async () => {
    const counter = countingFetch();
    const a = auth({ clientSecret: 'wrong-secret-value', fetch: counter.fetch });
    const err = await a.getAccessToken().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof IronbridgeError);
    assert.equal(err.statusCode, 401);
    assert.equal(err.code, 'invalid_client');
    assert.ok(err.message.length > 0);
    assert.equal(counter.calls(), 1);
    assert.ok(!err.describe().includes('wrong-secret-value'));
  });

  it('retries transient failures with backoff, then succeeds', async () => {
    // A real front server on another port answers 503 twice, then forwards to the platform.
    let hits = 0;
    const front = http.createServer((req, res) => {
      hits++;
      if (hits <= 2) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable","error_description":"warming up"}');
        return;
      }
      forward(req, res, `${s.url}/oauth/token`);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const port = (front.address() as { port: number }).port;
      const a = auth({ tokenUrl: `http://127.0.0.1:${port}/oauth/token`, retryDelayMs: 10 });
      const token = await a.getAccessToken();
      assert.equal(hits, 3);
      assert.equal(a.requests, 3);
      assert.equal(claims(token)['ten'], s.tenant);
      // exhausted retries surface the last status as a typed error
      hits = -100;
      const b = auth({ tokenUrl: `http://127.0.0.1:${port}/oauth/token`, retries: 2, retryDelayMs: 1 });
      const err = await b.getAccessToken().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof IronbridgeError);
      assert.equal(err.statusCode, 503);
      assert.equal(err.message, 'warming up');
      assert.equal(b.requests, 3);
    } finally {
      front.close();
    }
  });

  it('keeps serving a still-valid token when an early refresh fails, but never an expired one', async () => {
    let down = false;
    const front = http.createServer((req, res) => {
      if (down) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable","error_description":"maintenance"}');
      else forward(req, res, `${s.url}/oauth/token`);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      let now = Date.now();
      const a = auth({ tokenUrl: `http://127.0.0.1:${(front.address() as { port: number }).port}/oauth/token`, now: () => now, retries: 1, retryDelayMs: 1 });
      const t1 = await a.getAccessToken();
      down = true;
      now += (s.config.tokenTtlSeconds - 10) * 1000; // inside the refresh margin, not expired
      assert.equal(await a.getAccessToken(), t1);
      assert.equal(a.requests, 3, 'the refresh was tried (with its retry)');
      now += 20_000; // expired now
      const err = await a.getAccessToken().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof IronbridgeError);
      assert.equal(err.statusCode, 503);
      down = false;
      assert.notEqual(await a.getAccessToken(), t1);
    } finally {
      front.close();
    }
  });

  it('works with a TokenURL on another host, port and path than the API base', async () => {
    // As with a cloud tenant: tokens from https://{tenant}.piam.{region}…/oauth/token, APIs from the gateway.
    const piam = http.createServer((req, res) => {
      if (req.url?.startsWith('/uaa/tenants/acme/oauth/token')) forward(req, res, `${s.url}/oauth/token`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => piam.listen(0, '127.0.0.1', r));
    try {
      const port = (piam.address() as { port: number }).port;
      const apiBase = s.url.replace('127.0.0.1', 'localhost');
      assert.notEqual(new URL(apiBase).host, `127.0.0.1:${port}`);
      const a = auth({ tokenUrl: `http://127.0.0.1:${port}/uaa/tenants/acme/oauth/token` });
      const f = authFetch(a, { baseUrl: apiBase });
      const res = await f('/api/tenantmanagement/v4/tenantInfo');
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { name: string }).name, s.tenant);
    } finally {
      piam.close();
    }
  });

  it('reads credentials from IRONBRIDGE_* variables and names a missing one', () => {
    const env = { IRONBRIDGE_TOKEN_URL: s.key.tokenUrl, IRONBRIDGE_CLIENT_ID: s.key.clientId, IRONBRIDGE_CLIENT_SECRET: s.key.clientSecret };
    const a = Authenticator.fromEnv({}, env);
    assert.equal(a.tokenUrl, s.key.tokenUrl);
    assert.equal(a.clientId, s.key.clientId);
    assert.throws(() => Authenticator.fromEnv({}, { ...env, IRONBRIDGE_CLIENT_SECRET: '' }),
      (e: unknown) => e instanceof ConfigurationError && /IRONBRIDGE_CLIENT_SECRET is not set/.test(e.message));
    assert.throws(() => Authenticator.fromEnv({}, { ...env, IRONBRIDGE_TOKEN_URL: 'not a url' }),
      (e: unknown) => e instanceof ConfigurationError && /tokenUrl must be an absolute http\(s\) URL/.test(e.message));
    assert.throws(() => new Authenticator({ tokenUrl: s.key.tokenUrl, clientId: 'x', clientSecret: 'y', retries: -1 }),
      /retries must be a number ≥ 0/);
  });

  it('never shows the secret: inspect, JSON and log events', async () => {
    const events: string[] = [];
    const a = auth({ log: (e, d) => events.push(`${e} ${JSON.stringify(d)}`) });
    await a.getAccessToken();
    const bad = auth({ clientSecret: 'another-secret-xyz', log: (e, d) => events.push(`${e} ${JSON.stringify(d)}`) });
    await bad.getAccessToken().catch(() => undefined);
    const shown = [inspect(a), JSON.stringify(a), inspect(bad, { showHidden: true }), String(a), ...events].join('\n');
    assert.ok(events.length >= 2);
    assert.ok(!shown.includes(s.key.clientSecret));
    assert.ok(!shown.includes('another-secret-xyz'));
  });

  it('gets app tokens from the technical token manager', async () => {
    const key = await s.platform.identity.service.createKey(s.tenant, 'widgets', { appName: 'widgets', appVersion: '1.0.0' });
    const a = new Authenticator({
      tokenUrl: `${s.url}/api/technicaltokenmanager/v3/oauth/token`, clientId: key.clientId, clientSecret: key.clientSecret,
      app: { appName: 'widgets', appVersion: '1.0.0', hostTenant: s.tenant, userTenant: s.tenant },
    });
    const token = await a.getAccessToken();
    assert.equal(claims(token)['ten'], s.tenant);
    const res = await fetch(`${s.url}/api/tenantmanagement/v4/tenantInfo`, { headers: await a.authHeaders() });
    assert.equal(res.status, 200);
    const wrongVersion = new Authenticator({
      tokenUrl: `${s.url}/api/technicaltokenmanager/v3/oauth/token`, clientId: key.clientId, clientSecret: key.clientSecret,
      app: { appName: 'widgets', appVersion: '2.0.0', hostTenant: s.tenant, userTenant: s.tenant },
    });
    const err = await wrongVersion.getAccessToken().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof IronbridgeError);
    assert.equal(err.statusCode, 403);
    assert.match(err.message, /widgets 1\.0\.0/);
  });
});

/** Passes a request through to a URL of the platform (a second, real HTTP hop). */
function forward(req: http.IncomingMessage, res: http.ServerResponse, target: string): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers.set(k, v);
    fetch(target, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined })
      .then(async (up) => {
        res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await up.arrayBuffer()));
      }, () => { res.writeHead(502).end(); });
  });
}
