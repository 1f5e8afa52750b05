/**
 * Identity HTTP surface: the UAA-style token endpoint and key set (reference §6.2), OpenID discovery and JWKS
 * (RFC 8414 / RFC 8615), the Technical Token Manager (reference §6.1) and tenant info (tenantmanagement v4).
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BASIC_CHALLENGE, principal } from '../core/auth.js';
import { AppError } from '../core/errors.js';
import { SCOPES } from '../core/scopes.js';
import { IdentityErrors } from './errors.js';
import type { KeyRing } from './keyring.js';
import type { IdentityService } from './service.js';
import { parseBasic, type ClientCredentials, type TokenService } from './tokens.js';

export interface IdentityRouteDeps {
  identity: IdentityService;
  tokens: TokenService;
  keys: KeyRing;
  issuer: () => string;
  publicUrl: () => string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function clientCredentialsOf(req: FastifyRequest): ClientCredentials {
  const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  const header = req.headers.authorization;
  const formId = str(body['client_id']);
  const formSecret = str(body['client_secret']);
  if (header !== undefined) {
    if (formSecret !== undefined) throw IdentityErrors.clientAuthTwice({});
    return parseBasic(header);
  }
  if (formId !== undefined || formSecret !== undefined) {
    if (!formId || !formSecret) {
      throw IdentityErrors.clientAuthMalformed({ reason: 'both client_id and client_secret form fields are required' });
    }
    return { clientId: formId, clientSecret: formSecret };
  }
  throw IdentityErrors.clientAuthMissing({});
}

export async function identityRoutes(app: FastifyInstance, deps: IdentityRouteDeps): Promise<void> {
  const { identity, tokens, keys } = deps;
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  // RFC 6749 §4.4; grant_type also accepted in the query string (the TokenURL form of low-code connectors).
  app.post('/oauth/token', { config: { public: true }, bodyLimit: 64 * 1024 }, async (req, reply) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const query = req.query as Record<string, unknown>;
    const grantType = str(body['grant_type']) ?? str(query['grant_type']);
    if (!grantType) throw IdentityErrors.grantTypeMissing({});
    if (grantType !== 'client_credentials') throw IdentityErrors.grantTypeUnsupported({ grantType: grantType.slice(0, 100) });
    const client = await tokens.authenticateClient(clientCredentialsOf(req)).catch((err: unknown) => {
      // RFC 6749 §5.2: a client that tried HTTP Basic gets the Basic challenge with its 401.
      if (err instanceof AppError && err.status === 401 && req.headers.authorization !== undefined) err.withHeader('www-authenticate', BASIC_CHALLENGE);
      throw err;
    });
    if (client.kind !== 'service') throw IdentityErrors.appNotGranted({ reason: 'app credentials get tokens from /api/technicaltokenmanager/v3/oauth/token' });
    const scopes = tokens.grantedScopes(client, str(body['scope']) ?? str(query['scope']));
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return tokens.issueClientToken(client, scopes, client.tenant, 'client_credentials');
  });

  app.get('/token_keys', { config: { public: true } }, async () => ({ keys: keys.published() }));
  app.get('/.well-known/jwks.json', { config: { public: true } }, async () => ({
    keys: keys.published().map(({ value: _pem, ...jwk }) => jwk),
  }));
  const discovery = async () => ({
    issuer: deps.issuer(),
    token_endpoint: `${deps.publicUrl()}/oauth/token`,
    jwks_uri: `${deps.publicUrl()}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    scopes_supported: Object.values(SCOPES),
    claims_supported: ['iss', 'sub', 'aud', 'jti', 'iat', 'exp', 'zid', 'ten', 'scope', 'client_id', 'cid', 'azp',
      'grant_type', 'user_name', 'email'],
  });
  app.get('/.well-known/openid-configuration', { config: { public: true } }, discovery);
  app.get('/.well-known/oauth-authorization-server', { config: { public: true } }, discovery);
  app.get('/oauth/token/.well-known/openid-configuration', { config: { public: true } }, discovery);

  app.post('/api/technicaltokenmanager/v3/oauth/token', {
    config: { public: true },
    bodyLimit: 64 * 1024,
    schema: {
      body: {
        type: 'object',
        required: ['appName', 'appVersion', 'hostTenant', 'userTenant'],
        properties: {
          appName: { type: 'string', minLength: 1, maxLength: 64 },
          appVersion: { type: 'string', minLength: 1, maxLength: 64 },
          hostTenant: { type: 'string', minLength: 1, maxLength: 64 },
          userTenant: { type: 'string', minLength: 1, maxLength: 64 },
        },
      },
    },
  }, async (req, reply) => {
    const authKey = req.headers['x-space-auth-key'];
    if (typeof authKey !== 'string') throw IdentityErrors.clientAuthMissing({});
    const client = await tokens.authenticateClient(parseBasic(authKey));
    const body = req.body as { appName: string; appVersion: string; hostTenant: string; userTenant: string };
    if (client.kind !== 'app') throw IdentityErrors.appNotGranted({ reason: 'these are not app credentials' });
    if (body.appName !== client.appName || body.appVersion !== client.appVersion) {
      throw IdentityErrors.appNotGranted({ reason: `the credentials belong to ${client.appName} ${client.appVersion}, not ${body.appName} ${body.appVersion}` });
    }
    if (body.hostTenant !== client.tenant) {
      throw IdentityErrors.appNotGranted({ reason: `hostTenant must be ${client.tenant}, the tenant of the credentials` });
    }
    if (body.userTenant !== client.tenant) {
      throw IdentityErrors.appNotGranted({ reason: `userTenant ${body.userTenant} has not been granted access to ${body.appName}` });
    }
    reply.header('cache-control', 'no-store');
    return tokens.issueClientToken(client, client.scopes, body.userTenant, 'client_credentials');
  });

  app.get('/api/tenantmanagement/v4/tenantInfo', { config: { scope: SCOPES.tenantRead } }, async (req, reply) => {
    const t = await identity.requireTenant(principal(req).tenant);
    reply.header('etag', `"${t.etag}"`);
    return {
      name: t.name, prefix: t.name, displayName: t.displayName, type: 'DEVELOPER', companyName: t.companyDomain,
      allowedToCreateSubtenant: false, ETag: t.etag,
    };
  });
}
