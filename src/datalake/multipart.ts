/**
 * Multipart uploads of the Integrated Data Lake (API v4 "multipart upload" for objects beyond one request):
 * start on a path, send parts of at most one request each (any order, resendable), complete within the window
 * (24 h) or abort. While an upload is open its path takes no other upload, metadata change or delete; an expired
 * upload is aborted by the sweep or on first touch. Parts go to the object store's multipart upload; the index
 * keeps each part's tag and size, so a client can ask what arrived and resume.
 */
import { randomUUID } from 'node:crypto';
import { iso } from '../core/instant.js';
import { ObjectStoreError, type ObjectStore } from '../objectstore/index.js';
import { DatalakeErrors } from './errors.js';
import { checkPath, show, storageKey, type Scope } from './paths.js';
import { keyOf, storeError, type DatalakeService, type UploadInput } from './service.js';
import type { DatalakeStore, UploadRow } from './store.js';

export interface MultipartDeps {
  store: DatalakeStore;
  objects: ObjectStore;
  service: DatalakeService;
  now: () => number;
  windowMs: number;
  maxPartBytes: number;
  minPartBytes: number;
  onEvents: () => void;
  warn: (msg: string, err: unknown) => void;
}

export class MultipartService {
  constructor(private readonly d: MultipartDeps) {}

  private view(u: UploadRow) {
    return { uploadId: u.id, path: u.path, timeout: iso(u.expires), ...(u.sub ? { subtenantId: u.sub } : {}) };
  }

  async start(scope: Scope, body: unknown) {
    const path = checkPath((body as { path?: unknown } | null)?.path, 'object');
    const now = this.d.now();
    if (await this.d.store.openUploadOn(keyOf(scope), path, now)) throw DatalakeErrors.uploadInProgress({ path });
    const storeId = await this.d.objects.createMultipart(storageKey(scope, path));
    const row: UploadRow = { ...keyOf(scope), id: randomUUID().replace(/-/g, ''), path, storeId, created: now, expires: now + this.d.windowMs };
    if (!(await this.d.store.createUpload(row))) {
      await this.d.objects.abortMultipart(storageKey(scope, path), storeId).catch(() => undefined);
      throw DatalakeErrors.uploadInProgress({ path });
    }
    return this.view(row);
  }

  /** The open upload, or 404; an expired one is aborted on the way. */
  private async open(scope: Scope, id: string): Promise<UploadRow> {
    const u = await this.d.store.getUpload(keyOf(scope), id);
    if (!u) throw DatalakeErrors.uploadNotFound({ uploadId: id });
    if (u.expires <= this.d.now()) {
      await this.end(u);
      throw DatalakeErrors.uploadNotFound({ uploadId: id });
    }
    return u;
  }

