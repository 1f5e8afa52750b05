/**
 * HTTP surface of Asset Management files (Asset Management API v3 `/api/assetmanagement/v3/files`): multipart
 * upload (fields file, name, description, scope; @fastify/multipart, streamed, limits before buffering), HAL list,
 * metadata, download (written to the raw response, core/send-object.ts), replace with If-Match, delete. Thin: adapt
 * the form, call the service, render.
 */
import { PassThrough } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principal } from '../core/auth.js';
import { AppError, Generic } from '../core/errors.js';
import { singleValues } from '../core/query.js';
import { SCOPES } from '../core/scopes.js';
import { sendObject } from '../core/send-object.js';
import type { AssetFileService, FormPart } from './service.js';

const BASE = '/api/assetmanagement/v3';
const base = (req: FastifyRequest) => `${req.protocol}://${req.headers.host || 'localhost'}${BASE}`;

type View = Awaited<ReturnType<AssetFileService['view']>>;
const render = (v: View, b: string) => ({ ...v, _links: { self: { href: `${b}/files/${v.id}` }, download: { href: `${b}/files/${v.id}/file` } } });

/** A broken form (what the multipart parser refuses) is the client's error: 400, or 413 for its size limits. */
function formError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 413) return Generic.payloadTooLarge({ limit: 'the configured' });
  return Generic.malformedBody({ reason: `the multipart/form-data body is malformed (${(err as Error).message})` });
}

/** The request's multipart parts as the service's form parts; parser errors, also inside a file, become formError. */
async function* formOf(req: FastifyRequest): AsyncIterable<FormPart> {
  if (!req.isMultipart()) {
    throw Generic.unsupportedMediaType({ contentType: String(req.headers['content-type'] ?? 'none').slice(0, 100), supported: 'multipart/form-data' });
  }
  try {
    for await (const p of req.parts()) {
      if (p.type === 'file') {
        const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
        // The consumer (the object store's pipeline) sees the error; one arriving after it finished is dropped here.
        stream.on('error', () => undefined);
        p.file.on('error', (err) => stream.destroy(formError(err)));
        p.file.pipe(stream);
        yield { kind: 'file', field: p.fieldname, filename: p.filename, mimeType: p.mimetype, stream };
      } else yield { kind: 'field', name: p.fieldname, value: String(p.value ?? '') };
    }
  } catch (err) {
    throw formError(err);
  }
}

export async function assetFileRoutes(app: FastifyInstance, service: AssetFileService, maxBytes: number): Promise<void> {
  await app.register(async (f) => {
    // One file up to the limit (+1, so the store's own count is what refuses it with 413), a few small fields.
    await f.register(multipart, { limits: { fileSize: maxBytes + 1, files: 1, fields: 10, parts: 12, fieldSize: 64 * 1024, headerPairs: 50 } });
    f.addHook('onSend', async (req, reply) => {
      if (reply.statusCode >= 400 && !req.raw.readableEnded) reply.header('connection', 'close');
    });
    const R = { config: { scope: SCOPES.assetRead } };
    const W = { config: { scope: SCOPES.assetWrite } };
    const D = { config: { scope: SCOPES.assetDelete } };
    const id = (req: FastifyRequest) => (req.params as { fileId: string }).fileId;

    f.post(`${BASE}/files`, W, async (req, reply) =>
      reply.code(201).send(render(await service.create(principal(req).tenant, formOf(req)), base(req))));
    f.get(`${BASE}/files`, R, async (req) => {
      const q = singleValues(req.query);
      const r = await service.list(principal(req).tenant, q);
      const b = base(req);
      return {
        _embedded: { files: r.items.map((v) => render(v, b)) },
        page: { size: r.size, totalElements: r.total, totalPages: Math.ceil(r.total / r.size), number: r.page },
        _links: { self: { href: `${b}/files?page=${r.page}&size=${r.size}` } },
      };
    });
    f.get(`${BASE}/files/:fileId`, R, async (req, reply) => {
      const v = await service.get(principal(req).tenant, id(req));
      return reply.header('etag', `"${v.etag}"`).send(render(v, base(req)));
    });
    f.get(`${BASE}/files/:fileId/file`, R, async (req, reply) => {
      const { file, stream } = await service.content(principal(req).tenant, id(req));
      reply.header('content-type', file.mediaType).header('content-length', file.size).header('etag', `"${file.etag}"`)
        .header('content-disposition', `attachment; filename="${file.originalFileName.replace(/["\\\r\n]/g, '_')}"`);
      return sendObject(req, reply, stream);
    });
    f.put(`${BASE}/files/:fileId`, W, async (req) =>
      render(await service.replace(principal(req).tenant, id(req), req.headers['if-match'], formOf(req)), base(req)));
    f.delete(`${BASE}/files/:fileId`, D, async (req, reply) => {
      await service.delete(principal(req).tenant, id(req), req.headers['if-match']);
      return reply.code(204).send();
    });
  });
}
