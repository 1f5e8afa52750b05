/**
 * Aspect types and asset types (Asset Management API v3, "Aspect types", "Asset types"): lists, reads and the
 * etag-guarded writes of a tenant's types, with the model lock and the change events. Core types are shared and
 * read-only. No HTTP here: callers pass parsed bodies, the tenant and the preconditions.
 */
import { Generic } from '../core/errors.js';
import { rewriteField, type FieldSpec, type Scalar } from '../core/filter.js';
import type { TypeCatalog } from './catalog.js';
import { checkFileIds, loadCatalog, type ServiceDeps } from './deps.js';
import { AssetErrors } from './errors.js';
import {
  asObject, checkTypeId, checkUnique, parseAspectType, parseAssetType, parseFileAssignment, parseVariable, patchedType,
} from './input.js';
import { mapPage, pageOf, type ListQuery, type PageResult } from './paging.js';
import { checkIfMatch, checkUpdatePreconditions, concurrentChange, type Preconditions } from './preconditions.js';
import { CORE_TENANT, type AspectTypeRecord, type AssetTypeRecord, type AssetTypeView } from './records.js';
import { StoreConflict } from './store.js';
import { checkAspectTypeUpdate, checkAssetTypeUpdate, checkFamilyNames, hasTypeToIn } from './type-rules.js';

export const ASPECT_TYPE_FIELDS: FieldSpec = {
  id: 'string', name: 'string', tenantId: 'string', category: 'string', scope: 'string', description: 'string',
};
export const ASSET_TYPE_FIELDS: FieldSpec = {
  id: 'string', name: 'string', tenantId: 'string', parentTypeId: 'string', scope: 'string', description: 'string',
  instantiable: 'boolean', hasType: 'string',
};
const ASPECT_TYPE_SORT = ['name', 'id', 'tenantId', 'category', 'scope', 'description'];
const ASSET_TYPE_SORT = ['name', 'id', 'tenantId', 'parentTypeId', 'scope', 'description', 'instantiable'];

/** A type field as the filter and sort see it (`tenantId` is the owner). */
const typeField = (t: { tenant: string }, f: string): Scalar =>
  f === 'tenantId' ? t.tenant : (t as unknown as Record<string, Scalar>)[f] ?? null;

export interface TypeWrite<T> {
  record: T;
  created: boolean;
}

export class TypeService {
  constructor(private readonly d: ServiceDeps) {}

  private async modelLocked(tenant: string, id: string): Promise<void> {
    if (await this.d.store.getModelLock(tenant)) throw AssetErrors.modelLocked({ id });
  }

