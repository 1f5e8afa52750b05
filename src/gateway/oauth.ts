/**
 * "Sign in with Ironbridge" for third-party web apps (seed 002 "Introduction": OAuth 2.0 authorization code
 * flow; restriction table: access tokens 30 min, refresh tokens 12 h): RFC 6749 §4.1 with PKCE (RFC 7636, S256
 * only, always required), consent with the tenant's user login on one page, and refresh tokens that rotate on
 * every use and never outlive the first one's 12 hours. Codes live 60 s and are single use. Only hashes of codes,
 * refresh tokens and client secrets are stored.
 * Each authorization is a grant family (RFC 9700 §4.14.2): presenting a used code or rotated-out refresh token
 * again revokes the family. Confidential clients authenticate with client_secret_basic or client_secret_post
 * (RFC 6749 §2.3.1), public clients with client_id and PKCE alone. Refresh tokens are revocable (RFC 7009).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BASIC_CHALLENGE, parseBasicCredentials, principal } from '../core/auth.js';
import type { Config } from '../core/config.js';
import type { AppError } from '../core/errors.js';
import { SCOPES } from '../core/scopes.js';
import { dummySecretHash, hashSecret, newSecret, verifySecret } from '../core/secrets.js';
import { GatewayErrors } from './errors.js';
import { esc } from './login.js';
import { hash, type Sessions, type UserDirectory } from './sessions.js';
import type { GatewayStore, OAuthClientRecord, OAuthGrantRecord } from './store.js';

const CODE_TTL_MS = 60_000;
const CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

interface AuthorizeParams {
  client: OAuthClientRecord;
  redirectUri: string;
  state: string | undefined;
  challenge: string;
  scope: string | undefined;
}

type Fields = Record<string, string | undefined>;

export interface OAuthOptions {
  refreshTtlMs: number;
  /** scrypt cost of client secret hashes (--secret-hash-cost). */
  hashCost: number;
  /** Secret checks running at once before 429 (--max-secret-checks). */
  maxSecretChecks: number;
}

/** RFC 6749 §5.2: invalid_client is a 401 with a challenge for the scheme the client may use. */
const invalidClient = (reason: string): AppError =>
  GatewayErrors.oauthClient({ reason }).withHeader('www-authenticate', BASIC_CHALLENGE);

export interface RegisteredClient {
  client: OAuthClientRecord;
  /** Only for confidential clients, only now: the store keeps a slow hash. */
  clientSecret: string | undefined;
}

export class OAuthService {
  private secretChecks = 0;

  constructor(
    private readonly store: GatewayStore,
    private readonly users: UserDirectory,
    private readonly options: OAuthOptions,
  ) {}

  async registerClient(tenant: string, name: string, redirectUris: string[], confidential = false): Promise<RegisteredClient> {
    if (!/^[\x20-\x7e]{1,100}$/.test(name)) throw GatewayErrors.invalidRegistration({ field: 'name', rule: 'must be 1-100 printable characters' });
    if (redirectUris.length === 0 || redirectUris.length > 10) throw GatewayErrors.invalidRegistration({ field: 'redirectUris', rule: 'needs 1-10 URIs' });
    redirectUris.forEach((u, i) => {
      let url: URL;
      try { url = new URL(u); } catch { throw GatewayErrors.invalidRegistration({ field: `redirectUris[${i}]`, rule: 'must be an absolute URL' }); }
      if (url.hash || !/^https?:$/.test(url.protocol)) {
        throw GatewayErrors.invalidRegistration({ field: `redirectUris[${i}]`, rule: 'must be an http(s) URL without a fragment (RFC 6749 §3.1.2)' });
      }
    });
    const clientSecret = confidential ? newSecret() : undefined;
    const client = { clientId: `${tenant}-app-${randomUUID().slice(0, 8)}`, tenant, name, redirectUris,
      secretHash: clientSecret === undefined ? null : await hashSecret(clientSecret, this.options.hashCost), createdAt: Date.now() };
    await this.store.createOAuthClient(client);
    return { client, clientSecret };
  }

