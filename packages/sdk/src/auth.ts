/**
 * The authenticator (Insights Hub IIoT for Makers §4.2, §5.3, §6): client credentials (TokenURL, ClientID, ClientSecret) from code or
 * from IRONBRIDGE_* environment variables, or app credentials through the Technical Token Manager (API
 * Technical Token Manager API v3). Invariants: at most one token request in flight per authenticator; a token is handed out only
 * while it is fresh by the local clock; the client secret never appears in a message, a log line or inspect output.
 */
import { inspect } from 'node:util';
import { errorFromString, IronbridgeError } from './errors.js';

export interface AppCredentials {
  appName: string;
  appVersion: string;
  hostTenant: string;
  userTenant: string;
}

export interface AuthenticatorOptions {
  /** Token endpoint: a tenant's `…/oauth/token`, or `…/api/technicaltokenmanager/v3/oauth/token` with `app`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** App credentials: the token comes from the Technical Token Manager for this app and tenants. */
  app?: AppCredentials;
  /** Space-separated subset of the key's scopes to ask for (client credentials only). */
  scope?: string;
  /** Refresh this long before expiry; capped at a fifth of the token's lifetime. Default 300 (Insights Hub SDKs). */
  refreshAheadSeconds?: number;
  /** Attempts after the first on network errors, 429 and 5xx. Default 3. */
  retries?: number;
  /** First backoff delay in ms, doubled each attempt with jitter; Retry-After wins when larger. Default 200. */
  retryDelayMs?: number;
  /** Abort a token request after this many ms. Default 10000. */
  timeoutMs?: number;
  /** The fetch used for token requests (e.g. one with a proxy dispatcher). Default: global fetch. */
  fetch?: typeof fetch;
  /** Clock in ms since the epoch. Default Date.now. */
  now?: () => number;
  /** Receives diagnostic events; never given a secret. */
  log?: (event: string, detail: Record<string, unknown>) => void;
}

/** Anything that hands out bearer tokens: the authenticator, or a fixed user token. */
export interface TokenSource {
  getAccessToken(): Promise<string>;
  /** Tells the source a token was rejected (HTTP 401); the next call fetches a new one. */
  invalidate(token?: string): void;
}

export const ENV = {
  tokenUrl: 'IRONBRIDGE_TOKEN_URL',
  clientId: 'IRONBRIDGE_CLIENT_ID',
  clientSecret: 'IRONBRIDGE_CLIENT_SECRET',
  appName: 'IRONBRIDGE_APP_NAME',
  appVersion: 'IRONBRIDGE_APP_VERSION',
  hostTenant: 'IRONBRIDGE_HOST_TENANT',
  userTenant: 'IRONBRIDGE_USER_TENANT',
} as const;

export class ConfigurationError extends Error {
  constructor(readonly field: string, rule: string) {
    super(`${field} ${rule}`);
    this.name = 'ConfigurationError';
  }
}

