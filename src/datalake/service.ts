/**
 * Objects of the Integrated Data Lake (Integrated Data Lake API v3): streaming uploads and downloads (through the
 * gateway and through signed URLs), metadata, tags, folder listing with page tokens, metadata search, and the
 * folder interface other contexts read (OData folder contracts). Bytes go to the object store first and the index
 * row follows, so a failed upload never shows; deletes remove the row first. Knows nothing of HTTP.
 */
import type { Readable } from 'node:stream';
import { Generic } from '../core/errors.js';
import { iso } from '../core/instant.js';
import { pageNumber } from '../core/paging.js';
import { ObjectStoreError, type ByteRange, type ObjectStore, type ObjectStream } from '../objectstore/index.js';
import { DatalakeErrors } from './errors.js';
import { checkPath, scopeOf, splitPath, storageKey, type Scope } from './paths.js';
import { parseFilter, toSql } from './search.js';
import { UrlSigner, type SignedMethod } from './signing.js';
import type { ChildRow, DatalakeStore, ObjectRow, ScopeKey } from './store.js';

export const MAX_TAGS = 8;
export const MAX_TAG_CHARS = 128;
export const MAX_URL_PATHS = 100;
export const MAX_LIST_SIZE = 1000;

/** Who calls: a tenant, or a subtenant of it (whose token names it). */
export interface Caller {
  tenant: string;
  subtenant?: string | undefined;
}

export interface DatalakeDeps {
  store: DatalakeStore;
  objects: ObjectStore;
  signer: UrlSigner;
  now: () => number;
  publicUrl: () => string;
  storageAccount: string;
  maxRequestBytes: number;
  signedMaxBytes: number;
  signedUrlSeconds: number;
  /** Called after a change queued object events, so deliveries start without waiting for the next sweep. */
  onEvents: () => void;
}

export interface UploadInput {
  body: Readable;
  /** The declared Content-Length, when there is one. */
  length: number | undefined;
}

/** An object as a folder listing or an OData folder entity set shows it. */
export interface FolderEntry {
  path: string;
  name: string;
  size: number;
  lastModified: Date;
  tags: string[];
}

export const keyOf = (s: Scope): ScopeKey => ({ tenant: s.tenant, sub: s.subtenant ?? '' });
const encodeToken = (p: string) => Buffer.from(p).toString('base64url');

export class DatalakeService {
  constructor(readonly d: DatalakeDeps) {}

  scope(caller: Caller, requested: unknown): Scope {
    return scopeOf(caller.tenant, caller.subtenant, requested);
  }

  metadataOf(scope: Scope, row: ObjectRow) {
    const { name } = splitPath(row.path);
    return {
      name, path: row.path, location: row.path, lastModified: iso(row.lastModified), size: row.size, tags: row.tags,
      eTag: row.etag, ...(row.sha256 ? { sha256: row.sha256 } : {}), ...(scope.subtenant ? { subtenantId: scope.subtenant } : {}),
    };
  }

  /** generateUploadObjectUrls / generateDownloadObjectUrls: `{paths:[{path}], subtenantId?}`. */
  signedUrls(caller: Caller, method: SignedMethod, body: unknown) {
    const b = (body ?? {}) as { paths?: unknown; subtenantId?: unknown };
    const scope = this.scope(caller, b.subtenantId);
    if (!Array.isArray(b.paths) || b.paths.length === 0) {
      throw DatalakeErrors.invalidPath({ field: 'paths', path: '', rule: 'paths must be a non-empty array of {"path": "folder/file.ext"}' });
    }
    if (b.paths.length > MAX_URL_PATHS) throw DatalakeErrors.tooManyPaths({ count: b.paths.length, max: MAX_URL_PATHS });
    const expires = Math.floor(this.d.now() / 1000) + this.d.signedUrlSeconds;
    const objectUrls = b.paths.map((p: unknown, i: number) => {
      const path = checkPath((p as { path?: unknown } | null)?.path, 'object', `paths[${i}].path`);
      return { signedUrl: this.d.signer.url(this.d.publicUrl(), { method, scope, path }, expires), path };
    });
    return { objectUrls, ...(scope.subtenant ? { subtenantId: scope.subtenant } : {}) };
  }

  /** The scope and path a signed URL grants, or 403. */
  verifySigned(method: string, rawPath: string, query: Record<string, unknown>): { scope: Scope; path: string } {
    const scope = this.d.signer.verify(method, rawPath, query, Math.floor(this.d.now() / 1000));
    return { scope, path: checkPath(rawPath, 'object') };
  }

  private async refuseDuringUpload(scope: Scope, path: string): Promise<void> {
    if (await this.d.store.openUploadOn(keyOf(scope), path, this.d.now())) throw DatalakeErrors.uploadInProgress({ path });
  }

