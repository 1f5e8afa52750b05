/**
 * The gateway layer in front of the platform's routes (seed 002): every request and Upgrade first passes the
 * connection cap, host routing, the RFC 3986 target check and path normalisation and the size limits; then goes
 * to the platform's own API (fastify), to a registered provider API or to a registered web app. Web app hosts
 * authenticate with a session (login page, CSRF) or a bearer token of the host's tenant, and forward the user's
 * bearer token. Errors are rendered by core's errorResponse in the negotiated format.
 */
import { randomUUID } from 'node:crypto';
import http, { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { bearerToken, tenantOfClaims, type TokenVerifier } from '../core/auth.js';
import type { Config } from '../core/config.js';
import { AppError, Generic } from '../core/errors.js';
import { errorResponse } from '../core/http.js';
import { bestMatch } from './ant.js';
import { GatewayErrors } from './errors.js';
import type { Greylist } from './greylist.js';
import {
  backendRequestHeaders, clientResponseHeaders, defaultCsp, withoutGatewayCookies, type WebAppRules,
} from './headers.js';
import { parseHost, type HostKind } from './host.js';
import { forward } from './proxy.js';
import { label, type Registry, type ResolvedApp } from './registry.js';
import { checkOrigin, STATE_CHANGING, type ActiveSession, type Sessions, type UserDirectory } from './sessions.js';
import { checkTarget, normalizeTarget } from './uri.js';
import { bridge, offeredProtocols } from './websocket.js';
import type WebSocket from 'ws';
import { loginPage, readForm, safeReturnTo } from './login.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type WebAppHost = Extract<HostKind, { kind: 'webapp' }>;

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  verifier: TokenVerifier;
  users: UserDirectory;
  registry: Registry;
  sessions: Sessions;
  greylist: Greylist;
}

interface Auth {
  token: string;
  session: ActiveSession | undefined;
}

const PROVIDER_API = /^\/api\/([a-z][a-z0-9]{1,39})-([a-z][a-z0-9]{1,39})(\/.*)?$/;

