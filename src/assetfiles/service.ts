/**
 * Asset Management files (Asset Management API v3 `/files`): uploaded with a name, scope and description, at most
 * 5 MB each, listed with the filter language and paging, downloaded, replaced with If-Match, deleted unless an
 * asset or asset type has it assigned. Bytes live in the platform's object store under `assetfiles/{tenant}/`, one
 * key per content version, so a replace that fails leaves the previous content in place. Knows nothing of HTTP:
 * a form is a sequence of fields and one file stream.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Generic } from '../core/errors.js';
import { parseFilter, toSql, type FieldSpec } from '../core/filter.js';
import { iso } from '../core/instant.js';
import { pageNumber } from '../core/paging.js';
import { ObjectStoreError, type ObjectStore, type ObjectStream } from '../objectstore/index.js';
import type { AssetFileStore, FileRow } from './store.js';

export type FormPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; field: string; filename: string; mimeType: string; stream: Readable };

export interface AssetFileDeps {
  store: AssetFileStore;
  objects: ObjectStore;
  maxBytes: number;
  maxPageSize: number;
  now: () => number;
  /** Whether an asset or asset type of the tenant assigns the file (Asset Management, through its service). */
  inUse: (tenant: string, fileId: string) => Promise<boolean>;
}

const FIELDS: FieldSpec = { id: 'string', name: 'string', originalFileName: 'string', description: 'string', scope: 'string',
  mediaType: 'string', uploaded: 'date', lastModified: 'date', size: 'number' };
const COLUMNS: Record<string, string> = { id: 'id', name: 'name', originalFileName: 'original_file_name', description: 'description',
  scope: 'scope', mediaType: 'media_type', uploaded: 'uploaded', lastModified: 'last_modified', size: 'size' };
const ID = /^[a-f0-9]{32}$/;
const MAX_NAME = 255;
const MAX_DESCRIPTION = 2048;

const notFound = (id: string) => Generic.noMatch({ resource: `file ${id}` });
const keyOf = (tenant: string, id: string, etag: number) => `assetfiles/${tenant}/${id}/${etag}`;

function checkIfMatch(raw: string | undefined, etag: number, id: string): void {
  if (raw === undefined || raw.trim() === '') throw Generic.preconditionRequired({ header: 'If-Match' });
  const m = /^(?:W\/)?"?(\d{1,15}|\*)"?$/.exec(raw.trim());
  if (!m) throw Generic.invalidParameter({ name: 'If-Match', rule: 'must be an integer etag such as "3"' });
  if (m[1] !== '*' && Number(m[1]) !== etag) {
    throw Generic.preconditionFailed({ reason: `If-Match ${m[1]} does not match the current etag ${etag} of file ${id}` });
  }
}

export interface FileListQuery { page?: string; size?: string; sort?: string; filter?: string }

export class AssetFileService {
  constructor(private readonly d: AssetFileDeps) {}

  async view(f: FileRow) {
    return {
      id: f.id, name: f.name, originalFileName: f.originalFileName, description: f.description, tenantId: f.tenant, subTenant: null,
      mediaType: f.mediaType, size: f.size, uploaded: iso(f.uploaded), lastModified: iso(f.lastModified),
      isAssigned: await this.d.inUse(f.tenant, f.id), scope: f.scope, etag: f.etag,
    };
  }

  /** Reads a form: its one file goes to the store (under `key`) as it streams, the fields are collected. */
  private async readForm(form: AsyncIterable<FormPart>, key: string) {
    const fields = new Map<string, string>();
    let file: { filename: string; mimeType: string; size: number; sha256: string } | undefined;
    try {
      for await (const part of form) {
        if (part.kind === 'field') { fields.set(part.name, part.value); continue; }
        if (part.field !== 'file' || file) {
          part.stream.resume();
          throw Generic.invalidRequestBodyProperty({ name: part.field, rule: 'the form takes one file, in the field "file"' });
        }
        const put = await this.d.objects.put(key, part.stream, { maxBytes: this.d.maxBytes, contentType: part.mimeType });
        file = { filename: part.filename, mimeType: part.mimeType || 'application/octet-stream', size: put.size, sha256: put.sha256 ?? '' };
      }
    } catch (err) {
      await this.d.objects.delete(key).catch(() => undefined);
      if (err instanceof ObjectStoreError && err.kind === 'tooLarge') throw Generic.payloadTooLarge({ limit: this.d.maxBytes });
      throw err;
    }
    try {
      if (!file) throw Generic.missingRequestBodyProperty({ name: 'file' });
      const name = fields.get('name') ?? file.filename;
      if (!name || name.length > MAX_NAME) throw Generic.invalidRequestBodyProperty({ name: 'name', rule: `must be 1..${MAX_NAME} characters` });
      const description = fields.get('description') ?? '';
      if (description.length > MAX_DESCRIPTION) {
        throw Generic.invalidRequestBodyProperty({ name: 'description', rule: `must be at most ${MAX_DESCRIPTION} characters` });
      }
      const scope = (fields.get('scope') ?? 'PRIVATE').toUpperCase();
      if (scope !== 'PRIVATE' && scope !== 'PUBLIC') throw Generic.invalidRequestBodyProperty({ name: 'scope', rule: 'must be PRIVATE or PUBLIC' });
      return { ...file, name, description, scope: scope as FileRow['scope'] };
    } catch (err) {
      await this.d.objects.delete(key).catch(() => undefined);
      throw err;
    }
  }

