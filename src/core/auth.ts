/**
 * Bearer-token verification on every /api request (Industrial IoT Gateway docs "Required claims"; Insights Hub token claims).
 * The verifier itself lives in identity; core knows only its interface. Order of checks:
 * no/bad/expired token → 401; `ten` missing or malformed → 403; scope missing → 403.
 * A request the gateway has already verified (a web app host's /api call) carries its principal in a WeakMap keyed
 * by the node:http request object, which no header can reach, so the token is verified once per request.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Generic } from './errors.js';
import { TENANT_NAME } from './config.js';

export interface Principal {
  tenant: string;
  clientId: string;
  subject: string;
  scopes: ReadonlySet<string>;
  /** The raw bearer token, forwarded by the gateway to backends. */
  token: string;
  userName?: string;
  email?: string;
  claims: Readonly<Record<string, unknown>>;
}

export interface TokenVerifier {
  /** Verifies signature, expiry and revocation; throws an AppError (401) when the token is not valid. */
  verify(token: string): Promise<Readonly<Record<string, unknown>>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Scope the endpoint requires; absent on public endpoints. */
    scope?: string;
    /** True for endpoints that take no bearer token (token endpoints, key sets). */
    public?: boolean;
  }
}

/** The tenant a verified token acts for; 403 when its `ten` claim is missing or not a tenant name. */
export function tenantOfClaims(claims: Readonly<Record<string, unknown>>): string {
  const ten = claims['ten'];
  if (typeof ten !== 'string' || !TENANT_NAME.test(ten)) {
    throw Generic.forbidden({ reason: 'the token has no valid "ten" (tenant) claim' });
  }
  return ten;
}

export function principalFromClaims(claims: Readonly<Record<string, unknown>>, token: string): Principal {
  const ten = tenantOfClaims(claims);
  const scope = claims['scope'];
  const scopes = Array.isArray(scope) ? scope.filter((s): s is string => typeof s === 'string')
    : typeof scope === 'string' ? scope.split(' ') : [];
  const str = (k: string): string | undefined => (typeof claims[k] === 'string' ? (claims[k] as string) : undefined);
  return {
    tenant: ten,
    clientId: str('client_id') ?? '',
    subject: str('sub') ?? '',
    scopes: new Set(scopes),
    token,
    userName: str('user_name'),
    email: str('email'),
    claims,
  };
}

/** The bearer token of a request (fastify's or a raw node:http one). */
export function bearerToken(req: { headers: { authorization?: string | undefined } }): string {
  const header = req.headers.authorization;
  if (!header) throw Generic.unauthorized({ reason: 'the Authorization header with a Bearer token is missing' });
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) throw Generic.unauthorized({ reason: 'the Authorization header is not of the form "Bearer <token>"' });
  return m[1];
}

/** The challenge of a 401 invalid_client for a client that may authenticate with HTTP Basic (RFC 6749 §5.2). */
export const BASIC_CHALLENGE = 'Basic realm="ironbridge", charset="UTF-8"';

/**
 * Client credentials of `Basic base64(client_id:client_secret)`, both parts form-encoded first (RFC 6749 §2.3.1);
 * `Basic:` is accepted too (some clients send it). `fail(reason)` makes the error of the caller's endpoint.
 */
export function parseBasicCredentials(header: string, fail: (reason: string) => Error): { clientId: string; clientSecret: string } {
  const m = /^Basic:?\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m?.[1]) throw fail('expected "Basic base64(client_id:client_secret)"');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw fail('the decoded credentials have no "client_id:" part');
  const unform = (v: string): string => {
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return v;
    }
  };
  return { clientId: unform(decoded.slice(0, colon)), clientSecret: unform(decoded.slice(colon + 1)) };
}

/** Principals verified in front of fastify (the gateway), by the request object they were verified for. */
const verified = new WeakMap<IncomingMessage, Principal>();

/**
 * Hands the principal of a token verified in this process on to the API layer, which then does not verify it again.
 * Only code holding the request object can call it: a client cannot forge the entry.
 */
export function passVerifiedPrincipal(req: IncomingMessage, principal: Principal): void {
  verified.set(req, principal);
}

/** Installs the check on every route under /api except those marked public. */
export function installApiAuth(app: FastifyInstance, verifier: TokenVerifier): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/') || req.routeOptions.config?.public) return;
    let principal = verified.get(req.raw);
    if (!principal) {
      const token = bearerToken(req);
      principal = principalFromClaims(await verifier.verify(token), token);
    }
    const needed = req.routeOptions.config?.scope;
    if (needed && !principal.scopes.has(needed)) {
      throw Generic.forbidden({ reason: `the token lacks the scope ${needed} that this endpoint requires` });
    }
    req.principal = principal;
  });
}

/** The verified principal of a request on a protected route. */
export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw Generic.unauthorized({ reason: 'no verified token on this request' });
  return req.principal;
}