interface CachedToken {
  token: string;
  expiresAt: number;
  refreshAt: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds until expiry from the JWT `exp` claim, when the token is a JWT. */
function jwtExp(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function checkUrl(field: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigurationError(field, `must be an absolute http(s) URL, got "${value.slice(0, 200)}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigurationError(field, 'must use http or https');
  return u.toString();
}

export class Authenticator implements TokenSource {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly app: AppCredentials | undefined;
  readonly #secret: string;
  readonly #options: AuthenticatorOptions;
  #cached: CachedToken | undefined;
  #inFlight: Promise<CachedToken> | undefined;
  /** Token requests sent, successful or not (for diagnostics and tests). */
  requests = 0;

  constructor(options: AuthenticatorOptions) {
    if (!options || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
    this.tokenUrl = checkUrl('tokenUrl', String(options.tokenUrl ?? ''));
    if (!options.clientId) throw new ConfigurationError('clientId', 'is required');
    if (!options.clientSecret) throw new ConfigurationError('clientSecret', 'is required');
    if (/[\r\n]/.test(options.clientId)) throw new ConfigurationError('clientId', 'must not contain line breaks');
    if (options.app) {
      for (const k of ['appName', 'appVersion', 'hostTenant', 'userTenant'] as const) {
        if (!options.app[k]) throw new ConfigurationError(`app.${k}`, 'is required for app credentials');
      }
    }
    for (const k of ['refreshAheadSeconds', 'retries', 'retryDelayMs', 'timeoutMs'] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new ConfigurationError(k, 'must be a number ≥ 0');
    }
    this.clientId = options.clientId;
    this.#secret = options.clientSecret;
    this.app = options.app ? { ...options.app } : undefined;
    this.#options = { ...options, clientSecret: '***' };
  }

  /**
   * Reads IRONBRIDGE_TOKEN_URL, IRONBRIDGE_CLIENT_ID and IRONBRIDGE_CLIENT_SECRET (and, for app credentials,
   * IRONBRIDGE_APP_NAME, IRONBRIDGE_APP_VERSION, IRONBRIDGE_HOST_TENANT, IRONBRIDGE_USER_TENANT) — the deployment
   * constants of Insights Hub IIoT for Makers §6.2. Options given in code win over the environment.
   */
  static fromEnv(overrides: Partial<AuthenticatorOptions> = {}, env: NodeJS.ProcessEnv = process.env): Authenticator {
    const need = (key: keyof typeof ENV, given: string | undefined): string => {
      const v = given ?? env[ENV[key]];
      if (!v) throw new ConfigurationError(ENV[key], 'is not set (the binding key\'s value is required)');
      return v;
    };
    const appName = overrides.app?.appName ?? env[ENV.appName];
    const app = overrides.app ?? (appName ? {
      appName,
      appVersion: need('appVersion', undefined),
      hostTenant: need('hostTenant', undefined),
      userTenant: env[ENV.userTenant] || need('hostTenant', undefined),
    } : undefined);
    return new Authenticator({
      ...overrides,
      tokenUrl: need('tokenUrl', overrides.tokenUrl),
      clientId: need('clientId', overrides.clientId),
      clientSecret: need('clientSecret', overrides.clientSecret),
      app,
    });
  }

  private now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** A fresh access token: the cached one, or one new request shared by every concurrent caller. */
  async getAccessToken(): Promise<string> {
    const cached = this.#cached;
    if (cached && this.now() < cached.refreshAt) return cached.token;
    this.#inFlight ??= this.fetchToken().finally(() => { this.#inFlight = undefined; });
    try {
      return (await this.#inFlight).token;
    } catch (err) {
      // A failed early refresh keeps serving the old token until it really expires.
      if (cached && this.#cached === cached && this.now() < cached.expiresAt) return cached.token;
      throw err;
    }
  }

  /** `{ Authorization: 'Bearer …' }` for any HTTP client. */
  async authHeaders(): Promise<{ Authorization: string }> {
    return { Authorization: `Bearer ${await this.getAccessToken()}` };
  }

  invalidate(token?: string): void {
    if (!token || this.#cached?.token === token) this.#cached = undefined;
  }

  /** Seconds the cached token has left by the local clock; undefined when none is cached. */
  get expiresIn(): number | undefined {
    return this.#cached ? Math.max(0, Math.floor((this.#cached.expiresAt - this.now()) / 1000)) : undefined;
  }

  private request(): { init: RequestInit; url: string } {
    const basic = `Basic ${Buffer.from(`${this.clientId}:${this.#secret}`).toString('base64')}`;
    if (this.app) {
      return {
        url: this.tokenUrl,
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-space-auth-key': basic },
          body: JSON.stringify(this.app),
        },
      };
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.#options.scope) form.set('scope', this.#options.scope);
    return {
      url: this.tokenUrl,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: basic },
        body: form.toString(),
      },
    };
  }

  private async fetchToken(): Promise<CachedToken> {
    const retries = this.#options.retries ?? 3;
    const base = this.#options.retryDelayMs ?? 200;
    const doFetch = this.#options.fetch ?? fetch;
    const { url, init } = this.request();
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const retryAfter = lastError instanceof RetryAfter ? lastError.ms : 0;
        const backoff = base * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        await sleep(Math.min(Math.max(backoff, retryAfter), 30_000));
      }
      this.requests++;
      const started = this.now();
      let res: Response;
      try {
        res = await doFetch(url, { ...init, signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000) });
      } catch (err) {
        lastError = err;
        this.#options.log?.('token.retry', { attempt, tokenUrl: url, reason: (err as Error).message });
        continue;
      }
      const text = await res.text();
      if (res.ok) return this.remember(text, started, url);
      const parsed = errorFromString(text, res.status);
      const error = new IronbridgeError(parsed, 'POST', url);
      if (res.status === 429 || res.status >= 500) {
        const ra = Number(res.headers.get('retry-after'));
        lastError = Number.isFinite(ra) && ra > 0 ? new RetryAfter(ra * 1000, error) : error;
        this.#options.log?.('token.retry', { attempt, tokenUrl: url, status: res.status });
        continue;
      }
      this.#options.log?.('token.failed', { tokenUrl: url, status: res.status, code: parsed.code });
      throw error;
    }
    const final = lastError instanceof RetryAfter ? lastError.error : lastError;
    if (final instanceof IronbridgeError) throw final;
    throw new IronbridgeError({
      statusCode: 0, code: 'network', logref: '', messageParameters: [],
      message: `the token endpoint could not be reached after ${retries + 1} attempts: ${(final as Error)?.message ?? final}`,
    }, 'POST', url, { cause: final });
  }

  private remember(text: string, started: number, url: string): CachedToken {
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new IronbridgeError({ statusCode: 200, code: 'invalidTokenResponse', logref: '', messageParameters: [],
        message: 'the token endpoint answered 200 with a body that is not JSON' }, 'POST', url);
    }
    if (typeof body.access_token !== 'string' || !body.access_token) {
      throw new IronbridgeError({ statusCode: 200, code: 'invalidTokenResponse', logref: '', messageParameters: [],
        message: 'the token endpoint answered without an access_token' }, 'POST', url);
    }
    // Lifetime from expires_in, measured from when the request was sent; else from the JWT exp; else 5 minutes.
    const expiresIn = Number(body.expires_in);
    const expiresAt = Number.isFinite(expiresIn) && expiresIn > 0
      ? started + expiresIn * 1000
      : jwtExp(body.access_token) ?? started + 300_000;
    const lifetime = Math.max(0, expiresAt - started);
    const ahead = Math.min((this.#options.refreshAheadSeconds ?? 300) * 1000, lifetime / 5);
    const cached = { token: body.access_token, expiresAt, refreshAt: expiresAt - ahead };
    this.#cached = cached;
    this.#options.log?.('token.issued', { tokenUrl: url, expiresInSeconds: Math.round(lifetime / 1000) });
    return cached;
  }

  toJSON(): Record<string, unknown> {
    return { tokenUrl: this.tokenUrl, clientId: this.clientId, clientSecret: '***', app: this.app };
  }

  [inspect.custom](): string {
    return `Authenticator { tokenUrl: '${this.tokenUrl}', clientId: '${this.clientId}', clientSecret: '***' }`;
  }
}

class RetryAfter {
  constructor(readonly ms: number, readonly error: IronbridgeError) {}
}

/** A token given from outside, e.g. a signed-in user's; it cannot be renewed. */
export class StaticToken implements TokenSource {
  #token: string | undefined;
  constructor(token: string) {
    this.#token = token.replace(/^Bearer\s+/i, '');
  }
  async getAccessToken(): Promise<string> {
    if (!this.#token) {
      throw new IronbridgeError({ statusCode: 401, code: 'unauthorized', logref: '', messageParameters: [],
        message: 'the given access token was rejected and cannot be renewed' });
    }
    return this.#token;
  }
  invalidate(token?: string): void {
    if (!token || token === this.#token) this.#token = undefined;
  }
  [inspect.custom](): string {
    return 'StaticToken { token: *** }';
  }
}
