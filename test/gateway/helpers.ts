/**
 * Gateway test helpers: HTTP requests with an explicit Host header (fetch cannot set it), real node:http
 * backends on port 0 that record what reached them, registration through the REST API and browser-style login.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from '../helpers/server.js';

export interface HostResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  httpVersion: string;
}

export interface HostRequest {
  host: string;
  path?: string;
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sends an HTTP/1.0 request line over a raw socket. */
}

/** Sends one request to the server with the given Host header. */
export function hostRequest(url: string, r: HostRequest): Promise<HostResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname: u.hostname, port: u.port, method: r.method ?? 'GET', path: r.path ?? '/', agent: false,
      headers: { host: r.host, ...r.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), httpVersion: res.httpVersion }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Backend {
  url: string;
  seen: SeenRequest[];
  server: http.Server;
  close(): Promise<void>;
}

/** A backend that records requests (bodies up to 1 MB) and answers with `handler` or a JSON echo. */
export async function startBackend(handler?: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Backend> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= 1024 * 1024) chunks.push(c); });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (handler) { handler(req, res, body); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, size }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, seen, server,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export const webHost = (s: TestServer, app: string, tenant = s.tenant, provider?: string): string => {
  const port = new URL(s.url).port;
  return `${tenant}-${app}${provider ? `-${provider}` : ''}.${s.config.region}.${s.config.domain}:${port}`;
};

export async function register(s: TestServer, body: Record<string, unknown>): Promise<Response> {
  return s.api('/api/gatewayregistry/v1/apps', { method: 'POST', body: JSON.stringify(body) });
}

export async function registerOk(s: TestServer, body: Record<string, unknown>): Promise<void> {
  const res = await register(s, body);
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
}

export interface BrowserSession {
  cookie: string;
  xsrf: string;
  session: string;
}

/** Adds a user and logs in on the web app host like a browser form post; returns the cookies. */
export async function loginAs(s: TestServer, host: string, email: string, password = 'correct-horse-battery',
  role: 'admin' | 'user' = 'user'): Promise<BrowserSession> {
  const existing = await s.platform.identity.service.listUsers(s.tenant);
  if (!existing.some((u) => u.email === email)) await s.platform.identity.service.addUser(s.tenant, email, password, role);
  const res = await hostRequest(s.url, {
    host, path: '/login', method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${host}` },
    body: new URLSearchParams({ email, password, returnTo: '/' }).toString(),
  });
  if (res.status !== 303) throw new Error(`login failed: ${res.status} ${res.body}`);
  const cookies = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);
  const get = (n: string) => cookies.find((c) => c.startsWith(`${n}=`))!.slice(n.length + 1);
  return { cookie: cookies.join('; '), xsrf: get('XSRF-TOKEN'), session: get('SESSION') };
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A backend that hashes what it receives without keeping it (x-bytes, x-sha256) and answers `answerMb` MB of 'b'. */
export async function startSink(answerMb: number): Promise<{ url: string; close(): Promise<void> }> {
  const MB = 1024 * 1024;
  const sink = http.createServer((req, res) => {
    const sha = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => { bytes += c.length; sha.update(c); });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-bytes': String(bytes), 'x-sha256': sha.digest('hex') });
      const block = Buffer.alloc(MB, 0x62);
      let left = answerMb;
      const pump = () => { while (left > 0) { left--; if (!res.write(block)) { res.once('drain', pump); return; } } res.end(); };
      pump();
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { sink.closeAllConnections(); sink.close(() => resolve()); }),
  };
}
