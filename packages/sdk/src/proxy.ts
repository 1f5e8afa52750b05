/**
 * The API reverse proxy (Insights Hub IIoT for Makers §7): lets browser code and widgets call `/api/...` on their own origin. Each
 * call is forwarded to the platform with the authenticator's token, or with the caller's own Authorization (a user
 * session); CORS is answered for local development; absolute links to the platform in HAL bodies and in
 * Link/Location headers are rewritten to the proxy's origin. Works with http:// and https:// platform URLs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Agent, type Dispatcher, request } from 'undici';
import type { TokenSource } from './auth.js';
import { IronbridgeError } from './errors.js';

export interface ApiProxyOptions {
  /** Platform base URL, e.g. `http://localhost:8080`. */
  target: string;
  /** Token for calls that bring no Authorization of their own. Without it calls pass through as they are. */
  auth?: TokenSource;
  /** Forward a caller's own Authorization header (a signed-in user's token) instead of the app token. Default true. */
  forwardAuthorization?: boolean;
  /** Answer CORS: true (any origin, default), false, or a list of allowed origins. */
  cors?: boolean | string[];
  /** Rewrite absolute platform URLs in bodies and headers to the proxy's origin. Default true. */
  rewrite?: boolean;
  /** Further origins the platform uses in links (e.g. its public URL when it differs from `target`). */
  rewriteOrigins?: string[];
  /** Only requests whose path starts with this are proxied (default `/api/`); others go to `next` or get 404. */
  prefix?: string;
  /** Largest body read whole for rewriting; larger bodies stream through unchanged. Default 32 MB. */
  maxRewriteBytes?: number;
  dispatcher?: Dispatcher;
  /** Told about each proxied call and each failure; never given a token. */
  log?: (event: string, detail: Record<string, unknown>) => void;
}

export type Middleware = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length']);
const REWRITABLE = /^(application\/(?:[\w.+-]*\+)?(?:json|xml)|text\/)/i;
const EXPOSED = 'ETag, Link, Location, Content-Location, X-Request-Id';

function proxyError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const logref = randomUUID();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ errors: [{ code, logref, message, messageParameters: [] }] }));
}

