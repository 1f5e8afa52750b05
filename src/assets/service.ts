/**
 * The Asset Management service (Asset Management API v3): the one interface the routes and the CLI call, one
 * call per operation, each answering what the caller renders. The rules live by subject: input.ts (request
 * bodies), type-rules.ts and type-service.ts (aspect and asset types), asset-service.ts and views.ts (assets and
 * what they inherit), reader.ts (the AssetModelReader port other contexts read). No HTTP here.
 */
import { AssetOps, type Caller } from './asset-service.js';
import type { TypeCatalog } from './catalog.js';
import { loadCatalog, type ServiceDeps, type ServiceOptions } from './deps.js';
import type { ModelEventBus } from './events.js';
import type { ListQuery, PageResult } from './paging.js';
import type { Preconditions } from './preconditions.js';
import { ModelReader } from './reader.js';
import type {
  AspectMember, AspectTypeRecord, AssetRecord, AssetTypeView, AssetView, ExplodedMember, VariableDefinition,
} from './records.js';
import type { AssetStore } from './store.js';
import { TypeService, type TypeWrite } from './type-service.js';

export type { Caller } from './asset-service.js';
export type { ServiceOptions } from './deps.js';
export type { ListQuery, PageResult } from './paging.js';
export type { Preconditions } from './preconditions.js';
export { parseEtag } from './preconditions.js';
export type { TypeWrite } from './type-service.js';

export class AssetService {
  private readonly d: ServiceDeps;
  private readonly types: TypeService;
  private readonly assets: AssetOps;
  /** The AssetModelReader port (core/model.ts) other contexts read the model through. */
  readonly model: ModelReader;

  constructor(store: AssetStore, events: ModelEventBus, opts: ServiceOptions) {
    this.d = { store, events, opts };
    this.types = new TypeService(this.d);
    this.assets = new AssetOps(this.d);
    this.model = new ModelReader(this.d);
  }

  /** The types the tenant sees (its own and the core ones). */
  catalog(tenant: string): Promise<TypeCatalog> { return loadCatalog(this.d.store, tenant); }

  /** Whether an asset type or a live asset of the tenant assigns the file (Asset Management files keep it then). */
  async fileInUse(tenant: string, fileId: string): Promise<boolean> {
    for (const t of (await this.catalog(tenant)).assetTypes.values()) {
      if (t.tenant === tenant && t.fileAssignments.some((f) => f.fileId === fileId)) return true;
    }
    return (await this.assets.listRecords({ tenant, admin: false }, { filter: JSON.stringify({ fileId }), size: 1 })).total > 0;
  }

  // ---------------------------------------------------------------- aspect types
  listAspectTypes(tenant: string, q: ListQuery): Promise<PageResult<AspectTypeRecord>> { return this.types.listAspectTypes(tenant, q); }
  getAspectType(tenant: string, id: string): Promise<AspectTypeRecord> { return this.types.getAspectType(tenant, id); }
  /** Creates (201) or, with If-Match, replaces the aspect type. */
  putAspectType(tenant: string, id: string, body: unknown, pre: Preconditions): Promise<TypeWrite<AspectTypeRecord>> {
    return this.types.putAspectType(tenant, id, body, pre);
  }
  patchAspectType(tenant: string, id: string, patch: unknown, pre: Preconditions): Promise<AspectTypeRecord> {
    return this.types.patchAspectType(tenant, id, patch, pre);
  }
  deleteAspectType(tenant: string, id: string, pre: Preconditions): Promise<void> { return this.types.deleteAspectType(tenant, id, pre); }

