/**
 * HTTP surface of IoT File (Insights Hub "IoT File Service API v3" `/api/iotfile/v3`): PUT, GET (with a byte
 * range), HEAD and DELETE of `/files/{entityId}/{filepath}` and the search `GET /files/{entityId}`. File bodies
 * are the raw request stream (no parser, no buffering; the service counts bytes against its limit); the file's
 * metadata travels in the headers the MindConnect SDK sends (`description`, `type`, `timestamp`). Etags are bare
 * integers, as the SDK parses them with parseInt. A refused request whose body was not read closes its connection.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { Generic } from '../core/errors.js';
import { singleValues } from '../core/query.js';
import { SCOPES } from '../core/scopes.js';
import { sendObject } from '../core/send-object.js';
import type { ByteRange } from '../objectstore/index.js';
import type { IotFileRow } from './store.js';
import type { IotFileService, Mode } from './service.js';

const BASE = '/api/iotfile/v3/files';

const params = (req: FastifyRequest) => req.params as { entityId: string; '*': string };
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function lengthOf(req: FastifyRequest): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || req.headers['transfer-encoding'] !== undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw Generic.invalidParameter({ name: 'Content-Length', rule: 'must be a whole number' });
  return Number(raw);
}

/** The upload step from the query: none (a whole file), upload=start|complete|abort, or part=N. */
function modeOf(req: FastifyRequest): Mode {
  const q = singleValues(req.query);
  if (q['part'] !== undefined) {
    if (!/^\d{1,5}$/.test(q['part']) || Number(q['part']) < 1) throw Generic.invalidParameter({ name: 'part', rule: 'must be a whole number from 1' });
    return { kind: 'part', part: Number(q['part']) };
  }
  const upload = q['upload'];
  if (upload === undefined || upload === '') return { kind: 'whole' };
  if (upload === 'start' || upload === 'complete' || upload === 'abort') return { kind: upload };
  throw Generic.invalidParameter({ name: 'upload', rule: 'must be start, complete or abort' });
}

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else serves the whole file. */
function rangeOf(h: string | undefined): ((size: number) => ByteRange | undefined) | undefined {
  const m = h ? /^bytes=(\d*)-(\d*)$/.exec(h.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  return (size) => (a === '' ? { start: Math.max(0, size - Number(b)), end: size - 1 } : { start: Number(a), ...(b === '' ? {} : { end: Number(b) }) });
}

function fileHeaders(reply: FastifyReply, f: IotFileRow): FastifyReply {
  return reply.header('etag', String(f.etag)).header('content-type', f.type).header('last-modified', new Date(f.updated).toUTCString())
    .header('accept-ranges', 'bytes').header('timestamp', new Date(f.timestamp).toISOString())
    .header('description', encodeURIComponent(f.description));
}

export async function iotFileRoutes(app: FastifyInstance, service: IotFileService): Promise<void> {
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    raw.addHook('onSend', async (req, reply) => {
      if (reply.statusCode >= 400 && !req.raw.readableEnded) reply.header('connection', 'close');
    });
    const R = { config: { scope: SCOPES.iotFileRead } };
    const W = { config: { scope: SCOPES.iotFileWrite } };
    const D = { config: { scope: SCOPES.iotFileDelete } };
    const file = `${BASE}/:entityId/*`;

    raw.put(file, W, async (req, reply) => {
      const p = principal(req);
      const written = await service.put({ tenant: p.tenant, clientId: p.clientId }, params(req).entityId, params(req)['*'], modeOf(req), {
        // IotFileClient.PutFile sends its params as literal header names: `ifMatch` arrives as `ifmatch`.
        ifMatch: header(req, 'if-match') ?? header(req, 'ifmatch'), ifNoneMatch: header(req, 'if-none-match'), description: header(req, 'description'),
        type: header(req, 'type'), timestamp: header(req, 'timestamp'),
      }, { stream: req.raw, length: lengthOf(req) });
      if (!written) return reply.code(200).send();
      return reply.header('etag', String(written.etag)).code(written.etag === 0 ? 201 : 200).send();
    });
    raw.head(file, R, async (req, reply) => {
      const f = await service.find(principal(req).tenant, params(req).entityId, params(req)['*']);
      return fileHeaders(reply, f).header('content-length', f.size).send();
    });
    raw.get(file, R, async (req, reply) => {
      const { file: f, stream } = await service.open(principal(req).tenant, params(req).entityId, params(req)['*'], rangeOf(req.headers.range));
      fileHeaders(reply, f);
      const inm = header(req, 'if-none-match') ?? header(req, 'ifnonematch');
      if (inm !== undefined && inm.replace(/"/g, '').trim() === String(f.etag)) {
        stream.body.destroy();
        return reply.code(304).send();
      }
      if (stream.range) {
        reply.code(206).header('content-range', `bytes ${stream.range.start}-${stream.range.end}/${f.size}`)
          .header('content-length', stream.range.end - stream.range.start + 1);
      } else reply.header('content-length', f.size);
      return sendObject(req, reply, stream);
    });
    raw.delete(file, D, async (req, reply) => {
      await service.delete(principal(req).tenant, params(req).entityId, params(req)['*'], header(req, 'if-match'));
      return reply.code(204).send();
    });
    raw.get(`${BASE}/:entityId`, R, async (req, reply) => {
      const q = singleValues(req.query);
      const r = await service.search(principal(req).tenant, (req.params as { entityId: string }).entityId, {
        ...(q['filter'] !== undefined ? { filter: q['filter'] } : {}), ...(q['offset'] !== undefined ? { offset: q['offset'] } : {}),
        ...(q['limit'] !== undefined ? { limit: q['limit'] } : {}), ...(q['order'] !== undefined ? { order: q['order'] } : {}),
      });
      if (q['count'] === 'true') reply.header('count', String(r.count));
      return reply.send(r.items);
    });
  });
}
