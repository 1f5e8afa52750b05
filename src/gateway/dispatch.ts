/**
 * Dispatch of every request and Upgrade the edge lets in (Industrial IoT Gateway docs "URL Schemes", "URL Patterns"): host routing, the
 * RFC 3986 target check and normalisation, the declared size limit; then the platform's own API (fastify), a
 * registered provider API, or a registered web app (after web app sign-in), else a standard app of that name
 * (builtin.ts). A web app host's /api call goes to the platform with the caller's principal handed on, so its token
 * is verified once. `/` on the gateway host redirects to the default tenant's Launchpad.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { bearerToken, passVerifiedPrincipal, principalFromClaims, tenantOfClaims, type TokenVerifier } from '../core/auth.js';
import type { Config } from '../core/config.js';
import { bestMatch } from './ant.js';
import { BuiltinApps } from './builtin.js';
import { GatewayErrors } from './errors.js';
import type { FailureWriter } from './failures.js';
import type { Greylist } from './greylist.js';
import { backendRequestHeaders, defaultCsp, withoutGatewayCookies, type WebAppRules } from './headers.js';
import { parseHost, webAppUrl } from './host.js';
import { forward } from './proxy.js';
import { label, type Registry, type ResolvedApp } from './registry.js';
import type { Sessions, UserDirectory } from './sessions.js';
import { selfOrigins, type WebAppHost, type WebAppSignIn } from './signin.js';
import type { SocketTracker } from './sockets.js';
import { checkOrigin } from './sessions.js';
import { checkTarget, normalizeTarget } from './uri.js';
import { bridge, offeredProtocols } from './websocket.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const PROVIDER_API = /^\/api\/([a-z][a-z0-9]{1,39})-([a-z][a-z0-9]{1,39})(\/.*)?$/;

/** What the gateway is built from (createGateway gives it to the edge, the edge on to the dispatcher). */
export interface GatewayParts {
  config: Config;
  logger: Logger;
  verifier: TokenVerifier;
  users: UserDirectory;
  registry: Registry;
  sessions: Sessions;
  greylist: Greylist;
  /** Paths exempt from the request size limit because their routes enforce their own (signed object uploads). */
  largeBody?: (path: string) => boolean;
}

export interface DispatchDeps extends GatewayParts {
  signIn: WebAppSignIn;
  sockets: SocketTracker;
  failures: FailureWriter;
  /** Client connections open now (the greylist's load share). */
  connections(): number;
}

export class Dispatcher {
  /** Tenants seen to exist; tenants are never deleted, so a positive answer stays true. */
  private readonly knownTenants = new Set<string>();
  private readonly builtin = new BuiltinApps();

  constructor(private readonly d: DispatchDeps) {}

