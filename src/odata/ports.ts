/**
 * What the OData context reads from the rest of the platform: the narrow port it needs, implemented in the
 * composition root (platform/odata-adapter.ts) on the public methods of the assets, time series, aggregates and
 * identity services and the Integrated Data Lake's folder interface. Nothing here knows those contexts; every call
 * names the tenant.
 */
import type { Readable } from 'node:stream';
import type { VariableDataType } from '../core/model.js';

export interface PortVariable {
  name: string;
  dataType: VariableDataType;
  /** Maximum length of STRING / BIG_STRING, null otherwise. */
  length: number | null;
  qualityCode: boolean;
  defaultValue: string | null;
}

export interface PortAspect {
  /** Aspect name within the asset type (the time series propertySetName). */
  name: string;
  aspectTypeId: string;
  aspectTypeName: string;
  category: 'static' | 'dynamic';
  variables: PortVariable[];
}

/** An asset type with every inherited member (exploded). */
export interface PortAssetType {
  id: string;
  name: string;
  parentTypeId: string | null;
  /** Changes whenever the type, or an aspect type it uses, changes. */
  version: string;
  variables: PortVariable[];
  aspects: PortAspect[];
}

export type AssetField = 'assetId' | 'name' | 'parentId' | 'timezone' | 'typeId' | 'externalId';

export type AssetCondition =
  | { field: AssetField; op: 'eq'; value: string | null }
  | { field: AssetField; op: 'in'; values: string[] }
  | { field: AssetField; op: 'contains' | 'startsWith' | 'endsWith'; value: string };

export interface AssetListQuery {
  /** Assets of this type and of every type derived from it (its family). */
  typeId: string;
  /** All must hold. */
  conditions: AssetCondition[];
  /** Ties are broken by assetId ascending. */
  sort: { field: AssetField; direction: 'asc' | 'desc' }[];
  offset: number;
  limit: number;
}

export interface AssetRow {
  assetId: string;
  name: string;
  parentId: string | null;
  timezone: string;
  typeId: string;
  description: string;
  externalId: string | null;
  /** Effective values (own, else the type's default) of the type's variables, as stored text. */
  variables: Record<string, string | null>;
  /** Effective values of static aspects: aspect name → variable → text. */
  aspects: Record<string, Record<string, string | null>>;
}

/**
 * A record as the IoT Time Series API v3 returns it: `_time` in the canonical form with milliseconds
 * (`2024-01-01T00:00:00.000Z`, so text order is time order), the variables and `<var>_qc` as stored.
 */
export type SeriesRecord = { _time: string } & Record<string, unknown>;

/**
 * One record as JSON text, exactly as the REST read would send it: an object whose first member is
 * `"_time":"<24-character canonical ISO>"`, then the variables and `<var>_qc` (flat, scalar values).
 */
export type SeriesRecordText = string;

/**
 * Records of one asset's aspect as runs of bytes where the store holds them: in each run, record i (s <= i < e) is
 * `bytes[offs[i], offs[i + 1] - 1)`, a SeriesRecordText as UTF-8, at `times[i]` (epoch ms); runs come in page order,
 * each ascending (a descending page is visited from e - 1 down to s).
 */
export interface SeriesRuns {
  readonly count: number;
  runs(visit: (bytes: Uint8Array, offs: Int32Array, times: Float64Array, s: number, e: number) => void): void;
}

export interface SeriesRange {
  /** Exclusive lower bound, epoch ms. */
  after: number;
  /** Inclusive upper bound, epoch ms. */
  upTo: number;
  /** At most this many records (1..2000). */
  limit: number;
  desc: boolean;
}

export type IntervalUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface AggregateInterval {
  /** Epoch ms and the same instant in the canonical form with milliseconds. */
  start: number;
  end: number;
  startTime: string;
  endTime: string;
  /** Variable → aggregate field (countgood, sum, average, minvalue, mintime, …) → value; times canonical. */
  variables: Record<string, Record<string, unknown>>;
}

/** A data lake object as a folder contract's entity set shows it. */
export interface PortObject {
  path: string;
  name: string;
  size: number;
  lastModified: Date;
  tags: string[];
}

export interface ODataPort {
  /** Every asset type the tenant sees (its own and the shared core ones), exploded. */
  assetTypes(tenant: string): Promise<PortAssetType[]>;
  /** Live assets (no deleted ones) of a type family with conditions, sorted and paged, and the total. */
  listAssets(tenant: string, q: AssetListQuery): Promise<{ items: AssetRow[]; total: number }>;
  /** Ids among `among` of live assets of a type family (the type and every type derived from it), ascending. */
  familyAssets(tenant: string, typeId: string, among: string[]): Promise<string[]>;
  /** The type of one live asset (undefined when there is none): the asset model's cached lookup, no query per call. */
  assetTypeOf(tenant: string, assetId: string): Promise<string | undefined>;
  /** Assets that hold a series of the aspect (propertySetName); a series may have no records in a range. */
  assetsWithSeries(tenant: string, aspect: string): Promise<string[]>;
  /** Records of one asset's aspect in (after, upTo], as text (parse with JSON.parse for a SeriesRecord). */
  readSeries(tenant: string, assetId: string, aspect: string, range: SeriesRange): Promise<SeriesRecordText[]>;
  /** The records readSeries gives, as runs of bytes (no string per record); optional, readers fall back to readSeries. */
  readSeriesRuns?(tenant: string, assetId: string, aspect: string, range: SeriesRange): Promise<SeriesRuns>;
  /** The number of records of one asset's aspect in (after, upTo]; 0 for an asset without the aspect. */
  countSeries(tenant: string, assetId: string, aspect: string, after: number, upTo: number): Promise<number>;
  /** Aggregate intervals of one asset's aspect covering [from, to), widened outward to interval boundaries. */
  readAggregates(tenant: string, assetId: string, aspect: string,
    q: { unit: IntervalUnit; value: number; from: number; to: number }): Promise<AggregateInterval[]>;
  /** The longest range one readAggregates call may cover for a unit. */
  aggregateMaxRange(unit: IntervalUnit): number;
  /** The e-mail domain of the tenant's company (set when the tenant was created). */
  companyDomain(tenant: string): Promise<string | undefined>;
  /** Why a folder path breaks the data lake's path rules, or undefined when it is a valid folder path. */
  folderRule(folder: string): string | undefined;
  /** Objects anywhere below a data lake folder of the tenant, in path order, page by page (`after`: the last path). */
  folderObjects(tenant: string, folder: string, after: string | undefined, limit: number): Promise<{ objects: PortObject[]; next?: string }>;
  /** An object's content as a stream, or undefined when there is none at the path. */
  openObject(tenant: string, path: string): Promise<{ object: PortObject; etag: string; body: Readable } | undefined>;
}