  async status(scope: Scope, id: string) {
    const u = await this.open(scope, id);
    const parts = await this.d.store.parts(u, u.id);
    return { ...this.view(u), parts: parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag, size: p.size })) };
  }

  async putPart(scope: Scope, id: string, rawNumber: string, input: UploadInput) {
    const partNumber = Number(rawNumber);
    if (!/^\d{1,5}$/.test(rawNumber) || partNumber < 1 || partNumber > 10_000) {
      throw DatalakeErrors.invalidPart({ rule: `part number ${rawNumber.slice(0, 20)} is not a whole number 1..10000` });
    }
    if (input.length !== undefined && input.length > this.d.maxPartBytes) throw DatalakeErrors.objectTooLarge({ limit: this.d.maxPartBytes });
    const u = await this.open(scope, id);
    let part;
    try {
      part = await this.d.objects.putPart(storageKey(scope, u.path), u.storeId, partNumber, input.body, {
        maxBytes: this.d.maxPartBytes, ...(input.length !== undefined ? { expectedSize: input.length } : {}),
      });
    } catch (err) {
      if (err instanceof ObjectStoreError && err.kind === 'noUpload') throw DatalakeErrors.uploadNotFound({ uploadId: id });
      throw storeError(err, this.d.maxPartBytes);
    }
    if (!(await this.d.store.putPart(u, u.id, { partNumber, etag: part.etag, size: part.size, sha256: part.sha256 }))) {
      throw DatalakeErrors.uploadNotFound({ uploadId: id }); // aborted meanwhile
    }
    return { uploadId: u.id, partNumber, etag: part.etag, size: part.size, sha256: part.sha256 };
  }

  /** Joins the parts (all that arrived, or those listed) in part order; every part but the last must be big enough. */
  async complete(scope: Scope, id: string, body: unknown) {
    const u = await this.open(scope, id);
    const stored = await this.d.store.parts(u, u.id);
    const listed = (body as { parts?: unknown } | null)?.parts;
    let chosen = stored;
    if (listed !== undefined) {
      if (!Array.isArray(listed) || listed.length === 0) throw DatalakeErrors.invalidPart({ rule: 'parts must be a non-empty array of {partNumber, etag}' });
      chosen = listed.map((p: { partNumber?: unknown; etag?: unknown }, i) => {
        const have = stored.find((s) => s.partNumber === p?.partNumber);
        if (!have) throw DatalakeErrors.invalidPart({ rule: `parts[${i}]: part ${show(p?.partNumber)} was not uploaded` });
        if (p.etag !== undefined && (typeof p.etag !== 'string' || p.etag.replace(/"/g, '') !== have.etag)) {
          throw DatalakeErrors.invalidPart({ rule: `parts[${i}]: etag ${show(p.etag)} is not that of part ${have.partNumber} (${have.etag})` });
        }
        return have;
      }).sort((a, b) => a.partNumber - b.partNumber);
      if (new Set(chosen.map((p) => p.partNumber)).size !== chosen.length) throw DatalakeErrors.invalidPart({ rule: 'a part is listed twice' });
    }
    if (chosen.length === 0) throw DatalakeErrors.invalidPart({ rule: 'no part was uploaded' });
    chosen.slice(0, -1).forEach((p) => {
      if (p.size < this.d.minPartBytes) {
        throw DatalakeErrors.invalidPart({ rule: `part ${p.partNumber} has ${p.size} bytes; every part but the last needs at least ${this.d.minPartBytes}` });
      }
    });
    const done = await this.d.objects.completeMultipart(storageKey(scope, u.path), u.storeId,
      chosen.map((p) => ({ partNumber: p.partNumber, etag: p.etag })));
    await this.d.store.endUpload(u, u.id);
    const row = await this.d.store.putObject({
      ...keyOf(scope), path: u.path, size: done.size, etag: done.etag, md5: done.md5 ?? null, sha256: done.sha256 ?? null,
      lastModified: this.d.now(),
    }, { type: 'MODIFY', path: u.path, at: this.d.now() });
    this.d.onEvents();
    return this.d.service.metadataOf(scope, row);
  }

  async abort(scope: Scope, id: string): Promise<void> {
    const u = await this.d.store.getUpload(keyOf(scope), id);
    if (!u) throw DatalakeErrors.uploadNotFound({ uploadId: id });
    await this.end(u);
  }

  /** Ends an upload in the index (which is what frees the path), then discards its parts in the store. */
  private async end(u: UploadRow): Promise<void> {
    if (!(await this.d.store.endUpload(u, u.id))) return;
    const key = storageKey({ tenant: u.tenant, subtenant: u.sub || undefined }, u.path);
    // Some S3-compatible stores cannot abort; the parts are then left to the bucket's lifecycle rules.
    await this.d.objects.abortMultipart(key, u.storeId).catch((err: unknown) => this.d.warn('multipart parts not discarded', err));
  }

  /** Aborts uploads whose window has passed; returns how many. */
  async sweep(): Promise<number> {
    const expired = await this.d.store.expiredUploads(this.d.now(), 100);
    for (const u of expired) await this.end(u);
    return expired.length;
  }
}
