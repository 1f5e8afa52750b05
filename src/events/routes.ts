/**
 * HTTP surface of Event Management (Insights Hub "Event Management API v3" `/api/eventmanagement/v3`): the
 * billboard, event types (create, HAL list, read, patch — PATCH, or PUT as the MindConnect SDK sends it — and
 * delete with If-Match), events (create, HAL list with filter and paging, read, update with If-Match) and
 * delete jobs (`/deleteEventsJobs`, how `mc events --mode delete` and `mc events-bulk` remove events).
 * Thin: read the request, call the service, render with links and the ETag header.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { singleValues } from '../core/query.js';
import { SCOPES } from '../core/scopes.js';
import type { EventService, Page } from './service.js';

const BASE = '/api/eventmanagement/v3';
const base = (req: FastifyRequest) => `${req.protocol}://${req.headers.host || 'localhost'}${BASE}`;

function hal<T extends { id: string }>(req: FastifyRequest, key: string, path: string, p: Page<T>) {
  const b = `${base(req)}/${path}`;
  const pages = Math.ceil(p.total / p.size);
  const link = (n: number) => ({ href: `${b}?page=${n}&size=${p.size}` });
  return {
    _embedded: { [key]: p.items.map((i) => ({ ...i, _links: { self: { href: `${b}/${encodeURIComponent(i.id)}` } } })) },
    page: { size: p.size, totalElements: p.total, totalPages: pages, number: p.page },
    _links: { self: link(p.page), first: link(0), ...(p.page > 0 ? { prev: link(p.page - 1) } : {}),
      ...(p.page + 1 < pages ? { next: link(p.page + 1) } : {}), last: link(Math.max(0, pages - 1)) },
  };
}

function one<T extends { id: string; etag: number }>(req: FastifyRequest, reply: FastifyReply, path: string, v: T) {
  reply.header('etag', `"${v.etag}"`);
  return { ...v, _links: { self: { href: `${base(req)}/${path}/${encodeURIComponent(v.id)}` } } };
}

export async function eventRoutes(app: FastifyInstance, service: EventService): Promise<void> {
  const R = { config: { scope: SCOPES.eventRead } };
  const W = { config: { scope: SCOPES.eventWrite } };
  const D = { config: { scope: SCOPES.eventDelete } };
  const id = (req: FastifyRequest) => (req.params as { id: string }).id;
  const ifMatch = (req: FastifyRequest) => req.headers['if-match'];
  const tenant = (req: FastifyRequest) => principal(req).tenant;

  app.get(BASE, R, async (req) => {
    const b = base(req);
    return { _links: { self: { href: `${b}/` }, events: { href: `${b}/events`, templated: false },
      eventTypes: { href: `${b}/eventTypes`, templated: false }, deleteEventsJobs: { href: `${b}/deleteEventsJobs`, templated: false } } };
  });

  app.post(`${BASE}/eventTypes`, W, async (req, reply) =>
    reply.code(201).send(one(req, reply, 'eventTypes', await service.createType(tenant(req), req.body))));
  app.get(`${BASE}/eventTypes`, R, async (req) =>
    hal(req, 'eventTypes', 'eventTypes', await service.listTypes(tenant(req), singleValues(req.query))));
  app.get(`${BASE}/eventTypes/:id`, R, async (req, reply) => one(req, reply, 'eventTypes', await service.getType(tenant(req), id(req))));
  const patch = async (req: FastifyRequest, reply: FastifyReply) =>
    one(req, reply, 'eventTypes', await service.patchType(tenant(req), id(req), ifMatch(req), req.body));
  app.patch(`${BASE}/eventTypes/:id`, W, patch);
  app.put(`${BASE}/eventTypes/:id`, W, patch);
  app.delete(`${BASE}/eventTypes/:id`, D, async (req, reply) => {
    await service.deleteType(tenant(req), id(req), ifMatch(req));
    return reply.code(204).send();
  });

  app.post(`${BASE}/events`, W, async (req, reply) =>
    reply.code(201).send(one(req, reply, 'events', await service.createEvent(tenant(req), req.body))));
  app.get(`${BASE}/events`, R, async (req) => hal(req, 'events', 'events', await service.listEvents(tenant(req), singleValues(req.query))));
  app.get(`${BASE}/events/:id`, R, async (req, reply) => one(req, reply, 'events', await service.getEvent(tenant(req), id(req))));
  app.post(`${BASE}/deleteEventsJobs`, D, async (req, reply) =>
    reply.code(201).send(await service.deleteEvents(tenant(req), req.body)));
  app.get(`${BASE}/deleteEventsJobs/:id`, D, async (req) => service.getDeleteJob(tenant(req), id(req)));
  app.put(`${BASE}/events/:id`, W, async (req, reply) =>
    one(req, reply, 'events', await service.updateEvent(tenant(req), id(req), ifMatch(req), req.body)));
}
