/**
 * Isolation on the gateway's own surfaces, which are not fastify routes (Industrial IoT Gateway "Call to Web
 * Application", "Web Application Client Call to API", "AJAX Requests", "WebSockets"): web app hosts
 * `{tenant}-{app}` with their login, logout, app paths, platform APIs under /api and WebSocket upgrades, and
 * provider APIs `/api/{name}-{provider}` on the gateway host. Tenants A and B register the same app name on the
 * same backend; A's session cookie, A's bearer token and A's user are tried on B's host (and the reverse), each
 * next to a positive control on the caller's own host.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { actorOf } from './fixtures/index.js';
import { type Answer, errorShapeProblem, header, leaksIn, type SecurityEnv, securityEnv, send } from './harness.js';

const REG = '/api/gatewayregistry/v1';
const PASSWORD = 'correct-horse-battery';

interface Seen { url: string; ten: unknown; upgrade: boolean }

describe('isolation on web app hosts and provider APIs', () => {
  let env: SecurityEnv;
  let backend: http.Server;
  let wss: WebSocketServer;
  const seen: Seen[] = [];
  let host: { A: string; B: string };
  let cookie: { A: string; B: string };
  let xsrf: { A: string; B: string };
  let assetName: string;

  const claimsOf = (authorization: string | undefined): Record<string, unknown> => {
    const token = String(authorization ?? '').replace(/^Bearer /, '');
    try {
      return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const tenOf = (h: IncomingHttpHeaders): unknown => claimsOf(h.authorization)['ten'];

  const login = async (tenant: string, appHost: string, email: string): Promise<{ cookie: string; xsrf: string }> => {
    const a = await send(env.url, { method: 'POST', path: '/login', host: appHost, body: new URLSearchParams({ email, password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${appHost}` } });
    assert.equal(a.status, 303, `login of ${email} on ${tenant}: ${a.text}`);
    const cookies = [a.headers['set-cookie']].flat().filter((c): c is string => !!c).map((c) => c.split(';')[0]!);
    return { cookie: cookies.join('; '), xsrf: cookies.find((c) => c.startsWith('XSRF-TOKEN='))!.slice('XSRF-TOKEN='.length) };
  };

  before(async () => {
    env = await securityEnv();
    backend = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', ten: tenOf(req.headers), upgrade: false });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"backend":true}');
    });
    wss = new WebSocketServer({ server: backend });
    wss.on('connection', (ws, req) => { seen.push({ url: req.url ?? '', ten: tenOf(req.headers), upgrade: true }); ws.close(); });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const port = new URL(env.url).port;
    const suffix = `${env.s.config.region}.${env.s.config.domain}:${port}`;
    host = { A: `${env.A.name}-dash.${suffix}`, B: `${env.B.name}-dash.${suffix}` };
    for (const t of [env.A, env.B]) {
      const r = await send(env.url, { method: 'POST', path: `${REG}/apps`, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'dash', target, patterns: ['/**'] }) });
      assert.equal(r.status, 201, r.text);
      await env.s.platform.identity.service.addUser(t.name, `user@${t.name}.example.com`, PASSWORD, 'admin');
    }
    await actorOf(env).ok('POST', `${REG}/apps`, { name: 'meter', provider: 'acme', type: 'api', target, patterns: ['/v1/**'] });
    const actor = actorOf(env);
    const root = (await actor.ok('GET', '/api/assetmanagement/v3/assets/root')).body.assetId as string;
    assetName = actor.name('Asset');
    await actor.ok('POST', '/api/assetmanagement/v3/assets', { name: assetName, typeId: 'core.basicasset', parentId: root });
    const a = await login(env.A.name, host.A, `user@${env.A.name}.example.com`);
    const b = await login(env.B.name, host.B, `user@${env.B.name}.example.com`);
    cookie = { A: a.cookie, B: b.cookie };
    xsrf = { A: a.xsrf, B: b.xsrf };
  });
  after(async () => {
    wss.close();
    backend.close();
    await env.close();
  });

  /** What the caller sent and knows (host, path, headers and its own token's claims): an echo of it is no leak. */
  const asked = new WeakMap<Answer, string>();
  const get = async (h: string, path: string, headers: Record<string, string> = {}) => {
    const a = await send(env.url, { method: 'GET', path, host: h, headers });
    asked.set(a, `${h}${path}${JSON.stringify(headers)}${JSON.stringify(claimsOf(headers['authorization']))}`);
    return a;
  };
  const ajax = { 'x-requested-with': 'XMLHttpRequest' };
  const noLeak = (a: Answer, what: string) => assert.deepEqual(leaksIn(a, env.secrets, asked.get(a) ?? ''), [], `${what}: ${a.text.slice(0, 300)}`);
  const refused = (a: Answer, status: number, path: string, what: string) => {
    assert.equal(a.status, status, `${what}: ${a.text.slice(0, 300)}`);
    assert.equal(errorShapeProblem(a, path), undefined, what);
    noLeak(a, what);
  };

  it('A\'s session on B\'s host is no session: 401 for AJAX on app paths, /api and provider APIs, the login page otherwise', async () => {
    const before = seen.length;
    for (const path of ['/page', '/api/assetmanagement/v3/assets', '/api/tenantmanagement/v4/tenantInfo', '/api/meter-acme/v1/x']) {
      refused(await get(host.B, path, { cookie: cookie.A, ...ajax }), 401, path, `A's cookie on B's host, ${path}`);
    }
    const page = await get(host.B, '/page', { cookie: cookie.A });
    assert.equal(page.status, 302);
    assert.equal(page.headers['location'], '/login?returnTo=%2Fpage');
    assert.equal(page.headers['set-cookie'], undefined);
    assert.equal(seen.length, before, 'nothing reached the backend');
    // positive controls: each session on its own host
    const own = await get(host.A, '/page', { cookie: cookie.A });
    assert.equal(own.status, 200);
    assert.equal(seen.at(-1)?.ten, env.A.name, 'A\'s app gets a token of A');
    const assets = await get(host.A, '/api/assetmanagement/v3/assets?size=200', { cookie: cookie.A, ...ajax });
    assert.equal(assets.status, 200);
    assert.ok(assets.text.includes(assetName), 'A sees its asset through its app host');
    const theirs = await get(host.B, '/api/assetmanagement/v3/assets?size=200', { cookie: cookie.B, ...ajax });
    assert.equal(theirs.status, 200);
    noLeak(theirs, 'B\'s own session on B\'s host');
    await get(host.B, '/page', { cookie: cookie.B });
    assert.equal(seen.at(-1)?.ten, env.B.name);
  });

  it('a bearer token of one tenant is refused with 403 on the other\'s host, on app paths and /api paths', async () => {
    const before = seen.length;
    for (const path of ['/page', '/api/assetmanagement/v3/assets']) {
      refused(await get(host.B, path, { authorization: `Bearer ${env.A.token}` }), 403, path, `A's token on B's host, ${path}`);
      refused(await get(host.A, path, { authorization: `Bearer ${env.B.token}` }), 403, path, `B's token on A's host, ${path}`);
    }
    assert.equal(seen.length, before, 'nothing reached the backend');
    assert.equal((await get(host.A, '/page', { authorization: `Bearer ${env.A.token}` })).status, 200, 'positive control');
  });

  it('a session cookie made of A\'s SESSION and B\'s REGION-SESSION is no session on either host', async () => {
    const part = (c: string, name: string) => c.split('; ').find((p) => p.startsWith(`${name}=`))!;
    const mixed = `${part(cookie.A, 'SESSION')}; ${part(cookie.B, 'REGION-SESSION')}`;
    for (const h of [host.A, host.B]) refused(await get(h, '/page', { cookie: mixed, ...ajax }), 401, '/page', `mixed cookie on ${h}`);
  });

  it('/login on B\'s host refuses A\'s user; /logout on B\'s host does not end A\'s session', async () => {
    const wrongHost = await send(env.url, { method: 'POST', path: '/login', host: host.B,
      body: new URLSearchParams({ email: `user@${env.A.name}.example.com`, password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${host.B}` } });
    refused(wrongHost, 401, '/login', 'A\'s user logging in on B\'s host');
    assert.equal(wrongHost.headers['set-cookie'], undefined);
    const logout = await send(env.url, { method: 'POST', path: '/logout', host: host.B,
      headers: { cookie: cookie.A, 'x-xsrf-token': xsrf.A, origin: `http://${host.B}` } });
    refused(logout, 401, '/logout', 'A\'s session logging out on B\'s host');
    assert.equal((await get(host.A, '/page', { cookie: cookie.A })).status, 200, 'A\'s session is still alive');
  });

  /** Sends a WebSocket Upgrade over a raw socket and returns the status line the gateway answers with. */
  const upgrade = (h: string, sessionCookie: string) => new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(new URL(env.url).port), '127.0.0.1', () => {
      socket.write(`GET /socket HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://${h}\r\nCookie: ${sessionCookie}\r\n\r\n`);
    });
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\r\n')) { resolve(data.split('\r\n')[0]!); socket.destroy(); }
    });
    socket.on('error', reject);
  });

  it('a WebSocket upgrade with A\'s session on B\'s host is refused before the backend; on A\'s host it opens', async () => {
    const before = seen.filter((x) => x.upgrade).length;
    assert.match(await upgrade(host.B, cookie.A), /^HTTP\/1\.1 401 /);
    assert.equal(seen.filter((x) => x.upgrade).length, before, 'no upgrade reached the backend');
    // the gateway answers 101 only after the backend's handshake, which records it
    assert.match(await upgrade(host.A, cookie.A), /^HTTP\/1\.1 101 /);
    assert.equal(seen.filter((x) => x.upgrade).at(-1)?.ten, env.A.name);
  });

  it('A\'s provider API is unknown to B on the gateway host; A reaches it', async () => {
    const before = seen.length;
    refused(await send(env.url, { method: 'GET', path: '/api/meter-acme/v1/x', headers: { authorization: `Bearer ${env.B.token}` } }),
      404, '/api/meter-acme/v1/x', 'B calling A\'s provider API');
    assert.equal(seen.length, before, 'nothing reached the backend');
    const own = await send(env.url, { method: 'GET', path: '/api/meter-acme/v1/x', headers: { authorization: `Bearer ${env.A.token}` } });
    assert.equal(own.status, 200);
    assert.equal(seen.at(-1)?.ten, env.A.name);
  });

  it('A\'s session does not sign A\'s user in to B\'s OAuth client (single sign-on stays in its tenant)', async () => {
    const client = await send(env.url, { method: 'POST', path: `${REG}/oauthclients`, headers: { authorization: `Bearer ${env.B.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Rival', redirectUris: ['http://app.example.com/cb'] }) });
    assert.equal(client.status, 201, client.text);
    const form = {
      response_type: 'code', client_id: (JSON.parse(client.text) as { clientId: string }).clientId, redirect_uri: 'http://app.example.com/cb',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', decision: 'allow',
    };
    const extras: Record<string, string>[] = [{}, { email: `user@${env.A.name}.example.com`, password: PASSWORD }];
    for (const extra of extras) {
      const a = await send(env.url, { method: 'POST', path: '/oauth/webapp/authorize', body: new URLSearchParams({ ...form, ...extra }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie.A } });
      assert.equal(a.status, 401, a.text.slice(0, 300));
      assert.equal(header(a, 'location'), undefined, 'no code was issued');
      noLeak(a, 'the consent page');
    }
  });
});