  /**
   * Checks an authorization request. Errors about the client or redirect URI are shown to the user (never
   * redirected, RFC 6749 §4.1.2.1); the others are returned for a redirect.
   */
  async checkAuthorize(q: Fields): Promise<AuthorizeParams | { redirect: string }> {
    const client = q['client_id'] ? await this.store.getOAuthClient(q['client_id']) : undefined;
    if (!client) throw GatewayErrors.oauth({ reason: 'client_id is missing or unknown' });
    const redirectUri = q['redirect_uri'] ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      throw GatewayErrors.oauth({ reason: 'redirect_uri is missing or not registered for this client' });
    }
    const fail = (error: string, description: string) => ({ redirect: withParams(redirectUri, { error, error_description: description, state: q['state'] }) });
    if (q['response_type'] !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if ((q['code_challenge_method'] ?? 'plain') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (PKCE is required)');
    if (!q['code_challenge'] || !CHALLENGE.test(q['code_challenge'])) return fail('invalid_request', 'code_challenge must be 43-128 base64url characters');
    return { client, redirectUri, state: q['state'], challenge: q['code_challenge'], scope: q['scope'] };
  }

  /** After login and consent: a single-use code bound to client, redirect URI and challenge, opening a grant family. */
  async issueCode(p: AuthorizeParams, userId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const now = Date.now();
    const familyId = randomUUID();
    await this.store.createFamily({ familyId, clientId: p.client.clientId, tenant: p.client.tenant, userId, createdAt: now,
      expiresAt: now + CODE_TTL_MS, revokedAt: null });
    await this.store.saveGrant({ hash: hash(code), kind: 'code', familyId, clientId: p.client.clientId, tenant: p.client.tenant,
      userId, scope: p.scope ?? '', redirectUri: p.redirectUri, codeChallenge: p.challenge, expiresAt: now + CODE_TTL_MS });
    return withParams(p.redirectUri, { code, state: p.state });
  }

  /**
   * Client authentication at the token and revocation endpoints (RFC 6749 §2.3): a confidential client sends its
   * secret in the Authorization header or the body (never both), a public client only its client_id.
   */
  async authenticateClient(body: Fields, authorization: string | undefined): Promise<OAuthClientRecord> {
    let clientId = body['client_id'];
    let secret = body['client_secret'];
    if (authorization !== undefined) {
      if (secret !== undefined) {
        throw GatewayErrors.oauth({ reason: 'client credentials were sent both in the Authorization header and as client_secret; use one method (RFC 6749 §2.3)' });
      }
      const basic = parseBasicCredentials(authorization, invalidClient);
      if (clientId !== undefined && clientId !== basic.clientId) {
        throw GatewayErrors.oauth({ reason: 'client_id differs from the client of the Authorization header' });
      }
      clientId = basic.clientId;
      secret = basic.clientSecret;
    }
    if (!clientId) throw invalidClient('client_id is missing');
    const client = await this.store.getOAuthClient(clientId);
    if (!secret) {
      if (!client) throw invalidClient('client_id is unknown');
      if (client.secretHash !== null) {
        throw invalidClient('this client is confidential: authenticate with client_secret_basic or client_secret_post');
      }
      return client;
    }
    if (client && client.secretHash === null) throw invalidClient('this client is public: it has no secret and authenticates with PKCE alone');
    const limit = this.options.maxSecretChecks;
    if (this.secretChecks >= limit) throw GatewayErrors.oauthBusy({ limit }).withHeader('retry-after', '1');
    this.secretChecks++;
    try {
      // An unknown client is checked against a hash of the same cost, so timing does not tell it from a wrong secret.
      const ok = await verifySecret(secret, client?.secretHash ?? dummySecretHash(this.options.hashCost));
      if (!client || !ok) throw invalidClient('client_id is unknown or the client secret is wrong');
      return client;
    } finally {
      this.secretChecks--;
    }
  }

  async token(body: Fields, authorization?: string) {
    const client = await this.authenticateClient(body, authorization);
    const grantType = body['grant_type'];
    if (grantType === 'authorization_code') return this.exchangeCode(client, body);
    if (grantType === 'refresh_token') return this.refresh(client, body);
    if (!grantType) throw GatewayErrors.oauth({ reason: 'grant_type is missing' });
    throw GatewayErrors.oauthGrantType({ grantType: grantType.slice(0, 100) });
  }

  private async exchangeCode(client: OAuthClientRecord, body: Fields) {
    const now = Date.now();
    // RFC 6749 §4.1.2: a code used more than once is refused and what was issued from it revoked.
    const found = await this.use(client, 'code', body['code'], now, 'the code',
      'the code was already used; the refresh tokens issued from it are revoked');
    if (found.expiresAt <= now) throw GatewayErrors.oauthGrant({ reason: 'the code is unknown or expired' });
    if (body['redirect_uri'] !== found.redirectUri) throw GatewayErrors.oauthGrant({ reason: 'redirect_uri differs from the authorization request' });
    const verifier = body['code_verifier'];
    if (!verifier || !VERIFIER.test(verifier)) throw GatewayErrors.oauthGrant({ reason: 'code_verifier is missing or malformed' });
    if (createHash('sha256').update(verifier).digest('base64url') !== found.codeChallenge) {
      throw GatewayErrors.oauthGrant({ reason: 'code_verifier does not match the code_challenge' });
    }
    const refreshExpiresAt = now + this.options.refreshTtlMs;
    await this.store.extendFamily(found.familyId, refreshExpiresAt);
    return this.tokens(client, found, refreshExpiresAt);
  }

  private async refresh(client: OAuthClientRecord, body: Fields) {
    const now = Date.now();
    // RFC 9700 §4.14.2: a rotated-out refresh token presented again has leaked; the whole family ends.
    const found = await this.use(client, 'refresh', body['refresh_token'], now, 'the refresh token',
      'the refresh token was already used; every refresh token of this authorization is revoked');
    const family = await this.store.getFamily(found.familyId);
    if (!family || family.revokedAt !== null) throw GatewayErrors.oauthGrant({ reason: 'the refresh token was revoked' });
    if (found.expiresAt <= now) throw GatewayErrors.oauthGrant({ reason: 'the refresh token is unknown or expired' });
    return this.tokens(client, found, found.expiresAt);
  }

  /**
   * Marks a code or refresh token of this client used, once: a second use revokes its whole family (`reused` is
   * the answer then). Another client's token is refused without being used up.
   */
  private async use(client: OAuthClientRecord, kind: OAuthGrantRecord['kind'], token: string | undefined, now: number,
    what: string, reused: string): Promise<OAuthGrantRecord> {
    const found = token ? await this.store.getGrant(hash(token)) : undefined;
    if (!found || found.kind !== kind) throw GatewayErrors.oauthGrant({ reason: `${what} is unknown or expired` });
    if (found.clientId !== client.clientId) throw GatewayErrors.oauthGrant({ reason: `${what} was issued to another client` });
    const used = await this.store.useGrant(found.hash, now);
    if (!used) throw GatewayErrors.oauthGrant({ reason: `${what} is unknown or expired` });
    if (!used.firstUse) {
      await this.store.revokeFamily(found.familyId, now);
      throw GatewayErrors.oauthGrant({ reason: reused });
    }
    return found;
  }

  /** RFC 7009 §2: revokes the family of a refresh token of this client; an unknown token is not an error. */
  async revoke(body: Fields, authorization?: string): Promise<void> {
    const client = await this.authenticateClient(body, authorization);
    const token = body['token'];
    if (!token) throw GatewayErrors.oauth({ reason: 'token is missing (RFC 7009 §2.1)' });
    const found = await this.store.getGrant(hash(token));
    if (!found || found.kind !== 'refresh') return;
    if (found.clientId !== client.clientId) throw GatewayErrors.oauthGrant({ reason: 'the token was issued to another client' });
    await this.store.revokeFamily(found.familyId, Date.now());
  }

  private async tokens(client: OAuthClientRecord, from: OAuthGrantRecord, refreshExpiresAt: number) {
    const wanted = from.scope.trim() ? from.scope.trim().split(/\s+/) : undefined;
    const issued = await this.users.userToken(client.tenant, from.userId, { clientId: client.clientId, scopes: wanted });
    if (!issued) throw GatewayErrors.oauthGrant({ reason: 'the user no longer exists' });
    const refresh = randomBytes(32).toString('base64url');
    await this.store.saveGrant({ hash: hash(refresh), kind: 'refresh', familyId: from.familyId, clientId: client.clientId,
      tenant: client.tenant, userId: from.userId, scope: from.scope, redirectUri: '', codeChallenge: '', expiresAt: refreshExpiresAt });
    return {
      access_token: issued.token, token_type: 'Bearer', expires_in: Math.round((issued.expiresAt - Date.now()) / 1000),
      refresh_token: refresh, refresh_expires_in: Math.round((refreshExpiresAt - Date.now()) / 1000), scope: issued.scopes.join(' '),
    };
  }
}

/** The registration answer of REST and CLI; the secret appears here once and nowhere else. */
export function publicOAuthClient({ client, clientSecret }: RegisteredClient) {
  return {
    clientId: client.clientId, name: client.name, redirectUris: client.redirectUris, confidential: client.secretHash !== null,
    ...(clientSecret === undefined ? {} : { clientSecret }),
    tokenEndpointAuthMethods: client.secretHash === null ? ['none'] : ['client_secret_basic', 'client_secret_post'],
    authorizationEndpoint: '/oauth/webapp/authorize', tokenEndpoint: '/oauth/webapp/token', revocationEndpoint: '/oauth/webapp/revoke',
  };
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

function consentPage(p: AuthorizeParams, fields: Fields, message?: string, signedInAs?: string): string {
  const hidden = ['client_id', 'redirect_uri', 'response_type', 'code_challenge', 'code_challenge_method', 'state', 'scope']
    .filter((k) => fields[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${esc(fields[k]!)}">`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in with Ironbridge</title></head>
<body><main><h1>${esc(p.client.name)} asks to sign you in (tenant ${esc(p.client.tenant)})</h1>
${message ? `<p role="alert">${esc(message)}</p>` : ''}<form method="post" action="/oauth/webapp/authorize">${hidden}
${signedInAs ? `<p>Signed in as ${esc(signedInAs)}.</p>` : `<label>E-mail <input name="email" type="email" required></label>
<label>Password <input name="password" type="password" required></label>`}
<button name="decision" value="allow">Allow</button><button name="decision" value="deny" formnovalidate>Deny</button>
</form></main></body></html>`;
}

const fieldsOf = (v: unknown): Fields => {
  const out: Fields = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

export async function oauthRoutes(app: FastifyInstance, deps: { oauth: OAuthService; users: UserDirectory; sessions: Sessions; config: Config }) {
  const { oauth, users, sessions } = deps;
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody, { bodyLimit: 64 * 1024 });
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('cache-control', 'no-store').header('x-frame-options', 'DENY').type('text/html; charset=utf-8').send(body);

  app.get('/oauth/webapp/authorize', { config: { public: true } }, async (req, reply) => {
    const q = fieldsOf(req.query);
    const checked = await oauth.checkAuthorize(q);
    if ('redirect' in checked) return reply.redirect(checked.redirect, 302);
    const session = await sessions.fromRequest(req.raw, checked.client.tenant);
    return html(reply, 200, consentPage(checked, q, undefined, session?.record.email));
  });

  app.post('/oauth/webapp/authorize', { config: { public: true }, bodyLimit: 64 * 1024 }, async (req, reply) => {
    const f = fieldsOf(req.body);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) {
      throw GatewayErrors.csrf({ reason: `the origin ${origin.slice(0, 200)} is not this host` });
    }
    const checked = await oauth.checkAuthorize(f);
    if ('redirect' in checked) return reply.redirect(checked.redirect, 302);
    if (f['decision'] !== 'allow') {
      return reply.redirect(withParams(checked.redirectUri, { error: 'access_denied', error_description: 'the user denied the request', state: checked.state }), 302);
    }
    // Single sign-on: a session of the client's tenant on this host needs no password, only consent.
    const session = await sessions.fromRequest(req.raw, checked.client.tenant);
    if (session) return reply.redirect(await oauth.issueCode(checked, session.record.userId), 302);
    const user = await users.authenticate(checked.client.tenant, f['email'] ?? '', f['password'] ?? '');
    if (!user) return html(reply, 401, consentPage(checked, f, 'Wrong e-mail address or password.'));
    reply.header('set-cookie', await sessions.open(checked.client.tenant, user));
    return reply.redirect(await oauth.issueCode(checked, user.id), 302);
  });

  app.post('/oauth/webapp/token', { config: { public: true }, bodyLimit: 64 * 1024 }, async (req, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return oauth.token(fieldsOf(req.body), req.headers.authorization);
  });

  // RFC 7009 §2.2: 200 with an empty body, also for tokens that are unknown, expired or already revoked.
  app.post('/oauth/webapp/revoke', { config: { public: true }, bodyLimit: 64 * 1024 }, async (req, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    await oauth.revoke(fieldsOf(req.body), req.headers.authorization);
    return reply.code(200).send();
  });

  app.post('/api/gatewayregistry/v1/oauthclients', {
    config: { scope: SCOPES.registryWrite },
    schema: { body: { type: 'object', required: ['name', 'redirectUris'], additionalProperties: false, properties: {
      name: { type: 'string', maxLength: 100 }, redirectUris: { type: 'array', items: { type: 'string', maxLength: 2000 }, maxItems: 10 },
      confidential: { type: 'boolean' },
    } } },
  }, async (req, reply) => {
    const body = req.body as { name: string; redirectUris: string[]; confidential?: boolean };
    const registered = await oauth.registerClient(principal(req).tenant, body.name, body.redirectUris, body.confidential ?? false);
    return reply.code(201).send(publicOAuthClient(registered));
  });
}
