/**
 * Assets and the hierarchy (Asset Management API v3, "Assets"): the root asset per tenant, creation under a live
 * parent, etag-guarded updates, merge-patch, moves without cycles, soft deletion without live children, own
 * locations and file assignments, lists, and the members of an asset's type. Every answer is an AssetView (see
 * views.ts), so callers only render. No HTTP here; every read and write is scoped to the caller's tenant.
 */
import { Generic } from '../core/errors.js';
import { mentions, parseFilter, rewriteField, type FieldSpec } from '../core/filter.js';
import { timezoneRule } from '../core/zone.js';
import type { TypeCatalog } from './catalog.js';
import { checkFileIds, loadCatalog, type ServiceDeps } from './deps.js';
import { AssetErrors } from './errors.js';
import {
  asObject, optionalString, parseAssetFields, parseAssetValues, parseFileAssignment, parseLocation, patchedAsset,
  requireString,
} from './input.js';
import { mapPage, pageOf, pageParams, parseSort, type ListQuery, type PageResult } from './paging.js';
import { checkIfMatch, concurrentChange, type Preconditions } from './preconditions.js';
import {
  ancestorIds, ASSET_ID_RE, newAssetId, subtreePrefix,
  type AspectMember, type AssetRecord, type AssetView, type ExplodedMember, type VariableDefinition,
} from './records.js';
import { ParentGone, StoreConflict, type AssetSummary } from './store.js';
import { hasTypeToIn } from './type-rules.js';
import { assetView } from './views.js';

export interface Caller {
  tenant: string;
  /** Admins see deleted assets (Asset Management API v3, assets). */
  admin: boolean;
}

/** Asset Management API v3, filter parameter; fileId matches the asset's own file assignments. */
export const ASSET_FIELDS: FieldSpec = {
  assetId: 'string', tenantId: 'string', name: 'string', externalId: 'string', t2tenant: 'string', subTenant: 'string',
  timezone: 'string', twinType: 'string', deleted: 'date', parentId: 'string', typeId: 'string', hasType: 'string',
  fileId: 'string',
};
const ASSET_SORT = ['name', 'assetId', 'externalId', 'typeId', 'parentId', 'timezone', 'twinType', 'deleted', 'tenantId'];
const MEMBER_FIELDS: FieldSpec = { name: 'string', aspectTypeId: 'string', category: 'string', dataType: 'string', unit: 'string' };

const invalidBody = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });

export class AssetOps {
  constructor(private readonly d: ServiceDeps) {}

  private now(): number {
    return (this.d.opts.now ?? Date.now)();
  }

  /** Views of the given assets; the catalog and the ancestors are read once for all of them. */
  private async views(tenant: string, assets: AssetRecord[], catalog?: TypeCatalog): Promise<AssetView[]> {
    const ids = new Set<string>();
    for (const a of assets) for (const id of ancestorIds(a)) ids.add(id);
    const [cat, found] = await Promise.all([catalog ?? loadCatalog(this.d.store, tenant), this.d.store.getAssetSummaries(tenant, [...ids])]);
    const ancestors = new Map<string, AssetSummary>(found.map((a) => [a.assetId, a]));
    return assets.map((a) => assetView(a, cat, ancestors));
  }

  private async view(a: AssetRecord, catalog?: TypeCatalog): Promise<AssetView> {
    return (await this.views(a.tenant, [a], catalog))[0]!;
  }

  async ensureRoot(tenant: string): Promise<AssetRecord> {
    const existing = await this.d.store.getRootAsset(tenant);
    if (existing) return existing;
    const root: AssetRecord = {
      assetId: newAssetId(), tenant, name: tenant, externalId: null, description: `Root asset of tenant ${tenant}`,
      typeId: 'core.tenant', parentId: null, path: '', timezone: this.d.opts.defaultTimezone, twinType: 'performance',
      subTenant: null, location: null, variables: [], aspects: [], fileAssignments: [], etag: 0, deleted: null,
      createdAt: this.now(),
    };
    try {
      await this.d.store.createAsset(root);
    } catch (err) {
      if (err instanceof StoreConflict) return (await this.d.store.getRootAsset(tenant))!;
      throw err;
    }
    await this.d.events.emit({ type: 'asset.created', tenant, assetId: root.assetId });
    return root;
  }

