/**
 * The HTTP host every context mounts on: fastify with request ids, the body limits, JSON parsing, and the one
 * error handler that turns every failure into the service's error shape (the Insights Hub API references' error bodies), JSON or XML by Accept.
 * Each request leaves one log line when it completes (method, route pattern, status, time, and the tenant and
 * client id of a verified token) and is counted in the request metrics by route pattern and status.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, { errorCodes, LogController, type FastifyError, type FastifyServerFactory, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError, type ErrorShape, Generic, renderError, toXml } from './errors.js';
import { mayHoldForbiddenKey, nestingBeyond } from './json.js';
import { counter, histogram } from './metrics.js';

const requests = counter('ironbridge_http_requests_total', 'HTTP requests answered by the platform, by method, route pattern and status',
  ['method', 'route', 'status']);
const latency = histogram('ironbridge_http_request_duration_seconds', 'Time from request to response, by method and route pattern',
  [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], ['method', 'route']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Overrides the error shape chosen by path prefix. */
    errorShape?: ErrorShape;
    /** The route's own reader of application/json bodies (see JsonBodyReader). */
    readJson?: JsonBodyReader;
  }
}

/**
 * A route's own reader of application/json bodies, for bodies its handler takes in another form than JSON.parse
 * gives (the time series PUTs: columns). `read` gives its value, or undefined for a text it does not take the way
 * JSON.parse does; that text is parsed as usual, so every refusal stays the parser's. It is asked only for bodies
 * that cannot hold a `__proto__` or `constructor` key, and only when its values nest no deeper than `depth`
 * levels and the nesting bound allows that.
 */
export interface JsonBodyReader { read: (body: Buffer) => unknown; depth: number }

/** Error shape per path prefix, as each Insights Hub service uses it (the error bodies of its API reference). */
const SHAPES: ReadonlyArray<[string, ErrorShape]> = [
  ['/oauth/', 'uaa'],
  ['/token_keys', 'uaa'],
  ['/api/technicaltokenmanager/', 'uaa'],
  ['/api/iottimeseries/', 'legacy'],
  ['/api/iottsaggregates/v3/', 'legacy'],
  ['/api/agentmanagement/', 'legacy'],
  ['/api/mindconnect/', 'legacy'],
  ['/datalake/signed/', 's3'],
  ['/api/odata/', 'odata'],
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

/** The longest path segment the router matches a parameter with; longer ones are refused before any handler runs. */
const MAX_PARAM_LENGTH = 500;

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
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return Generic.invalidParameter({ name: 'path', rule: `a path segment is longer than ${MAX_PARAM_LENGTH} characters` });
    case 'FST_ERR_BAD_URL':
      return Generic.invalidParameter({ name: 'path', rule: 'its percent-encoding is not UTF-8' });
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
 * Accept; an Accept that allows neither turns the error into 406 (Industrial IoT Gateway, "Gateway Error Content Types").
 */
export function errorResponse(err: AppError, url: string, accept: string | undefined, logref: string,
  shapeOverride?: ErrorShape): ErrorResponse {
  const shape = shapeOverride ?? errorShapeFor(url);
  // S3 clients read XML errors whatever they send as Accept.
  const media = shape === 's3' ? 'xml' : negotiate(accept);
  const actual = media === null ? Generic.notAcceptable({ accept: String(accept).slice(0, 200) }) : err;
  const rendered = renderError(actual, shape, logref);
  const headers = { ...rendered.headers };
  if (rendered.status === 401 && shape !== 'uaa' && !Object.keys(headers).some((h) => h.toLowerCase() === 'www-authenticate')) {
    headers['www-authenticate'] = 'Bearer';
  }
  if (media === 'xml') {
    return { status: rendered.status, headers, contentType: 'application/xml; charset=utf-8',
      body: toXml(rendered.body, shape === 's3' ? 'Error' : 'error') };
  }
  return { status: rendered.status, headers, contentType: 'application/json; charset=utf-8', body: JSON.stringify(rendered.body) };
}

/**
 * The one logging policy for a failed request (fastify's error handler and the gateway's own answers): a failure the
 * catalogue does not know (a bug, a crash: rendered as 500) is an error line with its stack; a 5xx of the catalogue
 * (overload, an unreachable backend) a warning; anything else, the client's own fault, an info line. The code, the
 * status and the error's private detail (say, why an authentication failed) go with the logref of the answer.
 */
export function logFailure(logger: Pick<Logger, 'error' | 'warn' | 'info'>, error: Error, err: AppError,
  logref: string | undefined): void {
  // `logref` undefined: the logger is a request's child logger, which carries it already (no duplicate key).
  const line = { ...(logref === undefined ? {} : { logref }), code: err.code, status: err.status,
    ...(err.detail === undefined ? {} : { detail: err.detail }) };
  if (err.status >= 500 && !(error instanceof AppError)) logger.error({ err: error, ...line }, 'request failed');
  else if (err.status >= 500) logger.warn(line, err.message);
  else logger.info(line, err.message);
}

export function sendError(req: FastifyRequest, reply: FastifyReply, error: Error): FastifyReply {
  const err = toAppError(error);
  // The request's child logger already carries the logref (requestIdLogLabel): it is not repeated here.
  const logref = String(req.id);
  logFailure(req.log, error, err, undefined);
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
  /** Answers a request the HTTP parser refused (the gateway's, so it is in our error shapes); fastify's own otherwise. */
  clientErrorHandler?: (err: Error, socket: Socket) => void;
  /** Deepest nesting of an application/json body (contexts with their own parser check their own); unbounded when absent. */
  maxJsonNesting?: number;
}

export function createHttp({ logger, bodyLimit, serverFactory, clientErrorHandler, maxJsonNesting }: HttpOptions): FastifyInstance {
  const app = Fastify({
    ...(serverFactory ? { serverFactory } : {}),
    ...(clientErrorHandler ? { clientErrorHandler } : {}),
    loggerInstance: logger,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'logref', disableRequestLogging: true }),
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, maxParamLength: MAX_PARAM_LENGTH },
    // the router's own refusals (a too long or badly encoded path) get our error shapes too
    frameworkErrors: (error, req, reply) => sendError(req, reply, error),
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } },
  }) as unknown as FastifyInstance;
  app.addHook('onResponse', async (req, reply) => {
    // Unmatched paths share one label, so a scan of random URLs cannot grow the metrics without bound.
    const route = req.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    latency.observe({ method: req.method, route }, seconds);
    const who = req.principal ? { tenant: req.principal.tenant, clientId: req.principal.clientId } : {};
    req.log.info({ method: req.method, url: req.url.split('?')[0], route, status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10, ...who }, 'request completed');
  });
  if (maxJsonNesting !== undefined) boundJsonNesting(app, maxJsonNesting);
  app.setErrorHandler((error, req, reply) => sendError(req, reply, error as Error));
  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, Generic.routeNotFound({ method: req.method, path: req.url.split('?')[0] ?? '' })));
  return app;
}

