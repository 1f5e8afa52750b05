/**
 * Asset Management domain rules (reference §1.2–1.7): aspect types, asset types with inheritance, the asset
 * hierarchy, optimistic locking, the model lock and change events. No HTTP here: callers pass parsed bodies,
 * the caller's tenant and preconditions; every read and write is scoped to that tenant (core types are shared).
 */
import { randomBytes } from 'node:crypto';
import { Generic } from '../core/errors.js';
import { evaluate, mentions, parseFilter, rewriteField, type FieldSpec, type FilterNode, type Scalar } from '../core/filter.js';
import type { ModelAsset, ModelEvent } from '../core/model.js';
import { AssetErrors } from './errors.js';
import type { ModelEventBus } from './events.js';
import {
  ancestorIds, asArray, asObject, ASSET_ID_RE, checkTypeId, checkUnique, CORE_TENANT, explode, optionalBoolean,
  optionalString, parseVariable, requireString, subtreePrefix, timezoneRule, valueRule,
  type AspectTypeRecord, type AspectValues, type AssetRecord, type AssetTypeRecord, type ExplodedType,
  type FileAssignment, type Location, type TypeAspect, type VariableDefinition, type VariableValue,
} from './model.js';
import { CORE_ASPECT_TYPES, CORE_ASSET_TYPES } from './seed.js';
import { StoreConflict, type AssetStore, type AssetSummary, type SortDirection } from './store.js';

export interface Caller {
  tenant: string;
  /** Admins see deleted assets (reference §1.4). */
  admin: boolean;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface ListQuery {
  page?: number;
  size?: number;
  sort?: string | string[];
  filter?: string;
}

export interface PageResult<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
}

export interface ServiceOptions {
  defaultTimezone: string;
  maxPageSize: number;
}

const MAX_ITEMS = 200;
const DEFAULT_SIZE = 10;

export const ASPECT_TYPE_FIELDS: FieldSpec = {
  id: 'string', name: 'string', tenantId: 'string', category: 'string', scope: 'string', description: 'string',
};
export const ASSET_TYPE_FIELDS: FieldSpec = {
  id: 'string', name: 'string', tenantId: 'string', parentTypeId: 'string', scope: 'string', description: 'string',
  instantiable: 'boolean', hasType: 'string',
};
/** Reference §1.6; fileId is not filterable here (no file service yet) and is ignored like an unknown field. */
export const ASSET_FIELDS: FieldSpec = {
  assetId: 'string', tenantId: 'string', name: 'string', externalId: 'string', t2tenant: 'string', subTenant: 'string',
  timezone: 'string', twinType: 'string', deleted: 'date', parentId: 'string', typeId: 'string', hasType: 'string',
};
const ASSET_SORT = ['name', 'assetId', 'externalId', 'typeId', 'parentId', 'timezone', 'twinType', 'deleted', 'tenantId'];
const ASPECT_TYPE_SORT = ['name', 'id', 'tenantId', 'category', 'scope', 'description'];
const ASSET_TYPE_SORT = ['name', 'id', 'tenantId', 'parentTypeId', 'scope', 'description', 'instantiable'];
const MEMBER_FIELDS: FieldSpec = { name: 'string', aspectTypeId: 'string', category: 'string', dataType: 'string', unit: 'string' };

/** Parses an etag from If-Match/If-None-Match: `3`, `"3"` or `W/"3"`; `*` stays `*`. */
export function parseEtag(raw: string, header: string): number | '*' {
  const v = raw.trim();
  if (v === '*') return '*';
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(v);
  if (!m) throw Generic.invalidParameter({ name: header, rule: 'must be an integer etag such as "3", or *' });
  return Number(m[1]);
}

/** Reference §1.5: every modification needs If-Match (428 without it, 412 when it does not match). */
function checkIfMatch(pre: Preconditions, current: number, what: string): void {
  if (pre.ifMatch === undefined || pre.ifMatch === '') throw Generic.preconditionRequired({ header: 'If-Match' });
  const want = parseEtag(pre.ifMatch, 'If-Match');
  if (want !== '*' && want !== current) {
    throw Generic.preconditionFailed({ reason: `If-Match ${want} does not match the current etag ${current} of ${what}` });
  }
}

const concurrentChange = (what: string) =>
  Generic.preconditionFailed({ reason: `${what} was changed concurrently; read it again and retry with its new etag` });

/** Spring-style sort: `field,asc`, `field,desc`, `field`, or just `asc`/`desc` for the default field. */
export function parseSort(raw: string | string[] | undefined, allowed: string[]): { field: string; direction: SortDirection }[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: { field: string; direction: SortDirection }[] = [];
  for (const item of list) {
    if (item.trim() === '') continue;
    const [first = '', second, ...rest] = item.split(',').map((s) => s.trim());
    if (rest.length > 0) throw Generic.invalidParameter({ name: 'sort', rule: 'must be "field,asc" or "field,desc"' });
    let field = first;
    let dirText = second;
    if (second === undefined && /^(asc|desc)$/i.test(first)) { field = 'name'; dirText = first; }
    if (!allowed.includes(field)) {
      throw Generic.invalidParameter({ name: 'sort', rule: `"${field.slice(0, 64)}" is not sortable; use one of ${allowed.join(', ')}` });
    }
    if (dirText !== undefined && !/^(asc|desc)$/i.test(dirText)) {
      throw Generic.invalidParameter({ name: 'sort', rule: `direction "${dirText.slice(0, 16)}" must be asc or desc` });
    }
    out.push({ field, direction: (dirText ?? 'asc').toLowerCase() as SortDirection });
  }
  return out.length ? out : [{ field: 'name', direction: 'asc' }];
}

