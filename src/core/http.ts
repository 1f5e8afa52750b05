/**
 * The HTTP host every context mounts on: fastify with request ids, the body limits, JSON parsing, and the one
 * error handler that turns every failure into the service's error shape (reference §0.1), JSON or XML by Accept.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyError, type FastifyServerFactory, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError, type ErrorShape, Generic, renderError, toXml } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Overrides the error shape chosen by path prefix. */
    errorShape?: ErrorShape;
  }
}

/** Error shape per path prefix, as each Insights Hub service uses it (reference §0.1). */
const SHAPES: ReadonlyArray<[string, ErrorShape]> = [
  ['/oauth/', 'uaa'],
  ['/token_keys', 'uaa'],
  ['/api/technicaltokenmanager/', 'uaa'],
  ['/api/iottimeseries/', 'legacy'],
  ['/api/iottsaggregates/v3/', 'legacy'],
  ['/api/agentmanagement/', 'legacy'],
  ['/api/mindconnect/', 'legacy'],
];

export function errorShapeFor(url: string): ErrorShape {
  for (const [prefix, shape] of SHAPES) if (url.startsWith(prefix)) return shape;
  return 'errors';
}

export type MediaChoice = 'json' | 'xml' | null;

/** Picks JSON or XML from an Accept header by q-value; no header → JSON; neither acceptable → null. */
export function negotiate(accept: string | undefined): MediaChoice {
  if (!accept || !accept.trim()) return 'json';
  let best: MediaChoice = null;
  let bestQ = 0;
  for (const part of accept.split(',')) {
    const [rangeRaw, ...params] = part.trim().split(';');
    const range = (rangeRaw ?? '').trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v);
    }
    if (!(q > 0)) continue;
    const candidates: MediaChoice[] =
      range === '*/*' || range === 'application/*' ? ['json']
        : range === 'application/json' || range.endsWith('+json') ? ['json']
          : range === 'application/xml' || range === 'text/xml' || range === 'text/*' ? ['xml'] : [];
    for (const c of candidates) if (q > bestQ) { best = c; bestQ = q; }
  }
  return best;
}

function toAppError(err: FastifyError | AppError | Error): AppError {
  if (err instanceof AppError) return err;
  const e = err as FastifyError;
  if (e.validation && e.validation.length > 0) {
    const v = e.validation[0]!;
    const params = v.params as Record<string, unknown>;
    const inBody = e.validationContext === 'body';
    const field = [
      ...(v.instancePath ? v.instancePath.slice(1).split('/') : []),
      ...(typeof params['missingProperty'] === 'string' ? [params['missingProperty']] : []),
      ...(typeof params['additionalProperty'] === 'string' ? [params['additionalProperty']] : []),
    ].join('.') || (e.validationContext ?? 'request');
    const rule = params['additionalProperty'] ? 'is not a known property' : v.message ?? 'is invalid';
    if (params['missingProperty']) {
      return inBody ? Generic.missingRequestBodyProperty({ name: field }) : Generic.missingParameter({ name: field });
    }
    return inBody ? Generic.invalidRequestBodyProperty({ name: field, rule })
      : Generic.invalidParameter({ name: field, rule });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Generic.payloadTooLarge({ limit: String((e as { limit?: number }).limit ?? 'the configured') });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return Generic.unsupportedMediaType({ contentType: 'of this request', supported: 'application/json' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Generic.malformedBody({ reason: 'Content-Type is application/json but the body is empty' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return Generic.malformedBody({ reason: 'Content-Length does not match the body' });
  }
  if (err instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) {
    return Generic.malformedBody({ reason: `invalid JSON (${e.message})` });
  }
  if (e.statusCode === 413) return Generic.payloadTooLarge({ limit: 'the configured' });
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return Generic.malformedBody({ reason: e.message });
  }
  return Generic.internal({});
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

/**
 * The serialised error response for a request: shape by path prefix (or the route's override), JSON or XML by
 * Accept; an Accept that allows neither turns the error into 406 (seed 002 "Gateway Error Content Types").
 */
export function errorResponse(err: AppError, url: string, accept: string | undefined, logref: string,
  shapeOverride?: ErrorShape): ErrorResponse {
  const media = negotiate(accept);
  const actual = media === null ? Generic.notAcceptable({ accept: String(accept).slice(0, 200) }) : err;
  const shape = shapeOverride ?? errorShapeFor(url);
  const rendered = renderError(actual, shape, logref);
  const headers = { ...rendered.headers };
  if (rendered.status === 401 && shape !== 'uaa' && !Object.keys(headers).some((h) => h.toLowerCase() === 'www-authenticate')) {
    headers['www-authenticate'] = 'Bearer';
  }
  if (media === 'xml') {
    return { status: rendered.status, headers, contentType: 'application/xml; charset=utf-8', body: toXml(rendered.body) };
  }
  return { status: rendered.status, headers, contentType: 'application/json; charset=utf-8', body: JSON.stringify(rendered.body) };
}

export function sendError(req: FastifyRequest, reply: FastifyReply, error: Error): FastifyReply {
  const err = toAppError(error);
  const logref = String(req.id);
  if (err.status >= 500) req.log.error({ err: error, logref, code: err.code }, 'request failed');
  else req.log.info({ logref, code: err.code, status: err.status }, err.message);
  const out = errorResponse(err, req.url, req.headers.accept, logref, req.routeOptions?.config?.errorShape);
  const existing = reply.getHeader('www-authenticate');
  reply.code(out.status).headers(out.headers);
  if (existing !== undefined) reply.header('www-authenticate', existing);
  return reply.type(out.contentType).send(out.body);
}

export interface HttpOptions {
  logger: Logger;
  bodyLimit: number;
  /** Builds the node:http server; the gateway uses it to see every request and upgrade before fastify does. */
  serverFactory?: FastifyServerFactory;
}

export function createHttp({ logger, bodyLimit, serverFactory }: HttpOptions): FastifyInstance {
  const app = Fastify({
    ...(serverFactory ? { serverFactory } : {}),
    loggerInstance: logger,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'logref' }),
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, maxParamLength: 500 },
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } },
  }) as unknown as FastifyInstance;
  app.setErrorHandler((error, req, reply) => sendError(req, reply, error as Error));
  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, Generic.routeNotFound({ method: req.method, path: req.url.split('?')[0] ?? '' })));
  return app;
}
