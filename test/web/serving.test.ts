/**
 * How the gateway serves the standard web apps (Industrial IoT Gateway "Security", "Cache Control"): `/` on the
 * gateway host redirects to the default tenant's Launchpad, a standard app host needs a session like any web app,
 * its pages carry the default CSP and no-store, its hashed assets are cached for a year, only GET and HEAD are
 * answered, a tenant's own registration of the name wins, Users/me names the session's user, and a session of one
 * tenant opens nothing of another tenant's apps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useServer } from '../helpers/server.js';
import { hostRequest, loginAs, registerOk, startBackend, webHost } from '../gateway/helpers.js';

describe('standard web apps on the gateway', () => {
  const s = useServer({ tenant: 'plant' });

  it('redirects / on the gateway host to the Launchpad of the default tenant, on the port the browser used', async () => {
    const port = new URL(s().url).port;
    for (const host of [`localhost:${port}`, `gateway.local.localhost:${port}`]) {
      const res = await hostRequest(s().url, { host, path: '/' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, `http://plant-launchpad.local.localhost:${port}/`);
    }
    // other paths of the gateway host stay the platform's
    assert.equal((await hostRequest(s().url, { host: `localhost:${port}`, path: '/health' })).status, 200);
  });

  it('sends a browser without a session to the login page, and an AJAX caller a 401', async () => {
    const host = webHost(s(), 'assetmanager');
    const page = await hostRequest(s().url, { host, path: '/' });
    assert.equal(page.status, 302);
    assert.equal(page.headers.location, '/login?returnTo=%2F');
    const ajax = await hostRequest(s().url, { host, path: '/api/identitymanagement/v3/Users/me', headers: { 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(ajax.status, 401);
  });

  it('serves the app page with the default CSP and no caching, its assets immutable, and the user from Users/me', async () => {
    const host = webHost(s(), 'launchpad');
    const session = await loginAs(s(), host, 'ops@plant.localhost');
    const headers = { cookie: session.cookie };
    const page = await hostRequest(s().url, { host, path: '/', headers });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /^default-src 'self' static\.local\.localhost;/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['cache-control'], 'no-cache, no-store, max-age=0, must-revalidate');
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    assert.ok(script, page.body);
    const asset = await hostRequest(s().url, { host, path: script, headers });
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /^text\/javascript/);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(asset.headers['content-security-policy']);
    const missing = await hostRequest(s().url, { host, path: '/assets/gone-0000.js', headers });
    assert.equal(missing.status, 404);
    assert.match(missing.body, /matches no endpoint/);
    // a client-side route gets the app's page; HEAD has no body
    const deep = await hostRequest(s().url, { host, path: '/some/view', headers, method: 'HEAD' });
    assert.equal(deep.status, 200);
    assert.equal(deep.body, '');
    const post = await hostRequest(s().url, { host, path: '/', method: 'POST', headers: { ...headers, 'x-xsrf-token': session.xsrf, origin: `http://${host}` } });
    assert.equal(post.status, 405);
    const me = await hostRequest(s().url, { host, path: '/api/identitymanagement/v3/Users/me', headers });
    assert.equal(me.status, 200);
    const user = JSON.parse(me.body) as { userName: string; tenant: string; roles: { value: string }[] };
    assert.equal(user.userName, 'ops@plant.localhost');
    assert.equal(user.tenant, 'plant');
    assert.ok(user.roles.some((r) => r.value === 'am.asset.r'));
    assert.ok(!user.roles.some((r) => r.value === 'gw.registry.w'), 'a user is no administrator');
  });

  it("keeps one tenant's session out of another tenant's standard apps", async () => {
    await s().platform.provisionTenant('rival', 'rival.localhost', 'Rival');
    const session = await loginAs(s(), webHost(s(), 'assetmanager'), 'ops@plant.localhost');
    const host = webHost(s(), 'assetmanager', 'rival');
    const page = await hostRequest(s().url, { host, path: '/', headers: { cookie: session.cookie } });
    assert.equal(page.status, 302);
    assert.match(String(page.headers.location), /^\/login\?/);
    const api = await hostRequest(s().url, { host, path: '/api/assetmanagement/v3/assets/root',
      headers: { cookie: session.cookie, 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(api.status, 401);
    assert.doesNotMatch(api.body, /plant/);
  });

  it('lets a tenant register its own app under a standard name, and keeps other names unknown', async () => {
    const backend = await startBackend((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }).end('own explorer'); });
    try {
      await registerOk(s(), { name: 'explorer', target: backend.url, patterns: ['/**'] });
      const host = webHost(s(), 'explorer');
      const session = await loginAs(s(), host, 'ops@plant.localhost');
      const res = await hostRequest(s().url, { host, path: '/', headers: { cookie: session.cookie } });
      assert.equal(res.body, 'own explorer');
      const unknown = await hostRequest(s().url, { host: webHost(s(), 'nosuchapp'), path: '/' });
      assert.equal(unknown.status, 404);
    } finally {
      await backend.close();
    }
  });
});