  /** Before changing or deleting a tenant type: it exists, is not a core type, If-Match matches, no model lock. */
  private async writable<T extends { tenant: string; etag: number }>(t: T | undefined, kind: 'aspect type' | 'asset type',
    id: string, pre: Preconditions): Promise<T> {
    if (!t) throw kind === 'aspect type' ? AssetErrors.aspectTypeNotFound({ id }) : AssetErrors.assetTypeNotFound({ id });
    if (t.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkIfMatch(pre, t.etag, `${kind} ${id}`);
    await this.modelLocked(t.tenant, id);
    return t;
  }

  /** Creates a type after the create-time checks: no If-Match, id and name not yet used in the tenant. */
  private async insert<T extends { id: string; tenant: string; name: string }>(kind: string, next: T, pre: Preconditions,
    visible: Iterable<T>, create: (t: T) => Promise<void>): Promise<void> {
    if (pre.ifMatch !== undefined && pre.ifMatch !== '') {
      throw Generic.preconditionFailed({ reason: `If-Match was sent but ${kind} ${next.id} does not exist` });
    }
    for (const t of visible) {
      if (t.tenant === next.tenant && t.name === next.name) throw AssetErrors.exists({ resource: `${kind} named`, id: next.name });
    }
    try {
      await create(next);
    } catch (err) {
      if (err instanceof StoreConflict) throw AssetErrors.exists({ resource: kind, id: next.id });
      throw err;
    }
  }

  // ---------------------------------------------------------------- aspect types (Asset Management API v3, aspect types)

  async listAspectTypes(tenant: string, q: ListQuery): Promise<PageResult<AspectTypeRecord>> {
    const cat = await loadCatalog(this.d.store, tenant);
    return pageOf([...cat.aspectTypes.values()], q,
      { fields: ASPECT_TYPE_FIELDS, sortable: ASPECT_TYPE_SORT, get: typeField }, this.d.opts.maxPageSize);
  }

  async getAspectType(tenant: string, id: string): Promise<AspectTypeRecord> {
    const t = (await loadCatalog(this.d.store, tenant)).aspectType(id);
    if (!t) throw AssetErrors.aspectTypeNotFound({ id });
    return t;
  }

  async putAspectType(tenant: string, id: string, raw: unknown, pre: Preconditions): Promise<TypeWrite<AspectTypeRecord>> {
    const cat = await loadCatalog(this.d.store, tenant);
    if (cat.aspectType(id)?.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkTypeId(id, tenant);
    const old = await this.d.store.getAspectType(tenant, id);
    if (old) checkUpdatePreconditions(pre, old.etag, 'aspect type', id);
    const next = parseAspectType(tenant, id, raw);
    if (!old) {
      await this.insert('aspect type', next, pre, cat.aspectTypes.values(), (t) => this.d.store.createAspectType(t));
      await this.d.events.emit({ type: 'aspecttype.created', tenant, aspectTypeId: id });
      return { record: next, created: true };
    }
    await this.modelLocked(tenant, id);
    checkAspectTypeUpdate(old, next);
    const record = { ...next, etag: old.etag + 1 };
    if (!(await this.d.store.updateAspectType(record, old.etag))) throw concurrentChange(`aspect type ${id}`);
    await this.d.events.emit({ type: 'aspecttype.updated', tenant, aspectTypeId: id });
    return { record, created: false };
  }

  async patchAspectType(tenant: string, id: string, patch: unknown, pre: Preconditions): Promise<AspectTypeRecord> {
    const current = await this.writable((await loadCatalog(this.d.store, tenant)).aspectType(id), 'aspect type', id, pre);
    return (await this.putAspectType(tenant, id, patchedType(current, patch), { ifMatch: String(current.etag) })).record;
  }

  async deleteAspectType(tenant: string, id: string, pre: Preconditions): Promise<void> {
    const cat = await loadCatalog(this.d.store, tenant);
    const t = await this.writable(cat.aspectType(id), 'aspect type', id, pre);
    const user = [...cat.assetTypes.values()].find((at) => at.aspects.some((a) => a.aspectTypeId === t.id));
    if (user) throw AssetErrors.inUse({ resource: 'aspect type', id, reason: `asset type ${user.id} uses it` });
    if (!(await this.d.store.deleteAspectType(tenant, t.id, t.etag))) throw concurrentChange(`aspect type ${id}`);
    await this.d.events.emit({ type: 'aspecttype.deleted', tenant, aspectTypeId: t.id });
  }

  // ---------------------------------------------------------------- asset types (Asset Management API v3, asset types)

  async listAssetTypes(tenant: string, q: ListQuery, exploded: boolean): Promise<PageResult<AssetTypeView>> {
    const cat = await loadCatalog(this.d.store, tenant);
    const page = pageOf([...cat.assetTypes.values()], q, {
      fields: ASSET_TYPE_FIELDS, sortable: ASSET_TYPE_SORT,
      get: (t, f) => (f === 'hasType' ? t.id : typeField(t, f)),
      rewrite: (filter) => rewriteField(filter, 'hasType', (n) => hasTypeToIn(cat, n, 'hasType')),
    }, this.d.opts.maxPageSize);
    return mapPage(page, page.items.map((t) => cat.typeView(t, exploded)));
  }

  async getAssetType(tenant: string, id: string, exploded: boolean): Promise<AssetTypeView> {
    const cat = await loadCatalog(this.d.store, tenant);
    const t = cat.assetType(id);
    if (!t) throw AssetErrors.assetTypeNotFound({ id });
    return cat.typeView(t, exploded);
  }

  async putAssetType(tenant: string, id: string, raw: unknown, pre: Preconditions, exploded = false): Promise<TypeWrite<AssetTypeView>> {
    const cat = await loadCatalog(this.d.store, tenant);
    if (cat.assetType(id)?.tenant === CORE_TENANT) throw AssetErrors.readOnly({ id });
    checkTypeId(id, tenant);
    const old = await this.d.store.getAssetType(tenant, id);
    if (old) checkUpdatePreconditions(pre, old.etag, 'asset type', id);
    const next = parseAssetType(tenant, id, raw, cat);
    checkFamilyNames(next, cat);
    await checkFileIds(this.d.opts, tenant, next.fileAssignments);
    if (!old) {
      await this.insert('asset type', next, pre, cat.assetTypes.values(), (t) => this.d.store.createAssetType(t));
      cat.put(next);
      await this.d.events.emit({ type: 'assettype.created', tenant, typeId: id });
      return { record: cat.typeView(next, exploded), created: true };
    }
    await this.modelLocked(tenant, id);
    checkAssetTypeUpdate(old, next);
    const record = { ...next, etag: old.etag + 1 };
    if (!(await this.d.store.updateAssetType(record, old.etag))) throw concurrentChange(`asset type ${id}`);
    cat.put(record);
    await this.d.events.emit({ type: 'assettype.updated', tenant, typeId: id });
    for (const a of old.aspects) {
      if (!record.aspects.some((x) => x.name === a.name)) {
        await this.d.events.emit({ type: 'assettype.aspectRemoved', tenant, typeId: id, aspectName: a.name });
      }
    }
    return { record: cat.typeView(record, exploded), created: false };
  }

  async patchAssetType(tenant: string, id: string, patch: unknown, pre: Preconditions, exploded = false): Promise<AssetTypeView> {
    const current = await this.writable((await loadCatalog(this.d.store, tenant)).assetType(id), 'asset type', id, pre);
    return (await this.putAssetType(tenant, id, patchedType(current, patch), { ifMatch: String(current.etag) }, exploded)).record;
  }

  /** A checked, etag-guarded change of one tenant asset type (members endpoints); answers the own view. */
  private async modifyAssetType(tenant: string, id: string, pre: Preconditions,
    change: (t: AssetTypeRecord, cat: TypeCatalog) => AssetTypeRecord, before?: () => Promise<void>): Promise<{ view: AssetTypeView; catalog: TypeCatalog }> {
    const cat = await loadCatalog(this.d.store, tenant);
    const t = await this.writable(cat.assetType(id), 'asset type', id, pre);
    await before?.();
    const record = { ...change(t, cat), etag: t.etag + 1 };
    if (!(await this.d.store.updateAssetType(record, t.etag))) throw concurrentChange(`asset type ${id}`);
    cat.put(record);
    await this.d.events.emit({ type: 'assettype.updated', tenant, typeId: t.id });
    return { view: cat.typeView(record, false), catalog: cat };
  }

  async putTypeFileAssignment(tenant: string, id: string, key: string, raw: unknown, pre: Preconditions): Promise<AssetTypeView> {
    const assignment = parseFileAssignment(key, raw);
    return (await this.modifyAssetType(tenant, id, pre, (t) => ({
      ...t, fileAssignments: [...t.fileAssignments.filter((f) => f.key !== key), assignment],
    }), () => checkFileIds(this.d.opts, tenant, [assignment], 'fileId'))).view;
  }

  async deleteTypeFileAssignment(tenant: string, id: string, key: string, pre: Preconditions): Promise<void> {
    await this.modifyAssetType(tenant, id, pre, (t) => {
      if (!t.fileAssignments.some((f) => f.key === key)) throw Generic.noMatch({ resource: `file assignment "${key}" on asset type ${id}` });
      return { ...t, fileAssignments: t.fileAssignments.filter((f) => f.key !== key) };
    });
  }

  /**
   * PATCH /assettypes/{id}/variables (Asset Management API v3): per own variable a new name, unit, longer length or
   * default value. A rename keeps the values assets of the type family hold.
   */
  async patchTypeVariables(tenant: string, id: string, raw: unknown, pre: Preconditions): Promise<AssetTypeView> {
    const changes = asObject(raw, 'body');
    const renames: [string, string][] = [];
    const invalidBody = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });
    const { view, catalog } = await this.modifyAssetType(tenant, id, pre, (t, cat) => {
      const variables = t.variables.map((v) => ({ ...v }));
      for (const [name, rawChange] of Object.entries(changes)) {
        const v = variables.find((x) => x.name === name);
        if (!v) throw invalidBody(name, `is not a variable declared by asset type ${t.id} (inherited variables change on their own type)`);
        const c = asObject(rawChange, name);
        for (const f of Object.keys(c)) {
          if (!['name', 'unit', 'length', 'defaultValue'].includes(f)) throw invalidBody(`${name}.${f}`, 'only name, unit, length and defaultValue can change');
        }
        const merged = parseVariable({ ...v, ...c, qualityCode: false }, name, 'assettype');
        if ((merged.length ?? 0) < (v.length ?? 0)) throw invalidBody(`${name}.length`, `may only increase (now ${v.length})`);
        if (merged.name !== v.name) renames.push([v.name, merged.name]);
        Object.assign(v, { name: merged.name, unit: merged.unit, length: merged.length, defaultValue: merged.defaultValue });
      }
      checkUnique(variables.map((v) => v.name), 'variables', 'variable');
      const next = { ...t, variables };
      checkFamilyNames(next, cat);
      return next;
    });
    for (const [from, to] of renames) await this.d.store.renameVariableValues(tenant, catalog.family(id), from, to);
    return view;
  }

  async deleteAssetType(tenant: string, id: string, pre: Preconditions): Promise<void> {
    const cat = await loadCatalog(this.d.store, tenant);
    const t = await this.writable(cat.assetType(id), 'asset type', id, pre);
    const child = [...cat.assetTypes.values()].find((c) => c.parentTypeId === t.id);
    if (child) throw AssetErrors.inUse({ resource: 'asset type', id, reason: `asset type ${child.id} derives from it` });
    const n = await this.d.store.countAssetsOfTypes(tenant, [t.id]);
    if (n > 0) throw AssetErrors.inUse({ resource: 'asset type', id, reason: `${n} asset(s) are of this type` });
    if (!(await this.d.store.deleteAssetType(tenant, t.id, t.etag))) throw concurrentChange(`asset type ${id}`);
    await this.d.events.emit({ type: 'assettype.deleted', tenant, typeId: t.id });
  }
}
