/**
 * The HTTP surface of every token endpoint and of the web app sign-in: POST /oauth/token (UAA-style client
 * credentials, Insights Hub technical user credentials (UAA)), POST /api/technicaltokenmanager/v3/oauth/token (Technical Token Manager API v3), the web app
 * authorization code flow under /oauth/webapp (authorize, token, revoke) and the registration of its clients
 * (POST /api/gatewayregistry/v1/oauthclients, the gateway registry's path). Routes read the request and call one
 * service function; the errors come from the catalogue in the UAA shape.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principal } from '../../core/auth.js';
import { AppError } from '../../core/errors.js';
import { SCOPES } from '../../core/scopes.js';
import { IdentityErrors } from '../errors.js';
import type { SessionPort, SignIn } from '../signin.js';
import type { Fields } from './client-auth.js';
import { consentPage } from './pages.js';
import { publicOAuthClient, type OAuthService } from './service.js';

export interface OAuthRouteDeps {
  oauth: OAuthService;
  signIn: SignIn;
  sessions: SessionPort;
  /** Largest body of these endpoints (--oauth-form-limit). */
  bodyLimit: number;
}

const fieldsOf = (v: unknown): Fields => {
  const out: Fields = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

/** The body's fields, grant_type and scope also from the query string (the TokenURL form of low-code connectors). */
function tokenFields(req: FastifyRequest): Fields {
  const body = fieldsOf(req.body);
  const query = fieldsOf(req.query);
  return { ...body, grant_type: body['grant_type'] ?? query['grant_type'], scope: body['scope'] ?? query['scope'] };
}

const credentials = (req: FastifyRequest) => ({ authorization: req.headers.authorization, body: fieldsOf(req.body) });

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

export async function oauthRoutes(app: FastifyInstance, deps: OAuthRouteDeps): Promise<void> {
  const { oauth, signIn, sessions, bodyLimit } = deps;
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('cache-control', 'no-store').header('x-frame-options', 'DENY').type('text/html; charset=utf-8').send(body);

  // RFC 6749 §4.4 for binding keys.
  app.post('/oauth/token', { config: { public: true }, bodyLimit }, async (req, reply) => {
    const answer = await oauth.clientCredentialsToken({ fields: tokenFields(req), credentials: credentials(req) });
    noStore(reply);
    return answer;
  });

  app.post('/api/technicaltokenmanager/v3/oauth/token', {
    config: { public: true },
    bodyLimit,
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
    const key = req.headers['x-space-auth-key'];
    const answer = await oauth.technicalToken({ fields: fieldsOf(req.body), credentials: { spaceAuthKey: typeof key === 'string' ? key : undefined } });
    reply.header('cache-control', 'no-store');
    return answer;
  });

  app.get('/oauth/webapp/authorize', { config: { public: true } }, async (req, reply) => {
    const q = fieldsOf(req.query);
    const checked = await oauth.checkAuthorize(q);
    if ('redirect' in checked) return reply.redirect(checked.redirect, 302);
    const user = await sessions.current(req.raw, checked.client.tenant);
    return html(reply, 200, consentPage(checked.client, q, undefined, user?.email));
  });

  app.post('/oauth/webapp/authorize', { config: { public: true }, bodyLimit }, async (req, reply) => {
    const f = fieldsOf(req.body);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) {
      throw IdentityErrors.foreignOrigin({ origin: origin.slice(0, 200) });
    }
    const checked = await oauth.checkAuthorize(f);
    if ('redirect' in checked) return reply.redirect(checked.redirect, 302);
    if (f['decision'] !== 'allow') return reply.redirect(oauth.deny(checked), 302);
    // Single sign-on: a session of the client's tenant on this host needs no password, only consent.
    const signedIn = await sessions.current(req.raw, checked.client.tenant);
    if (signedIn) return reply.redirect(await oauth.approve(checked, signedIn.id), 302);
    let user;
    try {
      user = await signIn.authenticate(checked.client.tenant, f['email'] ?? '', f['password'] ?? '');
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 429) throw err;
      reply.header('retry-after', err.headers['retry-after'] ?? '1');
      return html(reply, 429, consentPage(checked.client, f, err.message));
    }
    if (!user) return html(reply, 401, consentPage(checked.client, f, 'Wrong e-mail address or password.'));
    reply.header('set-cookie', await sessions.open(checked.client.tenant, user));
    return reply.redirect(await oauth.approve(checked, user.id), 302);
  });

  app.post('/oauth/webapp/token', { config: { public: true }, bodyLimit }, async (req, reply) => {
    noStore(reply);
    return oauth.webAppToken({ fields: fieldsOf(req.body), credentials: credentials(req) });
  });

  // RFC 7009 §2.2: 200 with an empty body, also for tokens that are unknown, expired or already revoked.
  app.post('/oauth/webapp/revoke', { config: { public: true }, bodyLimit }, async (req, reply) => {
    noStore(reply);
    await oauth.revoke({ fields: fieldsOf(req.body), credentials: credentials(req) });
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
