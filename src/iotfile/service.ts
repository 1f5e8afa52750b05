/**
 * IoT File (Insights Hub "IoT File Service API v3" `/files/{entityId}/{filepath}`) as the MindConnect SDK's
 * agent and `mc upload-file` use it: a PUT of the whole file, or a multipart upload (`?upload=start`,
 * `?part=1..N-1`, `?upload=complete` carrying the last part, `?upload=abort`); integer etags (If-Match,
 * If-None-Match: *); read with ranges, head, delete, search. The entity must be an asset of the tenant. Bytes
 * stream into the platform's object store under `iotfile/{tenant}/` (one key per content version, so a failed
 * replace leaves the previous content), never whole in memory. Knows nothing of HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type AppError, Generic } from '../core/errors.js';
import { iso, parseInstant } from '../core/instant.js';
import { type ByteRange, ObjectStoreError, type ObjectStore, type ObjectStream } from '../objectstore/index.js';
import { IotFileErrors } from './errors.js';
import { matches, parseSearchFilter, sorter, window } from './search.js';
import type { IotFileRow, IotFileStore, UploadRow } from './store.js';

export interface IotFileDeps {
  store: IotFileStore;
  objects: ObjectStore;
  entityExists: (tenant: string, id: string) => Promise<boolean>;
  /** Largest body of one request (a whole file or one part). */
  maxBytes: number;
  maxParts: number;
  now: () => number;
}

export interface Caller { tenant: string; clientId: string }
export interface FileHeaders { ifMatch?: string; ifNoneMatch?: string; description?: string; type?: string; timestamp?: string }
export interface Body { stream: Readable; length: number | undefined }
export type Mode = { kind: 'whole' } | { kind: 'start' } | { kind: 'part'; part: number } | { kind: 'complete' } | { kind: 'abort' };

const MAX_PATH = 1024;
const MAX_DESCRIPTION = 2048;
const newKey = (tenant: string) => `iotfile/${tenant}/${randomBytes(16).toString('hex')}`;