  async request(req: IncomingMessage, res: ServerResponse, platform: Handler): Promise<void> {
    const c = this.d.config;
    if (req.headers.host === undefined && req.httpVersion === '1.1') {
      // RFC 9112 §3.2: a 1.1 request without Host is a 400; the connection closes after it, as node's own answer did
      return this.d.failures.fail(req, res, GatewayErrors.badRequest({ reason: 'an HTTP/1.1 request must have a Host header' }), true);
    }
    const coding = req.headers['transfer-encoding'];
    if (coding !== undefined && (!/(?:^|,)[ \t]*chunked[ \t]*$/i.test(coding) || req.headers['content-length'] !== undefined)) {
      // RFC 9112 §6.1, §6.3: a request's last transfer coding must be chunked, and it has no Content-Length beside
      // one. node's parser refuses such a request only after handing its head over, so a route could answer it
      // first; refused here, its one answer is this 400 and the connection closes after it
      const reason = req.headers['content-length'] !== undefined ? 'request has both `content-length` and `transfer-encoding`' : 'request has invalid `transfer-encoding`';
      return this.d.failures.fail(req, res, GatewayErrors.badRequest({ reason }), true);
    }
    const host = parseHost(req.headers.host, c.domain, c.region);
    if (host.kind === 'unknown') throw GatewayErrors.unknownHost({ reason: host.reason });
    checkTarget(req.url ?? '');
    const { path, query } = normalizeTarget(req.url ?? '/');
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > c.gatewayMaxRequestBytes && !(host.kind !== 'webapp' && this.d.largeBody?.(path))) {
      return this.d.failures.fail(req, res, GatewayErrors.requestTooLarge({ limit: c.gatewayMaxRequestBytes }), true);
    }
    if (host.kind !== 'webapp') {
      const api = PROVIDER_API.exec(path);
      if (api) {
        const token = bearerToken(req);
        return this.proxyApi(req, res, tenantOfClaims(await this.d.verifier.verify(token)), api, query, token);
      }
      if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) return this.toLaunchpad(req, res);
      req.url = path + query;
      return platform(req, res);
    }
    const app = await this.webApp(host);
    if (path === '/login') return this.d.signIn.login(req, res, host, query);
    if (path === '/logout') return this.d.signIn.logout(req, res, host);
    const auth = await this.d.signIn.authenticate(req, res, host, path + query);
    if (!auth) return;
    if (path === '/api' || path.startsWith('/api/')) {
      const api = PROVIDER_API.exec(path);
      if (api) return this.proxyApi(req, res, host.tenant, api, query, auth.token);
      passVerifiedPrincipal(req, principalFromClaims(auth.claims ?? await this.d.verifier.verify(auth.token), auth.token));
      req.headers.authorization = `Bearer ${auth.token}`;
      const cookie = withoutGatewayCookies(req.headers.cookie);
      if (cookie === undefined) delete req.headers.cookie;
      else req.headers.cookie = cookie;
      req.url = path + query;
      return platform(req, res);
    }
    if (app === 'builtin') {
      return this.builtin.serve(req, res, host.app, path, { csp: defaultCsp(c.region, c.domain), cacheControl: null, httpVersion: req.httpVersion });
    }
    const match = bestMatch(app.patterns, path);
    if (!match) throw GatewayErrors.noEndpoint({ path, app: label(app.reg.name, app.reg.provider) });
    this.pass(req, res, app, match.pattern.source, path + query, auth.token,
      { csp: app.reg.csp ?? defaultCsp(c.region, c.domain), cacheControl: app.reg.cacheControl, httpVersion: req.httpVersion });
  }

  /** `/` on the gateway host: a browser lands on the default tenant's Launchpad (same port as it came in on). */
  private toLaunchpad(req: IncomingMessage, res: ServerResponse): void {
    const c = this.d.config;
    const hostHeader = String(req.headers.host ?? '');
    const port = /:(\d+)$/.exec(hostHeader)?.[1] ?? (hostHeader ? '80' : String(req.socket.localPort ?? ''));
    res.writeHead(302, { location: webAppUrl(c.tenant, 'launchpad', c.region, c.domain, port), 'cache-control': 'no-store', 'content-length': 0 }).end();
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const c = this.d.config;
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
    if (app === 'builtin') throw GatewayErrors.websocketRefused({ reason: `the standard app ${host.app} takes no WebSockets` });
    const auth = await this.d.signIn.authenticate(req, undefined, host, path + query);
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
      refuse: (reason) => this.d.failures.raw(socket, GatewayErrors.websocketRefused({ reason }), path, req.headers.accept),
      opened: (client) => (idHash ? this.d.sockets.track(idHash, client) : () => undefined),
    });
  }

  /** The registered web app of the host, else the built-in app of that name ('builtin'). */
  private async webApp(host: WebAppHost): Promise<ResolvedApp | 'builtin'> {
    if (!this.knownTenants.has(host.tenant)) {
      if (!(await this.d.users.tenantExists(host.tenant))) throw GatewayErrors.unknownTenant({ tenant: host.tenant });
      this.knownTenants.add(host.tenant);
    }
    const app = await this.d.registry.resolve(host.tenant, 'webapp', host.app, host.provider ?? '');
    if (!app && this.builtin.has(host.app, host.provider)) return 'builtin';
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

  private pass(req: IncomingMessage, res: ServerResponse, app: ResolvedApp, pattern: string, pathAndQuery: string, token: string,
    webAppRules?: WebAppRules): void {
    const c = this.d.config;
    const tenant = app.reg.tenant;
    const endpoint = `${app.reg.type}:${label(app.reg.name, app.reg.provider)}:${pattern}`;
    const verdict = this.d.greylist.check(tenant, endpoint, this.d.connections());
    if (verdict === 'block') throw GatewayErrors.backendTooSlow({ endpoint: `${label(app.reg.name, app.reg.provider)} ${pattern}` });
    if (verdict === 'report') this.d.logger.warn({ tenant, endpoint }, 'request to a greylisted (slow) endpoint forwarded (mode report)');
    forward(req, res, {
      target: app.target, pathAndQuery, headers: backendRequestHeaders(req, app.target.host, token), idleMs: c.gatewayIdleTimeoutMs,
      maxRequestBytes: c.gatewayMaxRequestBytes, maxFileBytes: c.gatewayMaxFileBytes, webAppRules,
      onTiming: (ms) => {
        if (this.d.greylist.record(tenant, endpoint, ms)) this.d.logger.warn({ tenant, endpoint, ms }, 'slow backend endpoint greylisted');
      },
      fail: (err, close) => this.d.failures.fail(req, res, err, close),
    });
  }
}