/**
 * fastify's own JSON parser (prototype poisoning refused), then the nesting bound: JSON.parse does not recurse, but
 * validators and every walk over a body do, and a few kilobytes can nest thousands of levels.
 *
 * A body that cannot hold a `__proto__` or `constructor` key (mayHoldForbiddenKey: three substring searches) goes
 * to JSON.parse alone, which then gives what secure-json-parse gives, and a syntax error as fastify's parser
 * answers it; any other body (a possible forbidden key, an escape, a byte-order mark, an empty body) goes to
 * fastify's parser as before. The nesting bound applies to both alike. The body is read as bytes: a route's own
 * reader (JsonBodyReader) takes them first, and every other body is decoded as fastify's string parser decodes it
 * (UTF-8, the whole body at once).
 */
function boundJsonNesting(app: FastifyInstance, max: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  const bounded = (err: Error | null, value: unknown, done: (err: Error | null, value?: unknown) => void): void => {
    if (err) { done(err, undefined); return; }
    const path = nestingBeyond(value, max);
    if (path === null) { done(null, value); return; }
    done(Generic.invalidRequestBodyProperty({ name: path.split(/[.[]/)[0] || 'body',
      rule: `nests deeper than ${max} levels, the most a JSON body may nest` }), undefined);
  };
  // the bytes, so a route's reader takes them undecoded; every other body is decoded as fastify's string parser does
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    const reader = req.routeOptions.config.readJson;
    if (reader && reader.depth <= max && bytes.length > 0 && !mayHoldForbiddenKey(bytes)) {
      const value = reader.read(bytes);
      if (value !== undefined) { done(null, value); return; }
    }
    const text = bytes.toString('utf8');
    if (text.length === 0 || mayHoldForbiddenKey(text)) {
      parse(req, text, (err: Error | null, value?: unknown) => bounded(err, value, done));
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      return;
    }
    bounded(null, value, done);
  });
}
