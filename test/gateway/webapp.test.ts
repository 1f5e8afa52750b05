/**
 * Web app hosts (Industrial IoT Gateway docs "Security", "AJAX Requests", "Cache Control", "Content-Security-Policies"):
 * login page and sessions, redirect vs 401, CSRF (token and Origin), token exchange, logout, session
 * lifetimes, and the response header rules.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServer, testClock, type TestServer } from '../helpers/server.js';
import { decodeJwt, hostRequest, loginAs, registerOk, startBackend, webHost, type Backend } from './helpers.js';

const DEFAULT_CSP = "default-src 'self' static.local.localhost; style-src * 'unsafe-inline'; script-src 'self' 'unsafe-inline' static.local.localhost; img-src * data:;";

describe('web app sessions', () => {
  let s: TestServer;
  let backend: Backend;
  let host: string;
  before(async () => {
    s = await startServer();
    backend = await startBackend();
    await registerOk(s, { name: 'dash', target: backend.url, patterns: ['/**'] });
    host = webHost(s, 'dash');
  });
  after(async () => { await s.close(); await backend.close(); });

  it('without a session a normal request is redirected to login and returns to where it started', async () => {
    const res = await hostRequest(s.url, { host, path: '/deep/page?x=1' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/login?returnTo=%2Fdeep%2Fpage%3Fx%3D1');
    const page = await hostRequest(s.url, { host, path: res.headers.location });
    assert.equal(page.status, 200);
    assert.match(page.body, /<form method="post" action="\/login">/);
    assert.match(page.body, /name="returnTo" value="\/deep\/page\?x=1"/);
    assert.equal(page.headers['content-security-policy'], DEFAULT_CSP);
    await s.platform.identity.service.addUser(s.tenant, 'back@example.com', 'correct-horse-battery', 'user');
    const login = await hostRequest(s.url, { host, path: '/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'back@example.com', password: 'correct-horse-battery', returnTo: '/deep/page?x=1' }).toString() });
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/deep/page?x=1');
  });

  it('an AJAX request without a session gets 401, on app paths and /api paths', async () => {
    for (const path of ['/data.json', '/api/tenantmanagement/v4/tenantInfo']) {
      const res = await hostRequest(s.url, { host, path, headers: { 'x-requested-with': 'XMLHttpRequest' } });
      assert.equal(res.status, 401, path);
      assert.match(JSON.parse(res.body).errors[0].message, /No valid session/);
    }
  });

  it('login sets SESSION, REGION-SESSION (HttpOnly) and XSRF-TOKEN; wrong passwords are refused', async () => {
    await s.platform.identity.service.addUser(s.tenant, 'ann@example.com', 'correct-horse-battery', 'user');
    const form = (password: string) => new URLSearchParams({ email: 'ann@example.com', password }).toString();
    const wrongHtml = await hostRequest(s.url, { host, path: '/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: form('wrong-password') });
    assert.equal(wrongHtml.status, 401);
    assert.match(wrongHtml.body, /Wrong e-mail address or password/);
    const wrongJson = await hostRequest(s.url, { host, path: '/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form('wrong-password') });
    assert.equal(wrongJson.status, 401);
    assert.equal(JSON.parse(wrongJson.body).errors[0].code, 'ironbridge.gateway.loginFailed');
    const ok = await hostRequest(s.url, { host, path: '/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form('correct-horse-battery') });
    assert.equal(ok.status, 303);
    const cookies = ok.headers['set-cookie'] ?? [];
    assert.ok(cookies.some((c) => /^SESSION=[^;]+; Path=\/; HttpOnly/.test(c)));
    assert.ok(cookies.some((c) => /^REGION-SESSION=[^;]+; Path=\/; HttpOnly/.test(c)));
    assert.ok(cookies.some((c) => /^XSRF-TOKEN=[^;]+; Path=\/; SameSite=Lax$/.test(c)));
  });

  it('forwards the user bearer token (ten, user_name, email, user_id, scopes) and never the session cookies', async () => {
    const b = await loginAs(s, host, 'bob@example.com');
    const res = await hostRequest(s.url, { host, path: '/app/index.html', headers: { cookie: `${b.cookie}; theme=dark` } });
    assert.equal(res.status, 200);
    const seen = backend.seen.at(-1)!;
    const auth = String(seen.headers['authorization']);
    assert.match(auth, /^Bearer /);
    const claims = decodeJwt(auth.slice(7));
    assert.equal(claims['ten'], s.tenant);
    assert.equal(claims['user_name'], 'bob@example.com');
    assert.equal(claims['email'], 'bob@example.com');
    assert.equal(typeof claims['user_id'], 'string');
    assert.ok((claims['scope'] as string[]).includes('iot.tim.r'));
    assert.ok(!(claims['scope'] as string[]).includes('gw.registry.w'), 'a user role has no admin scopes');
    assert.equal(seen.headers['cookie'], 'theme=dark');
    // the token is a real platform token: the platform's own /api accepts the session on the app host
    const api = await hostRequest(s.url, { host, path: '/api/tenantmanagement/v4/tenantInfo', headers: { cookie: b.cookie } });
    assert.equal(api.status, 200);
    assert.equal(JSON.parse(api.body).name, s.tenant);
  });

  it('a session needs both cookies and belongs to its tenant', async () => {
    const b = await loginAs(s, host, 'carl@example.com');
    const onlySession = await hostRequest(s.url, { host, path: '/x', headers: { cookie: `SESSION=${b.session}` } });
    assert.equal(onlySession.status, 302);
    await s.platform.provisionTenant('rival', 'rival.example.com');
    await s.platform.gateway.registry.register('rival', { name: 'dash', target: backend.url, patterns: ['/**'] });
    const foreign = await hostRequest(s.url, { host: webHost(s, 'dash', 'rival'), path: '/x', headers: { cookie: b.cookie, 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(foreign.status, 401);
  });

  it('CSRF: state-changing requests need x-xsrf-token matching the session and a same-origin Origin', async () => {
    const b = await loginAs(s, host, 'dora@example.com');
    const post = (headers: Record<string, string>) => hostRequest(s.url, { host, path: '/save', method: 'POST', headers: { cookie: b.cookie, 'content-type': 'application/json', ...headers }, body: '{}' });
    const missing = await post({});
    assert.equal(missing.status, 403);
    assert.match(JSON.parse(missing.body).errors[0].message, /x-xsrf-token header is missing/);
    const wrong = await post({ 'x-xsrf-token': 'x'.repeat(b.xsrf.length) });
    assert.equal(wrong.status, 403);
    assert.match(JSON.parse(wrong.body).errors[0].message, /does not match/);
    const foreign = await post({ 'x-xsrf-token': b.xsrf, origin: 'http://evil.example.com' });
    assert.equal(foreign.status, 403);
    assert.match(JSON.parse(foreign.body).errors[0].message, /origin http:\/\/evil.example.com is not this host/);
    const foreignReferer = await post({ 'x-xsrf-token': b.xsrf, referer: 'http://evil.example.com/page' });
    assert.equal(foreignReferer.status, 403);
    const count = backend.seen.length;
    const ok = await post({ 'x-xsrf-token': b.xsrf, origin: `http://${host}` });
    assert.equal(ok.status, 200);
    assert.equal(backend.seen.length, count + 1, 'refused requests never reached the backend');
    const del = await hostRequest(s.url, { host, path: '/api/gatewayregistry/v1/apps/dash', method: 'DELETE', headers: { cookie: b.cookie } });
    assert.equal(del.status, 403);
  });

  it('active clients call a web app with a bearer token of the tenant instead of a session, without CSRF', async () => {
    const token = await s.token();
    const res = await hostRequest(s.url, { host, path: '/save', method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'x' });
    assert.equal(res.status, 200);
    assert.equal(backend.seen.at(-1)!.headers['authorization'], `Bearer ${token}`);
  });

  it('logout ends the session and clears the cookies', async () => {
    const b = await loginAs(s, host, 'eve@example.com');
    const noCsrf = await hostRequest(s.url, { host, path: '/logout', method: 'POST', headers: { cookie: b.cookie } });
    assert.equal(noCsrf.status, 403);
    const out = await hostRequest(s.url, { host, path: '/logout', method: 'POST', headers: { cookie: b.cookie, 'x-xsrf-token': b.xsrf } });
    assert.equal(out.status, 303);
    assert.ok((out.headers['set-cookie'] ?? []).some((c) => /^SESSION=; Path=\/; Max-Age=0/.test(c)));
    const after = await hostRequest(s.url, { host, path: '/x', headers: { cookie: b.cookie, 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(after.status, 401);
  });

  it('a login form returnTo cannot leave the host', async () => {
    await s.platform.identity.service.addUser(s.tenant, 'fay@example.com', 'correct-horse-battery', 'user');
    for (const returnTo of ['//evil.example.com/x', 'http://evil.example.com', '/\\evil.example.com']) {
      const res = await hostRequest(s.url, { host, path: '/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'fay@example.com', password: 'correct-horse-battery', returnTo }).toString() });
      assert.equal(res.headers.location, '/', returnTo);
    }
  });
});

describe('session lifetimes (idle 1 s, lifetime 3 s; an injected clock)', () => {
  let s: TestServer;
  let backend: Backend;
  const clock = testClock();
  before(async () => {
    s = await startServer({ sessionIdleSeconds: 1, sessionTtlSeconds: 3 }, { now: clock.now });
    backend = await startBackend();
    await registerOk(s, { name: 'dash', target: backend.url, patterns: ['/**'] });
  });
  after(async () => { await s.close(); await backend.close(); });

  it('a session without activity for the idle time ends', async () => {
    const host = webHost(s, 'dash');
    const b = await loginAs(s, host, 'idle@example.com');
    assert.equal((await hostRequest(s.url, { host, path: '/', headers: { cookie: b.cookie } })).status, 200);
    clock.advance(999);
    assert.equal((await hostRequest(s.url, { host, path: '/', headers: { cookie: b.cookie } })).status, 200, 'just inside the idle time');
    clock.advance(1000);
    assert.equal((await hostRequest(s.url, { host, path: '/', headers: { cookie: b.cookie } })).status, 302);
  });

  it('continuous activity (requests closer together than the store write interval) keeps the session', async () => {
    const host = webHost(s, 'dash');
    const b = await loginAs(s, host, 'rapid@example.com');
    for (let elapsed = 0; elapsed < 1800; elapsed += 30) {
      clock.advance(30);
      const res = await hostRequest(s.url, { host, path: '/', headers: { cookie: b.cookie } });
      assert.equal(res.status, 200, `ended after ${elapsed + 30} ms of continuous activity`);
    }
  });

  it('activity keeps a session alive until its maximum lifetime', async () => {
    const host = webHost(s, 'dash');
    const b = await loginAs(s, host, 'busy@example.com');
    let elapsed = 0;
    let status = 200;
    while (status === 200 && elapsed < 6000) {
      clock.advance(300);
      elapsed += 300;
      status = (await hostRequest(s.url, { host, path: '/', headers: { cookie: b.cookie } })).status;
      if (status === 200) assert.ok(elapsed < 3300, 'alive past the lifetime');
    }
    assert.equal(status, 302);
    assert.ok(elapsed >= 2900, 'ended before its lifetime although active');
  });
});

describe('web app response headers', () => {
  let s: TestServer;
  let backend: Backend;
  let token: string;
  before(async () => {
    s = await startServer();
    backend = await startBackend((req, res) => {
      const h: Record<string, string> = { 'content-type': 'text/html' };
      if (req.url === '/own-csp') h['content-security-policy'] = "default-src 'none'";
      if (req.url === '/report-only') h['content-security-policy-report-only'] = "default-src 'self'";
      if (req.url === '/cached') h['cache-control'] = 'public, max-age=60';
      if (req.url === '/blank-cache') h['cache-control'] = ' ';
      if (req.url === '/nocache') h['cache-control'] = 'no-cache';
      res.writeHead(200, h);
      res.end('<p>hi</p>');
    });
    token = await s.token();
    await registerOk(s, { name: 'plain', target: backend.url, patterns: ['/**'] });
    await registerOk(s, { name: 'conf', target: backend.url, patterns: ['/**'], cacheControl: 'private, max-age=10', csp: "default-src 'self'" });
  });
  after(async () => { await s.close(); await backend.close(); });
  const get = (app: string, path: string) => hostRequest(s.url, { host: webHost(s, app), path, headers: { authorization: `Bearer ${token}` } });

  it('adds the default CSP exactly as the seed gives it, X-XSS-Protection and nosniff', async () => {
    const res = await get('plain', '/');
    assert.equal(res.headers['content-security-policy'], DEFAULT_CSP);
    assert.equal(res.headers['x-xss-protection'], '1; mode=block');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it("keeps the app's own Content-Security-Policy or Content-Security-Policy-Report-Only", async () => {
    const own = await get('plain', '/own-csp');
    assert.equal(own.headers['content-security-policy'], "default-src 'none'");
    const ro = await get('plain', '/report-only');
    assert.equal(ro.headers['content-security-policy'], undefined);
    assert.equal(ro.headers['content-security-policy-report-only'], "default-src 'self'");
  });

  it('uses the registered CSP when the app sends none', async () => {
    assert.equal((await get('conf', '/')).headers['content-security-policy'], "default-src 'self'");
  });

  it('Cache-Control: passed through, else the registered value, else the default', async () => {
    assert.equal((await get('plain', '/cached')).headers['cache-control'], 'public, max-age=60');
    assert.equal((await get('conf', '/cached')).headers['cache-control'], 'public, max-age=60');
    assert.equal((await get('conf', '/')).headers['cache-control'], 'private, max-age=10');
    assert.equal((await get('conf', '/blank-cache')).headers['cache-control'], 'private, max-age=10');
    assert.equal((await get('plain', '/')).headers['cache-control'], 'no-cache, no-store, max-age=0, must-revalidate');
    assert.equal((await get('plain', '/blank-cache')).headers['cache-control'], 'no-cache, no-store, max-age=0, must-revalidate');
  });

  const http10 = (path: string) => new Promise<string>((resolve, reject) => {
    const c = net.connect(Number(new URL(s.url).port), '127.0.0.1', () => {
      c.write(`GET ${path} HTTP/1.0\r\nHost: ${webHost(s, 'plain')}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    });
    let data = '';
    c.on('data', (d: Buffer) => { data += d.toString(); });
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });

  it('HTTP/1.0 clients get Pragma: no-cache and Expires: 0 with no-cache; HTTP/1.1 clients do not', async () => {
    const head = (await http10('/nocache')).split('\r\n\r\n')[0]!.toLowerCase();
    assert.match(head, /\r\npragma: no-cache\r\n/);
    assert.match(head, /\r\nexpires: 0\r\n/);
    const dflt = (await http10('/')).split('\r\n\r\n')[0]!.toLowerCase();
    assert.match(dflt, /\r\npragma: no-cache\r\n/, 'the default Cache-Control contains no-cache');
    const cached = (await http10('/cached')).split('\r\n\r\n')[0]!.toLowerCase();
    assert.doesNotMatch(cached, /pragma/);
    const h11 = await get('plain', '/nocache');
    assert.equal(h11.headers['pragma'], undefined);
    assert.equal(h11.headers['expires'], undefined);
  });
});
