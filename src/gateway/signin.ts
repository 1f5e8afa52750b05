/**
 * Sign-in on web app hosts (Industrial IoT Gateway docs "Security", "AJAX Requests", "Cross-Site-Request-Forgery"): a request is
 * authenticated by a bearer token of the host's tenant or by a web session (CSRF-checked when state-changing);
 * without either, AJAX requests get 401 and others a redirect to the login page. /login shows and takes the login
 * form (the password checked by identity's sign-in), /logout ends the session and closes its WebSockets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, tenantOfClaims, type TokenVerifier } from '../core/auth.js';
import type { Config } from '../core/config.js';
import { AppError, Generic } from '../core/errors.js';
import { loginPage } from '../identity/index.js';
import { GatewayErrors } from './errors.js';
import { clientResponseHeaders, defaultCsp } from './headers.js';
import type { HostKind } from './host.js';
import { checkOrigin, STATE_CHANGING, type ActiveSession, type Sessions } from './sessions.js';
import type { SocketTracker } from './sockets.js';
import { checkTarget } from './uri.js';

export type WebAppHost = Extract<HostKind, { kind: 'webapp' }>;

export interface Auth {
  /** The bearer token forwarded for the caller. */
  token: string;
  session: ActiveSession | undefined;
  /** The claims when the token was verified here (a bearer caller): the API layer need not verify it again. */
  claims: Readonly<Record<string, unknown>> | undefined;
}

export function selfOrigins(req: IncomingMessage): string[] {
  const host = String(req.headers.host ?? '').toLowerCase();
  return [`http://${host}`, `https://${host}`];
}

/** A return target is a local path only (no scheme, no host, no "//"), else "/". */
export function safeReturnTo(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  try {
    checkTarget(raw);
  } catch {
    return '/';
  }
  return raw;
}

/** Reads an application/x-www-form-urlencoded body of at most `limit` bytes. */
export async function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw Generic.unsupportedMediaType({ contentType: type || '(none)', supported: 'application/x-www-form-urlencoded' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Generic.payloadTooLarge({ limit });
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export class WebAppSignIn {
  constructor(private readonly d: { config: Config; verifier: TokenVerifier; sessions: Sessions; sockets: SocketTracker }) {}

  /** Session or bearer token of the host's tenant; without either: 401 for AJAX (and Upgrades), else a redirect to login. */
  async authenticate(req: IncomingMessage, res: ServerResponse | undefined, host: WebAppHost, returnTo: string): Promise<Auth | undefined> {
    if (req.headers.authorization !== undefined) {
      const token = bearerToken(req);
      const claims = await this.d.verifier.verify(token);
      const tenant = tenantOfClaims(claims);
      if (tenant !== host.tenant) throw Generic.forbidden({ reason: `the token belongs to tenant ${tenant}, not ${host.tenant}` });
      return { token, session: undefined, claims };
    }
    const session = await this.d.sessions.fromRequest(req, host.tenant);
    if (!session) {
      if (!res || String(req.headers['x-requested-with']).toLowerCase() === 'xmlhttprequest') throw GatewayErrors.noSession({});
      res.writeHead(302, { location: `/login?returnTo=${encodeURIComponent(returnTo)}`, 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return undefined;
    }
    if (STATE_CHANGING.has(req.method ?? '')) this.d.sessions.checkCsrf(req, session, selfOrigins(req));
    return { token: await this.d.sessions.token(session), session, claims: undefined };
  }

  async login(req: IncomingMessage, res: ServerResponse, host: WebAppHost, query: string): Promise<void> {
    const c = this.d.config;
    const returnTo = safeReturnTo(new URLSearchParams(query).get('returnTo'));
    const headers = clientResponseHeaders({ 'content-type': 'text/html; charset=utf-8' },
      { csp: defaultCsp(c.region, c.domain), cacheControl: null, httpVersion: req.httpVersion });
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.writeHead(200, headers).end(loginPage(host.tenant, returnTo, undefined));
      return;
    }
    if (req.method !== 'POST') throw Generic.methodNotAllowed({ method: req.method ?? '', path: '/login' });
    checkOrigin(req, selfOrigins(req));
    const form = await readForm(req, c.loginFormLimitBytes);
    const target = safeReturnTo(form.get('returnTo') ?? null);
    try {
      const cookies = await this.d.sessions.login(host.tenant, form.get('email') ?? '', form.get('password') ?? '');
      res.writeHead(303, { location: target, 'set-cookie': cookies, 'cache-control': 'no-store', 'content-length': 0 }).end();
    } catch (err) {
      // A browser gets the form again, with the reason; API clients get the error in their format.
      if (!(err instanceof AppError) || (err.status !== 401 && err.status !== 429) || !/text\/html/.test(String(req.headers.accept))) throw err;
      const message = err.status === 401 ? 'Wrong e-mail address or password.' : err.message;
      res.writeHead(err.status, [...headers, ...Object.entries(err.headers).flat()]).end(loginPage(host.tenant, target, message));
    }
  }

  async logout(req: IncomingMessage, res: ServerResponse, host: WebAppHost): Promise<void> {
    if (req.method !== 'POST') throw Generic.methodNotAllowed({ method: req.method ?? '', path: '/logout' });
    const session = await this.d.sessions.fromRequest(req, host.tenant);
    if (!session) throw GatewayErrors.noSession({});
    this.d.sessions.checkCsrf(req, session, selfOrigins(req));
    await this.d.sessions.end(session.record.idHash);
    this.d.sockets.close(session.record.idHash, 'the session ended (logout)');
    res.writeHead(303, {
      location: '/login', 'cache-control': 'no-store', 'content-length': 0,
      'set-cookie': ['SESSION=; Path=/; Max-Age=0', 'REGION-SESSION=; Path=/; Max-Age=0', 'XSRF-TOKEN=; Path=/; Max-Age=0'],
    }).end();
  }
}
