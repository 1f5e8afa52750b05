/**
 * Typed client of Asset Management v3 (`/api/assetmanagement/v3`, Asset Management API v3): aspect types, asset types,
 * assets, with HAL pages read to the end as async iterators and optimistic locking through If-Match (§1.5).
 */
import { type ApiClient, invalidParameter, type Query } from './http.js';

const BASE = '/api/assetmanagement/v3';

export type DataType = 'BOOLEAN' | 'INT' | 'LONG' | 'DOUBLE' | 'STRING' | 'TIMESTAMP' | 'BIG_STRING';

export interface Variable {
  name: string;
  dataType: DataType;
  unit?: string;
  searchable?: boolean;
  length?: number | null;
  qualityCode?: boolean;
  defaultValue?: string | null;
}

export interface Links {
  [rel: string]: { href: string } | undefined;
}

export interface AspectTypeInput {
  name: string;
  category: 'static' | 'dynamic';
  scope?: 'private' | 'public';
  description?: string;
  variables: Variable[];
}

export interface AspectType extends AspectTypeInput {
  id: string;
  tenantId: string;
  etag: number;
  _links?: Links;
}

export interface AssetTypeInput {
  name: string;
  description?: string;
  parentTypeId: string;
  instantiable?: boolean;
  scope?: 'private' | 'public';
  aspects?: { name: string; aspectTypeId: string }[];
  variables?: Variable[];
  fileAssignments?: { key: string; fileId: string }[];
}

