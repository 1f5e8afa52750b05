/**
 * Temporary blocking of slowly responding endpoints (Industrial IoT Gateway docs): slow responses greylist their endpoint; mode
 * report (default) forwards and counts; mode block answers 503 "Backend service is too slow" while greylisted
 * and above the load share of the connection cap. Durations are configured short.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { hostRequest, registerOk, startBackend, webHost, type Backend } from './helpers.js';

const slowBackend = () => startBackend((req, res) => {
  const delay = req.url?.startsWith('/slow') ? 300 : 0;
  setTimeout(() => res.end('ok'), delay);
});

interface GreylistView { mode: string; endpoints: { endpoint: string; slowResponses: number; blockedRequests: number; reportedRequests: number }[] }

describe('greylisting in mode report (the default)', () => {
  let s: TestServer;
  let backend: Backend;
  before(async () => {
    s = await startServer({ gatewaySlowResponseMs: 150 });
    backend = await slowBackend();
    await registerOk(s, { name: 'svc', target: backend.url, patterns: ['/slow/**', '/fast/**'] });
  });
  after(async () => { await s.close(); await backend.close(); });

  it('greylists the slow endpoint, keeps forwarding, and reports it', async () => {
    const token = await s.token();
    const host = webHost(s, 'svc');
    assert.equal((await hostRequest(s.url, { host, path: '/slow/a', headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await hostRequest(s.url, { host, path: '/slow/b', headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await hostRequest(s.url, { host, path: '/fast/a', headers: { authorization: `Bearer ${token}` } })).status, 200);
    const view = await (await s.api('/api/gatewayregistry/v1/greylist')).json() as GreylistView;
    assert.equal(view.mode, 'report');
    assert.deepEqual(view.endpoints.map((e) => [e.endpoint, e.slowResponses, e.reportedRequests, e.blockedRequests]),
      [['webapp:svc:/slow/**', 2, 1, 0]]);
  });
});

describe('greylisting in mode block (cap 10, load threshold 50 %)', () => {
  let s: TestServer;
  let backend: Backend;
  let held: net.Socket[] = [];
  before(async () => {
    s = await startServer({ gatewaySlowResponseMs: 150, gatewaySlowMode: 'block', gatewayMaxConnections: 10, gatewaySlowLoadPercent: 50, gatewayGreylistMs: 1500,
      gatewayAddressSharePercent: 100 });
    backend = await slowBackend();
    await registerOk(s, { name: 'svc', target: backend.url, patterns: ['/slow/**', '/fast/**'] });
  });
  after(async () => { for (const c of held) c.destroy(); await s.close(); await backend.close(); });

  const load = async () => {
    const port = Number(new URL(s.url).port);
    held = await Promise.all(Array.from({ length: 6 }, () => new Promise<net.Socket>((r) => { const c = net.connect(port, '127.0.0.1', () => r(c)); })));
    while (s.platform.gateway.edge.connections < 6) await new Promise((r) => setTimeout(r, 10));
  };
  const unload = async () => {
    for (const c of held) c.destroy();
    held = [];
    while (s.platform.gateway.edge.connections > 3) await new Promise((r) => setTimeout(r, 10));
  };

  it('503 "Backend service is too slow" only while greylisted and above the load threshold, per endpoint', async () => {
    const token = await s.token();
    const host = webHost(s, 'svc');
    const get = (path: string) => hostRequest(s.url, { host, path, headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get('/slow/a')).status, 200, 'the first slow response greylists');
    assert.equal((await get('/slow/a')).status, 200, 'greylisted but below the load threshold: forwarded');
    await load();
    const blocked = await get('/slow/a');
    assert.equal(blocked.status, 503);
    assert.match(JSON.parse(blocked.body).errors[0].message, /^Backend service is too slow/);
    assert.equal((await get('/fast/a')).status, 200, 'another endpoint of the same app is not greylisted');
    const view = await (await s.api('/api/gatewayregistry/v1/greylist')).json() as GreylistView;
    assert.equal(view.endpoints[0]!.blockedRequests, 1);
    await unload();
    assert.equal((await get('/slow/a')).status, 200, 'load gone: forwarded again');
  });

  it('the greylisting ends after its duration', async () => {
    const token = await s.token();
    const host = webHost(s, 'svc');
    const get = (path: string) => hostRequest(s.url, { host, path, headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get('/slow/b')).status, 200);
    await new Promise((r) => setTimeout(r, 1600));
    await load();
    assert.equal((await get('/slow/b')).status, 200);
    await unload();
  });
});
