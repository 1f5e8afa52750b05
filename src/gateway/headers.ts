/**
 * Header rules of forwarded requests and web app responses (Industrial IoT Gateway docs "Security", "Cache Control"):
 * hop-by-hop headers are dropped both ways (RFC 7230 §6.1), X-Forwarded-* are set, the session cookies never
 * reach a backend, and web app responses get the default CSP, X-XSS-Protection, nosniff and Cache-Control.
 */
import type { IncomingMessage } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'proxy-connection']);
export const GATEWAY_COOKIES = new Set(['SESSION', 'REGION-SESSION', 'XSRF-TOKEN']);
export const DEFAULT_CACHE_CONTROL = 'no-cache, no-store, max-age=0, must-revalidate';

export function defaultCsp(region: string, domain: string): string {
  const s = `static.${region}.${domain}`;
  return `default-src 'self' ${s}; style-src * 'unsafe-inline'; script-src 'self' 'unsafe-inline' ${s}; img-src * data:;`;
}

/** Names the Connection header lists: hop-by-hop for this connection only (RFC 7230 §6.1). */
function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const listed = new Set<string>();
  for (const name of String(value).toLowerCase().split(',')) if (name.trim()) listed.add(name.trim());
  return listed;
}

/** Request headers the gateway sets itself or never forwards (besides hop-by-hop ones). */
const REPLACED = new Set(['host', 'authorization', 'cookie', 'expect', 'x-forwarded-for', 'x-forwarded-proto',
  'x-forwarded-host', 'x-forwarded-port']);

/**
 * The headers a backend gets, as a flat [name, value, ...] list in the client's order (duplicates kept): end-to-end
 * headers only, the Cookie header without the gateway's cookies, X-Forwarded-*, the target's Host and the bearer
 * token of the caller (never the caller's own Authorization or session cookie). Expect is answered by the gateway.
 */
export function backendRequestHeaders(req: IncomingMessage, targetHost: string, token: string): string[] {
  const raw = req.rawHeaders;
  const listed = connectionListed(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || REPLACED.has(name) || listed?.has(name)) continue;
    out.push(name, raw[i + 1]!);
  }
  const cookie = withoutGatewayCookies(req.headers.cookie);
  if (cookie) out.push('cookie', cookie);
  const prior = req.headers['x-forwarded-for'];
  const addr = req.socket.remoteAddress ?? '';
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  out.push('x-forwarded-for', prior ? `${prior}, ${addr}` : addr, 'x-forwarded-proto', encrypted ? 'https' : 'http',
    'x-forwarded-host', req.headers.host ?? '', 'x-forwarded-port', String(req.socket.localPort ?? ''),
    'host', targetHost, 'authorization', `Bearer ${token}`);
  return out;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** The Cookie header without the gateway's own cookies; undefined when nothing is left. */
export function withoutGatewayCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header.split(';').map((p) => p.trim()).filter((p) => p && !GATEWAY_COOKIES.has(p.split('=')[0]!.trim()));
  return kept.length ? kept.join('; ') : undefined;
}

const PRAGMA_EXPIRES = new Set(['pragma', 'expires']);
const blank = (v: unknown): boolean => v === undefined || String(v).trim() === '';

export interface WebAppRules {
  csp: string;
  /** The registered Cache-Control, used when the app sends none. */
  cacheControl: string | null;
  httpVersion: string;
}

/**
 * Response headers for the client as a flat [name, value, ...] list for writeHead: the backend's end-to-end headers
 * and, on web app hosts (`rules`), the default CSP unless the app sends a CSP or CSP-Report-Only header,
 * X-XSS-Protection, nosniff, Cache-Control (the app's, else the registered one, else the default) and for HTTP/1.0
 * clients with no-cache also Pragma and Expires.
 */
export function clientResponseHeaders(headers: Record<string, string | string[] | undefined>, rules?: WebAppRules): string[] {
  const listed = connectionListed(headers['connection']);
  const out: string[] = [];
  let hasCsp = false;
  let cacheControl: string | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (rules) {
      if (name === 'content-security-policy' || name === 'content-security-policy-report-only') {
        if (blank(value)) continue;
        hasCsp = true;
      } else if (name === 'cache-control') {
        if (blank(value)) continue;
        cacheControl = String(value);
      } else if (name === 'x-xss-protection' || name === 'x-content-type-options') continue;
    }
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  if (!rules) return out;
  if (!hasCsp) out.push('content-security-policy', rules.csp);
  out.push('x-xss-protection', '1; mode=block', 'x-content-type-options', 'nosniff');
  if (cacheControl === undefined) out.push('cache-control', cacheControl = rules.cacheControl ?? DEFAULT_CACHE_CONTROL);
  if (rules.httpVersion === '1.0' && cacheControl.toLowerCase().split(',').some((d) => d.trim() === 'no-cache')) {
    const kept = out.filter((_, i) => i % 2 === 0 ? !PRAGMA_EXPIRES.has(out[i]!) : !PRAGMA_EXPIRES.has(out[i - 1]!));
    kept.push('pragma', 'no-cache', 'expires', '0');
    return kept;
  }
  return out;
}
