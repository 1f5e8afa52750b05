/**
 * HTTP surface of the OData Contract Registry and the catalog, `/api/odatacontracts/v1` (Ironbridge's own API;
 * Insights Hub documents none): contracts list/create/read/update/delete, CSDL download, publish/unpublish,
 * with etags (ETag header, If-Match on writes, If-None-Match → 304), a preview of a body's entity sets and problems
 * (nothing saved), and the catalog search. Thin: read the
 * request, call the registry, render. Errors in the Insights Hub `errors` shape.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { lastValue } from '../core/query.js';
import { SCOPES } from '../core/scopes.js';
import type { ContractRecord } from './contract.js';
import type { ContractRegistry, ContractView, RegistryCaller } from './registry.js';

export const REGISTRY_PATH = '/api/odatacontracts/v1';

const caller = (req: FastifyRequest): RegistryCaller => {
  const p = principal(req);
  return { tenant: p.tenant, clientId: p.clientId, ...(p.email ? { email: p.email } : {}) };
};

export const originOf = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? 'localhost'}`;

/** A contract as the API shows it: the view plus absolute service URLs on the caller's host. */
export function renderContract(req: FastifyRequest, v: ContractView) {
  const { servicePath, tenant, ...rest } = v;
  const serviceRoot = `${originOf(req)}${servicePath}`;
  return { ...rest, tenant, serviceRoot, metadataUrl: `${serviceRoot}$metadata`, csdlUrl: `${originOf(req)}${REGISTRY_PATH}/contracts/${v.id}/csdl` };
}

const pre = (req: FastifyRequest) => ({ ...(req.headers['if-match'] ? { ifMatch: req.headers['if-match'] } : {}) });

export async function registryRoutes(app: FastifyInstance, registry: ContractRegistry): Promise<void> {
  const R = { config: { scope: SCOPES.odataRead } };
  const W = { config: { scope: SCOPES.odataWrite } };

  const send = async (req: FastifyRequest, reply: FastifyReply, c: ContractRecord, status = 200) => {
    reply.header('etag', `"${c.etag}"`);
    const inm = req.headers['if-none-match'];
    if (req.method === 'GET' && inm && inm.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === '*' || t === `"${c.etag}"`)) {
      return reply.code(304).send();
    }
    return reply.code(status).send(renderContract(req, await registry.view(c)));
  };

  app.get(`${REGISTRY_PATH}/contracts`, R, async (req) => {
    const list = await registry.list(caller(req));
    const search = lastValue((req.query as Record<string, unknown>)['search'])?.toLowerCase();
    const views = [];
    for (const c of list) {
      if (search && ![c.name, c.version, c.description].some((f) => f.toLowerCase().includes(search))) continue;
      views.push(renderContract(req, await registry.view(c)));
    }
    return { contracts: views };
  });
  app.post(`${REGISTRY_PATH}/contracts`, W, async (req, reply) => {
    const c = await registry.create(caller(req), req.body);
    reply.header('location', `${REGISTRY_PATH}/contracts/${c.id}`);
    return send(req, reply, c, 201);
  });
  // what a contract body would serve, nothing saved (the wizard's live preview); reading only, so the read scope
  app.post(`${REGISTRY_PATH}/contracts/preview`, R, async (req) => registry.preview(caller(req), req.body));
  app.get<{ Params: { id: string } }>(`${REGISTRY_PATH}/contracts/:id`, R, async (req, reply) =>
    send(req, reply, await registry.get(caller(req), req.params.id)));
  app.put<{ Params: { id: string } }>(`${REGISTRY_PATH}/contracts/:id`, W, async (req, reply) =>
    send(req, reply, await registry.update(caller(req), req.params.id, req.body, pre(req))));
  app.delete<{ Params: { id: string } }>(`${REGISTRY_PATH}/contracts/:id`, W, async (req, reply) => {
    await registry.delete(caller(req), req.params.id, pre(req));
    return reply.code(204).send();
  });
  app.get<{ Params: { id: string } }>(`${REGISTRY_PATH}/contracts/:id/csdl`, R, async (req, reply) => {
    const { contract, xml } = await registry.csdl(caller(req), req.params.id);
    return reply.header('etag', `"${contract.etag}"`)
      .header('content-disposition', `attachment; filename="${contract.name}-${contract.version}.xml"`)
      .type('application/xml; charset=utf-8').send(xml);
  });
  app.post<{ Params: { id: string } }>(`${REGISTRY_PATH}/contracts/:id/publish`, W, async (req, reply) =>
    send(req, reply, await registry.publish(caller(req), req.params.id, pre(req))));
  app.post<{ Params: { id: string } }>(`${REGISTRY_PATH}/contracts/:id/unpublish`, W, async (req, reply) =>
    send(req, reply, await registry.unpublish(caller(req), req.params.id, pre(req))));

  app.get(`${REGISTRY_PATH}/catalog`, R, async (req) => {
    const views = await registry.catalog(caller(req), lastValue((req.query as Record<string, unknown>)['search']));
    return { contracts: views.map((v) => renderContract(req, v)) };
  });
}
