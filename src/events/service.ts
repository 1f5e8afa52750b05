/**
 * Event Management (Insights Hub "Event Management API v3"): the tenant's event types and its events, as the
 * MindConnect SDK's agent (`PostEvent`) and the `mc` CLI (`create-event`, `events`, `event-types`) use them.
 * An event belongs to an asset of the tenant (asked of the `entities` port), is checked against its type's typed
 * fields, listed with the JSON filter language and HAL paging, and updated with If-Match. Knows nothing of HTTP.
 */
import { randomUUID } from 'node:crypto';
import { Generic } from '../core/errors.js';
import { evaluate, MAX_FILTER_NESTING, parseFilter, toSql, type FieldKind } from '../core/filter.js';
import { nestingBeyond } from '../core/json.js';
import { iso, parseInstant } from '../core/instant.js';
import { pageNumber } from '../core/paging.js';
import { checkIfMatch, concurrentChange, EventErrors } from './errors.js';
import { EVENT_COLUMNS, type EventRow, type EventStore, type EventTypeRow, type FieldDef } from './store.js';
import { BASE_FIELDS, BASIC_EVENT, newType, patchType, SHARED_TYPES, sharedType, STANDARD_EVENT } from './types.js';

export interface EventDeps {
  store: EventStore;
  /** Whether `id` names an asset (an entity) of the tenant. */
  entityExists: (tenant: string, id: string) => Promise<boolean>;
  maxPageSize: number;
  now: () => number;
}

export interface ListQuery { page?: string; size?: string; sort?: string; filter?: string }
export interface Page<T> { items: T[]; page: number; size: number; total: number }

const MAX_TEXT = 2048;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Properties of a response a client may send back unchanged (the SDK reads an event and puts it back). */
const READ_ONLY = new Set(['id', 'etag', '_links', 'sharing', 'tenantId']);
const bad = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const KIND: Record<FieldDef['type'], FieldKind> = { STRING: 'string', LINK: 'string', UUID: 'string', ENUM: 'string',
  TIMESTAMP: 'date', INTEGER: 'number', DOUBLE: 'number', BOOLEAN: 'boolean' };

/** One value against its field's type; returns what is stored (timestamps as given, checked). */
function checkValue(f: FieldDef, v: unknown): unknown {
  if (v === null) return null;
  const rule = (r: string) => bad(f.name, r);
  switch (f.type) {
    case 'STRING': if (typeof v !== 'string' || v.length > MAX_TEXT) throw rule(`must be a string of at most ${MAX_TEXT} characters`); return v;
    case 'LINK': if (typeof v !== 'string' || !URL.canParse(v)) throw rule('must be an absolute URL (LINK)'); return v;
    case 'UUID': if (typeof v !== 'string' || !UUID.test(v)) throw rule('must be a UUID such as 123e4567-e89b-12d3-a456-426614174000'); return v;
    case 'ENUM': if (typeof v !== 'string' || !f.values?.includes(v)) throw rule(`must be one of ${(f.values ?? []).join(', ')}`); return v;
    case 'INTEGER': if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw rule('must be a whole number (INTEGER)'); return v;
    case 'DOUBLE': if (typeof v !== 'number' || !Number.isFinite(v)) throw rule('must be a number (DOUBLE)'); return v;
    case 'BOOLEAN': if (typeof v !== 'boolean') throw rule('must be true or false (BOOLEAN)'); return v;
    case 'TIMESTAMP': {
      const t = parseInstant(v);
      if (typeof t !== 'number') throw rule(t);
      return iso(t);
    }
  }
}

export class EventService {
  constructor(private readonly d: EventDeps) {}

  // ---- event types ----

  viewType(t: EventTypeRow) {
    return { id: t.id, name: t.name, parentId: t.parentId || null, ttl: t.ttl, scope: t.scope, fields: t.fields, etag: t.etag };
  }

  /** A type the tenant sees: its own or a shared one; undefined when none. */
  private async typeOf(tenant: string, id: string): Promise<EventTypeRow | undefined> {
    return sharedType(id) ?? (await this.d.store.getType(tenant, id));
  }