function compareScalars(a: Scalar, b: Scalar): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function sortItems<T>(items: T[], sort: { field: string; direction: SortDirection }[], get: (t: T, f: string) => Scalar): T[] {
  return [...items].sort((x, y) => {
    for (const s of sort) {
      const c = compareScalars(get(x, s.field), get(y, s.field));
      if (c !== 0) return s.direction === 'asc' ? c : -c;
    }
    return 0;
  });
}

const invalidBody = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });

/** Aspect and asset types visible to a tenant (its own plus the core ones), loaded once per operation. */
export class TypeCatalog {
  readonly aspectTypes = new Map<string, AspectTypeRecord>();
  readonly assetTypes = new Map<string, AssetTypeRecord>();
  private readonly lower = new Map<string, string>();
  constructor(aspectTypes: AspectTypeRecord[], assetTypes: AssetTypeRecord[]) {
    for (const t of [...CORE_ASPECT_TYPES, ...aspectTypes]) this.aspectTypes.set(t.id, t);
    for (const t of [...CORE_ASSET_TYPES, ...assetTypes]) this.assetTypes.set(t.id, t);
    // Core ids are matched case-insensitively: the SDK's own tests use core.BasicAsset.
    for (const t of [...CORE_ASPECT_TYPES, ...CORE_ASSET_TYPES]) this.lower.set(t.id.toLowerCase(), t.id);
  }
  resolveId(id: string): string {
    return id.toLowerCase().startsWith(`${CORE_TENANT}.`) ? this.lower.get(id.toLowerCase()) ?? id : id;
  }
  assetType(id: string): AssetTypeRecord | undefined {
    return this.assetTypes.get(this.resolveId(id));
  }
  aspectType(id: string): AspectTypeRecord | undefined {
    return this.aspectTypes.get(this.resolveId(id));
  }
  /** Root ancestor first, the type itself last. */
  chain(id: string): AssetTypeRecord[] {
    const out: AssetTypeRecord[] = [];
    const seen = new Set<string>();
    let t = this.assetType(id);
    while (t && !seen.has(t.id)) {
      seen.add(t.id);
      out.unshift(t);
      t = t.parentTypeId ? this.assetType(t.parentTypeId) : undefined;
    }
    return out;
  }
  private readonly explodedCache = new Map<string, ExplodedType | undefined>();
  /** Records a type written during this operation. */
  put(t: AssetTypeRecord): void {
    this.assetTypes.set(t.id, t);
    this.explodedCache.clear();
  }
  exploded(id: string): ExplodedType | undefined {
    if (!this.explodedCache.has(id)) this.explodedCache.set(id, this.assetType(id) ? explode(this.chain(id)) : undefined);
    return this.explodedCache.get(id);
  }
  /** The type and every type derived from it (hasType, reference §1.6). */
  family(id: string): string[] {
    const root = this.resolveId(id);
    return [...this.assetTypes.values()].filter((t) => this.chain(t.id).some((a) => a.id === root)).map((t) => t.id);
  }
}

export class AssetService {
  constructor(private readonly store: AssetStore, private readonly events: ModelEventBus,
    private readonly opts: ServiceOptions) {}

  async catalog(tenant: string): Promise<TypeCatalog> {
    const [aspects, assets] = await Promise.all([this.store.listAspectTypes(tenant), this.store.listAssetTypes(tenant)]);
    return new TypeCatalog(aspects, assets);
  }

  private async emit(event: ModelEvent): Promise<void> {
    await this.events.emit(event);
  }

  paging(q: ListQuery): { page: number; size: number } {
    const page = q.page ?? 0;
    let size = q.size ?? DEFAULT_SIZE;
    if (!Number.isInteger(page) || page < 0) throw Generic.invalidParameter({ name: 'page', rule: 'must be a whole number >= 0' });
    if (!Number.isInteger(size) || size < 0) throw Generic.invalidParameter({ name: 'size', rule: 'must be a whole number >= 0' });
    if (size === 0) size = DEFAULT_SIZE; // the SDK tests send size=0 and expect the default
    if (size > this.opts.maxPageSize) throw AssetErrors.pageTooLarge({ size, max: this.opts.maxPageSize });
    return { page, size };
  }

  private pageOf<T>(all: T[], q: ListQuery, fields: FieldSpec, sortable: string[], get: (t: T, f: string) => Scalar,
    rewrite: (f: FilterNode | null) => FilterNode | null = (f) => f): PageResult<T> {
    const { page, size } = this.paging(q);
    const sort = parseSort(q.sort, sortable);
    const filter = rewrite(parseFilter(q.filter, fields));
    const matched = sortItems(all.filter((t) => evaluate(filter, (f) => get(t, f))), sort, get);
    return { items: matched.slice(page * size, page * size + size), total: matched.length, page, size };
  }

  private async modelLocked(tenant: string, id: string): Promise<void> {
    if (await this.store.getModelLock(tenant)) throw AssetErrors.modelLocked({ id });
  }

  // ---------------------------------------------------------------- aspect types (reference §1.2)

  async listAspectTypes(tenant: string, q: ListQuery): Promise<PageResult<AspectTypeRecord>> {
    const cat = await this.catalog(tenant);
    return this.pageOf([...cat.aspectTypes.values()], q, ASPECT_TYPE_FIELDS, ASPECT_TYPE_SORT, (t, f) =>
      f === 'tenantId' ? t.tenant : (t as unknown as Record<string, Scalar>)[f] ?? null);
  }