  async root(tenant: string): Promise<AssetView> {
    return this.view(await this.ensureRoot(tenant));
  }

  /** The asset as the caller may see it: 404 when missing, deleted (for non-admins) or malformed id. */
  private async visible(caller: Caller, assetId: string): Promise<AssetRecord> {
    if (!ASSET_ID_RE.test(assetId)) throw AssetErrors.assetNotFound({ id: assetId.slice(0, 64) });
    const a = await this.d.store.getAsset(caller.tenant, assetId);
    if (!a || (a.deleted !== null && !caller.admin)) throw AssetErrors.assetNotFound({ id: assetId });
    return a;
  }

  /** A visible asset that is not deleted, before a change. */
  private async live(caller: Caller, assetId: string): Promise<AssetRecord> {
    const a = await this.visible(caller, assetId);
    if (a.deleted !== null) throw AssetErrors.deletedAsset({ id: assetId });
    return a;
  }

  async getAsset(caller: Caller, assetId: string): Promise<AssetView> {
    return this.view(await this.visible(caller, assetId));
  }

  /** A live parent of the caller's tenant named by `field`, or the 400 saying it refers to nothing. */
  private async parent(caller: Caller, body: Record<string, unknown>, field: string): Promise<AssetRecord> {
    const id = requireString(body, field, field, 64);
    const parent = ASSET_ID_RE.test(id) ? await this.d.store.getAsset(caller.tenant, id) : undefined;
    if (!parent || parent.deleted !== null) throw AssetErrors.referenceNotFound({ field, id });
    return parent;
  }

  async createAsset(caller: Caller, raw: unknown): Promise<AssetView> {
    const body = asObject(raw, 'body');
    const cat = await loadCatalog(this.d.store, caller.tenant);
    const typeIdRaw = requireString(body, 'typeId', 'typeId', 128);
    const type = cat.exploded(typeIdRaw);
    if (!type) throw AssetErrors.referenceNotFound({ field: 'typeId', id: typeIdRaw });
    if (!type.type.instantiable) throw AssetErrors.notInstantiable({ typeId: type.type.id });
    const parent = await this.parent(caller, body, 'parentId');
    const timezone = optionalString(body, 'timezone', 'timezone', 64) ?? this.d.opts.defaultTimezone;
    const tzRule = timezoneRule(timezone);
    if (tzRule) throw invalidBody('timezone', `"${timezone}" ${tzRule}`);
    const twinType = optionalString(body, 'twinType', 'twinType', 16) ?? 'performance';
    if (twinType !== 'performance' && twinType !== 'simulation') throw invalidBody('twinType', 'must be performance or simulation');
    const asset: AssetRecord = {
      assetId: newAssetId(), tenant: caller.tenant, ...parseAssetFields(body), ...parseAssetValues(body, type),
      typeId: type.type.id, parentId: parent.assetId, path: subtreePrefix(parent), timezone, twinType, subTenant: null,
      etag: 0, deleted: null, createdAt: this.now(),
    };
    await checkFileIds(this.d.opts, caller.tenant, asset.fileAssignments);
    try {
      await this.d.store.createAsset(asset);
    } catch (err) {
      if (err instanceof ParentGone) throw AssetErrors.referenceNotFound({ field: 'parentId', id: parent.assetId });
      throw err;
    }
    await this.d.events.emit({ type: 'asset.created', tenant: caller.tenant, assetId: asset.assetId });
    return this.view(asset, cat);
  }

