/**
 * The asset model as other contexts read it (time series, aggregates, OData): a port implemented by the assets
 * context and consumed through the platform's composition, so no context imports another's internals.
 */

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
  category: 'static' | 'dynamic';
  variables: ModelVariable[];
}

export interface ModelAsset {
  tenant: string;
  assetId: string;
  name: string;
  typeId: string;
  parentId: string | null;
  /** Java zone id, e.g. Europe/Berlin (reference §1.4). */
  timezone: string;
  /** All aspects of the asset's type including inherited ones. */
  aspects: ModelAspect[];
}

export interface AssetModelReader {
  /** The asset with its merged aspects, or undefined when it does not exist (or is deleted) in that tenant. */
  getAsset(tenant: string, assetId: string): Promise<ModelAsset | undefined>;
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