  async getAspectType(tenant: string, id: string): Promise<AspectTypeRecord> {
    const cat = await this.catalog(tenant);
    const t = cat.aspectType(id);
    if (!t) throw AssetErrors.aspectTypeNotFound({ id });
    return t;
  }

  private parseAspectType(tenant: string, id: string, raw: unknown): AspectTypeRecord {
    const body = asObject(raw, 'body');
    const name = requireString(body, 'name', 'name', 128);
    const category = body['category'];
    if (category === undefined || category === null) throw Generic.missingRequestBodyProperty({ name: 'category' });
    if (category !== 'static' && category !== 'dynamic') throw invalidBody('category', 'must be static or dynamic');
    const scope = optionalString(body, 'scope', 'scope', 16) ?? 'private';
    if (scope !== 'private') throw invalidBody('scope', 'only private aspect types can be created');
    if (body['variables'] === undefined || body['variables'] === null) throw Generic.missingRequestBodyProperty({ name: 'variables' });
    const variables = asArray(body['variables'], 'variables', MAX_ITEMS)
      .map((v, i) => parseVariable(v, `variables[${i}]`, category));
    checkUnique(variables.map((v) => v.name), 'variables', 'variable');
    return {
      id, tenant, name, category, scope, description: optionalString(body, 'description', 'description', 2048) ?? '',
      variables, etag: 0,
    };
  }

  private checkAspectTypeUpdate(old: AspectTypeRecord, next: AspectTypeRecord): void {
    const what = `aspect type ${old.id}`;
    if (next.name !== old.name) throw AssetErrors.immutable({ field: 'name', resource: what });
    if (next.category !== old.category) throw AssetErrors.immutable({ field: 'category', resource: what });
    for (const ov of old.variables) {
      const i = next.variables.findIndex((v) => v.name === ov.name);
      if (i < 0) throw invalidBody('variables', `variable "${ov.name}" exists and cannot be removed or renamed`);
      const nv = next.variables[i]!;
      for (const f of ['dataType', 'qualityCode', 'searchable'] as const) {
        if (nv[f] !== ov[f]) throw AssetErrors.immutable({ field: `variables[${i}].${f}`, resource: what });
      }
      if (nv.length !== ov.length) {
        if (old.category === 'dynamic') throw AssetErrors.immutable({ field: `variables[${i}].length`, resource: what });
        if ((nv.length ?? 0) < (ov.length ?? 0)) throw invalidBody(`variables[${i}].length`, `may only increase (now ${ov.length})`);
      }
    }
  }

