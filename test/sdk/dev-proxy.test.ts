/**
 * The API reverse proxy ("Insights Hub IIoT for Makers"): the SDK middleware in process, and `ironbridge dev-proxy` as a child
 * process serving a page that a real browser (Debian chromium via playwright-core) loads and that reads data
 * through the proxy, same-origin and cross-origin, against a plain http:// platform.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Authenticator, createApiProxy, IronbridgeClient } from '@ironbridge/sdk';
import { startDevProxy } from '../../src/cli/devproxy.js';
import { launchBrowser } from '../helpers/browser.js';
import { ChildNotReady, startCliChild } from '../helpers/child.js';
import { startServer, tempDir, type TestServer } from '../helpers/server.js';

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe('sdk api proxy middleware', () => {
  let s: TestServer;
  let proxy: { server: http.Server; url: string };
  let auth: Authenticator;
  before(async () => {
    s = await startServer();
    auth = new Authenticator({ tokenUrl: s.key.tokenUrl, clientId: s.key.clientId, clientSecret: s.key.clientSecret });
    const mw = createApiProxy({ target: s.url, auth });
    proxy = await listen((req, res) => mw(req, res, () => res.writeHead(418).end('next')));
  });
  after(async () => { proxy.server.close(); await s.close(); });

  it('forwards /api/... with the app token and leaves other paths to next()', async () => {
    const res = await fetch(`${proxy.url}/api/tenantmanagement/v4/tenantInfo`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { name: string }).name, s.tenant);
    assert.equal(res.headers.get('x-proxied-by'), 'ironbridge api proxy');
    assert.equal((await fetch(`${proxy.url}/index.html`)).status, 418);
  });

  it('forwards a caller\'s own Authorization (user session) instead of the app token', async () => {
    const bad = await fetch(`${proxy.url}/api/tenantmanagement/v4/tenantInfo`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(bad.status, 401);
    const body = (await bad.json()) as { errors: { code: string }[] };
    assert.match(body.errors[0]?.code ?? '', /token/i, 'the platform\'s own 401 for the caller\'s token, not the app token');
    const good = await fetch(`${proxy.url}/api/tenantmanagement/v4/tenantInfo`, { headers: { authorization: `Bearer ${await s.token()}` } });
    assert.equal(good.status, 200);
  });

  it('answers CORS preflights and tags responses for the calling origin', async () => {
    const pre = await fetch(`${proxy.url}/api/tenantmanagement/v4/tenantInfo`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-match' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'if-match');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /PATCH/);
    const res = await fetch(`${proxy.url}/api/tenantmanagement/v4/tenantInfo`, { headers: { origin: 'http://localhost:5173' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /ETag/);
  });

  it('rejects origins outside an allow-list', async () => {
    const mw = createApiProxy({ target: s.url, auth, cors: ['http://app.example'] });
    const p = await listen((req, res) => mw(req, res));
    try {
      const pre = await fetch(`${p.url}/api/tenantmanagement/v4/tenantInfo`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
      assert.equal(pre.status, 403);
      const ok = await fetch(`${p.url}/api/tenantmanagement/v4/tenantInfo`, { headers: { origin: 'http://evil.example' } });
      assert.equal(ok.headers.get('access-control-allow-origin'), null);
    } finally {
      p.server.close();
    }
  });

  it('rewrites absolute platform URLs in bodies to the proxy origin', async () => {
    // The discovery document is a real body full of absolute platform URLs.
    const mw = createApiProxy({ target: s.url, auth, prefix: '/.well-known/', rewriteOrigins: [s.platform.publicUrl()] });
    const p = await listen((req, res) => mw(req, res));
    try {
      const direct = (await (await fetch(`${s.url}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
      assert.ok(direct.token_endpoint.startsWith(s.platform.publicUrl()));
      const res = await fetch(`${p.url}/.well-known/openid-configuration`);
      const text = await res.text();
      assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(text));
      const doc = JSON.parse(text) as { token_endpoint: string; jwks_uri: string };
      assert.equal(doc.token_endpoint, `${p.url}/oauth/token`);
      assert.equal(doc.jwks_uri, `${p.url}/.well-known/jwks.json`);
      assert.ok(!text.includes(s.platform.publicUrl()));
    } finally {
      p.server.close();
    }
  });

  it('rewrites the absolute links of HAL bodies from the asset API', async () => {
    const res = await fetch(`${proxy.url}/api/assetmanagement/v3/assets/root`);
    assert.equal(res.status, 200);
    const root = (await res.json()) as { assetId: string; _links: Record<string, { href: string }> };
    assert.equal(root._links['self']?.href, `${proxy.url}/api/assetmanagement/v3/assets/${root.assetId}`);
    for (const link of Object.values(root._links)) assert.ok(link.href.startsWith(proxy.url), link.href);
    const page = (await (await fetch(`${proxy.url}/api/assetmanagement/v3/assets?size=1`)).json()) as { _links: Record<string, { href: string }> };
    for (const link of Object.values(page._links)) assert.ok(link.href.startsWith(proxy.url), link.href);
  });

  it('rewrites chunked bodies up to the limit and streams larger ones through unchanged', async () => {
    // A platform answering without Content-Length (chunked), as cloud gateways do.
    let upstreamUrl = '';
    const up = await listen((req, res) => {
      res.writeHead(200, { 'content-type': 'application/hal+json' });
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
      res.write('{"items":[');
      for (let i = 0; i < n; i++) res.write(`${i ? ',' : ''}{"href":"${upstreamUrl}/api/x/${i}"}`);
      res.end(']}');
    });
    upstreamUrl = up.url;
    const events: string[] = [];
    const mw = createApiProxy({ target: up.url, maxRewriteBytes: 4096, log: (e) => events.push(e) });
    const p = await listen((req, res) => mw(req, res));
    try {
      const small = (await (await fetch(`${p.url}/api/x?n=10`)).json()) as { items: { href: string }[] };
      assert.deepEqual(small.items.map((i) => i.href), Array.from({ length: 10 }, (_, i) => `${p.url}/api/x/${i}`));
      const big = (await (await fetch(`${p.url}/api/x?n=2000`)).json()) as { items: { href: string }[] };
      assert.equal(big.items.length, 2000);
      assert.equal(big.items[1999]?.href, `${up.url}/api/x/1999`);
      assert.ok(events.includes('proxy.rewriteSkipped'));
    } finally {
      p.server.close();
      up.server.close();
    }
  });

  it('repeats a GET once with a new token when the platform rejects the app token', async () => {
    // Short tokens and a proxy whose authenticator clock is stuck: the platform rejects the cached token.
    // 3 s, so that a loaded machine cannot expire the token before its first use.
    const short = await startServer({ tokenTtlSeconds: 3 });
    const frozen = Date.now();
    const a = new Authenticator({ tokenUrl: short.key.tokenUrl, clientId: short.key.clientId, clientSecret: short.key.clientSecret, now: () => frozen });
    const mw = createApiProxy({ target: short.url, auth: a });
    const p = await listen((req, res) => mw(req, res));
    try {
      assert.equal((await fetch(`${p.url}/api/tenantmanagement/v4/tenantInfo`)).status, 200);
      const first = await a.getAccessToken();
      const exp = JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString()).exp as number;
      while (Date.now() < exp * 1000 + 1100) await new Promise((r) => setTimeout(r, 100));
      const res = await fetch(`${p.url}/api/tenantmanagement/v4/tenantInfo`);
      assert.equal(res.status, 200);
      assert.equal(a.requests, 2);
    } finally {
      p.server.close();
      await short.close();
    }
  });

  it('answers 502 in the errors shape when the platform or the token endpoint cannot be reached', async () => {
    const dead = await listen(() => undefined);
    const deadUrl = dead.url;
    dead.server.close();
    const mw = createApiProxy({ target: deadUrl });
    const p = await listen((req, res) => mw(req, res));
    const badCreds = createApiProxy({ target: s.url, auth: new Authenticator({ tokenUrl: s.key.tokenUrl, clientId: s.key.clientId, clientSecret: 'wrong-secret', retries: 0 }) });
    const q = await listen((req, res) => badCreds(req, res));
    try {
      const res = await fetch(`${p.url}/api/tenantmanagement/v4/tenantInfo`);
      assert.equal(res.status, 502);
      const body = (await res.json()) as { errors: { code: string; message: string; logref: string }[] };
      assert.equal(body.errors[0]?.code, 'ironbridge.proxy.upstreamUnavailable');
      assert.ok(body.errors[0]?.logref);
      const r2 = await fetch(`${q.url}/api/tenantmanagement/v4/tenantInfo`);
      assert.equal(r2.status, 502);
      const b2 = (await r2.json()) as { errors: { code: string; message: string }[] };
      assert.equal(b2.errors[0]?.code, 'ironbridge.proxy.tokenUnavailable');
      assert.ok(!b2.errors[0]?.message.includes('wrong-secret'));
    } finally {
      p.server.close();
      q.server.close();
    }
  });
});

describe('ironbridge dev-proxy with a browser', () => {
  let s: TestServer;
  let web: string;
  before(async () => {
    s = await startServer();
    web = tempDir('ironbridge-web-');
    fs.writeFileSync(path.join(web, 'index.html'), `<!doctype html>
<html><body><h1>widget</h1><pre id="out">loading</pre>
<script type="module">
  // Reads a time series through the proxy, following Link headers, as a chart widget would.
  const q = new URLSearchParams(location.search);
  const api = q.get('api') ?? '';
  try {
    const records = [];
    let url = api + '/api/iottimeseries/v3/timeseries/' + q.get('asset') + '/env?from=' + q.get('from') + '&to=' + q.get('to') + '&limit=400';
    let pages = 0;
    while (url) {
      const res = await fetch(url, { headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(res.status + ' ' + await res.text());
      records.push(...await res.json());
      pages++;
      const next = /<([^>]+)>;\\s*rel="next"/.exec(res.headers.get('link') ?? '');
      url = next ? new URL(next[1], url.startsWith('http') ? url : location.href).toString() : '';
    }
    document.getElementById('out').textContent = records.length + ' records in ' + pages + ' pages, last count ' + records.at(-1).count;
  } catch (e) {
    document.getElementById('out').textContent = 'failed ' + e;
  }
</script></body></html>`);
  });
  after(async () => { await s.close(); fs.rmSync(web, { recursive: true, force: true }); });

  it('passes callers\' own tokens through without credentials, and serves only files inside --static', async () => {
    const { server, url, mode } = await startDevProxy({ port: '0', host: '127.0.0.1', target: s.url, static: web, cors: true, rewrite: true }, {});
    try {
      assert.equal(mode, 'pass-through');
      assert.equal((await fetch(`${url}/api/tenantmanagement/v4/tenantInfo`)).status, 401);
      const own = await fetch(`${url}/api/tenantmanagement/v4/tenantInfo`, { headers: { authorization: `Bearer ${await s.token()}` } });
      assert.equal(own.status, 200);
      assert.equal((await fetch(`${url}/`)).headers.get('content-type'), 'text/html; charset=utf-8');
      for (const probe of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/nope.html']) {
        const res = await fetch(`${url}${probe}`);
        assert.equal(res.status, 404, probe);
      }
    } finally {
      server.close();
    }
    await assert.rejects(startDevProxy({ port: '0', host: '127.0.0.1', cors: true, rewrite: true }, {}), /--target is required/);
    await assert.rejects(startDevProxy({ port: '70000', host: '127.0.0.1', target: s.url, cors: true, rewrite: true }, {}), /--port must be/);
  });

  it('serves a page whose browser code reads a time series through the proxy, same- and cross-origin', async () => {
    const env = { IRONBRIDGE_TOKEN_URL: s.key.tokenUrl, IRONBRIDGE_CLIENT_ID: s.key.clientId, IRONBRIDGE_CLIENT_SECRET: s.key.clientSecret };
    const client = IronbridgeClient.fromEnv({}, env);
    const T = s.tenant;
    await client.assets.putAspectType(`${T}.Env`, { name: 'Env', category: 'dynamic',
      variables: [{ name: 'count', dataType: 'INT', unit: '', searchable: false, qualityCode: false }] });
    await client.assets.putAssetType(`${T}.Probe`, { name: 'Probe', parentTypeId: 'core.basicasset', instantiable: true,
      aspects: [{ name: 'env', aspectTypeId: `${T}.Env` }] });
    const asset = await client.assets.createAsset({ name: 'probe', typeId: `${T}.Probe`, parentId: (await client.assets.root()).assetId });
    const start = Date.parse('2024-05-01T00:00:00Z');
    await client.timeSeries.write(asset.assetId, 'env', Array.from({ length: 1000 }, (_, i) => ({ _time: new Date(start + i * 60_000).toISOString(), count: i })));
    const query = `asset=${asset.assetId}&from=${new Date(start - 1).toISOString()}&to=${new Date(start + 1000 * 60_000).toISOString()}`;

    // The browser first: a missing chromium fails here, before any child process runs.
    const browser = await launchBrowser();
    let proxy: Awaited<ReturnType<typeof startCliChild<{ url: string; target: string; mode: string }>>> | undefined;
    try {
      proxy = await startCliChild<{ url: string; target: string; mode: string }>(
        ['dev-proxy', '--port', '0', '--static', web, '--json'], { ...env, HOME: tempDir('ironbridge-home-') });
      assert.equal(proxy.ready.mode, 'credentials');
      assert.equal(proxy.ready.target, new URL(s.key.tokenUrl).origin);
      const page = await browser.newPage();
      await page.goto(`${proxy.ready.url}/?${query}`);
      await page.waitForFunction("document.getElementById('out').textContent !== 'loading'");
      assert.equal(await page.textContent('#out'), '1000 records in 3 pages, last count 999');
      // the same page from another origin (localhost vs 127.0.0.1) calls the proxy cross-origin (CORS, exposed Link)
      const other = proxy.ready.url.replace('127.0.0.1', 'localhost');
      await page.goto(`${other}/?${query}&api=${encodeURIComponent(proxy.ready.url)}`);
      await page.waitForFunction("document.getElementById('out').textContent !== 'loading'");
      assert.equal(await page.textContent('#out'), '1000 records in 3 pages, last count 999');
    } finally {
      await browser.close();
      await proxy?.stop();
    }
  });

  it('fails at once with what to install when chromium is missing, and leaves no child process running', async () => {
    await assert.rejects(launchBrowser('/nonexistent/chromium'), /chromium is not installed at \/nonexistent\/chromium: apt-get install -y chromium/);
    // A child that never becomes ready is killed before the start rejects.
    const err = await startCliChild(['dev-proxy', '--port', '0', '--target', s.url, '--json'], {}, () => false, { timeoutMs: 3000 })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ChildNotReady, String(err));
    assert.ok(err.pid);
    assert.throws(() => process.kill(err.pid!, 0), /ESRCH/, 'the child is gone');
  });
});