/** `a/b/c.txt` → path `a/b/`, name `c.txt`; checked: no empty, `.` or `..` segments, no control characters. */
export function splitPath(filepath: string): { path: string; name: string } {
  const p = filepath.replace(/^\/+/, '');
  const bad = (rule: string) => Generic.invalidParameter({ name: 'filepath', rule });
  if (p === '') throw bad('must name a file');
  if (Buffer.byteLength(p) > MAX_PATH) throw bad(`must be at most ${MAX_PATH} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(p)) throw bad('must not contain control characters or backslashes');
  const segments = p.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw bad('must not have empty, "." or ".." segments');
  const name = segments.pop()!;
  return { path: segments.length ? `${segments.join('/')}/` : '', name };
}

/** The rule `filepath` breaks, or undefined when it is a valid file path. */
export function pathProblem(filepath: string): string | undefined {
  try {
    splitPath(filepath);
    return undefined;
  } catch (err) {
    return (err as AppError).message;
  }
}

/** If-Match against the current etag (absent: any; `*`: the file must exist); If-None-Match: * means create-only. */
function checkPreconditions(h: { ifMatch?: string | null; ifNoneMatch?: string }, current: IotFileRow | undefined, what: string): void {
  if (h.ifNoneMatch !== undefined && h.ifNoneMatch.trim() === '*' && current) {
    throw Generic.preconditionFailed({ reason: `${what} exists and If-None-Match is *` });
  }
  if (h.ifMatch === undefined || h.ifMatch === null || h.ifMatch.trim() === '') return;
  const m = /^(?:W\/)?"?(\d{1,15}|\*)"?$/.exec(h.ifMatch.trim());
  if (!m) throw Generic.invalidParameter({ name: 'If-Match', rule: 'must be an integer etag such as 3, or *' });
  if (!current) throw Generic.preconditionFailed({ reason: `If-Match ${m[1]} was given but ${what} does not exist` });
  if (m[1] !== '*' && Number(m[1]) !== current.etag) {
    throw Generic.preconditionFailed({ reason: `If-Match ${m[1]} does not match the current etag ${current.etag} of ${what}` });
  }
}

export class IotFileService {
  constructor(private readonly d: IotFileDeps) {}

  view(f: IotFileRow) {
    return { name: f.name, path: f.path || '/', type: f.type, size: f.size, timestamp: iso(f.timestamp), created: iso(f.created),
      updated: iso(f.updated), createdBy: f.createdBy, updatedBy: f.updatedBy, description: f.description, etag: f.etag };
  }

  private async entity(tenant: string, entityId: string): Promise<void> {
    if (!(await this.d.entityExists(tenant, entityId))) throw Generic.noMatch({ resource: `entity ${entityId}` });
  }

  private meta(h: FileHeaders) {
    const description = h.description ?? '';
    if (description.length > MAX_DESCRIPTION) throw Generic.invalidParameter({ name: 'description', rule: `must be at most ${MAX_DESCRIPTION} characters` });
    const type = h.type && h.type.trim() ? h.type.trim().slice(0, 255) : 'application/octet-stream';
    let timestamp = this.d.now();
    if (h.timestamp !== undefined && h.timestamp !== '') {
      // ISO-8601, or the Date text the SDK's IotFileClient.PutFile sends when given a Date object.
      const t = parseInstant(h.timestamp, 'lenient');
      const fallback = Date.parse(h.timestamp);
      if (typeof t !== 'number' && Number.isNaN(fallback)) throw Generic.invalidParameter({ name: 'timestamp', rule: t as string });
      timestamp = typeof t === 'number' ? t : fallback;
    }
    return { description, type, timestamp };
  }

  private tooLarge = (err: unknown): unknown =>
    err instanceof ObjectStoreError && err.kind === 'tooLarge' ? Generic.payloadTooLarge({ limit: this.d.maxBytes }) : err;

  /** Records new content for a file (insert or etag-guarded replace); the previous content's object is removed. */
  private async commit(caller: Caller, entityId: string, p: { path: string; name: string }, current: IotFileRow | undefined,
    content: { key: string; size: number }, m: { description: string; type: string; timestamp: number }): Promise<IotFileRow> {
    const now = this.d.now();
    const row: IotFileRow = { tenant: caller.tenant, entityId, path: p.path, name: p.name, type: m.type, size: content.size,
      description: m.description, timestamp: m.timestamp, created: current?.created ?? now, updated: now,
      createdBy: current?.createdBy ?? caller.clientId, updatedBy: caller.clientId, etag: current ? current.etag + 1 : 0, contentKey: content.key };
    if (!(await this.d.store.put(row, current?.etag))) {
      await this.d.objects.delete(content.key).catch(() => undefined);
      throw Generic.preconditionFailed({ reason: `file ${p.path}${p.name} was changed concurrently; read it again and retry with its new etag` });
    }
    if (current) await this.d.objects.delete(current.contentKey).catch(() => undefined);
    return row;
  }

  /** PUT /files/{entityId}/{filepath}[?upload=…|?part=N]; returns the file when one was written (whole or complete). */
  async put(caller: Caller, entityId: string, filepath: string, mode: Mode, h: FileHeaders, body: Body): Promise<IotFileRow | undefined> {
    await this.entity(caller.tenant, entityId);
    const p = splitPath(filepath);
    const what = `file ${p.path}${p.name}`;
    const current = await this.d.store.get(caller.tenant, entityId, p.path, p.name);
    const putOptions = { maxBytes: this.d.maxBytes, ...(body.length !== undefined ? { expectedSize: body.length } : {}) };
    switch (mode.kind) {
      case 'whole': {
        checkPreconditions(h, current, what);
        const m = this.meta(h);
        const key = newKey(caller.tenant);
        const put = await this.d.objects.put(key, body.stream, { ...putOptions, contentType: m.type }).catch((err) => { throw this.tooLarge(err); });
        return this.commit(caller, entityId, p, current, { key, size: put.size }, m);
      }
      case 'start': {
        checkPreconditions(h, current, what);
        body.stream.resume();
        const m = this.meta(h);
        const key = newKey(caller.tenant);
        const uploadId = await this.d.objects.createMultipart(key);
        const replaced = await this.d.store.startUpload({ tenant: caller.tenant, entityId, path: p.path, name: p.name, uploadId, contentKey: key,
          type: m.type, description: m.description, timestamp: m.timestamp, ifMatch: h.ifMatch ?? null, started: this.d.now() });
        if (replaced) await this.d.objects.abortMultipart(replaced.contentKey, replaced.uploadId).catch(() => undefined);
        return undefined;
      }
      case 'part': {
        const upload = await this.upload(caller.tenant, entityId, p, body);
        if (mode.part > this.d.maxParts) { body.stream.resume(); throw IotFileErrors.tooManyParts({ max: this.d.maxParts }); }
        await this.addPart(upload, mode.part, body, putOptions);
        return undefined;
      }
      case 'complete': {
        const upload = await this.upload(caller.tenant, entityId, p, body);
        let parts = await this.d.store.parts(upload);
        // The SDK sends the last chunk's bytes with the completion; it is the part after the highest one so far.
        if (body.length !== 0) {
          const next = (parts.at(-1)?.partNumber ?? 0) + 1;
          if (next > this.d.maxParts) { body.stream.resume(); throw IotFileErrors.tooManyParts({ max: this.d.maxParts }); }
          await this.addPart(upload, next, body, putOptions);
          parts = await this.d.store.parts(upload);
        }
        if (parts.length === 0) throw Generic.invalidParameter({ name: 'upload', rule: 'complete needs at least one part' });
        checkPreconditions({ ifMatch: h.ifMatch ?? upload.ifMatch }, current, what);
        const done = await this.d.objects.completeMultipart(upload.contentKey, upload.uploadId, parts);
        if (!(await this.d.store.endUpload(upload))) {
          await this.d.objects.delete(upload.contentKey).catch(() => undefined);
          throw IotFileErrors.noUpload({ path: `${p.path}${p.name}` });
        }
        return this.commit(caller, entityId, p, current, { key: upload.contentKey, size: done.size },
          { description: h.description ?? upload.description, type: upload.type, timestamp: upload.timestamp });
      }
      case 'abort': {
        body.stream.resume();
        const upload = await this.d.store.getUpload(caller.tenant, entityId, p.path, p.name);
        if (upload && (await this.d.store.endUpload(upload))) {
          await this.d.objects.abortMultipart(upload.contentKey, upload.uploadId).catch(() => undefined);
        }
        return undefined;
      }
    }
  }

  private async upload(tenant: string, entityId: string, p: { path: string; name: string }, body: Body): Promise<UploadRow> {
    const upload = await this.d.store.getUpload(tenant, entityId, p.path, p.name);
    if (!upload) { body.stream.resume(); throw IotFileErrors.noUpload({ path: `${p.path}${p.name}` }); }
    return upload;
  }

  private async addPart(upload: UploadRow, n: number, body: Body, options: { maxBytes: number; expectedSize?: number }): Promise<void> {
    const part = await this.d.objects.putPart(upload.contentKey, upload.uploadId, n, body.stream, options)
      .catch((err) => { throw this.tooLarge(err); });
    if (!(await this.d.store.addPart(upload, { partNumber: n, etag: part.etag, size: part.size }))) {
      throw IotFileErrors.noUpload({ path: `${upload.path}${upload.name}` });
    }
  }

  async find(tenant: string, entityId: string, filepath: string): Promise<IotFileRow> {
    await this.entity(tenant, entityId);
    const p = splitPath(filepath);
    const f = await this.d.store.get(tenant, entityId, p.path, p.name);
    if (!f) throw Generic.noMatch({ resource: `file ${p.path}${p.name} of entity ${entityId}` });
    return f;
  }

  async open(tenant: string, entityId: string, filepath: string, range?: (size: number) => ByteRange | undefined):
    Promise<{ file: IotFileRow; stream: ObjectStream }> {
    const file = await this.find(tenant, entityId, filepath);
    const r = range?.(file.size);
    let stream: ObjectStream | undefined;
    try {
      stream = await this.d.objects.get(file.contentKey, r);
    } catch (err) {
      if (err instanceof ObjectStoreError && err.kind === 'badRange') {
        throw Generic.invalidParameter({ name: 'Range', rule: `must lie within the file's ${file.size} bytes` }).withHeader('content-range', `bytes */${file.size}`);
      }
      throw err;
    }
    if (!stream) throw Generic.noMatch({ resource: `file ${file.path}${file.name} of entity ${entityId}` });
    return { file, stream };
  }

  async delete(tenant: string, entityId: string, filepath: string, ifMatch: string | undefined): Promise<void> {
    const file = await this.find(tenant, entityId, filepath);
    checkPreconditions({ ifMatch }, file, `file ${file.path}${file.name}`);
    if (!(await this.d.store.delete(tenant, entityId, file.path, file.name, file.etag))) {
      throw Generic.preconditionFailed({ reason: `file ${file.path}${file.name} was changed concurrently` });
    }
    await this.d.objects.delete(file.contentKey).catch(() => undefined);
  }

  async search(tenant: string, entityId: string, q: { filter?: string; offset?: string; limit?: string; order?: string }) {
    await this.entity(tenant, entityId);
    const clauses = parseSearchFilter(q.filter);
    const order = sorter(q.order);
    const { offset, limit } = window(q.offset, q.limit);
    const all = (await this.d.store.list(tenant, entityId)).filter((f) => matches(f, clauses)).sort(order);
    return { items: all.slice(offset, offset + limit).map((f) => this.view(f)), count: all.length };
  }
}
