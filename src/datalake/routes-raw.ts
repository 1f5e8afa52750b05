/**
 * HTTP surface of the Integrated Data Lake, byte part: the signed URLs (`/datalake/signed/{path}`, no token, S3
 * XML errors), direct upload and download through the gateway (`/api/datalake/v3/objects/{path}`, at most one
 * request's worth: 100 MB) and multipart parts. These routes read the request body as the raw stream (the
 * platform's 1 MB JSON limit does not apply; the service counts the bytes against its own limits) and answer
 * downloads by writing the object to the raw response (core/send-object.ts), with byte ranges. A refused request
 * whose body was not read closes its connection (Industrial IoT Gateway "Large Request Restrictions").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Generic } from '../core/errors.js';
import { SCOPES } from '../core/scopes.js';
import { sendObject } from '../core/send-object.js';
import type { ByteRange } from '../objectstore/index.js';
import { DatalakeErrors } from './errors.js';
import type { MultipartService } from './multipart.js';
import { checkPath, type Scope } from './paths.js';
import { callerOf, DL, subtenantParam } from './routes.js';
import type { DatalakeService } from './service.js';
import { SIGNED_PREFIX } from './signing.js';

export interface RawRouteDeps {
  service: DatalakeService;
  multipart: MultipartService;
  maxRequestBytes: number;
  signedMaxBytes: number;
}

const wildcard = (req: FastifyRequest) => (req.params as Record<string, string>)['*'] ?? '';

function lengthOf(req: FastifyRequest): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || req.headers['transfer-encoding'] !== undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw Generic.invalidParameter({ name: 'Content-Length', rule: 'must be a whole number' });
  return Number(raw);
}

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range, resolved against the object size; others serve it all. */
export function rangeOf(header: string | undefined): ((size: number) => ByteRange | undefined) | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  return (size) => {
    if (a === '') return { start: Math.max(0, size - Number(b)), end: size - 1 };
    return { start: Number(a), ...(b === '' ? {} : { end: Number(b) }) };
  };
}

async function download(service: DatalakeService, scope: Scope, path: string, req: FastifyRequest, reply: FastifyReply) {
  const { row, stream } = await service.open(scope, path, rangeOf(req.headers.range));
  reply.header('content-type', 'application/octet-stream').header('etag', `"${row.etag}"`)
    .header('last-modified', new Date(row.lastModified).toUTCString()).header('accept-ranges', 'bytes');
  if (row.sha256) reply.header('x-checksum-sha256', row.sha256);
  if (stream.range) {
    reply.code(206).header('content-range', `bytes ${stream.range.start}-${stream.range.end}/${row.size}`)
      .header('content-length', stream.range.end - stream.range.start + 1);
  } else reply.header('content-length', row.size);
  return sendObject(req, reply, stream);
}

export async function datalakeRawRoutes(app: FastifyInstance, d: RawRouteDeps): Promise<void> {
  const { service, multipart } = d;
  await app.register(async (raw) => {
    // The body stays the raw request stream for the handler to pipe; nothing is parsed or buffered here.
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    raw.addHook('onSend', async (req, reply) => {
      if (reply.statusCode >= 400 && !req.raw.readableEnded) reply.header('connection', 'close');
    });

    const signed = `${SIGNED_PREFIX}*`;
    raw.put(signed, { config: { errorShape: 's3' } }, async (req, reply) => {
      const { scope, path } = service.verifySigned('PUT', wildcard(req), req.query as Record<string, unknown>);
      const meta = await service.put(scope, path, { body: req.raw, length: lengthOf(req) }, d.signedMaxBytes);
      return reply.header('etag', `"${meta.eTag}"`).code(200).send();
    });
    raw.get(signed, { config: { errorShape: 's3' } }, async (req, reply) => {
      const { scope, path } = service.verifySigned(req.method, wildcard(req), req.query as Record<string, unknown>);
      return download(service, scope, path, req, reply);
    });

    const object = `${DL}/objects/*`;
    const scopeOf = (req: FastifyRequest) => service.scope(callerOf(req), subtenantParam(req));
    raw.put(object, { config: { scope: SCOPES.datalakeWrite } }, async (req) =>
      service.put(scopeOf(req), checkPath(wildcard(req), 'object'), { body: req.raw, length: lengthOf(req) }, d.maxRequestBytes));
    raw.get(object, { config: { scope: SCOPES.datalakeRead } }, async (req, reply) =>
      download(service, scopeOf(req), checkPath(wildcard(req), 'object'), req, reply));
    raw.delete(object, { config: { scope: SCOPES.datalakeDelete } }, async (req, reply) => {
      const path = checkPath(wildcard(req), 'object');
      if (!(await service.delete(scopeOf(req), path))) throw DatalakeErrors.objectNotFound({ path });
      return reply.code(204).send();
    });
    raw.put(`${DL}/multipart/:id/parts/:partNumber`, { config: { scope: SCOPES.datalakeWrite } }, async (req) => {
      const { id, partNumber } = req.params as { id: string; partNumber: string };
      return multipart.putPart(scopeOf(req), id, partNumber, { body: req.raw, length: lengthOf(req) });
    });
  });
}