export class Gateway {
  connections = 0;
  private readonly refused = new WeakSet<Socket>();
  private readonly sockets = new Map<string, Set<WebSocket>>();
  /** Tenants seen to exist; tenants are never deleted, so a positive answer stays true. */
  private readonly knownTenants = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly d: GatewayDeps) {}

  /** fastify serverFactory: the node:http server with the gateway in front of fastify's handler. */
  serverFactory = (handler: Handler): http.Server => {
    const c = this.d.config;
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res, handler).catch((err: Error) => this.fail(req, res, err, false));
    };
    const server = http.createServer({ maxHeaderSize: c.gatewayMaxHeaderBytes, requestTimeout: 0, keepAliveTimeout: c.gatewayIdleTimeoutMs },
      onRequest);
    // Expect: 100-continue: a body declared too large is refused before the client sends it (RFC 7231 §5.1.1).
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (Number(req.headers['content-length'] ?? 0) > c.gatewayMaxRequestBytes) {
        this.fail(req, res, GatewayErrors.requestTooLarge({ limit: c.gatewayMaxRequestBytes }), true);
        return;
      }
      res.writeContinue();
      onRequest(req, res);
    });
    server.setTimeout(c.gatewayIdleTimeoutMs);
    server.headersTimeout = 0; // slow senders are bounded by the idle timeout (one byte per interval keeps them) and the connection cap
    server.on('connection', (socket: Socket) => {
      this.connections++;
      if (this.connections > c.gatewayMaxConnections) this.refused.add(socket);
      socket.once('close', () => { this.connections--; });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code !== 'HPE_HEADER_OVERFLOW' || !socket.writable) return;
      this.rawError(socket, GatewayErrors.headersTooLarge({ limit: c.gatewayMaxHeaderBytes }), '/', undefined);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(req, socket, head).catch((err: Error) => this.rawError(socket, err, req.url ?? '/', req.headers.accept));
    });
    server.on('close', () => { for (const t of this.timers) clearInterval(t); });
    const sweepMs = Math.max(100, Math.min(c.sessionIdleSeconds, c.sessionTtlSeconds) * 250);
    // Open WebSockets follow their session within a second, also when another worker ended it (logout).
    this.timers.push(setInterval(() => void this.closeEndedSockets(), Math.min(1000, sweepMs)).unref(),
      setInterval(() => void this.d.sessions.sweep(), sweepMs).unref());
    return server;
  };

  private async handle(req: IncomingMessage, res: ServerResponse, platform: Handler): Promise<void> {
    const c = this.d.config;
    if (this.refused.has(req.socket)) return this.fail(req, res, GatewayErrors.tooManyConnections({ limit: c.gatewayMaxConnections }), true);
    const host = parseHost(req.headers.host, c.domain, c.region);
    if (host.kind === 'unknown') throw GatewayErrors.unknownHost({ reason: host.reason });
    checkTarget(req.url ?? '');
    const { path, query } = normalizeTarget(req.url ?? '/');
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > c.gatewayMaxRequestBytes) {
      return this.fail(req, res, GatewayErrors.requestTooLarge({ limit: c.gatewayMaxRequestBytes }), true);
    }
    if (host.kind !== 'webapp') {
      const api = PROVIDER_API.exec(path);
      if (api) {
        const token = bearerToken(req);
        return this.proxyApi(req, res, tenantOfClaims(await this.d.verifier.verify(token)), api, query, token);
      }
      req.url = path + query;
      return platform(req, res);
    }
    const app = await this.webApp(host);
    if (path === '/login') return this.login(req, res, host, query);
    if (path === '/logout') return this.logout(req, res, host);
    const auth = await this.authenticate(req, res, host, path + query);
    if (!auth) return;
    if (path === '/api' || path.startsWith('/api/')) {
      const api = PROVIDER_API.exec(path);
      if (api) return this.proxyApi(req, res, host.tenant, api, query, auth.token);
      req.headers.authorization = `Bearer ${auth.token}`;
      const cookie = withoutGatewayCookies(req.headers.cookie);
      if (cookie === undefined) delete req.headers.cookie;
      else req.headers.cookie = cookie;
      req.url = path + query;
      return platform(req, res);
    }
    const match = bestMatch(app.patterns, path);
    if (!match) throw GatewayErrors.noEndpoint({ path, app: label(app.reg.name, app.reg.provider) });
    this.pass(req, res, app, match.pattern.source, path + query, auth.token,
      { csp: app.reg.csp ?? defaultCsp(c.region, c.domain), cacheControl: app.reg.cacheControl, httpVersion: req.httpVersion });
  }

  private async webApp(host: WebAppHost): Promise<ResolvedApp> {
    if (!this.knownTenants.has(host.tenant)) {
      if (!(await this.d.users.tenantExists(host.tenant))) throw GatewayErrors.unknownTenant({ tenant: host.tenant });
      this.knownTenants.add(host.tenant);
    }
    const app = await this.d.registry.resolve(host.tenant, 'webapp', host.app, host.provider ?? '');
    if (!app) throw GatewayErrors.unknownApp({ app: label(host.app, host.provider ?? ''), tenant: host.tenant });
    return app;
  }

  private async proxyApi(req: IncomingMessage, res: ServerResponse, tenant: string, m: RegExpExecArray, query: string, token: string) {
    const [, name, provider, rest] = m as unknown as [string, string, string, string | undefined];
    const api = await this.d.registry.resolve(tenant, 'api', name, provider);
    if (!api) throw GatewayErrors.unknownApi({ api: `${name}-${provider}`, tenant });
    const endpoint = rest ?? '/';
    const match = bestMatch(api.patterns, endpoint);
    if (!match) throw GatewayErrors.noEndpoint({ path: endpoint, app: `${name}-${provider}` });
    this.pass(req, res, api, match.pattern.source, endpoint + query, token);
  }

  /** Session or bearer token of the host's tenant; without either: 401 for AJAX, else a redirect to login. */
  private async authenticate(req: IncomingMessage, res: ServerResponse | undefined, host: WebAppHost, returnTo: string): Promise<Auth | undefined> {
    if (req.headers.authorization !== undefined) {
      const token = bearerToken(req);
      const tenant = tenantOfClaims(await this.d.verifier.verify(token));
      if (tenant !== host.tenant) {
        throw Generic.forbidden({ reason: `the token belongs to tenant ${tenant}, not ${host.tenant}` });
      }
      return { token, session: undefined };
    }
    const session = await this.d.sessions.fromRequest(req, host.tenant);
    if (!session) {
      if (!res || String(req.headers['x-requested-with']).toLowerCase() === 'xmlhttprequest') throw GatewayErrors.noSession({});
      res.writeHead(302, { location: `/login?returnTo=${encodeURIComponent(returnTo)}`, 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return undefined;
    }
    if (STATE_CHANGING.has(req.method ?? '')) this.d.sessions.checkCsrf(req, session, selfOrigins(req));
    return { token: await this.d.sessions.token(session), session };
  }

  private pass(req: IncomingMessage, res: ServerResponse, app: ResolvedApp, pattern: string, pathAndQuery: string, token: string,
    webAppRules?: WebAppRules): void {
    const c = this.d.config;
    const tenant = app.reg.tenant;
    const endpoint = `${app.reg.type}:${label(app.reg.name, app.reg.provider)}:${pattern}`;
    const verdict = this.d.greylist.check(tenant, endpoint, this.connections);
    if (verdict === 'block') throw GatewayErrors.backendTooSlow({ endpoint: `${label(app.reg.name, app.reg.provider)} ${pattern}` });
    if (verdict === 'report') this.d.logger.warn({ tenant, endpoint }, 'request to a greylisted (slow) endpoint forwarded (mode report)');
    forward(req, res, {
      target: app.target, pathAndQuery, headers: backendRequestHeaders(req, app.target.host, token), idleMs: c.gatewayIdleTimeoutMs,
      maxRequestBytes: c.gatewayMaxRequestBytes, maxFileBytes: c.gatewayMaxFileBytes, webAppRules,
      onTiming: (ms) => {
        if (this.d.greylist.record(tenant, endpoint, ms)) this.d.logger.warn({ tenant, endpoint, ms }, 'slow backend endpoint greylisted');
      },
      fail: (err, close) => this.fail(req, res, err, close),
    });
  }

  private async login(req: IncomingMessage, res: ServerResponse, host: WebAppHost, query: string): Promise<void> {
    const returnTo = safeReturnTo(new URLSearchParams(query).get('returnTo'));
    const headers = clientResponseHeaders({ 'content-type': 'text/html; charset=utf-8' },
      { csp: defaultCsp(this.d.config.region, this.d.config.domain), cacheControl: null, httpVersion: req.httpVersion });
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.writeHead(200, headers).end(loginPage(host.tenant, returnTo, undefined));
      return;
    }
    if (req.method !== 'POST') throw Generic.methodNotAllowed({ method: req.method ?? '', path: '/login' });
    checkOrigin(req, selfOrigins(req));
    const form = await readForm(req, 16 * 1024);
    const target = safeReturnTo(form.get('returnTo') ?? null);
    try {
      const cookies = await this.d.sessions.login(host.tenant, form.get('email') ?? '', form.get('password') ?? '');
      res.writeHead(303, { location: target, 'set-cookie': cookies, 'cache-control': 'no-store', 'content-length': 0 }).end();
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 401 || !/text\/html/.test(String(req.headers.accept))) throw err;
      res.writeHead(401, headers).end(loginPage(host.tenant, target, 'Wrong e-mail address or password.'));
    }
  }

  private async logout(req: IncomingMessage, res: ServerResponse, host: WebAppHost): Promise<void> {
    if (req.method !== 'POST') throw Generic.methodNotAllowed({ method: req.method ?? '', path: '/logout' });
    const session = await this.d.sessions.fromRequest(req, host.tenant);
    if (!session) throw GatewayErrors.noSession({});
    this.d.sessions.checkCsrf(req, session, selfOrigins(req));
    await this.d.sessions.end(session.record.idHash);
    this.closeSockets(session.record.idHash, 'the session ended (logout)');
    res.writeHead(303, {
      location: '/login', 'cache-control': 'no-store', 'content-length': 0,
      'set-cookie': ['SESSION=; Path=/; Max-Age=0', 'REGION-SESSION=; Path=/; Max-Age=0', 'XSRF-TOKEN=; Path=/; Max-Age=0'],
    }).end();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const c = this.d.config;
    if (this.refused.has(req.socket)) throw GatewayErrors.tooManyConnections({ limit: c.gatewayMaxConnections });
    const host = parseHost(req.headers.host, c.domain, c.region);
    if (host.kind === 'unknown') throw GatewayErrors.unknownHost({ reason: host.reason });
    if (host.kind === 'southgate') throw GatewayErrors.websocketRefused({ reason: 'WebSocket access through southgate is not supported' });
    if (host.kind === 'gateway') throw GatewayErrors.websocketRefused({ reason: 'WebSockets are proxied on web application hosts only' });
    checkTarget(req.url ?? '');
    const { path, query } = normalizeTarget(req.url ?? '/');
    let protocols: string[] | undefined;
    try {
      protocols = offeredProtocols(req.headers['sec-websocket-protocol']);
    } catch (err) {
      throw GatewayErrors.websocketRefused({ reason: (err as Error).message });
    }
    const app = await this.webApp(host);
    const auth = await this.authenticate(req, undefined, host, path + query);
    if (!auth) return;
    // Browsers send cookies on cross-site WebSocket handshakes: a session Upgrade must come from this origin.
    if (auth.session) checkOrigin(req, selfOrigins(req));
    const match = bestMatch(app.patterns, path);
    if (!match) throw GatewayErrors.noEndpoint({ path, app: label(app.reg.name, app.reg.provider) });
    const headers = backendRequestHeaders(req, app.target.host, auth.token);
    const target = new URL(app.target.toString());
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
    const backendUrl = `${target.origin}${target.pathname.replace(/\/$/, '')}${path}${query}`;
    const idHash = auth.session?.record.idHash;
    bridge(req, socket, head, {
      backendUrl, protocols: protocols ?? [], headers, idleMs: c.gatewayIdleTimeoutMs, pingMs: c.gatewayWsPingMs,
      allBinary: c.gatewayWsMessages === 'binary',
      onTraffic: () => { if (idHash) void this.d.sessions.touch(idHash); },
      refuse: (reason) => this.rawError(socket, GatewayErrors.websocketRefused({ reason }), path, req.headers.accept),
      opened: (client) => {
        if (!idHash) return () => undefined;
        const set = this.sockets.get(idHash) ?? new Set<WebSocket>();
        set.add(client);
        this.sockets.set(idHash, set);
        return () => { set.delete(client); if (set.size === 0) this.sockets.delete(idHash); };
      },
    });
  }

  private closeSockets(idHash: string, reason: string): void {
    for (const ws of this.sockets.get(idHash) ?? []) ws.close(1008, reason);
    this.sockets.delete(idHash);
  }

  /** Closes the WebSockets of sessions that expired or ended (on this worker or another). */
  private async closeEndedSockets(): Promise<void> {
    for (const idHash of [...this.sockets.keys()]) {
      if (!(await this.d.sessions.isAlive(idHash))) this.closeSockets(idHash, 'the session ended');
    }
  }

  private render(err: Error, url: string, accept: string | undefined) {
    const app = err instanceof AppError ? err : Generic.internal({});
    const logref = randomUUID();
    if (app.status >= 500 && !(err instanceof AppError)) this.d.logger.error({ err, logref }, 'gateway request failed');
    else this.d.logger.info({ logref, code: app.code, status: app.status }, app.message);
    return errorResponse(app, url, accept, logref);
  }

  fail(req: IncomingMessage, res: ServerResponse, err: Error, close: boolean): void {
    if (res.headersSent) { res.destroy(); return; }
    const out = this.render(err, req.url ?? '/', req.headers.accept);
    const headers: OutgoingHttpHeaders = { ...out.headers, 'content-type': out.contentType, 'content-length': Buffer.byteLength(out.body) };
    if (close) headers['connection'] = 'close';
    res.writeHead(out.status, headers);
    res.end(out.body);
    if (close) {
      res.once('finish', () => {
        req.socket.end();
        setTimeout(() => req.socket.destroy(), 2000).unref();
      });
    }
  }

  /** An error on a socket that has no ServerResponse (header overflow, Upgrade). */
  rawError(socket: Duplex, err: Error, url: string, accept: string | undefined): void {
    if (!socket.writable) { socket.destroy(); return; }
    const out = this.render(err, url, accept);
    const extra = Object.entries(out.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${out.status} ${STATUS_CODES[out.status] ?? ''}\r\nContent-Type: ${out.contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(out.body)}\r\n${extra}Connection: close\r\n\r\n${out.body}`);
    setTimeout(() => socket.destroy(), 2000).unref();
  }
}

function selfOrigins(req: IncomingMessage): string[] {
  const host = String(req.headers.host ?? '').toLowerCase();
  return [`http://${host}`, `https://${host}`];
}
