/**
 * The asset store interface: tenant-owned aspect types, asset types, assets and the model lock.
 * Implementations: store/sqlite.ts (embedded). Every method takes the tenant and touches only that tenant's rows.
 * Conditional writes take the etag the service read; they return false when it no longer matches, so a
 * concurrent change is never overwritten.
 */
import type { FilterNode } from '../core/filter.js';
import type { AspectTypeRecord, AssetRecord, AssetTypeRecord } from './records.js';

export type AssetSummary = Pick<AssetRecord, 'assetId' | 'name' | 'location'>;

/**
 * An asset as the model reader's lists need it (AssetModelReader.listAssets: the OData asset pages): the own values
 * and the columns they show, without location, file assignments, path or etag.
 */
export type AssetValuesRecord = Pick<AssetRecord,
  'tenant' | 'assetId' | 'name' | 'externalId' | 'typeId' | 'parentId' | 'timezone' | 'description' | 'variables' | 'aspects'>;

export type SortDirection = 'asc' | 'desc';

export interface AssetQuery {
  /** Filter over the asset filter fields; hasType already rewritten to typeId in [...]. */
  filter: FilterNode | null;
  /** When false, deleted assets are left out. */
  includeDeleted: boolean;
  sort: { field: string; direction: SortDirection }[];
  offset: number;
  limit: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export class StoreConflict extends Error {}
export class ParentGone extends Error {}

export interface AssetStore {
  /**
   * A number that changes whenever the stored types or assets may have changed: on this store's own writes and
   * when another connection (a second worker, the CLI) has committed; looked up on every call, so a reader that
   * keys a cache on it sees every change on its next call.
   */
  modelVersion(): number;
  listAspectTypes(tenant: string): Promise<AspectTypeRecord[]>;
  getAspectType(tenant: string, id: string): Promise<AspectTypeRecord | undefined>;
  /** Inserts; throws StoreConflict when the id or the name exists in the tenant. */
  createAspectType(rec: AspectTypeRecord): Promise<void>;
  /** Replaces when the stored etag equals `expectedEtag`; rec.etag is the new etag. */
  updateAspectType(rec: AspectTypeRecord, expectedEtag: number): Promise<boolean>;
  deleteAspectType(tenant: string, id: string, expectedEtag: number): Promise<boolean>;

  listAssetTypes(tenant: string): Promise<AssetTypeRecord[]>;
  getAssetType(tenant: string, id: string): Promise<AssetTypeRecord | undefined>;
  createAssetType(rec: AssetTypeRecord): Promise<void>;
  updateAssetType(rec: AssetTypeRecord, expectedEtag: number): Promise<boolean>;
  deleteAssetType(tenant: string, id: string, expectedEtag: number): Promise<boolean>;

  getAsset(tenant: string, assetId: string): Promise<AssetRecord | undefined>;
  /** Name and own location of the given assets (for hierarchyPath and inherited locations). */
  getAssetSummaries(tenant: string, assetIds: string[]): Promise<AssetSummary[]>;
  getRootAsset(tenant: string): Promise<AssetRecord | undefined>;
  /**
   * Inserts under a live parent, checked in the same transaction; rec.path is set from the parent as it is now.
   * Throws StoreConflict when the id exists, ParentGone when the parent is missing or deleted.
   */
  createAsset(rec: AssetRecord): Promise<void>;
  updateAsset(rec: AssetRecord, expectedEtag: number): Promise<boolean>;
  /**
   * Moves the asset (rec carries the new parentId and etag) and rewrites the paths of its subtree; the parent is
   * re-checked in the same transaction (live, not inside the moved subtree) and rec.path set from it.
   */
  moveAsset(rec: AssetRecord, oldPath: string, expectedEtag: number): Promise<'moved' | 'stale' | 'parentGone' | 'cycle'>;
  /** Marks the asset deleted unless it has live children (checked in the same transaction). */
  softDeleteAsset(rec: AssetRecord, expectedEtag: number): Promise<'deleted' | 'stale' | 'hasChildren'>;
  listAssets(tenant: string, query: AssetQuery): Promise<Page<AssetRecord>>;
  /** The same page as listAssets (same rows, order and total), each asset cut to AssetValuesRecord. */
  listAssetValues(tenant: string, query: AssetQuery): Promise<Page<AssetValuesRecord>>;
  countChildren(tenant: string, assetId: string): Promise<number>;
  /** Renames a variable in the own values of every asset of the given types (a variable rename on their type). */
  renameVariableValues(tenant: string, typeIds: string[], from: string, to: string): Promise<void>;
  /** Number of live assets whose type is one of typeIds. */
  countAssetsOfTypes(tenant: string, typeIds: string[]): Promise<number>;

  getModelLock(tenant: string): Promise<boolean>;
  setModelLock(tenant: string, enabled: boolean): Promise<void>;
  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