  /** The fields of a type and its ancestors, own fields last. */
  private async fieldsOf(tenant: string, t: EventTypeRow): Promise<FieldDef[]> {
    const chain: FieldDef[][] = [];
    let cur: EventTypeRow | undefined = t;
    for (let depth = 0; cur && depth < 16; depth++) {
      chain.unshift(cur.fields);
      cur = cur.parentId ? await this.typeOf(tenant, cur.parentId) : undefined;
    }
    return chain.flat();
  }

  async createType(tenant: string, body: unknown) {
    if (!isObject(body)) throw Generic.malformedBody({ reason: 'the body must be a JSON object' });
    const parentId = body['parentId'] === undefined || body['parentId'] === null ? BASIC_EVENT : body['parentId'];
    const parent = typeof parentId === 'string' ? await this.typeOf(tenant, parentId) : undefined;
    if (!parent) throw bad('parentId', `must name core.basicevent or an event type of the tenant`);
    const row = newType(tenant, body, parent.id, await this.fieldsOf(tenant, parent));
    if (!(await this.d.store.createType(row))) throw EventErrors.typeExists({ id: row.id });
    return this.viewType(row);
  }

  async getType(tenant: string, id: string) {
    const t = await this.typeOf(tenant, id);
    if (!t) throw Generic.noMatch({ resource: `event type ${id}` });
    return this.viewType(t);
  }