  async create(tenant: string, form: AsyncIterable<FormPart>) {
    const id = randomBytes(16).toString('hex');
    const key = keyOf(tenant, id, 0);
    const f = await this.readForm(form, key);
    const now = this.d.now();
    const row: FileRow = { tenant, id, name: f.name, originalFileName: f.filename || f.name, description: f.description, scope: f.scope,
      mediaType: f.mimeType, size: f.size, sha256: f.sha256 || null, contentKey: key, etag: 0, uploaded: now, lastModified: now };
    await this.d.store.create(row);
    return this.view(row);
  }

  private async find(tenant: string, id: string): Promise<FileRow> {
    const f = ID.test(id) ? await this.d.store.get(tenant, id) : undefined;
    if (!f) throw notFound(id);
    return f;
  }

  async get(tenant: string, id: string) {
    return this.view(await this.find(tenant, id));
  }

  async content(tenant: string, id: string): Promise<{ file: FileRow; stream: ObjectStream }> {
    const file = await this.find(tenant, id);
    const stream = await this.d.objects.get(file.contentKey);
    if (!stream) throw notFound(id);
    return { file, stream };
  }

  /** PUT /files/{id}: new content and metadata in one form, guarded by If-Match. */
  async replace(tenant: string, id: string, ifMatch: string | undefined, form: AsyncIterable<FormPart>) {
    const current = await this.find(tenant, id);
    checkIfMatch(ifMatch, current.etag, id);
    const key = keyOf(tenant, id, current.etag + 1);
    const f = await this.readForm(form, key);
    const next: FileRow = { ...current, name: f.name, originalFileName: f.filename || f.name, description: f.description, scope: f.scope,
      mediaType: f.mimeType, size: f.size, sha256: f.sha256 || null, contentKey: key, etag: current.etag + 1, lastModified: this.d.now() };
    if (!(await this.d.store.update(next, current.etag))) {
      await this.d.objects.delete(key).catch(() => undefined);
      throw Generic.preconditionFailed({ reason: `file ${id} was changed concurrently; read it again and retry with its new etag` });
    }
    await this.d.objects.delete(current.contentKey).catch(() => undefined);
    return this.view(next);
  }

  async delete(tenant: string, id: string, ifMatch: string | undefined): Promise<void> {
    const current = await this.find(tenant, id);
    checkIfMatch(ifMatch, current.etag, id);
    if (await this.d.inUse(tenant, id)) {
      throw Generic.conflict({ reason: `file ${id} is assigned to an asset or asset type; remove the file assignments first` });
    }
    if (!(await this.d.store.delete(tenant, id, current.etag))) {
      throw Generic.preconditionFailed({ reason: `file ${id} was changed concurrently; read it again and retry with its new etag` });
    }
    await this.d.objects.delete(current.contentKey).catch(() => undefined);
  }

  async list(tenant: string, q: FileListQuery) {
    const page = pageNumber(q.page);
    const size = q.size === undefined || q.size === '' ? 10 : Number(q.size);
    if (!Number.isInteger(size) || size < 1 || size > this.d.maxPageSize) {
      throw Generic.invalidParameter({ name: 'size', rule: `must be a whole number 1..${this.d.maxPageSize}` });
    }
    const node = parseFilter(q.filter, FIELDS);
    const where = node ? toSql(node, (field) => COLUMNS[field]!) : { sql: '1', params: [] };
    const [field, dir] = (q.sort ?? 'name,asc').split(',').map((x) => x.trim());
    const column = COLUMNS[field ?? ''];
    if (!column) throw Generic.invalidParameter({ name: 'sort', rule: `must name one of ${Object.keys(COLUMNS).join(', ')}` });
    const direction = (dir ?? 'asc').toLowerCase();
    if (direction !== 'asc' && direction !== 'desc') throw Generic.invalidParameter({ name: 'sort', rule: 'the direction must be asc or desc' });
    const { rows, total } = await this.d.store.list(tenant, { where, orderBy: `${column} ${direction}, id`, offset: page * size, limit: size });
    return { items: await Promise.all(rows.map((r) => this.view(r))), page, size, total };
  }

  /** The ids among `ids` that name no file of the tenant (Asset Management checks file assignments with it). */
  missing(tenant: string, ids: readonly string[]): Promise<string[]> {
    return this.d.store.missing(tenant, ids);
  }
}

