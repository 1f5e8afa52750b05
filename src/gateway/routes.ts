/**
 * Gateway Registry REST API (admin scope gw.registry.w) under /api/gatewayregistry/v1: register, list, read and
 * remove the calling tenant's web apps and provider APIs, and read its greylisted endpoints.
 */
import type { FastifyInstance } from 'fastify';
import { principal } from '../core/auth.js';
import type { Config } from '../core/config.js';
import { SCOPES } from '../core/scopes.js';
import type { Greylist } from './greylist.js';
import { regionSuffix } from './host.js';
import type { RegistrationInput, Registry } from './registry.js';
import type { AppRegistration, RegistrationType } from './store.js';

const BASE = '/api/gatewayregistry/v1';

export function publicRegistration(r: AppRegistration, config: Config) {
  const name = r.provider ? `${r.name}-${r.provider}` : r.name;
  return {
    name: r.name, provider: r.provider || null, type: r.type, target: r.target, patterns: r.patterns,
    cacheControl: r.cacheControl, csp: r.csp, createdAt: new Date(r.createdAt).toISOString(),
    url: r.type === 'webapp' ? `${r.tenant}-${name}.${regionSuffix(config.region, undefined, config.domain)}`
      : `/api/${name}`,
  };
}

const selector = {
  type: 'object',
  properties: {
    provider: { type: 'string', maxLength: 40 },
    type: { type: 'string', enum: ['webapp', 'api'] },
  },
  additionalProperties: false,
} as const;

export async function gatewayRoutes(app: FastifyInstance, deps: { registry: Registry; greylist: Greylist; config: Config }) {
  const { registry, greylist, config } = deps;
  const scope = { scope: SCOPES.registryWrite };

  app.post(`${BASE}/apps`, {
    config: scope,
    schema: {
      body: {
        type: 'object',
        required: ['name', 'target', 'patterns'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', maxLength: 40 },
          provider: { type: 'string', maxLength: 40 },
          type: { type: 'string', enum: ['webapp', 'api'] },
          target: { type: 'string', maxLength: 2000 },
          patterns: { type: 'array', items: { type: 'string', maxLength: 500 }, maxItems: 100 },
          cacheControl: { type: 'string', maxLength: 500 },
          csp: { type: 'string', maxLength: 4000 },
        },
      },
    },
  }, async (req, reply) => {
    const reg = await registry.register(principal(req).tenant, req.body as RegistrationInput);
    return reply.code(201).send(publicRegistration(reg, config));
  });

  app.get(`${BASE}/apps`, { config: scope }, async (req) => ({
    apps: (await registry.list(principal(req).tenant)).map((r) => publicRegistration(r, config)),
  }));

  app.delete(`${BASE}/apps/:name`, { config: scope, schema: { querystring: selector } }, async (req, reply) => {
    const { name } = req.params as { name: string };
    const q = req.query as { provider?: string; type?: RegistrationType };
    await registry.remove(principal(req).tenant, q.type ?? 'webapp', name, q.provider ?? '');
    return reply.code(204).send();
  });

  app.get(`${BASE}/greylist`, { config: scope }, async (req) => ({
    mode: config.gatewaySlowMode,
    endpoints: greylist.list(principal(req).tenant).map((e) => ({
      endpoint: e.endpoint, until: new Date(e.until).toISOString(), slowResponses: e.slowResponses,
      blockedRequests: e.blockedRequests, reportedRequests: e.reportedRequests,
    })),
  }));
}