  async listTypes(tenant: string, q: ListQuery): Promise<Page<ReturnType<EventService['viewType']>>> {
    const { page, size } = this.paging(q);
    const all = [...SHARED_TYPES, ...(await this.d.store.listTypes(tenant))];
    const fields = { id: 'string', name: 'string', parentId: 'string', scope: 'string', ttl: 'number' } as const;
    const node = parseFilter(q.filter, fields);
    const matched = all.filter((t) => evaluate(node, (f) => (t as unknown as Record<string, string | number>)[f] ?? null));
    const [field = 'name', dir = 'asc'] = (q.sort ?? 'name,asc').split(',').map((s) => s.trim());
    if (!(field in fields)) throw Generic.invalidParameter({ name: 'sort', rule: `must name one of ${Object.keys(fields).join(', ')}` });
    if (!/^(asc|desc)$/i.test(dir)) throw Generic.invalidParameter({ name: 'sort', rule: 'the direction must be asc or desc' });
    const key = (t: EventTypeRow) => String((t as unknown as Record<string, unknown>)[field] ?? '');
    matched.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (dir.toLowerCase() === 'desc' ? -1 : 1));
    return { items: matched.slice(page * size, page * size + size).map((t) => this.viewType(t)), page, size, total: matched.length };
  }

  private async ownType(tenant: string, id: string): Promise<EventTypeRow> {
    if (sharedType(id)) throw EventErrors.readOnlyType({ id });
    const t = await this.d.store.getType(tenant, id);
    if (!t) throw Generic.noMatch({ resource: `event type ${id}` });
    return t;
  }

  async patchType(tenant: string, id: string, ifMatch: string | undefined, body: unknown) {
    const current = await this.ownType(tenant, id);
    checkIfMatch(ifMatch, current.etag, `event type ${id}`);
    const parent = current.parentId ? await this.typeOf(tenant, current.parentId) : undefined;
    const inherited = parent ? await this.fieldsOf(tenant, parent) : [];
    const next = { ...patchType(current, body, inherited), etag: current.etag + 1 };
    if (!(await this.d.store.updateType(next, current.etag))) throw concurrentChange(`event type ${id}`);
    return this.viewType(next);
  }

  async deleteType(tenant: string, id: string, ifMatch: string | undefined): Promise<void> {
    const current = await this.ownType(tenant, id);
    checkIfMatch(ifMatch, current.etag, `event type ${id}`);
    const count = await this.d.store.countEvents(tenant, id);
    if (count > 0) throw EventErrors.typeInUse({ id, count });
    const children = (await this.d.store.listTypes(tenant)).filter((t) => t.parentId === id);
    if (children.length > 0) throw Generic.conflict({ reason: `event type ${id} is the parent of ${children[0]!.id}` });
    if (!(await this.d.store.deleteType(tenant, id, current.etag))) throw concurrentChange(`event type ${id}`);
  }

  // ---- events ----

  viewEvent(e: EventRow) {
    return { id: e.id, typeId: e.typeId, correlationId: e.correlationId, timestamp: iso(e.timestamp), entityId: e.entityId,
      severity: e.severity, description: e.description, code: e.code, source: e.source, sourceType: e.sourceType, sourceId: e.sourceId,
      acknowledged: e.acknowledged, ...e.custom, etag: e.etag };
  }

  /** The event's fields from a body, checked against its type; `current` for an update (entityId and typeId stay). */
  private async readEvent(tenant: string, body: unknown, current?: EventRow): Promise<EventRow> {
    if (!isObject(body)) throw Generic.malformedBody({ reason: 'the body must be a JSON object' });
    const typeId = body['typeId'] ?? current?.typeId ?? STANDARD_EVENT;
    if (current && typeId !== current.typeId) throw bad('typeId', 'cannot be changed by an update');
    const type = typeof typeId === 'string' ? await this.typeOf(tenant, typeId) : undefined;
    if (!type || typeId === BASIC_EVENT) throw bad('typeId', 'must name an event type of the tenant (or be left out for the standard event)');
    const own = (await this.fieldsOf(tenant, type));
    const byName = new Map([...BASE_FIELDS, ...own].map((f) => [f.name, f]));
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (READ_ONLY.has(k) || k === 'typeId') continue;
      const f = byName.get(k);
      if (!f) throw bad(k, `is not a field of event type ${type.id}`);
      if (v === undefined) continue;
      values[k] = checkValue(f, v);
    }
    const was = current ? (this.viewEvent(current) as Record<string, unknown>) : undefined;
    for (const f of [...BASE_FIELDS, ...own]) {
      if (was && !(f.name in values)) values[f.name] = was[f.name] ?? null;
      if (f.required && (values[f.name] === undefined || values[f.name] === null)) throw Generic.missingRequestBodyProperty({ name: f.name });
      if (was && !f.updatable && values[f.name] !== (was[f.name] ?? null)) throw bad(f.name, `is not updatable in event type ${type.id}`);
    }
    const entityId = values['entityId'] as string;
    if (!current && !(await this.d.entityExists(tenant, entityId))) throw bad('entityId', 'must name an asset of the tenant');
    const custom: Record<string, unknown> = {};
    for (const f of own) if (values[f.name] !== undefined && values[f.name] !== null) custom[f.name] = values[f.name];
    const text = (k: string) => (values[k] ?? null) as string | null;
    return { tenant, id: current?.id ?? randomUUID(), typeId: type.id, entityId, correlationId: text('correlationId'),
      timestamp: Date.parse(values['timestamp'] as string), severity: (values['severity'] ?? null) as number | null,
      description: text('description'), code: text('code'), source: text('source'), sourceType: text('sourceType'),
      sourceId: text('sourceId'), acknowledged: (values['acknowledged'] ?? null) as boolean | null, custom,
      etag: current ? current.etag + 1 : 0 };
  }

  async createEvent(tenant: string, body: unknown) {
    const row = await this.readEvent(tenant, body);
    await this.d.store.createEvent(row);
    return this.viewEvent(row);
  }

  /** Several events, each checked before any is stored (an agent's MQTT event message is refused whole). */
  async createEvents(tenant: string, bodies: readonly unknown[]) {
    const rows: EventRow[] = [];
    for (const b of bodies) rows.push(await this.readEvent(tenant, b));
    for (const row of rows) await this.d.store.createEvent(row);
    return rows.map((r) => this.viewEvent(r));
  }

  private async findEvent(tenant: string, id: string): Promise<EventRow> {
    const e = UUID.test(id) ? await this.d.store.getEvent(tenant, id) : undefined;
    if (!e) throw Generic.noMatch({ resource: `event ${id}` });
    return e;
  }

  async getEvent(tenant: string, id: string) {
    return this.viewEvent(await this.findEvent(tenant, id));
  }

  async updateEvent(tenant: string, id: string, ifMatch: string | undefined, body: unknown) {
    const current = await this.findEvent(tenant, id);
    checkIfMatch(ifMatch, current.etag, `event ${id}`);
    const next = await this.readEvent(tenant, body, current);
    if (!(await this.d.store.updateEvent(next, current.etag))) throw concurrentChange(`event ${id}`);
    return this.viewEvent(next);
  }

  async listEvents(tenant: string, q: ListQuery): Promise<Page<ReturnType<EventService['viewEvent']>>> {
    const { page, size } = this.paging(q);
    const where = await this.where(tenant, q.filter);
    const [field = 'timestamp', dir = 'desc', ...rest] = (q.sort ?? 'timestamp,desc').split(',').map((s) => s.trim());
    const column = EVENT_COLUMNS[field];
    if (!column || rest.length > 0) throw Generic.invalidParameter({ name: 'sort', rule: `must be "field,asc|desc" with a field of ${Object.keys(EVENT_COLUMNS).join(', ')}` });
    if (!/^(asc|desc)$/i.test(dir)) throw Generic.invalidParameter({ name: 'sort', rule: 'the direction must be asc or desc' });
    const { rows, total } = await this.d.store.listEvents(tenant, { where, orderBy: `${column} ${dir.toLowerCase()}, id`, offset: page * size, limit: size });
    return { items: rows.map((r) => this.viewEvent(r)), page, size, total };
  }

  /** The filter as SQL over the store's columns: the standard fields and the filterable fields of the tenant's types. */
  private async where(tenant: string, filter: string | undefined) {
    const kinds: Record<string, FieldKind> = {};
    const columns: Record<string, string> = { ...EVENT_COLUMNS };
    for (const f of BASE_FIELDS) kinds[f.name] = KIND[f.type];
    kinds['id'] = 'string';
    kinds['typeId'] = 'string';
    for (const t of await this.d.store.listTypes(tenant)) {
      for (const f of t.fields) {
        if (!f.filterable || f.name in kinds) continue;
        kinds[f.name] = KIND[f.type];
        columns[f.name] = `json_extract(custom, '$.${f.name}')`;
      }
    }
    return toSql(parseFilter(filter, kinds), (field) => columns[field]!);
  }

  /** POST /deleteEventsJobs: deletes the matching events at once; the job is recorded FINISHED with the count. */
  async deleteEvents(tenant: string, body: unknown) {
    const filter = isObject(body) ? body['filter'] : undefined;
    if (!isObject(filter) || Object.keys(filter).length === 0) {
      throw Generic.invalidRequestBodyProperty({ name: 'filter', rule: 'must be a non-empty filter object, e.g. {"entityId":"…"}' });
    }
    // Checked iteratively before JSON.stringify (recursive) walks it.
    if (nestingBeyond(filter, MAX_FILTER_NESTING) !== null) throw bad('filter', `must nest at most ${MAX_FILTER_NESTING} levels`);
    const where = await this.where(tenant, JSON.stringify(filter));
    if (where.sql === '1') throw bad('filter', 'names none of the event fields, so it would delete every event');
    const job = { tenant, id: randomUUID(), filter, state: 'FINISHED' as const, deleted: 0, created: this.d.now() };
    job.deleted = await this.d.store.deleteEvents(tenant, where, job);
    return this.viewJob(job);
  }

  async getDeleteJob(tenant: string, id: string) {
    const job = await this.d.store.getDeleteJob(tenant, id);
    if (!job) throw Generic.noMatch({ resource: `delete events job ${id}` });
    return this.viewJob(job);
  }

  private viewJob(j: { id: string; filter: unknown; state: string; deleted: number }) {
    return { id: j.id, filter: j.filter, state: j.state, details: { resultCode: '200', resultDescription: `${j.deleted} events deleted` } };
  }

  private paging(q: ListQuery): { page: number; size: number } {
    const page = pageNumber(q.page);
    let size = q.size === undefined || q.size === '' ? 20 : Number(q.size);
    if (size === 0) size = 20;
    if (!Number.isInteger(size) || size < 1 || size > this.d.maxPageSize) {
      throw Generic.invalidParameter({ name: 'size', rule: `must be a whole number 1..${this.d.maxPageSize}` });
    }
    return { page, size };
  }
}