/** A Node/Connect/Express middleware forwarding `/api/...` to the platform. */
export function createApiProxy(options: ApiProxyOptions): Middleware {
  let targetUrl: URL;
  try {
    targetUrl = new URL(options.target);
  } catch {
    throw new TypeError(`target must be an absolute http(s) URL, got "${String(options.target).slice(0, 200)}"`);
  }
  if (targetUrl.protocol !== 'http:' && targetUrl.protocol !== 'https:') throw new TypeError('target must use http or https');
  const targetBase = `${targetUrl.origin}${targetUrl.pathname.replace(/\/+$/, '')}`;
  const prefix = options.prefix ?? '/api/';
  const rewrite = options.rewrite ?? true;
  const forwardAuthorization = options.forwardAuthorization ?? true;
  const maxRewrite = options.maxRewriteBytes ?? 32 * 1024 * 1024;
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000 });
  const origins = [...new Set([targetBase, ...(options.rewriteOrigins ?? []).map((o) => o.replace(/\/+$/, ''))])]
    .sort((a, b) => b.length - a.length);

  const corsOrigin = (origin: string | undefined): string | undefined => {
    if (!origin || options.cors === false) return undefined;
    if (Array.isArray(options.cors)) return options.cors.includes(origin) ? origin : undefined;
    return origin;
  };

  return (req, res, next) => {
    const path = req.url ?? '/';
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (!path.startsWith(prefix)) {
      if (next) return next();
      return proxyError(res, 404, 'mdsp.core.generic.routeNotFound', `No endpoint ${req.method} ${path.split('?')[0]} on this proxy; it forwards ${prefix}… only.`);
    }
    const allowed = corsOrigin(origin);
    if (allowed) {
      res.setHeader('access-control-allow-origin', allowed);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-expose-headers', EXPOSED);
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      if (!allowed) return proxyError(res, 403, 'mdsp.core.generic.forbidden', `Forbidden: origin ${origin ?? '(none)'} is not allowed by this proxy.`);
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
        'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'authorization, content-type, if-match, if-none-match'),
        'access-control-max-age': '600',
      });
      return res.end();
    }
    const proxyOrigin = `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
    void forward(req, res, proxyOrigin).catch((err: unknown) => {
      options.log?.('proxy.error', { method: req.method, path, reason: (err as Error).message });
      if (err instanceof IronbridgeError) {
        return proxyError(res, 502, 'ironbridge.proxy.tokenUnavailable',
          `The proxy could not get an access token from ${err.url || 'the token endpoint'}: ${err.message}`);
      }
      proxyError(res, 502, 'ironbridge.proxy.upstreamUnavailable', `The platform at ${targetBase} could not be reached: ${(err as Error).message}`);
    });
  };

  async function forward(req: IncomingMessage, res: ServerResponse, proxyOrigin: string): Promise<void> {
    const url = `${targetBase}${req.url}`;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      headers[k] = v;
    }
    if (headers['origin']) headers['origin'] = targetUrl.origin;
    delete headers['referer'];
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = proxyOrigin.startsWith('https') ? 'https' : 'http';
    if (rewrite) headers['accept-encoding'] = 'identity';
    const own = forwardAuthorization && typeof req.headers.authorization === 'string';
    if (!own) delete headers['authorization'];
    const hasBody = !['GET', 'HEAD'].includes(req.method ?? 'GET');
    if (hasBody && req.headers['content-length']) headers['content-length'] = String(req.headers['content-length']);

    const send = async () => {
      let token: string | undefined;
      if (!own && options.auth) {
        token = await options.auth.getAccessToken();
        headers['authorization'] = `Bearer ${token}`;
        delete headers['cookie'];
      }
      const upstream = await request(url, {
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers,
        body: hasBody ? req : undefined,
        dispatcher,
      });
      return { upstream, token };
    };
    let { upstream, token } = await send();
    if (upstream.statusCode === 401 && token && options.auth && !hasBody) {
      // The app token was rejected: drop it and repeat once with a new one (bodiless requests only).
      await upstream.body.dump();
      options.auth.invalidate(token);
      ({ upstream, token } = await send());
    }
    options.log?.('proxy.request', { method: req.method, path: req.url, status: upstream.statusCode });

    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k) || k.startsWith('access-control-')) continue;
      out[k] = v;
    }
    const swap = (text: string) => origins.reduce((t, o) => t.split(o).join(proxyOrigin), text);
    if (rewrite) {
      for (const h of ['link', 'location', 'content-location']) {
        const v = out[h];
        if (typeof v === 'string') out[h] = swap(v);
      }
    }
    res.setHeader('x-proxied-by', 'ironbridge api proxy');
    const type = String(upstream.headers['content-type'] ?? '');
    const length = Number(upstream.headers['content-length'] ?? NaN);
    const encoded = upstream.headers['content-encoding'] && upstream.headers['content-encoding'] !== 'identity';
    const chunks: Buffer[] = [];
    const iterator = (upstream.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    if (rewrite && REWRITABLE.test(type) && !encoded && !(length > maxRewrite)) {
      // Buffered up to maxRewriteBytes; a body that turns out larger streams through unchanged.
      let size = 0;
      let ended = false;
      while (size <= maxRewrite) {
        const next = await iterator.next();
        if (next.done) { ended = true; break; }
        chunks.push(next.value);
        size += next.value.length;
      }
      if (ended) {
        const body = Buffer.from(swap(Buffer.concat(chunks).toString('utf8')));
        out['content-length'] = String(body.length);
        res.writeHead(upstream.statusCode, out);
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      options.log?.('proxy.rewriteSkipped', { path: req.url, reason: `body larger than ${maxRewrite} bytes` });
    }
    if (upstream.headers['content-length'] !== undefined) out['content-length'] = String(upstream.headers['content-length']);
    res.writeHead(upstream.statusCode, out);
    for (const chunk of chunks) res.write(chunk);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      if (!res.write(next.value)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  }
}