  // ---------------------------------------------------------------- asset types (views: own members, or exploded)
  listAssetTypes(tenant: string, q: ListQuery, exploded = false): Promise<PageResult<AssetTypeView>> {
    return this.types.listAssetTypes(tenant, q, exploded);
  }
  getAssetType(tenant: string, id: string, exploded = false): Promise<AssetTypeView> { return this.types.getAssetType(tenant, id, exploded); }
  putAssetType(tenant: string, id: string, body: unknown, pre: Preconditions, exploded = false): Promise<TypeWrite<AssetTypeView>> {
    return this.types.putAssetType(tenant, id, body, pre, exploded);
  }
  patchAssetType(tenant: string, id: string, patch: unknown, pre: Preconditions, exploded = false): Promise<AssetTypeView> {
    return this.types.patchAssetType(tenant, id, patch, pre, exploded);
  }
  patchTypeVariables(tenant: string, id: string, changes: unknown, pre: Preconditions): Promise<AssetTypeView> {
    return this.types.patchTypeVariables(tenant, id, changes, pre);
  }
  putTypeFileAssignment(tenant: string, id: string, key: string, body: unknown, pre: Preconditions): Promise<AssetTypeView> {
    return this.types.putTypeFileAssignment(tenant, id, key, body, pre);
  }
  deleteTypeFileAssignment(tenant: string, id: string, key: string, pre: Preconditions): Promise<void> {
    return this.types.deleteTypeFileAssignment(tenant, id, key, pre);
  }
  deleteAssetType(tenant: string, id: string, pre: Preconditions): Promise<void> { return this.types.deleteAssetType(tenant, id, pre); }

  // ---------------------------------------------------------------- assets (views: what the API shows)
  /** The tenant's root asset, created on first use. */
  ensureRoot(tenant: string): Promise<AssetRecord> { return this.assets.ensureRoot(tenant); }
  root(tenant: string): Promise<AssetView> { return this.assets.root(tenant); }
  listAssets(caller: Caller, q: ListQuery): Promise<PageResult<AssetView>> { return this.assets.listAssets(caller, q); }
  /** The same page without views, for callers that need only the records (the CLI's tree). */
  listAssetRecords(caller: Caller, q: ListQuery): Promise<PageResult<AssetRecord>> { return this.assets.listRecords(caller, q); }
  getAsset(caller: Caller, assetId: string): Promise<AssetView> { return this.assets.getAsset(caller, assetId); }
  createAsset(caller: Caller, body: unknown): Promise<AssetView> { return this.assets.createAsset(caller, body); }
  updateAsset(caller: Caller, assetId: string, body: unknown, pre: Preconditions): Promise<AssetView> {
    return this.assets.updateAsset(caller, assetId, body, pre);
  }
  patchAsset(caller: Caller, assetId: string, patch: unknown, pre: Preconditions): Promise<AssetView> {
    return this.assets.patchAsset(caller, assetId, patch, pre);
  }
  moveAsset(caller: Caller, assetId: string, body: unknown, pre: Preconditions): Promise<AssetView> {
    return this.assets.moveAsset(caller, assetId, body, pre);
  }
  deleteAsset(caller: Caller, assetId: string, pre: Preconditions): Promise<void> { return this.assets.deleteAsset(caller, assetId, pre); }
  setLocation(caller: Caller, assetId: string, body: unknown, pre: Preconditions): Promise<AssetView> {
    return this.assets.setLocation(caller, assetId, body, pre);
  }
  deleteLocation(caller: Caller, assetId: string, pre: Preconditions): Promise<AssetView> { return this.assets.deleteLocation(caller, assetId, pre); }
  putAssetFileAssignment(caller: Caller, assetId: string, key: string, body: unknown, pre: Preconditions): Promise<AssetView> {
    return this.assets.putFileAssignment(caller, assetId, key, body, pre);
  }
  deleteAssetFileAssignment(caller: Caller, assetId: string, key: string, pre: Preconditions): Promise<AssetView> {
    return this.assets.deleteFileAssignment(caller, assetId, key, pre);
  }
  aspectsOf(caller: Caller, assetId: string, q: ListQuery): Promise<{ asset: AssetRecord; page: PageResult<AspectMember> }> {
    return this.assets.aspectsOf(caller, assetId, q);
  }
  variablesOf(caller: Caller, assetId: string, q: ListQuery): Promise<PageResult<ExplodedMember<VariableDefinition>>> {
    return this.assets.variablesOf(caller, assetId, q);
  }

  // ---------------------------------------------------------------- model lock (Asset Management API v3)
  getModelLock(tenant: string): Promise<boolean> { return this.d.store.getModelLock(tenant); }
  async setModelLock(tenant: string, enabled: boolean): Promise<boolean> {
    await this.d.store.setModelLock(tenant, enabled);
    return enabled;
  }
}
