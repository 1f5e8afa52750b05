/**
 * The OAuth service of identity: every token endpoint through one path (grant type of the endpoint's table → one
 * client authentication → the grant's handler), the web app sign-in (RFC 6749 §4.1 with PKCE, RFC 7636, always
 * required, S256 only; consent; revocation RFC 7009) and the registration of web app clients. Industrial IoT Gateway docs
 * "Introduction": identity management supports web application OAuth 2.0 authorization code flows.
 */
import { randomUUID } from 'node:crypto';
import { hashSecret, newSecret } from '../../core/secrets.js';
import { IdentityErrors } from '../errors.js';
import type { CredentialGuard } from '../guard.js';
import type { ClientRecord, IdentityStore } from '../store.js';
import type { TokenService } from '../tokens.js';
import { authenticateClient, type ClientPolicy, type CredentialSource, type Fields } from './client-auth.js';
import { Families, type UserTokens } from './families.js';
import { GRANTS, pick, type Grant, type GrantDeps } from './grants/index.js';
import type { OAuthClientRecord, OAuthStore } from './store.js';

const CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;

export interface OAuthOptions {
  /** scrypt cost of client secret hashes (--secret-hash-cost). */
  hashCost: number;
  codeTtlMs: number;
  refreshTtlMs: number;
  now: () => number;
}

/** A token request as the routes read it: the grant's fields (body, or query for grant_type and scope) and the credentials. */
export interface TokenRequest {
  fields: Fields;
  credentials: CredentialSource;
}

export interface AuthorizeParams {
  client: OAuthClientRecord;
  redirectUri: string;
  state: string | undefined;
  challenge: string;
  scope: string | undefined;
}

export interface RegisteredClient {
  client: OAuthClientRecord;
  /** Only for confidential clients, only now: the store keeps a slow hash. */
  clientSecret: string | undefined;
}

interface Endpoint<C> {
  grants: readonly Grant<C>[];
  clients: ClientPolicy<C>;
}

export class OAuthService {
  readonly families: Families;
  private readonly deps: GrantDeps;
  private readonly keys: ClientPolicy<ClientRecord>;
  private readonly webApps: ClientPolicy<OAuthClientRecord>;

  constructor(
    identity: IdentityStore,
    private readonly store: OAuthStore,
    tokens: TokenService,
    private readonly guard: CredentialGuard,
    users: UserTokens,
    private readonly options: OAuthOptions,
  ) {
    this.families = new Families(store, users, options);
    this.deps = { tokens, families: this.families };
    this.keys = {
      publicClients: false, challengeAlways: false,
      find: async (id) => {
        const c = await identity.getClient(id);
        if (!c || c.revokedAt !== null) return undefined;
        // the secret before a rotation counts until its grace period ends, by the injected clock
        const previous = c.previousSecretHash && (c.previousSecretExpiresAt ?? 0) > options.now() ? c.previousSecretHash : undefined;
        return { client: c, secretHash: c.secretHash, ...(previous ? { previousSecretHash: previous } : {}) };
      },
    };
    this.webApps = {
      publicClients: true, challengeAlways: true,
      find: async (id) => {
        const c = await store.getClient(id);
        return c && { client: c, secretHash: c.secretHash };
      },
    };
  }

  /** POST /oauth/token (Insights Hub technical user credentials (UAA)): binding keys, client_credentials. */
  clientCredentialsToken(r: TokenRequest): Promise<object> {
    return this.exchange({ grants: [GRANTS.client_credentials], clients: this.keys }, r, r.fields['grant_type']);
  }

  /** POST /oauth/webapp/token: web app clients, authorization_code and refresh_token. */
  webAppToken(r: TokenRequest): Promise<object> {
    return this.exchange({ grants: [GRANTS.authorization_code, GRANTS.refresh_token], clients: this.webApps }, r, r.fields['grant_type']);
  }

  /** POST /api/technicaltokenmanager/v3/oauth/token (Technical Token Manager API v3): app credentials in X-SPACE-AUTH-KEY. */
  technicalToken(r: TokenRequest): Promise<object> {
    const grant = GRANTS['urn:ironbridge:technical-token-manager'];
    return this.exchange({ grants: [grant], clients: this.keys }, r, grant.grantType);
  }