export interface AssetType extends Omit<AssetTypeInput, 'aspects'> {
  id: string;
  tenantId: string;
  etag: number;
  aspects: { name: string; aspectId?: string; aspectType: AspectType; _links?: Links }[];
  _links?: Links;
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

export interface AssetInput {
  name: string;
  typeId: string;
  parentId?: string;
  externalId?: string;
  description?: string;
  location?: Location;
  variables?: { name: string; value: string | null }[];
  aspects?: { name: string; variables: { name: string; value: string | null }[] }[];
  fileAssignments?: { key: string; fileId: string }[];
  timezone?: string;
  twinType?: 'performance' | 'simulation';
}

export interface Asset extends AssetInput {
  assetId: string;
  tenantId: string;
  etag: number;
  deleted: string | null;
  hierarchyPath?: { assetId: string; name: string }[];
  locks?: { id: string; service: string; reason: string; reasonCode: string }[];
  _links?: Links;
}

/** A HAL page (Insights Hub API paging). */
export interface HalPage<T> {
  items: T[];
  page: { size: number; totalElements: number; totalPages: number; number: number };
}

export interface ListParams {
  /** JSON filter (Asset Management API v3, filter parameter): an object is serialized for you. */
  filter?: Record<string, unknown> | string;
  /** Spring sort, e.g. `name,asc`. */
  sort?: string;
  /** Page size for each request (1–200, default 100). */
  size?: number;
  includeShared?: boolean;
}

export interface WriteOptions {
  /** The etag the change is based on; required by the platform for updates and deletes. */
  ifMatch?: number | string;
}

interface RawPage {
  _embedded?: Record<string, unknown[]>;
  page?: HalPage<unknown>['page'];
  _links?: Links;
}

/** Iterates every item of a HAL collection, page after page, until the last page. */
export async function* halItems<T>(api: ApiClient, path: string, embedded: string, params: ListParams & { exploded?: boolean; basicFieldsOnly?: boolean } = {}): AsyncGenerator<T> {
  const size = params.size ?? 100;
  if (!Number.isInteger(size) || size < 1 || size > 200) throw invalidParameter('size', 'must be a whole number from 1 to 200');
  const query: Query = { ...params, size, filter: typeof params.filter === 'object' ? JSON.stringify(params.filter) : params.filter };
  for (let number = 0; ; number++) {
    const raw = await api.json<RawPage>('GET', path, { query: { ...query, page: number } });
    const items = (raw?._embedded?.[embedded] ?? []) as T[];
    for (const item of items) yield item;
    const page = raw?.page;
    const more = page ? number + 1 < page.totalPages : items.length === size;
    if (!more || items.length === 0) return;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const ifMatch = (o?: WriteOptions): Record<string, string> =>
  (o?.ifMatch !== undefined ? { 'if-match': String(o.ifMatch) } : {});
const enc = encodeURIComponent;

/** GET/PUT/PATCH/DELETE of one kind of type (aspect types §1.2, asset types §1.3): the same rules for both. */
class TypeEndpoints<T, In> {
  constructor(private readonly api: ApiClient, private readonly collection: string) {}
  get(id: string, query: Query = {}): Promise<T> {
    return this.api.json('GET', `${BASE}/${this.collection}/${enc(id)}`, { query });
  }
  /** Creates (no ifMatch: sent with If-None-Match: *) or replaces (ifMatch). */
  put(id: string, body: In, options: WriteOptions): Promise<T> {
    const headers = options.ifMatch !== undefined ? ifMatch(options) : { 'if-none-match': '*' };
    return this.api.json('PUT', `${BASE}/${this.collection}/${enc(id)}`, { body, headers });
  }
  patch(id: string, patch: Partial<In>, options: Required<WriteOptions>): Promise<T> {
    return this.api.json('PATCH', `${BASE}/${this.collection}/${enc(id)}`, { body: patch, headers: ifMatch(options), contentType: 'application/merge-patch+json' });
  }
  async delete(id: string, options: Required<WriteOptions>): Promise<void> {
    await this.api.send('DELETE', `${BASE}/${this.collection}/${enc(id)}`, { headers: ifMatch(options) });
  }
}

export class AssetManagementClient {
  private readonly aspectTypeEndpoints: TypeEndpoints<AspectType, AspectTypeInput>;
  private readonly assetTypeEndpoints: TypeEndpoints<AssetType, AssetTypeInput>;

  constructor(private readonly api: ApiClient) {
    this.aspectTypeEndpoints = new TypeEndpoints(api, 'aspecttypes');
    this.assetTypeEndpoints = new TypeEndpoints(api, 'assettypes');
  }

  // Aspect types (§1.2)
  aspectTypes(params: ListParams = {}): AsyncGenerator<AspectType> {
    return halItems<AspectType>(this.api, `${BASE}/aspecttypes`, 'aspectTypes', { ...params });
  }
  getAspectType(id: string): Promise<AspectType> {
    return this.aspectTypeEndpoints.get(id);
  }
  /** Creates (no ifMatch: sent with If-None-Match: *) or replaces (ifMatch) an aspect type. */
  putAspectType(id: string, body: AspectTypeInput, options: WriteOptions = {}): Promise<AspectType> {
    return this.aspectTypeEndpoints.put(id, body, options);
  }
  patchAspectType(id: string, patch: Partial<AspectTypeInput>, options: Required<WriteOptions>): Promise<AspectType> {
    return this.aspectTypeEndpoints.patch(id, patch, options);
  }
  deleteAspectType(id: string, options: Required<WriteOptions>): Promise<void> {
    return this.aspectTypeEndpoints.delete(id, options);
  }

  // Asset types (§1.3)
  assetTypes(params: ListParams & { exploded?: boolean } = {}): AsyncGenerator<AssetType> {
    return halItems<AssetType>(this.api, `${BASE}/assettypes`, 'assetTypes', { ...params });
  }
  getAssetType(id: string, options: { exploded?: boolean } = {}): Promise<AssetType> {
    return this.assetTypeEndpoints.get(id, { exploded: options.exploded });
  }
  /** Creates (no ifMatch: sent with If-None-Match: *) or replaces (ifMatch) an asset type. */
  putAssetType(id: string, body: AssetTypeInput, options: WriteOptions = {}): Promise<AssetType> {
    return this.assetTypeEndpoints.put(id, body, options);
  }
  patchAssetType(id: string, patch: Partial<AssetTypeInput>, options: Required<WriteOptions>): Promise<AssetType> {
    return this.assetTypeEndpoints.patch(id, patch, options);
  }
  deleteAssetType(id: string, options: Required<WriteOptions>): Promise<void> {
    return this.assetTypeEndpoints.delete(id, options);
  }

  // Assets (§1.4)
  assets(params: ListParams & { basicFieldsOnly?: boolean } = {}): AsyncGenerator<Asset> {
    return halItems<Asset>(this.api, `${BASE}/assets`, 'assets', { ...params });
  }
  /** Every asset as an array (reads all pages). */
  listAssets(params: ListParams = {}): Promise<Asset[]> {
    return collect(this.assets(params));
  }
  /** Direct children of an asset. */
  children(parentId: string, params: Omit<ListParams, 'filter'> = {}): AsyncGenerator<Asset> {
    return this.assets({ ...params, filter: { parentId } });
  }
  root(): Promise<Asset> {
    return this.api.json('GET', `${BASE}/assets/root`);
  }
  getAsset(id: string): Promise<Asset> {
    return this.api.json('GET', `${BASE}/assets/${enc(id)}`);
  }
  createAsset(body: AssetInput): Promise<Asset> {
    if (!body?.name) throw invalidParameter('name', 'is required');
    if (!body.typeId) throw invalidParameter('typeId', 'is required');
    return this.api.json('POST', `${BASE}/assets`, { body });
  }
  updateAsset(id: string, body: AssetInput, options: Required<WriteOptions>): Promise<Asset> {
    return this.api.json('PUT', `${BASE}/assets/${enc(id)}`, { body, headers: ifMatch(options) });
  }
  patchAsset(id: string, patch: Partial<AssetInput>, options: Required<WriteOptions>): Promise<Asset> {
    return this.api.json('PATCH', `${BASE}/assets/${enc(id)}`, { body: patch, headers: ifMatch(options), contentType: 'application/merge-patch+json' });
  }
  async deleteAsset(id: string, options: Required<WriteOptions>): Promise<void> {
    await this.api.send('DELETE', `${BASE}/assets/${enc(id)}`, { headers: ifMatch(options) });
  }
  moveAsset(id: string, newParentId: string, options: Required<WriteOptions>): Promise<Asset> {
    return this.api.json('POST', `${BASE}/assets/${enc(id)}/move`, { body: { newParentId }, headers: ifMatch(options) });
  }
}
