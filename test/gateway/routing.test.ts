/**
 * Host and path routing through the running server (Industrial IoT Gateway docs "URL Schemes"): Gateway Registry over REST and
 * CLI, web app and provider API forwarding, the platform's own /api on every host, 404s, streaming proxy
 * headers, 502 and 504, errors in JSON or XML by Accept and 406.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { runCli, startServer, type TestServer } from '../helpers/server.js';
import { hostRequest, register, registerOk, startBackend, webHost, type Backend } from './helpers.js';

describe('gateway routing', () => {
  let s: TestServer;
  let backend: Backend;
  let token: string;
  before(async () => {
    s = await startServer({ gatewayIdleTimeoutMs: 1000 });
    backend = await startBackend((req, res, body) => {
      if (req.url?.includes('/slow')) return; // never answers: 504
      if (req.url?.includes('/cookies')) {
        res.writeHead(200, [['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2; Path=/'], ['x-xss-protection', '0'], ['pragma', 'x']]);
        res.end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', connection: 'x-private', 'x-private': 'hop', 'keep-alive': 'timeout=5' });
      res.end(JSON.stringify({ url: req.url, body }));
    });
    token = await s.token();
    await registerOk(s, { name: 'dash', target: `${backend.url}/base`, patterns: ['/**', '/exact'] });
    await registerOk(s, { name: 'things', provider: 'acme', type: 'api', target: backend.url, patterns: ['/v1/things/**'] });
  });
  after(async () => { await s.close(); await backend.close(); });

  const gw = () => `gateway.${s.config.region}.${s.config.domain}`;

  it('registers, lists and removes over REST with the admin scope', async () => {
    const created = await register(s, { name: 'tmp', provider: 'xyz', target: 'http://127.0.0.1:1', patterns: ['/index.html'], cacheControl: 'max-age=60' });
    assert.equal(created.status, 201);
    const body = await created.json() as Record<string, unknown>;
    assert.equal(body['url'], `${s.tenant}-tmp-xyz.local.localhost`);
    const list = await (await s.api('/api/gatewayregistry/v1/apps')).json() as { apps: { name: string }[] };
    assert.deepEqual(list.apps.map((a) => a.name).sort(), ['dash', 'things', 'tmp']);
    assert.equal((await register(s, { name: 'tmp', provider: 'xyz', target: 'http://127.0.0.1:1', patterns: ['/x'] })).status, 409);
    assert.equal((await s.api('/api/gatewayregistry/v1/apps/tmp?provider=xyz', { method: 'DELETE' })).status, 204);
    assert.equal((await s.api('/api/gatewayregistry/v1/apps/tmp?provider=xyz', { method: 'DELETE' })).status, 404);
  });

  it('refuses registrations naming the field and rule', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'App', target: 'http://x', patterns: ['/a'] }, /field name is invalid/],
      [{ name: 'app', target: 'ftp://x', patterns: ['/a'] }, /field target is invalid: must be an http or https URL/],
      [{ name: 'app', target: 'http://x', patterns: [] }, /field patterns is invalid/],
      [{ name: 'app', target: 'http://x', patterns: ['/api/things'] }, /patterns\[0\] is invalid: must not start with \/api/],
      [{ name: 'app', target: 'http://x', patterns: ['/ok', 'no-slash'] }, /patterns\[1\] is invalid: must start with "\/"/],
      [{ name: 'app', target: 'http://x', patterns: ['/a b'] }, /patterns\[0\] is invalid/],
      [{ name: 'app', type: 'api', target: 'http://x', patterns: ['/v1/**'] }, /field provider is invalid: is required for an API/],
      [{ name: 'app', provider: 'pp', type: 'api', target: 'http://x', patterns: ['/things'] }, /must start with \/v\{major\}/],
      [{ name: 'app', target: 'http://x', patterns: ['/a'], cacheControl: 'a\u0001' }, /cacheControl is invalid/],
    ];
    for (const [body, re] of cases) {
      const res = await register(s, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = await res.json() as { errors: { message: string }[] };
      assert.match(err.errors[0]!.message, re);
    }
  });

  it('a token without the registry scope gets 403', async () => {
    const key = await s.platform.identity.service.createKey(s.tenant, 'reader', { scopes: ['iot.tim.r'] });
    const basic = Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64');
    const t = await (await fetch(`${s.url}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).json() as { access_token: string };
    const res = await s.api('/api/gatewayregistry/v1/apps', { token: t.access_token });
    assert.equal(res.status, 403);
  });

  it('forwards a web app request with a bearer token of the tenant, streaming to the target path', async () => {
    const res = await hostRequest(s.url, { host: webHost(s, 'dash'), path: '/index.html?a=%5B1,2%5D', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).url, '/base/index.html?a=%5B1,2%5D');
    const seen = backend.seen.at(-1)!;
    assert.equal(seen.headers['authorization'], `Bearer ${token}`);
    assert.equal(seen.headers['x-forwarded-host'], webHost(s, 'dash'));
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['host'], new URL(backend.url).host);
  });

  it('strips hop-by-hop headers both ways, including those named by Connection', async () => {
    const res = await hostRequest(s.url, { host: webHost(s, 'dash'), path: '/x', headers: {
      authorization: `Bearer ${token}`, connection: 'keep-alive, x-secret', 'x-secret': 's', te: 'trailers', 'proxy-authorization': 'p', 'x-kept': 'k',
    } });
    assert.equal(res.status, 200);
    const seen = backend.seen.at(-1)!;
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(seen.headers['te'], undefined);
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers['x-kept'], 'k');
    assert.equal(res.headers['x-private'], undefined);
    assert.notEqual(res.headers['keep-alive'], 'timeout=5');
  });

  it('keeps repeated headers both ways and replaces the client\'s X-Forwarded-* claims', async () => {
    const res = await hostRequest(s.url, { host: webHost(s, 'dash'), path: '/cookies', headers: {
      authorization: `Bearer ${token}`, 'x-multi': ['a', 'b'], 'x-forwarded-for': '10.0.0.9', 'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
    assert.equal(res.headers['x-xss-protection'], '1; mode=block', 'the web app rule wins over the app\'s value');
    assert.equal(res.headers['pragma'], 'x', 'HTTP/1.1: the app\'s Pragma passes untouched');
    const seen = backend.seen.at(-1)!;
    assert.equal(seen.headers['x-multi'], 'a, b');
    assert.equal(seen.headers['x-forwarded-for'], '10.0.0.9, 127.0.0.1');
    assert.equal(seen.headers['x-forwarded-host'], webHost(s, 'dash'));
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
  });

  it('forwards a normalised path, so dot segments cannot escape a pattern', async () => {
    await registerOk(s, { name: 'narrow', target: backend.url, patterns: ['/public/**'] });
    const ok = await hostRequest(s.url, { host: webHost(s, 'narrow'), path: '/public/x/%2e%2e/y', headers: { authorization: `Bearer ${token}` } });
    assert.equal(JSON.parse(ok.body).url, '/public/y');
    for (const path of ['/public/../admin', '/public/%2e%2e/admin', '//admin', '/public/..%2Fadmin']) {
      const res = await hostRequest(s.url, { host: webHost(s, 'narrow'), path, headers: { authorization: `Bearer ${token}` } });
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
    }
  });

  it('routes /api/{name}-{provider}/v{major}/... on the gateway host to the registered API with the caller token', async () => {
    const res = await hostRequest(s.url, { host: gw(), path: '/api/things-acme/v1/things/42?x=1', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).url, '/v1/things/42?x=1');
    assert.equal(backend.seen.at(-1)!.headers['authorization'], `Bearer ${token}`);
    const none = await hostRequest(s.url, { host: gw(), path: '/api/things-acme/v2/things', headers: { authorization: `Bearer ${token}` } });
    assert.equal(none.status, 404);
    const noToken = await hostRequest(s.url, { host: gw(), path: '/api/things-acme/v1/things/1' });
    assert.equal(noToken.status, 401);
    const unknown = await hostRequest(s.url, { host: gw(), path: '/api/other-acme/v1/x', headers: { authorization: `Bearer ${token}` } });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /No API other-acme is registered/);
  });

  it('serves the platform API on the gateway host, southgate, a bare IP and every web app host', async () => {
    for (const host of [gw(), `southgate.local.localhost`, `127.0.0.1`, webHost(s, 'dash')]) {
      const res = await hostRequest(s.url, { host, path: '/api/tenantmanagement/v4/tenantInfo', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, host);
      assert.equal(JSON.parse(res.body).name, s.tenant);
    }
  });

  it('404 in the negotiated format for an unknown tenant, app, host or endpoint', async () => {
    const cases: [string, string, RegExp][] = [
      [webHost(s, 'dash', 'nosuch'), '/', /Tenant nosuch does not exist/],
      [webHost(s, 'nosuch'), '/', /No web application nosuch is registered/],
      [webHost(s, 'dash', s.tenant, 'other'), '/', /No web application dash-other/],
      ['www.example.com', '/', /No such host/],
      ['abc.local.localhost', '/', /No such host/],
      [webHost(s, 'narrow'), '/private', /matches no endpoint pattern/],
    ];
    for (const [host, path, re] of cases) {
      const res = await hostRequest(s.url, { host, path, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
      assert.equal(res.status, 404, host);
      assert.match(res.headers['content-type'] ?? '', /json/);
      assert.match(JSON.parse(res.body).errors[0].message, re);
      const xml = await hostRequest(s.url, { host, path, headers: { authorization: `Bearer ${token}`, accept: 'application/xml' } });
      assert.equal(xml.status, 404);
      assert.match(xml.headers['content-type'] ?? '', /xml/);
      assert.match(xml.body, /^<\?xml/);
    }
  });

  it('error bodies: no Accept gives JSON, XML by Accept, 406 when neither is acceptable', async () => {
    const host = webHost(s, 'nosuch');
    const none = await hostRequest(s.url, { host });
    assert.equal(none.status, 404);
    assert.match(none.headers['content-type'] ?? '', /application\/json/);
    const both = await hostRequest(s.url, { host, headers: { accept: 'application/xml;q=0.9, application/json;q=0.5' } });
    assert.match(both.headers['content-type'] ?? '', /application\/xml/);
    const neither = await hostRequest(s.url, { host, headers: { accept: 'image/png' } });
    assert.equal(neither.status, 406);
    const api = await hostRequest(s.url, { host: gw(), path: '/api/tenantmanagement/v4/tenantInfo', headers: { accept: 'text/html' } });
    assert.equal(api.status, 406);
    const apiXml = await hostRequest(s.url, { host: gw(), path: '/api/tenantmanagement/v4/tenantInfo', headers: { accept: 'application/xml' } });
    assert.equal(apiXml.status, 401);
    assert.match(apiXml.body, /<errors>/);
  });

  it('400 naming the character for a non-RFC 3986 target, on every host', async () => {
    for (const host of [gw(), webHost(s, 'dash')]) {
      const res = await hostRequest(s.url, { host, path: '/getDataByIds?idList=[1,2,3]', headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 400);
      assert.match(JSON.parse(res.body).errors[0].message, /"\[" at position 21 in the query/);
    }
    const ok = await hostRequest(s.url, { host: webHost(s, 'dash'), path: '/getDataByIds?idList=%5B1,2,3,4,5,6%5D', headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
  });

  it('a bearer token of another tenant is refused on a web app host', async () => {
    await s.platform.provisionTenant('other', 'other.example.com');
    await s.platform.gateway.registry.register('other', { name: 'dash', target: backend.url, patterns: ['/**'] });
    const res = await hostRequest(s.url, { host: webHost(s, 'dash', 'other'), path: '/', headers: { authorization: `Bearer ${token}`, 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(res.status, 403);
  });

  it('502 when the target refuses the connection, 504 when it stays silent for the idle timeout', async () => {
    await registerOk(s, { name: 'down', target: 'http://127.0.0.1:1', patterns: ['/**'] });
    const refused = await hostRequest(s.url, { host: webHost(s, 'down'), path: '/', headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 502);
    assert.match(JSON.parse(refused.body).errors[0].message, /could not be reached: ECONNREFUSED/);
    const slow = await hostRequest(s.url, { host: webHost(s, 'dash'), path: '/slow', headers: { authorization: `Bearer ${token}`, accept: 'application/xml' } });
    assert.equal(slow.status, 504);
    assert.match(slow.body, /sent nothing for 1 seconds/);
  });

  it('the CLI registers, lists and removes, and the running server follows within a second', async () => {
    const env = { IRONBRIDGE_DATA_DIR: s.config.dataDir };
    const reg = await runCli(['app', 'register', '--tenant', s.tenant, '--name', 'cliapp', '--provider', 'prov', '--target', backend.url,
      '--pattern', '/a/**', '--pattern', '/b', '--cache-control', 'max-age=5', '--json'], { env });
    assert.equal(reg.code, 0, reg.stderr);
    assert.deepEqual(JSON.parse(reg.stdout).patterns, ['/a/**', '/b']);
    const host = webHost(s, 'cliapp', s.tenant, 'prov');
    const deadline = Date.now() + 5000;
    let res = await hostRequest(s.url, { host, path: '/a/x', headers: { authorization: `Bearer ${token}` } });
    while (res.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      res = await hostRequest(s.url, { host, path: '/a/x', headers: { authorization: `Bearer ${token}` } });
    }
    assert.equal(res.status, 200);
    const list = await runCli(['app', 'list', '--tenant', s.tenant, '--json'], { env });
    assert.ok((JSON.parse(list.stdout) as { name: string }[]).some((a) => a.name === 'cliapp'));
    const bad = await runCli(['app', 'register', '--tenant', s.tenant, '--name', 'x', '--target', backend.url, '--pattern', '/a'], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /field name is invalid/);
    const rm = await runCli(['app', 'remove', '--tenant', s.tenant, '--name', 'cliapp', '--provider', 'prov'], { env });
    assert.equal(rm.code, 0, rm.stderr);
    const end = Date.now() + 5000;
    while (res.status !== 404 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      res = await hostRequest(s.url, { host, path: '/a/x', headers: { authorization: `Bearer ${token}` } });
    }
    assert.equal(res.status, 404);
  });
});

describe('registry changes by another process', () => {
  let s: TestServer;
  let backend: Backend;
  before(async () => {
    s = await startServer();
    backend = await startBackend();
  });
  after(async () => { await s.close(); await backend.close(); });

  it('a cached "not registered" answer is replaced by the next lookup after a CLI registration', async () => {
    const token = await s.token();
    const host = webHost(s, 'late');
    const get = () => hostRequest(s.url, { host, path: '/', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get()).status, 404);
    assert.equal((await get()).status, 404);
    const reg = await runCli(['app', 'register', '--tenant', s.tenant, '--name', 'late', '--target', backend.url, '--pattern', '/**'],
      { env: { IRONBRIDGE_DATA_DIR: s.config.dataDir } });
    assert.equal(reg.code, 0, reg.stderr);
    assert.equal((await get()).status, 200);
    const rm = await runCli(['app', 'remove', '--tenant', s.tenant, '--name', 'late'], { env: { IRONBRIDGE_DATA_DIR: s.config.dataDir } });
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await get()).status, 404);
  });
});

describe('required "ten" claim (Industrial IoT Gateway docs "Required claims")', () => {
  let s: TestServer;
  let backend: Backend;
  before(async () => {
    s = await startServer();
    backend = await startBackend();
    await registerOk(s, { name: 'dash', target: backend.url, patterns: ['/**'] });
    await registerOk(s, { name: 'things', provider: 'acme', type: 'api', target: backend.url, patterns: ['/v1/**'] });
  });
  after(async () => { await s.close(); await backend.close(); });

  /** A validly signed, unrevoked token of the first-start key with `ten` replaced. */
  async function tokenWithTen(ten: unknown): Promise<string> {
    const client = (await s.platform.identity.store.getClient(s.key.clientId))!;
    const { kid, key } = s.platform.identity.keys.signingKey();
    const claims: Record<string, unknown> = { client_id: client.clientId, rev_sig: client.revSig, scope: client.scopes };
    if (ten !== undefined) claims['ten'] = ten;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).setIssuer(`${s.platform.publicUrl()}/oauth/token`)
      .setIssuedAt().setExpirationTime('5m').sign(key);
  }

  it('403 when the ten claim is missing or malformed, on provider APIs, web app hosts and platform APIs', async () => {
    for (const ten of [undefined, 'Not A Tenant', 42]) {
      const token = await tokenWithTen(ten);
      for (const [host, path] of [[`gateway.local.localhost`, '/api/things-acme/v1/x'], [webHost(s, 'dash'), '/'], ['127.0.0.1', '/api/tenantmanagement/v4/tenantInfo']] as const) {
        const res = await hostRequest(s.url, { host, path, headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 403, `${String(ten)} ${host}${path}`);
        assert.match(JSON.parse(res.body).errors[0].message, /"ten" \(tenant\) claim/);
      }
    }
    const good = await tokenWithTen(s.tenant);
    assert.equal((await hostRequest(s.url, { host: webHost(s, 'dash'), path: '/', headers: { authorization: `Bearer ${good}` } })).status, 200);
  });
});