  /** Streams an upload into the store, atomically, then indexes it (MODIFY event). */
  async put(scope: Scope, path: string, input: UploadInput, maxBytes: number) {
    if (input.length !== undefined && input.length > maxBytes) throw DatalakeErrors.objectTooLarge({ limit: maxBytes });
    await this.refuseDuringUpload(scope, path);
    let stored;
    try {
      stored = await this.d.objects.put(storageKey(scope, path), input.body, {
        maxBytes, ...(input.length !== undefined ? { expectedSize: input.length } : {}),
      });
    } catch (err) {
      throw storeError(err, maxBytes);
    }
    const row = await this.d.store.putObject({
      ...keyOf(scope), path, size: stored.size, etag: stored.etag, md5: stored.md5 ?? null, sha256: stored.sha256 ?? null,
      lastModified: this.d.now(),
    }, { type: 'MODIFY', path, at: this.d.now() });
    this.d.onEvents();
    return this.metadataOf(scope, row);
  }

  /** The object's bytes (or a range of them); 404 when the index does not list it. */
  async open(scope: Scope, path: string, rangeOf?: ByteRange | ((size: number) => ByteRange | undefined)):
    Promise<{ row: ObjectRow; stream: ObjectStream }> {
    const row = await this.d.store.getObject(keyOf(scope), path);
    if (!row) throw DatalakeErrors.objectNotFound({ path });
    const range = typeof rangeOf === 'function' ? rangeOf(row.size) : rangeOf;
    let stream: ObjectStream | undefined;
    try {
      stream = await this.d.objects.get(storageKey(scope, path), range);
    } catch (err) {
      if (err instanceof ObjectStoreError && err.kind === 'badRange') {
        throw DatalakeErrors.badRange({ range: `${range?.start ?? ''}-${range?.end ?? ''}`, size: row.size });
      }
      throw err;
    }
    if (!stream) throw DatalakeErrors.objectNotFound({ path });
    return { row, stream };
  }

  async delete(scope: Scope, path: string): Promise<boolean> {
    await this.refuseDuringUpload(scope, path);
    const removed = await this.d.store.deleteObject(keyOf(scope), path, { type: 'DELETE', path, at: this.d.now() });
    if (removed) {
      await this.d.objects.delete(storageKey(scope, path));
      this.d.onEvents();
    }
    return removed;
  }

  /** GET /objectMetadata/{path}: an object, or a folder (size 0) when the path names one. */
  async metadata(scope: Scope, rawPath: string) {
    const path = checkPath(rawPath.replace(/\/$/, ''), 'object');
    const row = await this.d.store.getObject(keyOf(scope), path);
    if (row) return this.metadataOf(scope, row);
    if (await this.d.store.folderExists(keyOf(scope), `${path}/`)) {
      return { name: splitPath(path).name, path: `${path}/`, location: `${path}/`, size: 0, tags: [],
        ...(scope.subtenant ? { subtenantId: scope.subtenant } : {}) };
    }
    throw DatalakeErrors.objectNotFound({ path });
  }

  async setTags(scope: Scope, rawPath: string, body: unknown) {
    const path = checkPath(rawPath, 'object');
    const tags = (body as { tags?: unknown } | null)?.tags;
    if (!Array.isArray(tags)) throw DatalakeErrors.invalidTag({ index: 'tags', rule: 'tags must be an array of strings' });
    if (tags.length > MAX_TAGS) throw DatalakeErrors.tooManyTags({ count: tags.length, max: MAX_TAGS });
    tags.forEach((t, i) => {
      if (typeof t !== 'string' || t.length === 0) throw DatalakeErrors.invalidTag({ index: i, rule: 'a tag must be a non-empty string' });
      if ([...t].length > MAX_TAG_CHARS) throw DatalakeErrors.invalidTag({ index: i, rule: `a tag has at most ${MAX_TAG_CHARS} characters, this one ${[...t].length}` });
    });
    await this.refuseDuringUpload(scope, path);
    const row = await this.d.store.setTags(keyOf(scope), path, [...new Set(tags as string[])]);
    if (!row) throw DatalakeErrors.objectNotFound({ path });
    return this.metadataOf(scope, row);
  }

  /** GET /objects?path: the direct children of a folder (folders end with "/"), or the one object a path names. */
  async list(scope: Scope, rawPath: unknown, pageToken: unknown, size: unknown) {
    const limit = pageSize(size, MAX_LIST_SIZE, MAX_LIST_SIZE);
    const raw = rawPath === undefined ? '' : rawPath;
    const base = { storageAccount: this.d.storageAccount, ...(scope.subtenant ? { subtenantId: scope.subtenant } : {}) };
    if (typeof raw === 'string' && raw !== '' && raw !== '/' && !raw.endsWith('/')) {
      const path = checkPath(raw, 'object');
      const row = await this.d.store.getObject(keyOf(scope), path);
      if (row) return { objects: [entry(row)], page: {}, path, ...base };
    }
    const folder = checkPath(typeof raw === 'string' && raw !== '' && !raw.endsWith('/') ? `${raw}/` : raw, 'folder');
    const after = decodeToken(pageToken);
    const rows = await this.d.store.listChildren(keyOf(scope), folder, after, limit + 1);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page.at(-1)?.path : undefined;
    return { objects: page.map(entry), page: next ? { nextToken: encodeToken(next) } : {}, path: folder || '/', ...base };
  }

