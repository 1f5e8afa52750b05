/**
 * Web sessions (Industrial IoT Gateway docs "Restrictions", "AJAX Requests", "Cross-Site-Request-Forgery"): cookies SESSION and
 * REGION-SESSION identify a server-side session that lives at most sessionTtl and ends after sessionIdle without
 * activity; XSRF-TOKEN is echoed in x-xsrf-token on state-changing requests. Only SHA-256 hashes of the three cookie
 * values are stored. Forwarded requests carry the user's bearer token (token exchange), never the cookies.
 * Lifetimes run on an injected clock (`now`); the user's bearer token expires on the JWT's own (wall) clock.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { newSecret, sha256 } from '../core/secrets.js';
import type { SessionPort, SignIn } from '../identity/index.js';
import { GatewayErrors } from './errors.js';
import { parseCookies } from './headers.js';
import type { SessionRecord, SessionStore } from './store.js';

/** What the gateway calls of identity's sign-in (identity's exported SignIn service). */
export type UserDirectory = Pick<SignIn, 'tenantExists' | 'authenticate' | 'userToken'>;

export const hash = sha256;

export interface ActiveSession {
  record: SessionRecord;
}

export class Sessions {
  private readonly tokens = new Map<string, { token: string; expiresAt: number; scopes: string[] }>();
  private readonly lastTouch = new Map<string, number>();
  private readonly lastWrite = new Map<string, number>();

  constructor(
    private readonly store: SessionStore,
    private readonly users: UserDirectory,
    private readonly options: { ttlMs: number; idleMs: number; now: () => number },
  ) {}

  /** The sessions as identity's web app sign-in sees them (single sign-on on its consent page). */
  readonly port: SessionPort = {
    current: async (req, tenant) => {
      const s = await this.fromRequest(req, tenant);
      return s && { id: s.record.userId, email: s.record.email };
    },
    open: (tenant, user) => this.open(tenant, user),
  };

  /** Checks the password and opens a session; returns the Set-Cookie values. */
  async login(tenant: string, email: string, password: string): Promise<string[]> {
    const user = await this.users.authenticate(tenant, email.trim().toLowerCase(), password);
    if (!user) throw GatewayErrors.loginFailed({});
    return this.open(tenant, user);
  }

  /** Opens a session for an authenticated user; returns the Set-Cookie values. */
  async open(tenant: string, user: { id: string; email: string }): Promise<string[]> {
    const id = newSecret();
    const region = newSecret();
    const xsrf = newSecret();
    const now = this.options.now();
    await this.store.createSession({ idHash: hash(id), regionHash: hash(region), tenant, userId: user.id, email: user.email,
      xsrfHash: hash(xsrf), createdAt: now, lastSeenAt: now });
    return [
      `SESSION=${id}; Path=/; HttpOnly; SameSite=Lax`,
      `REGION-SESSION=${region}; Path=/; HttpOnly; SameSite=Lax`,
      `XSRF-TOKEN=${xsrf}; Path=/; SameSite=Lax`,
    ];
  }

  /** The valid session of the request for this tenant, or undefined. Counts as activity. */
  async fromRequest(req: IncomingMessage, tenant: string): Promise<ActiveSession | undefined> {
    const cookies = parseCookies(req.headers.cookie);
    const id = cookies.get('SESSION');
    const region = cookies.get('REGION-SESSION');
    if (!id || !region) return undefined;
    const idHash = hash(id);
    const record = await this.store.getSession(idHash);
    if (!record || record.tenant !== tenant || record.regionHash !== hash(region)) return undefined;
    if (!this.alive(record, this.options.now())) {
      await this.end(idHash);
      return undefined;
    }
    await this.touch(idHash);
    return { record };
  }

  alive(record: SessionRecord, now: number): boolean {
    const lastSeen = Math.max(record.lastSeenAt, this.lastTouch.get(record.idHash) ?? 0);
    return now - record.createdAt < this.options.ttlMs && now - lastSeen < this.options.idleMs;
  }

  /** Still valid (by id hash); used for open WebSockets. */
  async isAlive(idHash: string): Promise<boolean> {
    const record = await this.store.getSession(idHash);
    return record !== undefined && this.alive(record, this.options.now());
  }

  /**
   * Marks activity; writes to the store at most every min(idle/20, 10 s) per session, so the stored time lags
   * the real one by less than that (the sweep and other instances see it).
   */
  async touch(idHash: string): Promise<void> {
    const now = this.options.now();
    this.lastTouch.set(idHash, now);
    if (now - (this.lastWrite.get(idHash) ?? 0) >= Math.min(this.options.idleMs / 20, 10_000)) {
      this.lastWrite.set(idHash, now);
      await this.store.touchSession(idHash, now);
    }
  }

  async end(idHash: string): Promise<void> {
    this.tokens.delete(idHash);
    this.lastTouch.delete(idHash);
    this.lastWrite.delete(idHash);
    await this.store.deleteSession(idHash);
  }

  /** Removes expired sessions; returns how many. */
  async sweep(): Promise<number> {
    const now = this.options.now();
    for (const [k, at] of this.lastTouch) {
      if (now - at >= this.options.idleMs) { this.lastTouch.delete(k); this.lastWrite.delete(k); this.tokens.delete(k); }
    }
    const lag = Math.min(this.options.idleMs / 20, 10_000); // how far the stored activity time may trail
    return this.store.deleteSessionsBefore(now - this.options.ttlMs, now - this.options.idleMs - lag);
  }

  /** The user's bearer token for forwarding (cached until a minute before it expires, by the token's own clock). */
  async token(s: ActiveSession): Promise<string> {
    const cached = this.tokens.get(s.record.idHash);
    if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
    const issued = await this.users.userToken(s.record.tenant, s.record.userId);
    if (!issued) {
      await this.end(s.record.idHash);
      throw GatewayErrors.noSession({});
    }
    this.tokens.set(s.record.idHash, issued);
    return issued.token;
  }

  /**
   * CSRF rule for state-changing requests: x-xsrf-token must be the session's token (its hash the stored one) and
   * equal the cookie, and an Origin (or, without it, a Referer) must be this host.
   */
  checkCsrf(req: IncomingMessage, s: ActiveSession, selfOrigins: string[]): void {
    const header = req.headers['x-xsrf-token'];
    if (typeof header !== 'string' || header === '') throw GatewayErrors.csrf({ reason: 'the x-xsrf-token header is missing' });
    const cookie = parseCookies(req.headers.cookie).get('XSRF-TOKEN') ?? '';
    const a = Buffer.from(hash(header));
    const b = Buffer.from(s.record.xsrfHash);
    if (a.length !== b.length || !timingSafeEqual(a, b) || cookie !== header) {
      throw GatewayErrors.csrf({ reason: 'the x-xsrf-token header does not match the XSRF-TOKEN of the session' });
    }
    checkOrigin(req, selfOrigins);
  }
}

export function checkOrigin(req: IncomingMessage, selfOrigins: string[]): void {
  const origin = req.headers.origin;
  const referer = req.headers.referer;
  let source: string | undefined;
  if (typeof origin === 'string') source = origin;
  else if (typeof referer === 'string') {
    try { source = new URL(referer).origin; } catch { source = referer; }
  }
  if (source !== undefined && !selfOrigins.includes(source.toLowerCase())) {
    throw GatewayErrors.csrf({ reason: `the origin ${source.slice(0, 200)} is not this host` });
  }
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
