/**
 * HTTP surface of the Integrated Data Lake, JSON part: `/api/datalake/v3` signed URL generation, object metadata
 * and tags, metadata search, folder listing, multipart upload control, delete jobs, event subscriptions and
 * access token permissions (Integrated Data Lake API v3; multipart from v4). Thin: read, call one service
 * function, render. The byte-carrying routes are in routes-raw.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { singleValues } from '../core/query.js';
import { SCOPES } from '../core/scopes.js';
import type { AccessPermissions } from './access.js';
import type { ObjectEvents } from './events.js';
import type { DeleteJobs } from './jobs.js';
import type { MultipartService } from './multipart.js';
import type { Caller, DatalakeService } from './service.js';

export const DL = '/api/datalake/v3';

export interface DatalakeRouteDeps {
  service: DatalakeService;
  multipart: MultipartService;
  jobs: DeleteJobs;
  events: ObjectEvents;
  access: AccessPermissions;
}

type Query = Record<string, string | undefined>;
const q = (req: FastifyRequest): Query => singleValues(req.query);
const wildcard = (req: FastifyRequest) => (req.params as Record<string, string>)['*'] ?? '';
const idParam = (req: FastifyRequest) => (req.params as { id: string }).id;

/** The caller of a request: its token's tenant, and its subtenant when the token belongs to one. */
export function callerOf(req: FastifyRequest): Caller {
  const p = principal(req);
  const sub = p.claims['subtenant'];
  return { tenant: p.tenant, subtenant: typeof sub === 'string' && sub !== '' ? sub : undefined };
}

/** subtenantId from the query; the public SDK spells it subtenantid. */
export const subtenantParam = (req: FastifyRequest) => q(req)['subtenantId'] ?? q(req)['subtenantid'];

export async function datalakeRoutes(app: FastifyInstance, d: DatalakeRouteDeps): Promise<void> {
  const { service, multipart, jobs, events, access } = d;
  const r = { config: { scope: SCOPES.datalakeRead } };
  const w = { config: { scope: SCOPES.datalakeWrite } };
  const del = { config: { scope: SCOPES.datalakeDelete } };
  const scopeOf = (req: FastifyRequest) => service.scope(callerOf(req), subtenantParam(req));

  app.post(`${DL}/generateUploadObjectUrls`, w, async (req) => service.signedUrls(callerOf(req), 'PUT', req.body));
  app.post(`${DL}/generateDownloadObjectUrls`, r, async (req) => service.signedUrls(callerOf(req), 'GET', req.body));

  app.get(`${DL}/objectMetadata`, r, async (req) => service.search(callerOf(req), '', { ...q(req), subtenantId: subtenantParam(req) }));
  app.get(`${DL}/objectMetadata/*`, r, async (req) => {
    // The public SDK's GetObjectMetaDatas puts the folder into the path and the filter into the query.
    if (q(req)['filter'] !== undefined) {
      const folder = wildcard(req);
      return service.search(callerOf(req), folder.endsWith('/') ? folder : `${folder}/`, { ...q(req), subtenantId: subtenantParam(req) });
    }
    return service.metadata(scopeOf(req), wildcard(req));
  });
  app.put(`${DL}/objectMetadata/*`, w, async (req) => service.setTags(scopeOf(req), wildcard(req), req.body));
  app.get(`${DL}/objects`, r, async (req) => service.list(scopeOf(req), q(req)['path'], q(req)['pageToken'], q(req)['size']));

  app.post(`${DL}/multipart`, w, async (req, reply) => {
    const b = req.body as { subtenantId?: unknown } | undefined;
    return reply.code(201).send(await multipart.start(service.scope(callerOf(req), b?.subtenantId ?? subtenantParam(req)), req.body));
  });
  app.get(`${DL}/multipart/:id`, w, async (req) => multipart.status(scopeOf(req), idParam(req)));
  app.post(`${DL}/multipart/:id/complete`, w, async (req) => multipart.complete(scopeOf(req), idParam(req), req.body));
  app.delete(`${DL}/multipart/:id`, w, async (req, reply) => {
    await multipart.abort(scopeOf(req), idParam(req));
    return reply.code(204).send();
  });

  app.post(`${DL}/deleteObjectsJobs`, del, async (req, reply) => reply.code(201).send(await jobs.create(callerOf(req), req.body)));
  app.get(`${DL}/deleteObjectsJobs`, r, async (req) => jobs.list(scopeOf(req), q(req)));
  app.get(`${DL}/deleteObjectsJobs/:id`, r, async (req) => jobs.get(scopeOf(req), idParam(req)));
  app.get(`${DL}/deleteObjectsJobs/:id/errorDetails`, r, async (req) => jobs.errorDetails(scopeOf(req), idParam(req)));

  app.post(`${DL}/objectEventSubscriptions`, w, async (req, reply) => reply.code(201).send(await events.create(callerOf(req), req.body)));
  app.get(`${DL}/objectEventSubscriptions`, r, async (req) => events.list(callerOf(req), q(req)));
  app.get(`${DL}/objectEventSubscriptions/:id`, r, async (req) => events.get(scopeOf(req), idParam(req)));
  app.get(`${DL}/objectEventSubscriptions/:id/deliveries`, r, async (req) => events.deliveries(scopeOf(req), idParam(req)));
  app.patch(`${DL}/objectEventSubscriptions/:id`, w, async (req) =>
    events.update(scopeOf(req), idParam(req), req.body, req.headers['if-match']));
  app.delete(`${DL}/objectEventSubscriptions/:id`, del, async (req, reply) => {
    await events.delete(scopeOf(req), idParam(req), req.headers['if-match']);
    return reply.code(204).send();
  });

  app.post(`${DL}/accessTokenPermissions`, w, async (req, reply) => reply.code(201).send(await access.create(callerOf(req), req.body)));
  app.get(`${DL}/accessTokenPermissions`, r, async (req) => access.list(scopeOf(req), q(req)));
  app.get(`${DL}/accessTokenPermissions/:id`, r, async (req) => access.get(scopeOf(req), idParam(req)));
  app.delete(`${DL}/accessTokenPermissions/:id`, del, async (req, reply) => {
    await access.delete(scopeOf(req), idParam(req));
    return reply.code(204).send();
  });
}
