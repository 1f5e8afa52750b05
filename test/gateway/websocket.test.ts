/**
 * WebSocket proxying on web app hosts (Industrial IoT Gateway docs "WebSockets"): session-authenticated Upgrade forwarded with the
 * user's bearer token, Sec-WebSocket-Protocol in order, empty protocol header refused, 400 when the backend is
 * unreachable, southgate refused, close on logout (also by another process) and on session expiry, traffic keeps the session alive,
 * server pings keep an idle socket inside the idle timeout.
 */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { hash } from '../../src/gateway/sessions.js';
import { SqliteGatewayStore } from '../../src/gateway/store/sqlite.js';
import { startServer, testClock, type TestServer } from '../helpers/server.js';
import { decodeJwt, hostRequest, loginAs, registerOk, webHost } from './helpers.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WebSocket proxy (idle timeout 700 ms, pings every 200 ms, session idle 2 s on an injected clock)', () => {
  let s: TestServer;
  const clock = testClock();
  let backendServer: http.Server;
  let wss: WebSocketServer;
  const upgrades: IncomingHttpHeaders[] = [];
  let host: string;

  before(async () => {
    s = await startServer({ gatewayIdleTimeoutMs: 700, gatewayWsPingMs: 200, sessionIdleSeconds: 2 }, { now: clock.now });
    backendServer = http.createServer();
    wss = new WebSocketServer({
      server: backendServer,
      handleProtocols: (offered) => ['ocpp1.6', 'ocpp1.2'].find((p) => offered.has(p)) ?? false,
    });
    wss.on('connection', (ws, req) => {
      upgrades.push(req.headers);
      ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${String(data)}`, { binary: isBinary }));
    });
    await new Promise<void>((r) => backendServer.listen(0, '127.0.0.1', r));
    const port = (backendServer.address() as AddressInfo).port;
    await registerOk(s, { name: 'live', target: `http://127.0.0.1:${port}`, patterns: ['/socket/**', '/page'] });
    await registerOk(s, { name: 'dead', target: 'http://127.0.0.1:1', patterns: ['/**'] });
    host = webHost(s, 'live');
  });
  after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    backendServer.close();
    await s.close();
  });

  const wsUrl = (path: string) => `ws://127.0.0.1:${new URL(s.url).port}${path}`;
  const open = (path: string, cookie: string, protocols?: string[], h = host) => new Promise<WebSocket>((resolve, reject) => {
    const ws = protocols ? new WebSocket(wsUrl(path), protocols, { headers: { host: h, cookie } }) : new WebSocket(wsUrl(path), { headers: { host: h, cookie } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
    });
  });
  const next = (ws: WebSocket) => new Promise<{ data: string; binary: boolean }>((r) => ws.once('message', (d, isBinary) => r({ data: String(d), binary: isBinary })));
  const closed = (ws: WebSocket) => new Promise<number>((r) => { if (ws.readyState === WebSocket.CLOSED) r(-1); else ws.once('close', (code) => r(code)); });

  it('passes Sec-WebSocket-Protocol in order and returns the backend choice; forwards the bearer token, not the cookies', async () => {
    const b = await loginAs(s, host, 'ws1@example.com');
    const ws = await open('/socket/feed', b.cookie, ['ocpp2.0', 'ocpp1.6', 'ocpp1.5', 'ocpp1.2']);
    assert.equal(ws.protocol, 'ocpp1.6');
    const seen = upgrades.at(-1)!;
    assert.deepEqual(String(seen['sec-websocket-protocol']).split(',').map((p) => p.trim()), ['ocpp2.0', 'ocpp1.6', 'ocpp1.5', 'ocpp1.2']);
    assert.equal(decodeJwt(String(seen['authorization']).slice(7))['user_name'], 'ws1@example.com');
    assert.equal(seen['cookie'], undefined);
    // Industrial IoT Gateway docs: every message is forwarded as binary, both ways (the backend echoes binary unchanged, text as echo:…)
    ws.send('hello');
    assert.deepEqual(await next(ws), { data: 'hello', binary: true });
    ws.send(Buffer.from([1, 2, 3]));
    const bin = await next(ws);
    assert.equal(bin.binary, true);
    assert.deepEqual([...Buffer.from(bin.data, 'latin1')], [1, 2, 3]);
    ws.close();
    await closed(ws);
  });

  it('without a subprotocol the header is not sent to the backend', async () => {
    const b = await loginAs(s, host, 'ws2@example.com');
    const ws = await open('/socket/x', b.cookie);
    assert.equal(ws.protocol, '');
    assert.equal(upgrades.at(-1)!['sec-websocket-protocol'], undefined);
    ws.close();
  });

  const rawUpgrade = (h: string, path: string, headers: Record<string, string>) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ port: new URL(s.url).port, hostname: '127.0.0.1', path, agent: false, headers: {
      host: h, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers,
    } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode ?? 0, body: '' }); });
    req.on('error', reject);
    req.end();
  });

  it('refuses an empty Sec-WebSocket-Protocol header with 400', async () => {
    const b = await loginAs(s, host, 'ws3@example.com');
    const res = await rawUpgrade(host, '/socket/x', { cookie: b.cookie, 'sec-websocket-protocol': '' });
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).errors[0].message, /Sec-WebSocket-Protocol header is empty/);
  });

  it('400 when the backend cannot be reached; 401 without a session; 404 for an unregistered path', async () => {
    const b = await loginAs(s, host, 'ws4@example.com');
    const deadHost = webHost(s, 'dead');
    const bd = await loginAs(s, deadHost, 'ws5@example.com');
    const res = await rawUpgrade(deadHost, '/socket', { cookie: bd.cookie });
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).errors[0].message, /backend is not reachable \(ECONNREFUSED\)/);
    assert.equal((await rawUpgrade(host, '/socket/x', {})).status, 401);
    assert.equal((await rawUpgrade(host, '/other', { cookie: b.cookie })).status, 404);
  });

  it('refuses a session Upgrade from a foreign Origin (cross-site WebSocket hijacking) with 403', async () => {
    const b = await loginAs(s, host, 'ws9@example.com');
    const res = await rawUpgrade(host, '/socket/x', { cookie: b.cookie, origin: 'http://evil.example.com' });
    assert.equal(res.status, 403);
    assert.match(JSON.parse(res.body).errors[0].message, /origin http:\/\/evil.example.com is not this host/);
    const same = await rawUpgrade(host, '/socket/x', { cookie: b.cookie, origin: `http://${host}` });
    assert.equal(same.status, 101);
  });

  it('refuses WebSocket upgrades on southgate with a clear error', async () => {
    const res = await rawUpgrade('southgate.local.localhost', '/api/x', {});
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).errors[0].message, /southgate is not supported/);
  });

  it('closes the socket when the user logs out', async () => {
    const b = await loginAs(s, host, 'ws6@example.com');
    const ws = await open('/socket/x', b.cookie);
    const code = closed(ws);
    const out = await hostRequest(s.url, { host, path: '/logout', method: 'POST', headers: { cookie: b.cookie, 'x-xsrf-token': b.xsrf } });
    assert.equal(out.status, 303);
    assert.equal(await code, 1008);
  });

  it('server pings keep a silent socket open past the idle timeout', async () => {
    const b = await loginAs(s, host, 'ws7@example.com');
    const ws = await open('/socket/x', b.cookie);
    let pings = 0;
    ws.on('ping', () => { pings++; });
    await wait(1200);
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.ok(pings >= 2);
    ws.close();
  });

  it('WebSocket traffic keeps the session alive; when it stops the session expires and the socket is closed', async () => {
    const b = await loginAs(s, host, 'ws8@example.com');
    const ws = await open('/socket/x', b.cookie);
    const code = closed(ws);
    for (let elapsed = 0; elapsed < 2600; elapsed += 250) {
      ws.send('tick');
      await next(ws);
      clock.advance(250);
    }
    assert.equal(ws.readyState, WebSocket.OPEN);
    const page = await hostRequest(s.url, { host, path: '/page', headers: { cookie: b.cookie, 'x-requested-with': 'XMLHttpRequest' } });
    assert.notEqual(page.status, 401, 'the session outlived its idle time thanks to WebSocket traffic');
    clock.advance(2000);
    // The edge looks for ended sessions at least once a second: the socket closes without any request.
    assert.equal(await code, 1008);
  });
});