  /** PUT replaces the updatable fields; type, parent, timezone and twin type are fixed at creation. */
  async updateAsset(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetView> {
    const current = await this.live(caller, assetId);
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    return this.replace(caller, current, asObject(raw, 'body'));
  }

  private async replace(caller: Caller, current: AssetRecord, body: Record<string, unknown>): Promise<AssetView> {
    const { assetId } = current;
    const immutable: [string, unknown][] = [['typeId', current.typeId], ['parentId', current.parentId],
      ['timezone', current.timezone], ['twinType', current.twinType], ['assetId', current.assetId]];
    for (const [field, value] of immutable) {
      if (body[field] !== undefined && body[field] !== null && body[field] !== value) {
        throw AssetErrors.immutable({ field, resource: `asset ${assetId}${field === 'parentId' ? ' (use POST /assets/{id}/move)' : ''}` });
      }
    }
    const cat = await loadCatalog(this.d.store, caller.tenant);
    const type = cat.exploded(current.typeId);
    if (!type) throw AssetErrors.referenceNotFound({ field: 'typeId', id: current.typeId });
    const next: AssetRecord = { ...current, ...parseAssetFields(body), ...parseAssetValues(body, type), etag: current.etag + 1 };
    await checkFileIds(this.d.opts, caller.tenant, next.fileAssignments);
    if (!(await this.d.store.updateAsset(next, current.etag))) throw concurrentChange(`asset ${assetId}`);
    await this.d.events.emit({ type: 'asset.updated', tenant: caller.tenant, assetId });
    return this.view(next, cat);
  }

  /** RFC 7396 merge-patch on the writable view; variables and aspect values merge by name (null resets to default). */
  async patchAsset(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetView> {
    const current = await this.live(caller, assetId);
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    return this.replace(caller, current, patchedAsset(current, raw));
  }

  async deleteAsset(caller: Caller, assetId: string, pre: Preconditions): Promise<void> {
    const current = await this.live(caller, assetId);
    if (current.parentId === null) throw AssetErrors.rootAsset({ id: assetId, action: 'deleted' });
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    const n = await this.d.store.countChildren(caller.tenant, assetId);
    if (n > 0) throw AssetErrors.hasChildren({ id: assetId, count: n });
    const next = { ...current, deleted: this.now(), etag: current.etag + 1 };
    // the store re-checks the children in the same transaction as the write
    const result = await this.d.store.softDeleteAsset(next, current.etag);
    if (result === 'hasChildren') throw AssetErrors.hasChildren({ id: assetId, count: await this.d.store.countChildren(caller.tenant, assetId) });
    if (result === 'stale') throw concurrentChange(`asset ${assetId}`);
    await this.d.events.emit({ type: 'asset.deleted', tenant: caller.tenant, assetId });
  }

  async moveAsset(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetView> {
    const current = await this.live(caller, assetId);
    if (current.parentId === null) throw AssetErrors.rootAsset({ id: assetId, action: 'moved' });
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    const parent = await this.parent(caller, asObject(raw, 'body'), 'newParentId');
    const newParentId = parent.assetId;
    if (parent.assetId === assetId || ancestorIds(parent).includes(assetId)) {
      throw AssetErrors.invalidMove({ id: assetId, reason: `${newParentId} is the asset itself or one of its descendants` });
    }
    const next = { ...current, parentId: parent.assetId, path: subtreePrefix(parent), etag: current.etag + 1 };
    // the store re-checks the parent in the same transaction as the write (a concurrent move could make a cycle)
    switch (await this.d.store.moveAsset(next, current.path, current.etag)) {
      case 'stale': throw concurrentChange(`asset ${assetId}`);
      case 'parentGone': throw AssetErrors.referenceNotFound({ field: 'newParentId', id: newParentId });
      case 'cycle': throw AssetErrors.invalidMove({ id: assetId, reason: `${newParentId} is now one of its descendants` });
      case 'moved': break;
    }
    await this.d.events.emit({ type: 'asset.moved', tenant: caller.tenant, assetId });
    return this.view(next);
  }

  /** A checked, etag-guarded change of one live asset; `change` returning the same record changes nothing. */
  private async modify(caller: Caller, assetId: string, pre: Preconditions,
    change: (a: AssetRecord) => AssetRecord, before?: () => Promise<void>): Promise<AssetView> {
    const current = await this.live(caller, assetId);
    checkIfMatch(pre, current.etag, `asset ${assetId}`);
    await before?.();
    const changed = change(current);
    if (changed === current) return this.view(current);
    const next = { ...changed, etag: current.etag + 1 };
    if (!(await this.d.store.updateAsset(next, current.etag))) throw concurrentChange(`asset ${assetId}`);
    await this.d.events.emit({ type: 'asset.updated', tenant: caller.tenant, assetId });
    return this.view(next);
  }

  async setLocation(caller: Caller, assetId: string, raw: unknown, pre: Preconditions): Promise<AssetView> {
    const location = parseLocation(raw);
    return this.modify(caller, assetId, pre, (a) => ({ ...a, location }));
  }

  /** Removes only the asset's own location; the nearest ancestor's location shows again (Asset Management API v3, assets). */
  async deleteLocation(caller: Caller, assetId: string, pre: Preconditions): Promise<AssetView> {
    return this.modify(caller, assetId, pre, (a) => (a.location === null ? a : { ...a, location: null }));
  }

  async putFileAssignment(caller: Caller, assetId: string, key: string, raw: unknown, pre: Preconditions): Promise<AssetView> {
    const assignment = parseFileAssignment(key, raw);
    return this.modify(caller, assetId, pre, (a) => ({
      ...a, fileAssignments: [...a.fileAssignments.filter((f) => f.key !== key), assignment],
    }), () => checkFileIds(this.d.opts, caller.tenant, [assignment], 'fileId'));
  }

  /** Removes the asset's own assignment; an assignment of the same key on its type shows again (Asset Management API v3). */
  async deleteFileAssignment(caller: Caller, assetId: string, key: string, pre: Preconditions): Promise<AssetView> {
    return this.modify(caller, assetId, pre, (a) => {
      if (!a.fileAssignments.some((f) => f.key === key)) throw Generic.noMatch({ resource: `own file assignment "${key}" on asset ${assetId}` });
      return { ...a, fileAssignments: a.fileAssignments.filter((f) => f.key !== key) };
    });
  }

  /** A page of records (views are made by the callers that need them); deleted ones only for an admin's `deleted` filter. */
  async listRecords(caller: Caller, q: ListQuery): Promise<PageResult<AssetRecord>> {
    const { page, size } = pageParams(q, this.d.opts.maxPageSize);
    const sort = parseSort(q.sort, ASSET_SORT);
    let filter = parseFilter(q.filter, ASSET_FIELDS);
    if (mentions(filter, 'hasType')) {
      const cat = await loadCatalog(this.d.store, caller.tenant);
      filter = rewriteField(filter, 'hasType', (n) => hasTypeToIn(cat, n, 'typeId'));
    }
    const includeDeleted = caller.admin && mentions(filter, 'deleted');
    const result = await this.d.store.listAssets(caller.tenant, { filter, includeDeleted, sort, offset: page * size, limit: size });
    return { items: result.items, total: result.total, page, size };
  }

  async listAssets(caller: Caller, q: ListQuery): Promise<PageResult<AssetView>> {
    const page = await this.listRecords(caller, q);
    return mapPage(page, await this.views(caller.tenant, page.items));
  }

  /** GET /assets/{id}/aspects: every aspect of the asset's type chain, with its aspect type. */
  async aspectsOf(caller: Caller, assetId: string, q: ListQuery): Promise<{ asset: AssetRecord; page: PageResult<AspectMember> }> {
    const asset = await this.visible(caller, assetId);
    const rows = (await loadCatalog(this.d.store, caller.tenant)).exploded(asset.typeId)?.aspects.map((m) => m.member) ?? [];
    const page = pageOf(rows, q, { fields: MEMBER_FIELDS, sortable: ['name'], get: (r, f) =>
      f === 'name' ? r.name : f === 'aspectTypeId' ? r.aspectType.id : f === 'category' ? r.aspectType.category : null },
    this.d.opts.maxPageSize);
    return { asset, page };
  }

  /** GET /assets/{id}/variables: every variable of the asset's type chain, with the type that declares it. */
  async variablesOf(caller: Caller, assetId: string, q: ListQuery): Promise<PageResult<ExplodedMember<VariableDefinition>>> {
    const asset = await this.visible(caller, assetId);
    const rows = (await loadCatalog(this.d.store, caller.tenant)).exploded(asset.typeId)?.variables ?? [];
    return pageOf(rows, q, { fields: MEMBER_FIELDS, sortable: ['name'], get: (r, f) =>
      f === 'name' || f === 'dataType' || f === 'unit' ? r.member[f] : null }, this.d.opts.maxPageSize);
  }
}
