/**
 * The asset model as other contexts read it (time series, aggregates, OData): a port implemented by the assets
 * context and consumed through the platform's composition, so no context imports another's internals.
 */
import type { FilterNode } from './filter.js';

export type VariableDataType = 'BOOLEAN' | 'INT' | 'LONG' | 'DOUBLE' | 'STRING' | 'BIG_STRING' | 'TIMESTAMP';

export interface ModelVariable {
  name: string;
  dataType: VariableDataType;
  unit: string;
  /** Maximum length for STRING / BIG_STRING, null otherwise. */
  length: number | null;
  qualityCode: boolean;
  searchable: boolean;
  defaultValue: string | null;
}

export interface ModelAspect {
  /** Aspect name within the asset type (the time series propertySetName). */
  name: string;
  aspectTypeId: string;
  aspectTypeName: string;
  category: 'static' | 'dynamic';
  variables: ModelVariable[];
}

export interface ModelAsset {
  tenant: string;
  assetId: string;
  name: string;
  typeId: string;
  parentId: string | null;
  /** Java zone id, e.g. Europe/Berlin (Asset Management API v3, assets). */
  timezone: string;
  /** All aspects of the asset's type including inherited ones. */
  aspects: ModelAspect[];
}

/** A value as Asset Management shows it: the asset's own, else the default of its type, else null; text as on the wire. */
export interface ModelValue {
  name: string;
  value: string | null;
}

/** An asset with the values it shows (Asset Management API v3, "Assets"). */
export interface ModelAssetValues extends ModelAsset {
  externalId: string | null;
  description: string;
  /** Every variable of the type chain (asset type variables), root ancestor's first. */
  variables: ModelValue[];
  /** Every static aspect of the type chain with the values of its variables. */
  staticAspects: { name: string; variables: ModelValue[] }[];
}

/** An asset type with every member of its chain (root ancestor's first). */
export interface ModelAssetType {
  /** Owning tenant, or `core` for the shared core types. */
  tenant: string;
  id: string;
  name: string;
  description: string;
  parentTypeId: string | null;
  instantiable: boolean;
  /** Changes whenever the type, one of its ancestors or an aspect type it uses changes (their etags). */
  version: string;
  /** Asset type variables (static values of each asset; qualityCode is always false). */
  variables: ModelVariable[];
  aspects: ModelAspect[];
}

/** Fields a model asset list sorts by. */
export type ModelAssetSortField = 'name' | 'assetId' | 'externalId' | 'typeId' | 'parentId' | 'timezone';

export interface ModelAssetQuery {
  /**
   * A condition in the filter language of core/filter.ts over the asset fields of Asset Management's `filter`
   * (assetId, name, externalId, parentId, typeId, timezone, twinType, subTenant, fileId, and hasType: the type
   * or one derived from it). null or omitted: every asset.
   */
  filter?: FilterNode | null;
  /** Default: by name; ties always by assetId, so pages are stable. */
  sort?: { field: ModelAssetSortField; direction: 'asc' | 'desc' }[];
  /** Rows to skip and the most to return; the caller bounds the page (the reader does not). */
  offset: number;
  limit: number;
}

/** What a context that only looks up single assets needs (time series, agents). */
export interface AssetLookup {
  /** The asset with its merged aspects, or undefined when it does not exist (or is deleted) in that tenant. */
  getAsset(tenant: string, assetId: string): Promise<ModelAsset | undefined>;
  /**
   * getAsset for each id, in order, as of one moment for all the answers already known (one look at the model's
   * version for a whole request, not one per asset: a multi-entity write names up to hundreds). Optional: a lookup
   * without it is asked asset by asset.
   */
  getAssets?(tenant: string, assetIds: readonly string[]): Promise<(ModelAsset | undefined)[]>;
}

/** The whole read side of the model (OData and other readers of types and lists). */
export interface AssetModelReader extends AssetLookup {
  /** The asset type (the tenant's own or a core one; core ids match case-insensitively), or undefined. */
  getAssetType(tenant: string, typeId: string): Promise<ModelAssetType | undefined>;
  /** Every asset type the tenant sees, core ones included, by id. */
  listAssetTypes(tenant: string): Promise<ModelAssetType[]>;
  /** A page of the tenant's live assets with their values, and how many match in all. */
  listAssets(tenant: string, query: ModelAssetQuery): Promise<{ items: ModelAssetValues[]; total: number }>;
}

export type ModelEvent =
  | { type: 'asset.created' | 'asset.updated' | 'asset.moved' | 'asset.deleted'; tenant: string; assetId: string }
  | { type: 'assettype.created' | 'assettype.updated' | 'assettype.deleted'; tenant: string; typeId: string }
  | { type: 'aspecttype.created' | 'aspecttype.updated' | 'aspecttype.deleted'; tenant: string; aspectTypeId: string }
  /** An aspect was removed from an asset type: its series on assets of that type family go away. */
  | { type: 'assettype.aspectRemoved'; tenant: string; typeId: string; aspectName: string };

export type ModelListener = (event: ModelEvent) => void | Promise<void>;

/**
 * Events reach only the process that made the change (one worker, or the CLI). A listener may change stored
 * data, which every process then reads; it must not feed an in-memory cache, which other processes' changes
 * would leave stale (see docs/operations.md).
 */
export interface ModelEvents {
  /** Subscribes; returns the unsubscribe function. Listeners run after the change is committed. */
  on(listener: ModelListener): () => void;
}