describe('WebSocket proxy with the default session lifetimes and --gateway-ws-messages preserve', () => {
  it('keeps text frames text and binary frames binary; closes the socket within a second or two when another process ends the session', async () => {
    const s = await startServer({ gatewayWsMessages: 'preserve' });
    const backendServer = http.createServer();
    const wss = new WebSocketServer({ server: backendServer });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${String(data)}`, { binary: isBinary })));
    await new Promise<void>((r) => backendServer.listen(0, '127.0.0.1', r));
    try {
      await registerOk(s, { name: 'live', target: `http://127.0.0.1:${(backendServer.address() as AddressInfo).port}`, patterns: ['/socket/**'] });
      const host = webHost(s, 'live');
      const b = await loginAs(s, host, 'other@example.com');
      const ws = new WebSocket(`ws://127.0.0.1:${new URL(s.url).port}/socket/x`, { headers: { host, cookie: b.cookie } });
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const reply = () => new Promise<[string, boolean]>((r) => ws.once('message', (d, isBinary) => r([String(d), isBinary])));
      ws.send('hello');
      assert.deepEqual(await reply(), ['echo:hello', false]);
      ws.send(Buffer.from('raw'));
      assert.deepEqual(await reply(), ['raw', true]);
      const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
      const other = new SqliteGatewayStore({ dataDir: s.config.dataDir, sync: 'normal' });
      const ended = Date.now();
      await other.deleteSession(hash(b.session));
      other.close();
      assert.equal(await code, 1008);
      assert.ok(Date.now() - ended < 2500, `closed after ${Date.now() - ended} ms`);
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
      backendServer.close();
      await s.close();
    }
  });
});