  /** GET /objectMetadata?filter: objects under `under` matching the filter; subtenantId "**" spans every subtenant. */
  async search(caller: Caller, rawUnder: string, q: { filter?: unknown; subtenantId?: unknown; size?: unknown; page?: unknown }) {
    if (typeof q.filter !== 'string' || q.filter === '') {
      throw DatalakeErrors.invalidFilter({ rule: 'the filter parameter is required, like {"none":{"name":{"contains":"sensor"}}}' });
    }
    const where = toSql(parseFilter(q.filter));
    const all = q.subtenantId === '**' && caller.subtenant === undefined;
    const scope = all ? { tenant: caller.tenant, subtenant: undefined } : this.scope(caller, q.subtenantId);
    const under = checkPath(rawUnder, 'folder');
    const size = pageSize(q.size, 10, MAX_LIST_SIZE);
    const page = pageNumber(q.page);
    const { rows, total } = await this.d.store.search(scope.tenant, all ? undefined : [keyOf(scope).sub], where, under, page * size, size);
    return {
      objectMetadata: rows.map((r) => ({
        name: splitPath(r.path).name, location: r.path, path: r.path, lastModified: iso(r.lastModified), size: r.size, tags: r.tags,
        storageAccount: this.d.storageAccount, storagePath: storageKey({ tenant: r.tenant, subtenant: r.sub || undefined }, r.path),
        ...(r.sub ? { subtenantId: r.sub } : {}),
      })),
      page: pageInfo(size, total, page),
    };
  }

  /**
   * The folder interface (OData folder contracts): the objects under a folder, page by page in path order,
   * directly inside it or (`recursive`) anywhere below. `after` is the last path of the previous page.
   */
  async folderObjects(scope: Scope, folder: string, options: { recursive?: boolean; after?: string; limit?: number } = {}):
    Promise<{ objects: FolderEntry[]; next?: string }> {
    const f = checkPath(folder, 'folder');
    const limit = Math.min(Math.max(1, options.limit ?? 100), MAX_LIST_SIZE);
    const rows: Array<ChildRow | ObjectRow> = options.recursive
      ? await this.d.store.listUnder(keyOf(scope), f, options.after, limit + 1)
      : (await this.d.store.listChildren(keyOf(scope), f, options.after, limit + 1));
    const page = rows.slice(0, limit);
    const objects = page.filter((r) => !('folder' in r && r.folder)).map((r) => ({
      path: r.path, name: splitPath(r.path).name, size: r.size, lastModified: new Date(r.lastModified), tags: r.tags,
    }));
    return { objects, ...(rows.length > limit ? { next: page.at(-1)!.path } : {}) };
  }

  /** The folder interface: an object's content as a stream (with its size and tag), or undefined. */
  async openObject(scope: Scope, path: string, range?: ByteRange): Promise<{ entry: FolderEntry; etag: string; body: Readable } | undefined> {
    try {
      const { row, stream } = await this.open(scope, checkPath(path, 'object'), range);
      return { entry: { path: row.path, name: splitPath(row.path).name, size: row.size, lastModified: new Date(row.lastModified), tags: row.tags },
        etag: row.etag, body: stream.body };
    } catch (err) {
      if ((err as { code?: string }).code === DatalakeErrors.objectNotFound.code) return undefined;
      throw err;
    }
  }
}

function entry(r: ChildRow | ObjectRow) {
  const isFolder = 'folder' in r && r.folder;
  return isFolder ? { path: r.path, size: 0 } : { path: r.path, lastModified: iso(r.lastModified), size: r.size };
}

function decodeToken(t: unknown): string | undefined {
  if (t === undefined || t === '') return undefined;
  if (typeof t !== 'string' || !/^[A-Za-z0-9_-]+$/.test(t)) throw DatalakeErrors.invalidToken({});
  return Buffer.from(t, 'base64url').toString('utf8');
}

export function pageSize(raw: unknown, dflt: number, max: number): number {
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw Generic.invalidParameter({ name: 'size', rule: `must be a whole number 1..${max}` });
  return n;
}

/** The `page` object of Data Lake lists (Spring style, Insights Hub API paging). */
export const pageInfo = (size: number, total: number, number: number) =>
  ({ size, totalElements: total, totalPages: Math.ceil(total / size), number });

/** size and page of a list request, checked: `{offset, size, page}`. */
export function paging(q: { size?: unknown; page?: unknown }, dflt: number, max: number): { offset: number; size: number; page: number } {
  const size = pageSize(q.size, dflt, max);
  const page = pageNumber(q.page);
  return { offset: page * size, size, page };
}

/** Maps what the object store refuses to the service's errors; other failures stay as they are (500). */
export function storeError(err: unknown, maxBytes: number): unknown {
  if (!(err instanceof ObjectStoreError)) return err;
  if (err.kind === 'tooLarge') return DatalakeErrors.objectTooLarge({ limit: err.limit ?? maxBytes });
  if (err.kind === 'sizeMismatch') return DatalakeErrors.lengthMismatch({ reason: err.message });
  return err;
}
