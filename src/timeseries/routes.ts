/**
 * HTTP surface: IoT Time Series v3 (IoT Time Series API v3) and Aggregates v4 and v3 (IoT Time Series Aggregates API). Thin: parse the query
 * (params.ts), call one service function, render. Error bodies come from the catalogue's renderer in the shape
 * of the path prefix (core/http.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { renderItemErrors } from '../core/errors.js';
import { errorShapeFor, type JsonBodyReader } from '../core/http.js';
import { sendBuffers } from '../core/send-object.js';
import { SCOPES } from '../core/scopes.js';
import type { AggregatesService } from './aggregates.js';
import { aggregateTarget, formatReadQuery, parseAggregateQuery, parseAggregateQueryV3, parseDeleteRange, parseReadQuery,
  type RawQuery } from './params.js';
import { readBatchBody, readRecordsBody } from './record-reader.js';
import { PATCH_BODY_LIMIT, type TimeseriesService } from './service.js';

const TS = '/api/iottimeseries/v3/timeseries';

export interface TimeseriesRouteDeps {
  timeseries: TimeseriesService;
  aggregates: AggregatesService;
  bodyLimit: number;
  /** Largest body of the multi-entity PUT (config timeseriesBatchBodyLimitBytes). */
  batchBodyLimit: number;
}

interface SeriesParams { entityId: string; propertySetName: string }

/** The PUT bodies' records read into columns (record-reader.ts; the service checks them as they are). */
const RECORDS: JsonBodyReader = { read: readRecordsBody, depth: 2 };
const BATCH: JsonBodyReader = { read: readBatchBody, depth: 4 };

const query = (req: FastifyRequest) => req.query as RawQuery;

const JSON_TYPE = 'application/json; charset=utf-8';
/**
 * Answers JSON text as bytes: encoded once here, its length is known, and the socket takes the buffer as it is
 * (a string reply is measured for Content-Length and then encoded again while written). Same header as fastify's.
 */
const sendJsonText = (reply: FastifyReply, text: string) => reply.type(JSON_TYPE).send(Buffer.from(text));

export async function timeseriesRoutes(app: FastifyInstance, deps: TimeseriesRouteDeps): Promise<void> {
  const { timeseries, aggregates } = deps;

  app.put<{ Params: SeriesParams }>(`${TS}/:entityId/:propertySetName`, {
    config: { scope: SCOPES.timeseriesWrite, readJson: RECORDS }, bodyLimit: deps.bodyLimit,
  }, async (req, reply) => {
    await timeseries.put(principal(req).tenant, req.params.entityId, req.params.propertySetName, req.body);
    return reply.code(204).send();
  });

  app.put(TS, { config: { scope: SCOPES.timeseriesWrite, readJson: BATCH }, bodyLimit: deps.batchBodyLimit }, async (req, reply) => {
    const refused = await timeseries.putMany(principal(req).tenant, req.body);
    // 202: the accepted pairs are stored; each refused pair carries its error in the service's error shape.
    const failures = refused.map((r) => ({ item: { index: r.index, entityId: r.assetId, propertySetName: r.aspect }, error: r.error }));
    return reply.code(202).send(renderItemErrors(failures, errorShapeFor(req.url), String(req.id)));
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
    const result = await timeseries.read(principal(req).tenant, entityId, propertySetName, parseReadQuery(query(req)));
    if (result.next) {
      const path = `${TS}/${encodeURIComponent(entityId)}/${encodeURIComponent(propertySetName)}`;
      reply.header('link', `<${path}?${formatReadQuery(result.next)}>; rel="next"`);
    }
    // Records come as bytes already (the store's rendered chunks, in place or copied once); a projection as text.
    if (Array.isArray(result.json)) return sendBuffers(req, reply.type(JSON_TYPE), result.json);
    return typeof result.json === 'string' ? sendJsonText(reply, result.json) : reply.type(JSON_TYPE).send(result.json);
  });

  app.delete<{ Params: SeriesParams }>(`${TS}/:entityId/:propertySetName`, {
    config: { scope: SCOPES.timeseriesDelete },
  }, async (req, reply) => {
    const { from, to } = parseDeleteRange(query(req));
    await timeseries.delete(principal(req).tenant, req.params.entityId, req.params.propertySetName, from, to);
    return reply.code(204).send();
  });

  app.get('/api/iottsaggregates/v4/aggregates', { config: { scope: SCOPES.aggregatesRead } }, async (req, reply) => {
    const { assetId, aspectName } = aggregateTarget(query(req));
    return reply.type(JSON_TYPE).send(await aggregates.v4Bytes(principal(req).tenant, assetId, aspectName, parseAggregateQuery(query(req))));
  });

  app.get<{ Params: SeriesParams }>('/api/iottsaggregates/v3/aggregates/:entityId/:propertySetName', {
    config: { scope: SCOPES.aggregatesRead },
  }, async (req, reply) => reply.type(JSON_TYPE).send(await aggregates.v3Bytes(principal(req).tenant, req.params.entityId,
    req.params.propertySetName, parseAggregateQueryV3(query(req)))));
}
