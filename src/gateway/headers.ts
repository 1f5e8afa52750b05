/**
 * Header rules of forwarded requests and web app responses (seed 002 "Security", "Cache Control"):
 * hop-by-hop headers are dropped both ways (RFC 7230 §6.1), X-Forwarded-* are set, the session cookies never
 * reach a backend, and web app responses get the default CSP, X-XSS-Protection, nosniff and Cache-Control.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'proxy-connection']);
export const GATEWAY_COOKIES = new Set(['SESSION', 'REGION-SESSION', 'XSRF-TOKEN']);
export const DEFAULT_CACHE_CONTROL = 'no-cache, no-store, max-age=0, must-revalidate';

export function defaultCsp(region: string, domain: string): string {
  const s = `static.${region}.${domain}`;
  return `default-src 'self' ${s}; style-src * 'unsafe-inline'; script-src 'self' 'unsafe-inline' ${s}; img-src * data:;`;
}

/** Copies headers without hop-by-hop ones, including those the Connection header names. */
export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(String(headers['connection'] ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    out[k] = v;
  }
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

export function forwardedHeaders(req: IncomingMessage, host: string): OutgoingHttpHeaders {
  const prior = req.headers['x-forwarded-for'];
  const addr = req.socket.remoteAddress ?? '';
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const port = req.socket.localPort;
  return {
    'x-forwarded-for': prior ? `${String(prior)}, ${addr}` : addr,
    'x-forwarded-proto': encrypted ? 'https' : 'http',
    'x-forwarded-host': host,
    'x-forwarded-port': String(port ?? ''),
  };
}

const blank = (v: unknown): boolean => v === undefined || String(v).trim() === '';

/** Applies the web app response rules to backend response headers (already stripped of hop-by-hop ones). */
export function webAppResponseHeaders(headers: OutgoingHttpHeaders, options: {
  csp: string; cacheControl: string | null; httpVersion: string;
}): OutgoingHttpHeaders {
  const out = { ...headers };
  if (blank(out['content-security-policy']) && blank(out['content-security-policy-report-only'])) {
    delete out['content-security-policy'];
    delete out['content-security-policy-report-only'];
    out['content-security-policy'] = options.csp;
  }
  out['x-xss-protection'] = '1; mode=block';
  out['x-content-type-options'] = 'nosniff';
  if (blank(out['cache-control'])) out['cache-control'] = options.cacheControl ?? DEFAULT_CACHE_CONTROL;
  if (options.httpVersion === '1.0') {
    const directives = String(out['cache-control']).toLowerCase().split(',').map((d) => d.trim());
    if (directives.includes('no-cache')) {
      out['pragma'] = 'no-cache';
      out['expires'] = '0';
    }
  }
  return out;
}
