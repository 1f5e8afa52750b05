/**
 * The records of the asset model as the store keeps them (Asset Management API v3: aspect types, asset types,
 * assets) and the views the service hands to its callers: an asset type with its inherited members, an asset with
 * its inherited location, default values and file assignments. Types and small pure helpers only.
 */
import { randomBytes } from 'node:crypto';
import type { VariableDataType } from '../core/model.js';

export const DATA_TYPES: readonly VariableDataType[] = ['BOOLEAN', 'INT', 'LONG', 'DOUBLE', 'STRING', 'BIG_STRING', 'TIMESTAMP'];
/** Owner of the shared read-only core types; reserved as a tenant name. */
export const CORE_TENANT = 'core';

export interface VariableDefinition {
  name: string;
  dataType: VariableDataType;
  unit: string;
  /**
   * Sort and filter on static values. Stored as sent; it has no effect on dynamic aspect types (their values are
   * time series), where Insights Hub accepts it too (docs/compatibility.md).
   */
  searchable: boolean;
  length: number | null;
  defaultValue: string | null;
}

export interface AspectVariable extends VariableDefinition {
  qualityCode: boolean;
}

export type Category = 'static' | 'dynamic';

export interface AspectTypeRecord {
  id: string;
  /** Owning tenant; CORE_TENANT for the shared read-only core types. */
  tenant: string;
  name: string;
  category: Category;
  scope: 'private' | 'public';
  description: string;
  variables: AspectVariable[];
  etag: number;
}

export interface TypeAspect {
  name: string;
  aspectTypeId: string;
}

export interface FileAssignment {
  key: string;
  fileId: string;
}

export interface AssetTypeRecord {
  id: string;
  tenant: string;
  name: string;
  description: string;
  parentTypeId: string | null;
  instantiable: boolean;
  scope: 'private' | 'public';
  aspects: TypeAspect[];
  variables: VariableDefinition[];
  fileAssignments: FileAssignment[];
  etag: number;
}

export interface Location {
  country?: string;
  region?: string;
  locality?: string;
  streetAddress?: string;
  postalCode?: string;
  longitude?: number;
  latitude?: number;
}

export interface VariableValue {
  name: string;
  value: string | null;
}

export interface AspectValues {
  name: string;
  variables: VariableValue[];
}

export type TwinType = 'performance' | 'simulation';

export interface AssetRecord {
  assetId: string;
  tenant: string;
  name: string;
  externalId: string | null;
  description: string;
  typeId: string;
  parentId: string | null;
  /** Ancestor asset ids from the root down to the parent, joined by '/'; '' for the root asset. */
  path: string;
  timezone: string;
  twinType: TwinType;
  subTenant: string | null;
  /** The asset's own location; null when it inherits one. */
  location: Location | null;
  /** Own values only; defaults come from the type. */
  variables: VariableValue[];
  aspects: AspectValues[];
  /** Own file assignments only; the type chain's come in through the view. */
  fileAssignments: FileAssignment[];
  etag: number;
  /** Deletion time (epoch ms) or null. */
  deleted: number | null;
  createdAt: number;
}

/** A member of a type chain and the type that declares it. */
export interface ExplodedMember<T> {
  member: T;
  /** Id of the declaring type. */
  origin: string;
}

/** An aspect of an asset type with its aspect type resolved. */
export interface AspectMember {
  name: string;
  aspectType: AspectTypeRecord;
}

/** An asset type as the API shows it: its own members, or with `exploded` those of its whole chain as well. */
export interface AssetTypeView {
  type: AssetTypeRecord;
  aspects: ExplodedMember<AspectMember>[];
  variables: ExplodedMember<VariableDefinition>[];
  fileAssignments: ExplodedMember<FileAssignment>[];
}

/** An asset as the API shows it (Asset Management API v3, "Assets"). */
export interface AssetView {
  record: AssetRecord;
  /** The own location, else the nearest ancestor's (null when none has one). */
  location: Location | null;
  /** Every variable of the type chain: the own value, else the default, else null. */
  variables: VariableValue[];
  /** Every static aspect of the type chain, its variables by the same rule. */
  aspects: AspectValues[];
  /** The type chain's assignments, a child type's overriding its parent's, the asset's own overriding all. */
  fileAssignments: FileAssignment[];
  /** Ancestors from the root down to the parent. */
  hierarchy: { assetId: string; name: string }[];
}

/** The id prefix of everything below this asset (its own path plus its id). */
export const subtreePrefix = (a: Pick<AssetRecord, 'path' | 'assetId'>): string =>
  (a.path ? `${a.path}/` : '') + a.assetId;
export const ancestorIds = (a: Pick<AssetRecord, 'path'>): string[] => (a.path ? a.path.split('/') : []);

export const ASSET_ID_RE = /^[a-f0-9]{32}$/;

/** A new asset id: 32 lowercase hex characters, as Insights Hub's. */
export function newAssetId(): string {
  return randomBytes(16).toString('hex');
}
