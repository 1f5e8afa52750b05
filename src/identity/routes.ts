/**
 * Identity HTTP surface besides the token endpoints (oauth/routes.ts): the UAA-style key set (Insights Hub technical user credentials (UAA)),
 * OpenID discovery and JWKS (RFC 8414 / RFC 8615) and tenant info (tenantmanagement v4). Registers the form body
 * parser every identity endpoint uses.
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { principal } from '../core/auth.js';
import { SCOPES } from '../core/scopes.js';
import type { KeyRing } from './keyring.js';
import type { IdentityService } from './service.js';

export interface IdentityRouteDeps {
  identity: IdentityService;
  keys: KeyRing;
  issuer: () => string;
  publicUrl: () => string;
  /** Largest form body (--oauth-form-limit). */
  formLimit: number;
}

export async function identityRoutes(app: FastifyInstance, deps: IdentityRouteDeps): Promise<void> {
  const { identity, keys } = deps;
  await app.register(formbody, { bodyLimit: deps.formLimit });

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

  // Identity Management API v3 "Users/me": the caller as a SCIM user; roles carry the token's scopes (the web apps
  // show what the user may do from them).
  app.get('/api/identitymanagement/v3/Users/me', { config: { scope: SCOPES.identityRead } }, async (req) => {
    const p = principal(req);
    const userName = p.userName ?? p.email ?? p.clientId;
    return {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: p.subject, userName, name: {},
      emails: p.email ? [{ value: p.email }] : [], active: true, tenant: p.tenant,
      roles: [...p.scopes].sort().map((value) => ({ value })),
    };
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
