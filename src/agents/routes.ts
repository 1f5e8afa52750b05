/**
 * HTTP surface of the agents context: Agent Management API v3 (`/api/agentmanagement/v3`: agents, status,
 * boarding, data source configuration, register, oauth/token, oauth/token_key) and MindConnect API v3
 * (`/api/mindconnect/v3`: dataPointMappings, exchange). An agent token may use only its own agent's configuration,
 * mappings and the exchange. Thin: adapt the request, call the service, render.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, principal, type Principal } from '../core/auth.js';
import { jsonBodyParser } from '../core/json.js';
import { singleValues } from '../core/query.js';
import { SCOPES } from '../core/scopes.js';
import { AGENT_TOKEN_CATEGORY } from '../identity/tokens.js';
import type { ConfigurationService } from './configuration.js';
import type { DiagnosticsService } from './diagnostics.js';
import { AgentErrors } from './errors.js';
import { readExchange, type ExchangeService } from './exchange.js';
import { REGISTER_PATH, tokenKeyOf, type OnboardingService } from './onboarding.js';
import { type AgentService, viewOf } from './service.js';

const AGM = '/api/agentmanagement/v3';
const MC = '/api/mindconnect/v3';

export interface AgentRouteDeps {
  agents: AgentService;
  onboarding: OnboardingService;
  configuration: ConfigurationService;
  diagnostics: DiagnosticsService;
  exchange: ExchangeService;
  tokenKey: () => { kty: string; e: string; n: string; kid: string; alg: string; use: string; value: string };
  exchangeMaxBytes: number;
}

/** The agent an agent token acts for, or undefined for users and technical clients. */
const agentOf = (p: Principal): string | undefined => (p.claims['cat'] === AGENT_TOKEN_CATEGORY ? p.subject : undefined);

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export async function agentRoutes(root: FastifyInstance, d: AgentRouteDeps): Promise<void> {
  await root.register(async (app) => {
    // The SDK sends Content-Type: application/json with no body on POST …/boarding/offboard.
    app.removeContentTypeParser(['application/json']);
    app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser((reason) => AgentErrors.malformed(reason)));
    await routesOf(app, d);
  });
}