  private async exchange<C>(endpoint: Endpoint<C>, r: TokenRequest, grantType: string | undefined): Promise<object> {
    const supported = endpoint.grants.map((g) => g.grantType).join(', ');
    if (!grantType) throw IdentityErrors.grantTypeMissing({ supported });
    const grant = endpoint.grants.find((g) => g.grantType === grantType);
    if (!grant) throw IdentityErrors.grantTypeUnsupported({ grantType: grantType.slice(0, 100), supported });
    const client = await authenticateClient(this.guard, r.credentials, endpoint.clients);
    return grant.handler(client, pick(grant, r.fields), this.deps);
  }

  /** POST /oauth/webapp/revoke (RFC 7009): the refresh token's family ends; unknown tokens are not an error. */
  async revoke(r: TokenRequest): Promise<void> {
    const client = await authenticateClient(this.guard, r.credentials, this.webApps);
    await this.families.revoke(client, r.fields['token']);
  }

  async registerClient(tenant: string, name: string, redirectUris: string[], confidential = false): Promise<RegisteredClient> {
    const invalid = (field: string, rule: string) => IdentityErrors.invalidClientRegistration({ field, rule });
    if (!/^[\x20-\x7e]{1,100}$/.test(name)) throw invalid('name', 'must be 1-100 printable characters');
    if (redirectUris.length === 0 || redirectUris.length > 10) throw invalid('redirectUris', 'needs 1-10 URIs');
    redirectUris.forEach((u, i) => {
      let url: URL;
      try { url = new URL(u); } catch { throw invalid(`redirectUris[${i}]`, 'must be an absolute URL'); }
      if (url.hash || !/^https?:$/.test(url.protocol)) throw invalid(`redirectUris[${i}]`, 'must be an http(s) URL without a fragment (RFC 6749 §3.1.2)');
    });
    const clientSecret = confidential ? newSecret() : undefined;
    const client = { clientId: `${tenant}-app-${randomUUID().slice(0, 8)}`, tenant, name, redirectUris,
      secretHash: clientSecret === undefined ? null : await hashSecret(clientSecret, this.options.hashCost), createdAt: this.options.now() };
    await this.store.createClient(client);
    return { client, clientSecret };
  }

  /**
   * Checks an authorization request. Errors about the client or redirect URI are shown to the user (never
   * redirected, RFC 6749 §4.1.2.1), in one wording, so the page does not tell which client ids exist; the others
   * are returned for a redirect.
   */
  async checkAuthorize(q: Fields): Promise<AuthorizeParams | { redirect: string }> {
    const client = q['client_id'] ? await this.store.getClient(q['client_id']) : undefined;
    const redirectUri = q['redirect_uri'] ?? (client?.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!client || !redirectUri || !client.redirectUris.includes(redirectUri)) {
      throw IdentityErrors.invalidRequest({ reason: 'client_id or redirect_uri is missing, unknown or not registered for this client' })
        .withDetail(!client ? `client_id ${String(q['client_id']).slice(0, 100)} is missing or unknown` : 'redirect_uri is missing or not registered');
    }
    const fail = (error: string, description: string) => ({ redirect: withParams(redirectUri, { error, error_description: description, state: q['state'] }) });
    if (q['response_type'] !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if ((q['code_challenge_method'] ?? 'plain') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (PKCE is required)');
    if (!q['code_challenge'] || !CHALLENGE.test(q['code_challenge'])) return fail('invalid_request', 'code_challenge must be 43-128 base64url characters');
    return { client, redirectUri, state: q['state'], challenge: q['code_challenge'], scope: q['scope'] };
  }

  /** After login and consent: the redirect back to the client with a fresh code. */
  async approve(p: AuthorizeParams, userId: string): Promise<string> {
    const code = await this.families.issueCode(p, userId);
    return withParams(p.redirectUri, { code, state: p.state });
  }

  /** The redirect back to the client when the user denies. */
  deny(p: AuthorizeParams): string {
    return withParams(p.redirectUri, { error: 'access_denied', error_description: 'the user denied the request', state: p.state });
  }

  sweep(): Promise<number> {
    return this.families.sweep();
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
