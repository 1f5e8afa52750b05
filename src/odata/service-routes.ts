/**
 * HTTP surface of the OData services: `/api/odata/v4/{contract}/{version}/…` (the gateway's API path scheme
 * `/api/{apiName}/v{major}/…`, so a service root works on the gateway host and on every web app host). Bearer
 * token required (401 with WWW-Authenticate, which makes a Mendix app fetch a new token and retry); responses
 * carry `OData-Version: 4.0`; writes get 405 with `Allow` (read-only access, "Insights Hub IIoT for Makers" §8.1);
 * a data lake object's `/$value` streams its bytes; `POST {set}/$query` takes the query options as text/plain (OASIS OData v4 URL Conventions §4.9 / Protocol
 * "Passing Query Options in the Request Body"). Errors in the OData error shape (core/http.ts, by path). A page
 * written as parts (a time series page's envelope and views of kept rows) is sent as those buffers (core/send-object.ts sendBuffers).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { SCOPES } from '../core/scopes.js';
import { sendBuffers } from '../core/send-object.js';
import { ODataErrors } from './errors.js';
import type { ODataResponse, ODataService } from './serve/service.js';
import { originOf } from './routes.js';

export const SERVICE_PREFIX = '/api/odata/v4/';

const CONTENT = {
  json: 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
  xml: 'application/xml;charset=utf-8',
  text: 'text/plain;charset=utf-8',
  media: 'application/octet-stream',
};

/** Whether the Accept header allows the response's media type (no header, or * / *, allows everything). */
function acceptable(accept: string | undefined, kind: ODataResponse['contentType']): boolean {
  // /$count is text/plain whatever a client accepts (generated clients send Accept: application/json for it)
  if (!accept || !accept.trim() || kind === 'text' || kind === 'media') return true;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) continue;
    const r = range.trim();
    if (r === '*/*') return true;
    if (kind === 'json' && (r === 'application/*' || r === 'application/json' || r.endsWith('+json'))) return true;
    if (kind === 'xml' && (r === 'application/*' || r === 'application/xml' || r === 'text/xml' || r === 'text/*')) return true;
  }
  return false;
}

function maxPageSize(prefer: string | string[] | undefined): number | undefined {
  const text = Array.isArray(prefer) ? prefer.join(',') : prefer;
  const m = text ? /(?:^|[,;\s])(?:odata\.)?maxpagesize\s*=\s*"?(\d{1,9})"?/i.exec(text) : null;
  return m ? Math.max(1, Number(m[1])) : undefined;
}

/**
 * The body as the socket gets it: an ASCII-only text (its UTF-8 length equals its length, which holds for no text
 * with a character above U+007F) is copied byte for byte, about 9× faster than the UTF-8 encoding the socket would
 * do of the string (a 2000-row page is 0.25–0.6 MB); any other text is sent as the string. `ascii` true says the
 * text is known to be ASCII (a page of raw rows), which spares the scan of it for its UTF-8 length.
 */
function bytes(body: string, ascii: boolean | undefined): string | Buffer {
  return ascii === true || Buffer.byteLength(body) === body.length ? Buffer.from(body, 'latin1') : body;
}

/** A request URL's path and query, split at its first `?`. */
function splitUrl(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

const pathOf = (url: string) => splitUrl(url)[0];

export async function serviceRoutes(root: FastifyInstance, service: ODataService): Promise<void> {
  await root.register(async (app) => {
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    }
    const R = { config: { scope: SCOPES.odataRead } };
    // writes are refused before their body is parsed, so a malformed or foreign body still gets the 405; a
    // callback hook (not async): a read passes it without a promise and a microtask per request
    app.addHook('onRequest', (req, _reply, done) => {
      if (req.method === 'GET' || req.method === 'HEAD') return done();
      const path = pathOf(req.url);
      if (req.method === 'POST' && path.endsWith('/$query')) return done();
      done(ODataErrors.readOnly({ target: path, method: req.method, allowed: req.method === 'POST' ? 'GET (POST only for {set}/$query)' : 'GET' })
        .withHeader('allow', 'GET, HEAD'));
    });

    const handle = async (req: FastifyRequest, reply: FastifyReply, method: 'GET' | 'POST') => {
      const p = principal(req);
      const [pathPart, queryPart] = splitUrl(req.url);
      const rest = pathPart.slice(SERVICE_PREFIX.length);
      const [contract = '', version = '', ...tail] = rest.split('/');
      let query = queryPart;
      if (method === 'POST' && !pathPart.endsWith('/$query')) {
        throw ODataErrors.readOnly({ target: pathPart, method, allowed: 'GET (POST only for {set}/$query)' }).withHeader('allow', 'GET, HEAD');
      }
      if (method === 'POST') {
        const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'text/plain' && type !== 'application/x-www-form-urlencoded') {
          throw ODataErrors.unsupportedMediaType({ target: '$query', contentType: type || 'no content type' });
        }
        const body = req.body;
        query = typeof body === 'string' ? body : body && typeof body === 'object'
          ? new URLSearchParams(body as Record<string, string>).toString() : '';
      }
      const res = await service.handle({
        tenant: p.tenant, contract: decodeURIComponent(contract), version: decodeURIComponent(version),
        path: tail.join('/'), query, origin: originOf(req), maxPageSize: maxPageSize(req.headers.prefer),
      }, method);
      if (!acceptable(req.headers.accept, res.contentType) && !/(^|&)\$format=/i.test(query)) {
        throw ODataErrors.notAcceptable({ target: 'Accept', accept: String(req.headers.accept).slice(0, 200) });
      }
      if (res.parts) return sendBuffers(req, reply.code(200).headers({ 'odata-version': '4.0', ...res.headers }).type(CONTENT[res.contentType]), res.parts);
      return reply.code(200).headers({ 'odata-version': '4.0', ...res.headers }).type(CONTENT[res.contentType]).send(res.stream ?? res.bytes ?? bytes(res.body, res.ascii));
    };

    for (const url of [`${SERVICE_PREFIX}:contract/:version`, `${SERVICE_PREFIX}:contract/:version/*`]) {
      app.get(url, R, (req, reply) => handle(req, reply, 'GET'));
      app.post(url, R, (req, reply) => handle(req, reply, 'POST'));
      app.route({
        method: ['PUT', 'PATCH', 'DELETE'], url, ...R,
        handler: async (req) => {
          throw ODataErrors.readOnly({ target: pathOf(req.url), method: req.method, allowed: 'GET' }).withHeader('allow', 'GET, HEAD');
        },
      });
    }
  });
}