async function routesOf(app: FastifyInstance, d: AgentRouteDeps): Promise<void> {
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;
  const R = { config: { scope: SCOPES.agentRead } };
  const W = { config: { scope: SCOPES.agentWrite } };
  const D = { config: { scope: SCOPES.agentDelete } };
  const P = { config: { public: true } };
  /** An agent token reaches only its own agent; a user's token any agent of the tenant. */
  const own = (req: FastifyRequest, agentId: string, what: string) => {
    const p = principal(req);
    const self = agentOf(p);
    if (self !== undefined && self !== agentId.toLowerCase()) throw AgentErrors.notYours(what);
    return p.tenant;
  };

  app.post(`${AGM}/agents`, W, async (req, reply) => reply.code(201).send(await d.agents.create(principal(req).tenant, req.body)));
  app.get(`${AGM}/agents`, R, async (req) => d.agents.list(principal(req).tenant, singleValues(req.query)));
  app.get(`${AGM}/agents/:id`, R, async (req, reply) => {
    const a = await d.agents.get(principal(req).tenant, id(req));
    return reply.header('etag', `"${a.etag}"`).send(viewOf(a));
  });
  app.put(`${AGM}/agents/:id`, W, async (req) => d.agents.update(principal(req).tenant, id(req), header(req, 'if-match'), req.body));
  app.delete(`${AGM}/agents/:id`, D, async (req, reply) => {
    await d.agents.delete(principal(req).tenant, id(req), header(req, 'if-match'));
    return reply.code(204).send();
  });
  app.get(`${AGM}/agents/:id/status`, R, async (req) => d.agents.status(principal(req).tenant, id(req)));
  app.get(`${AGM}/agents/:id/boarding/configuration`, R, async (req) => d.agents.boardingConfiguration(principal(req).tenant, id(req)));
  app.get(`${AGM}/agents/:id/boarding/status`, R, async (req) => d.agents.boardingStatus(principal(req).tenant, id(req)));
  app.post(`${AGM}/agents/:id/boarding/offboard`, W, async (req) => d.agents.offboard(principal(req).tenant, id(req)));

  app.get(`${AGM}/agents/:id/dataSourceConfiguration`, { config: { scope: SCOPES.mindconnectRead } }, async (req, reply) => {
    const c = await d.configuration.get(own(req, id(req), 'data source configuration'), id(req));
    return reply.header('etag', `"${c.eTag}"`).send(c);
  });
  app.put(`${AGM}/agents/:id/dataSourceConfiguration`, { config: { scope: SCOPES.mindconnectWrite } }, async (req, reply) => {
    const c = await d.configuration.put(own(req, id(req), 'data source configuration'), id(req), header(req, 'if-match'), req.body);
    return reply.header('etag', `"${c.eTag}"`).send(c);
  });

  // Onboarding: the initial access token and the registration access token are opaque bearer strings, not JWTs.
  app.post(REGISTER_PATH, P, async (req, reply) => reply.code(201).send(await d.onboarding.register(bearerToken(req), req.body)));
  app.put(`${REGISTER_PATH}/:id`, P, async (req) => {
    const token = bearerToken(req);
    const dot = token.indexOf('.');
    return d.onboarding.rotate(dot > 0 ? token.slice(0, dot) : null, id(req), token, req.body);
  });
  app.post(`${AGM}/oauth/token`, P, async (req) => d.onboarding.token((req.body ?? {}) as Record<string, unknown>));
  app.get(`${AGM}/oauth/token_key`, P, async () => tokenKeyOf(d.tokenKey()));

  app.post(`${MC}/dataPointMappings`, { config: { scope: SCOPES.mindconnectWrite } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const tenant = own(req, typeof body['agentId'] === 'string' ? body['agentId'] : '', 'data point mappings');
    const q = req.query as { noAgentValidation?: string };
    return reply.code(201).send(await d.configuration.createMapping(tenant, body, q.noAgentValidation === 'true'));
  });
  app.get(`${MC}/dataPointMappings`, { config: { scope: SCOPES.mindconnectRead } }, async (req) => {
    const p = principal(req);
    return d.configuration.listMappings(p.tenant, singleValues(req.query), agentOf(p));
  });
  app.get(`${MC}/dataPointMappings/:id`, { config: { scope: SCOPES.mindconnectRead } }, async (req) => {
    const p = principal(req);
    return d.configuration.getMapping(p.tenant, id(req), agentOf(p));
  });
  app.delete(`${MC}/dataPointMappings/:id`, { config: { scope: SCOPES.mindconnectWrite } }, async (req, reply) => {
    const p = principal(req);
    await d.configuration.deleteMapping(p.tenant, id(req), agentOf(p));
    return reply.code(204).send();
  });

  const DR = { config: { scope: SCOPES.mindconnectRead } };
  const DW = { config: { scope: SCOPES.mindconnectWrite } };
  const who = (req: FastifyRequest) => { const p = principal(req); return { tenant: p.tenant, only: agentOf(p) }; };
  app.post(`${MC}/diagnosticActivations`, DW, async (req, reply) => {
    const w = who(req);
    return reply.code(201).send(await d.diagnostics.activate(w.tenant, req.body, w.only));
  });
  app.get(`${MC}/diagnosticActivations`, DR, async (req) => { const w = who(req); return d.diagnostics.list(w.tenant, singleValues(req.query), w.only); });
  app.get(`${MC}/diagnosticActivations/:id`, DR, async (req) => { const w = who(req); return d.diagnostics.view(w.tenant, id(req), w.only); });
  app.put(`${MC}/diagnosticActivations/:id`, DW, async (req) => { const w = who(req); return d.diagnostics.update(w.tenant, id(req), req.body, w.only); });
  app.delete(`${MC}/diagnosticActivations/:id`, DW, async (req, reply) => {
    const w = who(req);
    await d.diagnostics.remove(w.tenant, id(req), w.only);
    return reply.code(204).send();
  });
  app.get(`${MC}/diagnosticActivations/:id/messages`, DR, async (req) => {
    const w = who(req);
    return d.diagnostics.messages(w.tenant, id(req), singleValues(req.query), w.only);
  });

  await app.register(async (f) => {
    f.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: d.exchangeMaxBytes }, (_req, body, done) => done(null, body));
    f.post(`${MC}/exchange`, { config: { scope: SCOPES.exchangeWrite }, bodyLimit: d.exchangeMaxBytes }, async (req, reply) => {
      const p = principal(req);
      const agentId = agentOf(p);
      if (agentId === undefined) throw AgentErrors.agentOnly();
      const items = readExchange(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), header(req, 'content-type') ?? '');
      const agent = await d.exchange.authenticate(p.token);
      if (!agent) throw AgentErrors.unauthorized('the agent token is not a live agent\'s');
      const result = await d.exchange.exchange(agent, items);
      return reply.code(200).send(result);
    });
  });
}
