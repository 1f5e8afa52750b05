/**
 * HTTP surface: IoT Time Series v3 (reference §2) and Aggregates v4 and v3 (reference §3). Thin: read the
 * request, call the services, render. Error shapes follow the path prefix (core/http.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { AppError, Generic, renderError } from '../core/errors.js';
import { errorShapeFor } from '../core/http.js';
import { SCOPES } from '../core/scopes.js';
import type { AggregateParams, AggregatesService } from './aggregates.js';
import { BATCH_BODY_LIMIT, PATCH_BODY_LIMIT, type ReadParams, type TimeseriesService } from './service.js';

const TS = '/api/iottimeseries/v3/timeseries';

export interface TimeseriesRouteDeps {
  timeseries: TimeseriesService;
  aggregates: AggregatesService;
  bodyLimit: number;
}

interface SeriesParams { entityId: string; propertySetName: string }

const query = (req: FastifyRequest) => req.query as Record<string, string | undefined>;
const one = (v: unknown): string | undefined => (Array.isArray(v) ? String(v[v.length - 1]) : v === undefined ? undefined : String(v));

function pick<K extends string>(req: FastifyRequest, keys: readonly K[]): Partial<Record<K, string>> {
  const q = query(req);
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) {
    const v = one(q[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const READ_KEYS = ['from', 'to', 'limit', 'select', 'sort', 'latestValue'] as const;
const AGG_KEYS = ['from', 'to', 'intervalUnit', 'intervalValue', 'count', 'select'] as const;

export async function timeseriesRoutes(app: FastifyInstance, deps: TimeseriesRouteDeps): Promise<void> {
  const { timeseries, aggregates } = deps;

  app.put<{ Params: SeriesParams }>(`${TS}/:entityId/:propertySetName`, {
    config: { scope: SCOPES.timeseriesWrite }, bodyLimit: deps.bodyLimit,
  }, async (req, reply) => {
    await timeseries.put(principal(req).tenant, req.params.entityId, req.params.propertySetName, req.body);
    return reply.code(204).send();
  });

  app.put(TS, { config: { scope: SCOPES.timeseriesWrite }, bodyLimit: BATCH_BODY_LIMIT }, async (req, reply) => {
    const results = await timeseries.putMany(principal(req).tenant, req.body);
    const shape = errorShapeFor(req.url);
    // 202: accepted pairs are stored; each failed pair carries its error in the service's error shape.
    const errors = results.filter((r) => r.error).map((r) => {
      const err = r.error instanceof AppError ? r.error : Generic.internal({});
      if (!(r.error instanceof AppError)) req.log.error({ err: r.error }, 'batch pair failed');
      const rendered = renderError(err, shape, String(req.id));
      return { index: r.index, entityId: r.entityId, propertySetName: r.propertySetName, status: rendered.status, ...(rendered.body as object) };
    });
    return reply.code(202).send({ errors });
  });

  app.patch<{ Params: SeriesParams }>(`${TS}/:entityId/:propertySetName`, {
    config: { scope: SCOPES.timeseriesWrite }, bodyLimit: PATCH_BODY_LIMIT,
  }, async (req, reply) => {
    await timeseries.patch(principal(req).tenant, req.params.entityId, req.params.propertySetName, req.body);
    return reply.code(204).send();
  });

  app.get<{ Params: SeriesParams }>(`${TS}/:entityId/:propertySetName`, {
    config: { scope: SCOPES.timeseriesRead },
  }, async (req, reply) => {
    const { entityId, propertySetName } = req.params;
    const result = await timeseries.read(principal(req).tenant, entityId, propertySetName, pick<keyof ReadParams>(req, READ_KEYS));
    if (result.next) {
      const qs = new URLSearchParams(result.next).toString();
      reply.header('link', `<${TS}/${encodeURIComponent(entityId)}/${encodeURIComponent(propertySetName)}?${qs}>; rel="next"`);
    }
    return reply.type('application/json; charset=utf-8').send(result.json);
  });

  app.delete<{ Params: SeriesParams }>(`${TS}/:entityId/:propertySetName`, {
    config: { scope: SCOPES.timeseriesDelete },
  }, async (req, reply) => {
    const q = pick(req, ['from', 'to'] as const);
    await timeseries.delete(principal(req).tenant, req.params.entityId, req.params.propertySetName, q.from, q.to);
    return reply.code(204).send();
  });

  app.get('/api/iottsaggregates/v4/aggregates', { config: { scope: SCOPES.aggregatesRead } }, async (req) => {
    const q = pick(req, ['assetId', 'aspectName', ...AGG_KEYS] as const);
    return aggregates.v4(principal(req).tenant, q.assetId, q.aspectName, q as AggregateParams);
  });

  app.get<{ Params: SeriesParams }>('/api/iottsaggregates/v3/aggregates/:entityId/:propertySetName', {
    config: { scope: SCOPES.aggregatesRead },
  }, async (req) => aggregates.v3(principal(req).tenant, req.params.entityId, req.params.propertySetName,
    pick(req, AGG_KEYS) as AggregateParams));
}