  async putAspectType(tenant: string, id: string, raw: unknown, pre: Preconditions): Promise<{ record: AspectTypeRecord; created: boolean }> {
    const cat = await this.catalog(tenant);
    if (cat.aspectTypes.has(cat.resolveId(id)) && cat.aspectType(id)!.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkTypeId(id, tenant);
    const next = this.parseAspectType(tenant, id, raw);
    const old = await this.store.getAspectType(tenant, id);
    if (!old) {
      if (pre.ifMatch !== undefined && pre.ifMatch !== '') {
        throw Generic.preconditionFailed({ reason: `If-Match was sent but aspect type ${id} does not exist` });
      }
      if ([...cat.aspectTypes.values()].some((t) => t.tenant === tenant && t.name === next.name)) {
        throw AssetErrors.exists({ resource: 'aspect type named', id: next.name });
      }
      try {
        await this.store.createAspectType(next);
      } catch (err) {
        if (err instanceof StoreConflict) throw AssetErrors.exists({ resource: 'aspect type', id });
        throw err;
      }
      await this.emit({ type: 'aspecttype.created', tenant, aspectTypeId: id });
      return { record: next, created: true };
    }
    if (pre.ifNoneMatch !== undefined && pre.ifNoneMatch.trim() === '*') throw AssetErrors.exists({ resource: 'aspect type', id });
    checkIfMatch(pre, old.etag, `aspect type ${id}`);
    await this.modelLocked(tenant, id);
    this.checkAspectTypeUpdate(old, next);
    const record = { ...next, etag: old.etag + 1 };
    if (!(await this.store.updateAspectType(record, old.etag))) throw concurrentChange(`aspect type ${id}`);
    await this.emit({ type: 'aspecttype.updated', tenant, aspectTypeId: id });
    return { record, created: false };
  }

  async patchAspectType(tenant: string, id: string, patch: unknown, pre: Preconditions): Promise<AspectTypeRecord> {
    const current = await this.getAspectType(tenant, id);
    if (current.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkIfMatch(pre, current.etag, `aspect type ${id}`);
    const { id: _i, tenant: _t, etag: _e, ...writable } = current;
    const merged = mergePatch(writable, asObject(patch, 'body'));
    return (await this.putAspectType(tenant, id, merged, { ifMatch: String(current.etag) })).record;
  }

  async deleteAspectType(tenant: string, id: string, pre: Preconditions): Promise<void> {
    const cat = await this.catalog(tenant);
    const t = cat.aspectType(id);
    if (!t) throw AssetErrors.aspectTypeNotFound({ id });
    if (t.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkIfMatch(pre, t.etag, `aspect type ${id}`);
    await this.modelLocked(tenant, id);
    const user = [...cat.assetTypes.values()].find((at) => at.aspects.some((a) => a.aspectTypeId === t.id));
    if (user) throw AssetErrors.inUse({ resource: 'aspect type', id, reason: `asset type ${user.id} uses it` });
    if (!(await this.store.deleteAspectType(tenant, t.id, t.etag))) throw concurrentChange(`aspect type ${id}`);
    await this.emit({ type: 'aspecttype.deleted', tenant, aspectTypeId: t.id });
  }

  // ---------------------------------------------------------------- asset types (reference §1.3)

  async listAssetTypes(tenant: string, q: ListQuery): Promise<{ page: PageResult<AssetTypeRecord>; catalog: TypeCatalog }> {
    const cat = await this.catalog(tenant);
    const page = this.pageOf([...cat.assetTypes.values()], q, ASSET_TYPE_FIELDS, ASSET_TYPE_SORT,
      (t, f) => (f === 'tenantId' ? t.tenant : f === 'hasType' ? t.id : (t as unknown as Record<string, Scalar>)[f] ?? null),
      (filter) => rewriteField(filter, 'hasType', (n) => hasTypeToIn(cat, n, 'hasType')));
    return { page, catalog: cat };
  }

  async getAssetType(tenant: string, id: string): Promise<{ type: AssetTypeRecord; catalog: TypeCatalog }> {
    const cat = await this.catalog(tenant);
    const t = cat.assetType(id);
    if (!t) throw AssetErrors.assetTypeNotFound({ id });
    return { type: t, catalog: cat };
  }

  private parseAssetType(tenant: string, id: string, raw: unknown, cat: TypeCatalog): AssetTypeRecord {
    const body = asObject(raw, 'body');
    const name = requireString(body, 'name', 'name', 128);
    const scope = optionalString(body, 'scope', 'scope', 16) ?? 'private';
    if (scope !== 'private') throw invalidBody('scope', 'only private asset types can be created');
    const parentRaw = optionalString(body, 'parentTypeId', 'parentTypeId', 128);
    if (parentRaw === null) throw Generic.missingRequestBodyProperty({ name: 'parentTypeId' });
    const parent = cat.assetType(parentRaw);
    if (!parent) throw AssetErrors.referenceNotFound({ field: 'parentTypeId', id: parentRaw });
    if (parent.id === id || cat.chain(parent.id).some((t) => t.id === id)) {
      throw invalidBody('parentTypeId', `${parentRaw} derives from ${id}; a type cannot inherit from itself`);
    }
    const aspects: TypeAspect[] = asArray(body['aspects'], 'aspects', MAX_ITEMS).map((a, i) => {
      const o = asObject(a, `aspects[${i}]`);
      const aname = requireString(o, 'name', `aspects[${i}].name`, 64);
      if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(aname)) {
        throw invalidBody(`aspects[${i}].name`, 'must start with a letter and have 1-64 letters, digits or underscores');
      }
      const ref = requireString(o, 'aspectTypeId', `aspects[${i}].aspectTypeId`, 128);
      const at = cat.aspectType(ref);
      if (!at) throw AssetErrors.referenceNotFound({ field: `aspects[${i}].aspectTypeId`, id: ref });
      return { name: aname, aspectTypeId: at.id };
    });
    checkUnique(aspects.map((a) => a.name), 'aspects', 'aspect');
    const variables: VariableDefinition[] = asArray(body['variables'], 'variables', MAX_ITEMS).map((v, i) => {
      const { qualityCode: _qc, ...def } = parseVariable(v, `variables[${i}]`, 'assettype');
      return def;
    });
    checkUnique(variables.map((v) => v.name), 'variables', 'variable');
    const fileAssignments = parseFileAssignments(body['fileAssignments']);
    const instantiable = optionalBoolean(body, 'instantiable', 'instantiable') ?? true;
    return {
      id, tenant, name, description: optionalString(body, 'description', 'description', 2048) ?? '',
      parentTypeId: parent.id, instantiable, scope, aspects, variables, fileAssignments, etag: 0,
    };
  }

  /** Reference §1.3: aspect and variable names are unique across ancestors and descendants. */
  private checkFamilyNames(next: AssetTypeRecord, cat: TypeCatalog): void {
    const related = [...cat.chain(next.parentTypeId!),
      ...[...cat.assetTypes.values()].filter((t) => t.id !== next.id && cat.chain(t.id).some((a) => a.id === next.id))];
    for (const other of related) {
      for (const a of next.aspects) {
        if (other.aspects.some((x) => x.name === a.name)) {
          throw AssetErrors.nameCollision({ kind: 'aspect', name: a.name, typeId: next.id, otherTypeId: other.id });
        }
      }
      for (const v of next.variables) {
        if (other.variables.some((x) => x.name === v.name)) {
          throw AssetErrors.nameCollision({ kind: 'variable', name: v.name, typeId: next.id, otherTypeId: other.id });
        }
      }
    }
  }

  private checkAssetTypeUpdate(old: AssetTypeRecord, next: AssetTypeRecord): void {
    const what = `asset type ${old.id}`;
    if (next.name !== old.name) throw AssetErrors.immutable({ field: 'name', resource: what });
    if (next.parentTypeId !== old.parentTypeId) throw AssetErrors.immutable({ field: 'parentTypeId', resource: what });
    if (old.instantiable && !next.instantiable) throw invalidBody('instantiable', 'can change from false to true only');
    for (const [i, nv] of next.variables.entries()) {
      const ov = old.variables.find((v) => v.name === nv.name);
      if (!ov) continue;
      for (const f of ['dataType', 'searchable'] as const) {
        if (nv[f] !== ov[f]) throw AssetErrors.immutable({ field: `variables[${i}].${f}`, resource: what });
      }
      if ((nv.length ?? 0) < (ov.length ?? 0)) throw invalidBody(`variables[${i}].length`, `may only increase (now ${ov.length})`);
    }
    for (const [i, na] of next.aspects.entries()) {
      const oa = old.aspects.find((a) => a.name === na.name);
      if (oa && oa.aspectTypeId !== na.aspectTypeId) {
        throw AssetErrors.immutable({ field: `aspects[${i}].aspectTypeId`, resource: what });
      }
    }
  }

  async putAssetType(tenant: string, id: string, raw: unknown, pre: Preconditions): Promise<{ record: AssetTypeRecord; created: boolean; catalog: TypeCatalog }> {
    const cat = await this.catalog(tenant);
    if (cat.assetType(id)?.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkTypeId(id, tenant);
    const next = this.parseAssetType(tenant, id, raw, cat);
    const old = await this.store.getAssetType(tenant, id);
    this.checkFamilyNames(next, cat);
    if (!old) {
      if (pre.ifMatch !== undefined && pre.ifMatch !== '') {
        throw Generic.preconditionFailed({ reason: `If-Match was sent but asset type ${id} does not exist` });
      }
      if ([...cat.assetTypes.values()].some((t) => t.tenant === tenant && t.name === next.name)) {
        throw AssetErrors.exists({ resource: 'asset type named', id: next.name });
      }
      try {
        await this.store.createAssetType(next);
      } catch (err) {
        if (err instanceof StoreConflict) throw AssetErrors.exists({ resource: 'asset type', id });
        throw err;
      }
      cat.put(next);
      await this.emit({ type: 'assettype.created', tenant, typeId: id });
      return { record: next, created: true, catalog: cat };
    }
    if (pre.ifNoneMatch !== undefined && pre.ifNoneMatch.trim() === '*') throw AssetErrors.exists({ resource: 'asset type', id });
    checkIfMatch(pre, old.etag, `asset type ${id}`);
    await this.modelLocked(tenant, id);
    this.checkAssetTypeUpdate(old, next);
    const record = { ...next, etag: old.etag + 1 };
    if (!(await this.store.updateAssetType(record, old.etag))) throw concurrentChange(`asset type ${id}`);
    cat.put(record);
    await this.emit({ type: 'assettype.updated', tenant, typeId: id });
    for (const a of old.aspects) {
      if (!record.aspects.some((x) => x.name === a.name)) {
        await this.emit({ type: 'assettype.aspectRemoved', tenant, typeId: id, aspectName: a.name });
      }
    }
    return { record, created: false, catalog: cat };
  }

  async patchAssetType(tenant: string, id: string, patch: unknown, pre: Preconditions) {
    const { type: current } = await this.getAssetType(tenant, id);
    if (current.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkIfMatch(pre, current.etag, `asset type ${id}`);
    const { id: _i, tenant: _t, etag: _e, ...writable } = current;
    const merged = mergePatch(writable, asObject(patch, 'body'));
    return this.putAssetType(tenant, id, merged, { ifMatch: String(current.etag) });
  }

  async deleteAssetType(tenant: string, id: string, pre: Preconditions): Promise<void> {
    const cat = await this.catalog(tenant);
    const t = cat.assetType(id);
    if (!t) throw AssetErrors.assetTypeNotFound({ id });
    if (t.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkIfMatch(pre, t.etag, `asset type ${id}`);
    await this.modelLocked(tenant, id);
    const child = [...cat.assetTypes.values()].find((c) => c.parentTypeId === t.id);
    if (child) throw AssetErrors.inUse({ resource: 'asset type', id, reason: `asset type ${child.id} derives from it` });
    const n = await this.store.countAssetsOfTypes(tenant, [t.id]);
    if (n > 0) throw AssetErrors.inUse({ resource: 'asset type', id, reason: `${n} asset(s) are of this type` });
    if (!(await this.store.deleteAssetType(tenant, t.id, t.etag))) throw concurrentChange(`asset type ${id}`);
    await this.emit({ type: 'assettype.deleted', tenant, typeId: t.id });
  }

  // ---------------------------------------------------------------- assets (reference §1.4)

  async ensureRoot(tenant: string): Promise<AssetRecord> {
    const existing = await this.store.getRootAsset(tenant);
    if (existing) return existing;
    const root: AssetRecord = {
      assetId: newAssetId(), tenant, name: tenant, externalId: null, description: `Root asset of tenant ${tenant}`,
      typeId: 'core.tenant', parentId: null, path: '', timezone: this.opts.defaultTimezone, twinType: 'performance',
      subTenant: null, location: null, variables: [], aspects: [], fileAssignments: [], etag: 0, deleted: null,
      createdAt: Date.now(),
    };
    try {
      await this.store.createAsset(root);
    } catch (err) {
      if (err instanceof StoreConflict) return (await this.store.getRootAsset(tenant))!;
      throw err;
    }
    await this.emit({ type: 'asset.created', tenant, assetId: root.assetId });
    return root;
  }

  /** The asset as the caller may see it: 404 when missing, deleted (for non-admins) or malformed id. */
  async getAsset(caller: Caller, assetId: string): Promise<AssetRecord> {
    if (!ASSET_ID_RE.test(assetId)) throw AssetErrors.assetNotFound({ id: assetId.slice(0, 64) });
    const a = await this.store.getAsset(caller.tenant, assetId);
    if (!a || (a.deleted !== null && !caller.admin)) throw AssetErrors.assetNotFound({ id: assetId });
    return a;
  }

  private async liveAsset(caller: Caller, assetId: string): Promise<AssetRecord> {
    const a = await this.getAsset(caller, assetId);
    if (a.deleted !== null) throw AssetErrors.deletedAsset({ id: assetId });
    return a;
  }

  async root(tenant: string): Promise<AssetRecord> {
    return this.ensureRoot(tenant);
  }

  /** Validates own values against the exploded type: only declared variables and static aspects. */
  private parseValues(body: Record<string, unknown>, type: ExplodedType, cat: TypeCatalog): { variables: VariableValue[]; aspects: AspectValues[] } {
    const parseList = (raw: unknown, path: string, defs: { name: string; dataType: VariableDefinition['dataType']; length: number | null }[], where: string) => {
      const list = asArray(raw, path, MAX_ITEMS).map((item, i) => {
        const o = asObject(item, `${path}[${i}]`);
        const name = requireString(o, 'name', `${path}[${i}].name`, 64);
        const def = defs.find((d) => d.name === name);
        if (!def) throw invalidBody(`${path}[${i}].name`, `"${name}" is not a variable of ${where}`);
        const value = o['value'];
        if (value !== null && value !== undefined && typeof value !== 'string') {
          throw invalidBody(`${path}[${i}].value`, 'must be a string (values are sent as text) or null');
        }
        if (typeof value === 'string') {
          const rule = valueRule(def.dataType, value, def.length);
          if (rule) throw invalidBody(`${path}[${i}].value`, rule);
        }
        return { name, value: (value ?? null) as string | null };
      });
      checkUnique(list.map((v) => v.name), path, 'variable');
      return list;
    };
    const variables = parseList(body['variables'], 'variables', type.variables.map((m) => m.member), `asset type ${type.type.id}`);
    const aspects = asArray(body['aspects'], 'aspects', MAX_ITEMS).map((item, i) => {
      const o = asObject(item, `aspects[${i}]`);
      const name = requireString(o, 'name', `aspects[${i}].name`, 64);
      const member = type.aspects.find((m) => m.member.name === name);
      if (!member) throw invalidBody(`aspects[${i}].name`, `"${name}" is not an aspect of asset type ${type.type.id}`);
      const at = cat.aspectType(member.member.aspectTypeId);
      if (!at || at.category !== 'static') {
        throw invalidBody(`aspects[${i}].name`, `aspect "${name}" is dynamic; its values are time series, not asset values`);
      }
      return { name, variables: parseList(o['variables'], `aspects[${i}].variables`, at.variables, `aspect ${name}`) };
    });
    checkUnique(aspects.map((a) => a.name), 'aspects', 'aspect');
    return { variables, aspects };
  }

  private parseUpdatable(body: Record<string, unknown>) {
    const externalId = optionalString(body, 'externalId', 'externalId', 255);
    return {
      name: requireString(body, 'name', 'name', 128),
      externalId,
      description: optionalString(body, 'description', 'description', 2048) ?? '',
      location: body['location'] === undefined || body['location'] === null ? null : parseLocation(body['location']),
      fileAssignments: parseFileAssignments(body['fileAssignments']),
    };
  }

  async createAsset(caller: Caller, raw: unknown): Promise<AssetRecord> {
    const body = asObject(raw, 'body');
    const cat = await this.catalog(caller.tenant);
    const typeIdRaw = requireString(body, 'typeId', 'typeId', 128);
    const type = cat.exploded(typeIdRaw);
    if (!type) throw AssetErrors.referenceNotFound({ field: 'typeId', id: typeIdRaw });
    if (!type.type.instantiable) throw AssetErrors.notInstantiable({ typeId: type.type.id });
    const parentId = requireString(body, 'parentId', 'parentId', 64);
    const parent = ASSET_ID_RE.test(parentId) ? await this.store.getAsset(caller.tenant, parentId) : undefined;
    if (!parent || parent.deleted !== null) throw AssetErrors.referenceNotFound({ field: 'parentId', id: parentId });
    const timezone = optionalString(body, 'timezone', 'timezone', 64) ?? this.opts.defaultTimezone;
    const tzRule = timezoneRule(timezone);
    if (tzRule) throw invalidBody('timezone', `"${timezone}" ${tzRule}`);
    const twinType = optionalString(body, 'twinType', 'twinType', 16) ?? 'performance';
    if (twinType !== 'performance' && twinType !== 'simulation') throw invalidBody('twinType', 'must be performance or simulation');
    const fields = this.parseUpdatable(body);
    const values = this.parseValues(body, type, cat);
    const asset: AssetRecord = {
      assetId: newAssetId(), tenant: caller.tenant, ...fields, ...values, typeId: type.type.id, parentId: parent.assetId,
      path: subtreePrefix(parent), timezone, twinType, subTenant: null, etag: 0, deleted: null, createdAt: Date.now(),
    };
    await this.store.createAsset(asset);
    await this.emit({ type: 'asset.created', tenant: caller.tenant, assetId: asset.assetId });
    return asset;
  }

  /** PUT replaces the updatable fields; type, parent, timezone and twin type are fixed at creation. */
  async updateAsset(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetRecord> {
    const current = await this.liveAsset(caller, assetId);
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    const body = asObject(raw, 'body');
    const immutable: [string, unknown][] = [['typeId', current.typeId], ['parentId', current.parentId],
      ['timezone', current.timezone], ['twinType', current.twinType], ['assetId', current.assetId]];
    for (const [field, value] of immutable) {
      if (body[field] !== undefined && body[field] !== null && body[field] !== value) {
        throw AssetErrors.immutable({ field, resource: `asset ${assetId}${field === 'parentId' ? ' (use POST /assets/{id}/move)' : ''}` });
      }
    }
    const cat = await this.catalog(caller.tenant);
    const type = cat.exploded(current.typeId);
    if (!type) throw AssetErrors.referenceNotFound({ field: 'typeId', id: current.typeId });
    const next: AssetRecord = { ...current, ...this.parseUpdatable(body), ...this.parseValues(body, type, cat), etag: current.etag + 1 };
    if (!(await this.store.updateAsset(next, current.etag))) throw concurrentChange(`asset ${assetId}`);
    await this.emit({ type: 'asset.updated', tenant: caller.tenant, assetId });
    return next;
  }

  /** RFC 7396 merge-patch on the writable view; variables and aspect values merge by name (null resets to default). */
  async patchAsset(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetRecord> {
    const current = await this.liveAsset(caller, assetId);
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    const patch = asObject(raw, 'body');
    const { variables, aspects, ...rest } = patch;
    const base = {
      name: current.name, externalId: current.externalId, description: current.description, location: current.location,
      fileAssignments: current.fileAssignments,
    };
    const merged = mergePatch(base, rest) as Record<string, unknown>;
    merged['variables'] = mergeValues(current.variables, variables, 'variables');
    merged['aspects'] = aspects === undefined ? current.aspects
      : asArray(aspects, 'aspects', MAX_ITEMS).reduce<AspectValues[]>((acc, item, i) => {
        const o = asObject(item, `aspects[${i}]`);
        const name = requireString(o, 'name', `aspects[${i}].name`, 64);
        const old = acc.find((a) => a.name === name);
        const vars = mergeValues(old?.variables ?? [], o['variables'], `aspects[${i}].variables`);
        return [...acc.filter((a) => a.name !== name), { name, variables: vars }];
      }, current.aspects);
    return this.updateAsset(caller, assetId, merged, { ifMatch: String(current.etag) });
  }

  async deleteAsset(caller: Caller, assetId: string, pre: Preconditions): Promise<void> {
    const current = await this.liveAsset(caller, assetId);
    if (current.parentId === null) throw AssetErrors.rootAsset({ id: assetId, action: 'deleted' });
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    const n = await this.store.countChildren(caller.tenant, assetId);
    if (n > 0) throw AssetErrors.hasChildren({ id: assetId, count: n });
    const next = { ...current, deleted: Date.now(), etag: current.etag + 1 };
    if (!(await this.store.updateAsset(next, current.etag))) throw concurrentChange(`asset ${assetId}`);
    await this.emit({ type: 'asset.deleted', tenant: caller.tenant, assetId });
  }

  async moveAsset(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetRecord> {
    const current = await this.liveAsset(caller, assetId);
    if (current.parentId === null) throw AssetErrors.rootAsset({ id: assetId, action: 'moved' });
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    const body = asObject(raw, 'body');
    const newParentId = requireString(body, 'newParentId', 'newParentId', 64);
    const parent = ASSET_ID_RE.test(newParentId) ? await this.store.getAsset(caller.tenant, newParentId) : undefined;
    if (!parent || parent.deleted !== null) throw AssetErrors.referenceNotFound({ field: 'newParentId', id: newParentId });
    if (parent.assetId === assetId || ancestorIds(parent).includes(assetId)) {
      throw AssetErrors.invalidMove({ id: assetId, reason: `${newParentId} is the asset itself or one of its descendants` });
    }
    const next = { ...current, parentId: parent.assetId, path: subtreePrefix(parent), etag: current.etag + 1 };
    if (!(await this.store.moveAsset(next, current.path, current.etag))) throw concurrentChange(`asset ${assetId}`);
    await this.emit({ type: 'asset.moved', tenant: caller.tenant, assetId });
    return next;
  }

  async setLocation(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetRecord> {
    const current = await this.liveAsset(caller, assetId);
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    const next = { ...current, location: parseLocation(raw), etag: current.etag + 1 };
    if (!(await this.store.updateAsset(next, current.etag))) throw concurrentChange(`asset ${assetId}`);
    await this.emit({ type: 'asset.updated', tenant: caller.tenant, assetId });
    return next;
  }

  /** Removes only the asset's own location; the nearest ancestor's location shows again (reference §1.4). */
  async deleteLocation(caller: Caller, assetId: string, pre: Preconditions): Promise<AssetRecord> {
    const current = await this.liveAsset(caller, assetId);
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    if (current.location === null) return current;
    const next = { ...current, location: null, etag: current.etag + 1 };
    if (!(await this.store.updateAsset(next, current.etag))) throw concurrentChange(`asset ${assetId}`);
    await this.emit({ type: 'asset.updated', tenant: caller.tenant, assetId });
    return next;
  }

  async listAssets(caller: Caller, q: ListQuery): Promise<PageResult<AssetRecord>> {
    const { page, size } = this.paging(q);
    const sort = parseSort(q.sort, ASSET_SORT);
    let filter = parseFilter(q.filter, ASSET_FIELDS);
    if (mentions(filter, 'hasType')) {
      const cat = await this.catalog(caller.tenant);
      filter = rewriteField(filter, 'hasType', (n) => hasTypeToIn(cat, n, 'typeId'));
    }
    const includeDeleted = caller.admin && mentions(filter, 'deleted');
    const result = await this.store.listAssets(caller.tenant, { filter, includeDeleted, sort, offset: page * size, limit: size });
    return { items: result.items, total: result.total, page, size };
  }

  /** Ancestors of the given assets (for hierarchyPath and inherited locations), by id. */
  async ancestorsOf(tenant: string, assets: AssetRecord[]): Promise<Map<string, AssetSummary>> {
    const ids = new Set<string>();
    for (const a of assets) for (const id of ancestorIds(a)) ids.add(id);
    const found = await this.store.getAssetSummaries(tenant, [...ids]);
    return new Map(found.map((a) => [a.assetId, a]));
  }

  async aspectsOf(caller: Caller, assetId: string, q: ListQuery) {
    const asset = await this.getAsset(caller, assetId);
    const cat = await this.catalog(caller.tenant);
    const type = cat.exploded(asset.typeId);
    const rows = (type?.aspects ?? []).flatMap((m) => {
      const at = cat.aspectType(m.member.aspectTypeId);
      return at ? [{ name: m.member.name, aspectType: at }] : [];
    });
    const page = this.pageOf(rows, q, MEMBER_FIELDS, ['name'], (r, f) =>
      f === 'name' ? r.name : f === 'aspectTypeId' ? r.aspectType.id : f === 'category' ? r.aspectType.category : null);
    return { asset, page };
  }

  async variablesOf(caller: Caller, assetId: string, q: ListQuery) {
    const asset = await this.getAsset(caller, assetId);
    const cat = await this.catalog(caller.tenant);
    const rows = cat.exploded(asset.typeId)?.variables ?? [];
    const page = this.pageOf(rows, q, MEMBER_FIELDS, ['name'], (r, f) =>
      f === 'name' || f === 'dataType' || f === 'unit' ? r.member[f] : null);
    return { asset, page };
  }

  async getModelLock(tenant: string): Promise<boolean> {
    return this.store.getModelLock(tenant);
  }

  async setModelLock(tenant: string, enabled: boolean): Promise<boolean> {
    await this.store.setModelLock(tenant, enabled);
    return enabled;
  }

  // ---------------------------------------------------------------- the AssetModelReader port (core/model.ts)

  async modelAsset(tenant: string, assetId: string): Promise<ModelAsset | undefined> {
    if (!ASSET_ID_RE.test(assetId)) return undefined;
    const a = await this.store.getAsset(tenant, assetId);
    if (!a || a.deleted !== null) return undefined;
    const cat = await this.catalog(tenant);
    const type = cat.exploded(a.typeId);
    const aspects = (type?.aspects ?? []).flatMap((m) => {
      const at = cat.aspectType(m.member.aspectTypeId);
      return at ? [{
        name: m.member.name, aspectTypeId: at.id, category: at.category,
        variables: at.variables.map((v) => ({
          name: v.name, dataType: v.dataType, unit: v.unit, length: v.length, qualityCode: v.qualityCode,
          searchable: v.searchable, defaultValue: v.defaultValue,
        })),
      }] : [];
    });
    return { tenant, assetId: a.assetId, name: a.name, typeId: a.typeId, parentId: a.parentId, timezone: a.timezone, aspects };
  }
}

/** hasType X → the family of X (X and all types derived from it), as an `in` condition on `field`. */
function hasTypeToIn(cat: TypeCatalog, n: Extract<FilterNode, { field: string }>, field: string): FilterNode {
  const ids = (v: Scalar): string[] => (typeof v === 'string' ? cat.family(v) : []);
  switch (n.kind) {
    case 'eq': return { kind: 'in', field, values: ids(n.value) };
    case 'in': return { kind: 'in', field, values: [...new Set(n.values.flatMap(ids))] };
    default:
      throw Generic.invalidParameter({ name: 'filter clause "hasType"', rule: `hasType supports only eq and in, not ${n.kind}` });
  }
}

export function newAssetId(): string {
  return randomBytes(16).toString('hex');
}

function parseLocation(raw: unknown): Location {
  const o = asObject(raw, 'location');
  const out: Location = {};
  for (const f of ['country', 'region', 'locality', 'streetAddress', 'postalCode'] as const) {
    const v = optionalString(o, f, `location.${f}`, 255);
    if (v !== null) out[f] = v;
  }
  for (const [f, lim] of [['longitude', 180], ['latitude', 90]] as const) {
    const v = o[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > lim) {
      throw invalidBody(`location.${f}`, `must be a number within -${lim}..${lim}`);
    }
    out[f] = v;
  }
  return out;
}

function parseFileAssignments(raw: unknown): FileAssignment[] {
  const list = asArray(raw, 'fileAssignments', MAX_ITEMS).map((item, i) => {
    const o = asObject(item, `fileAssignments[${i}]`);
    const key = requireString(o, 'key', `fileAssignments[${i}].key`, 64);
    if (!/^[A-Za-z0-9_]+$/.test(key)) throw invalidBody(`fileAssignments[${i}].key`, 'must be letters, digits or underscores');
    return { key, fileId: requireString(o, 'fileId', `fileAssignments[${i}].fileId`, 64) };
  });
  const seen = new Set<string>();
  for (const [i, f] of list.entries()) {
    if (seen.has(f.key)) throw invalidBody(`fileAssignments[${i}].key`, `key "${f.key}" appears twice`);
    seen.add(f.key);
  }
  return list;
}

function mergeValues(current: VariableValue[], patch: unknown, path: string): VariableValue[] {
  if (patch === undefined) return current;
  const out = new Map(current.map((v) => [v.name, v]));
  for (const [i, item] of asArray(patch, path, MAX_ITEMS).entries()) {
    const o = asObject(item, `${path}[${i}]`);
    const name = requireString(o, 'name', `${path}[${i}].name`, 64);
    if (o['value'] === null) out.delete(name);
    else out.set(name, { name, value: o['value'] as string });
  }
  return [...out.values()];
}

/** RFC 7396 JSON merge-patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target)
    ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
