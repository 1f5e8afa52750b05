/** Asset Management API v3 as the Asset Manager uses it: the shapes it reads and the calls it makes. */
import { api, get } from './api';

export const AM = '/api/assetmanagement/v3';

export interface Variable { name: string; dataType: string; unit?: string | null; length?: number | null; defaultValue?: string | null }
export interface Asset {
  assetId: string; name: string; typeId: string; parentId: string | null; description?: string | null; externalId?: string | null;
  etag: number | string; hasChildren?: boolean; variables?: { name: string; value: string | null }[];
}
export interface AssetType { id: string; name: string; parentTypeId?: string | null; instantiable?: boolean; variables?: Variable[] }
export interface Aspect { name: string; aspectTypeId: string; category?: 'static' | 'dynamic'; variables: Variable[] }
interface Page<K extends string, T> { _embedded?: Record<K, T[]>; page?: { totalElements: number; totalPages: number; number: number } }

export const root = (): Promise<Asset> => get<Asset>(`${AM}/assets/root`);

/** Children of a node a page at a time (by name), so a node with 100,000 children opens as fast as one with ten. */
export const CHILDREN_PAGE = 100;

export async function children(parentId: string, pageNumber = 0): Promise<{ items: Asset[]; more: boolean }> {
  const filter = encodeURIComponent(JSON.stringify({ parentId }));
  const page = await get<Page<'assets', Asset>>(`${AM}/assets?filter=${filter}&size=${CHILDREN_PAGE}&page=${pageNumber}&sort=name,asc`);
  return { items: page._embedded?.assets ?? [], more: (page.page?.number ?? 0) + 1 < (page.page?.totalPages ?? 0) };
}

export const asset = (id: string): Promise<Asset> => get<Asset>(`${AM}/assets/${encodeURIComponent(id)}`);

export async function aspects(id: string): Promise<Aspect[]> {
  const page = await get<Page<'aspects', Aspect>>(`${AM}/assets/${encodeURIComponent(id)}/aspects?size=200`);
  return page._embedded?.aspects ?? [];
}

export async function assetTypes(): Promise<AssetType[]> {
  const page = await get<Page<'assetTypes', AssetType>>(`${AM}/assettypes?size=200&sort=name,asc`);
  return page._embedded?.assetTypes ?? [];
}

export interface AspectType { id: string; name: string; category: 'static' | 'dynamic'; variables: Variable[] }

export async function aspectTypes(): Promise<AspectType[]> {
  const page = await get<Page<'aspectTypes', AspectType>>(`${AM}/aspecttypes?size=200&sort=name,asc`);
  return page._embedded?.aspectTypes ?? [];
}

export const createAspectType = (id: string, body: { name: string; category: 'static' | 'dynamic'; scope: 'private';
  variables: (Variable & { searchable: boolean; qualityCode: boolean })[] }) =>
  api<AspectType>(`${AM}/aspecttypes/${encodeURIComponent(id)}`, { method: 'PUT', body, headers: { 'if-none-match': '*' } });

export const createAssetType = (id: string, body: { name: string; parentTypeId: string; description?: string; variables: Variable[];
  aspects?: { name: string; aspectTypeId: string }[] }) =>
  api<AssetType>(`${AM}/assettypes/${encodeURIComponent(id)}`, { method: 'PUT', body, headers: { 'if-none-match': '*' } });

export const createAsset = (body: { name: string; typeId: string; parentId: string; description?: string; variables?: { name: string; value: string }[] }) =>
  api<Asset>(`${AM}/assets`, { method: 'POST', body });

export const deleteAsset = (a: Asset) =>
  api<void>(`${AM}/assets/${encodeURIComponent(a.assetId)}`, { method: 'DELETE', headers: { 'if-match': `"${a.etag}"` } });

/** Assets whose name contains `text` (Asset Management's `contains` filter), at most 50. */
export async function search(text: string): Promise<Asset[]> {
  const filter = encodeURIComponent(JSON.stringify({ name: { contains: text } }));
  const page = await get<Page<'assets', Asset>>(`${AM}/assets?filter=${filter}&size=50&sort=name,asc`);
  return page._embedded?.assets ?? [];
}

/** A member of an exploded asset type: `_links.origin` names the ancestor it is inherited from. */
interface Origin { _links?: { origin?: { href: string } } }
export interface ExplodedType extends AssetType {
  etag: number | string; description?: string;
  aspects: ({ name: string; aspectType: AspectType } & Origin)[];
  variables: (Variable & Origin)[];
}
/** The type id an inherited member comes from, or undefined for the type's own. */
export const originOf = (m: Origin): string | undefined => m._links?.origin?.href.split('/').pop();

export const explodedType = (id: string): Promise<ExplodedType> => get<ExplodedType>(`${AM}/assettypes/${encodeURIComponent(id)}?exploded=true`);
export const aspectType = (id: string): Promise<AspectType & { etag: number | string; description?: string }> =>
  get(`${AM}/aspecttypes/${encodeURIComponent(id)}`);

const ifMatch = (etag: number | string) => ({ 'if-match': `"${String(etag).replace(/"/g, '')}"` });

export const updateAspectType = (id: string, etag: number | string, body: { name: string; category: 'static' | 'dynamic'; scope: 'private';
  description?: string; variables: (Variable & { searchable?: boolean; qualityCode?: boolean })[] }) =>
  api<AspectType>(`${AM}/aspecttypes/${encodeURIComponent(id)}`, { method: 'PUT', body, headers: ifMatch(etag) });

export const updateAssetType = (id: string, etag: number | string, body: { name: string; parentTypeId: string; description?: string;
  variables: Variable[]; aspects: { name: string; aspectTypeId: string }[] }) =>
  api<AssetType>(`${AM}/assettypes/${encodeURIComponent(id)}`, { method: 'PUT', body, headers: ifMatch(etag) });

export interface AssetDetail extends Asset {
  aspects?: { name: string; variables: { name: string; value: string | null }[] }[];
  location?: unknown; fileAssignments?: unknown[];
}
/** Replaces an asset's name, description and static values (type variables and static aspects), keeping the rest. */
export const updateAsset = (a: AssetDetail, change: { name: string; description: string; variables: { name: string; value: string | null }[];
  aspects: { name: string; variables: { name: string; value: string | null }[] }[] }) =>
  api<Asset>(`${AM}/assets/${encodeURIComponent(a.assetId)}`, { method: 'PUT', headers: ifMatch(a.etag), body: {
    ...change, externalId: a.externalId ?? undefined, location: a.location ?? undefined, fileAssignments: a.fileAssignments ?? [] } });

/** The latest value of each variable of an aspect (IoT Time Series API v3 `latestValue=true`), or undefined when there is none. */
export async function latest(assetId: string, aspect: string): Promise<Record<string, unknown> | undefined> {
  const rows = await get<Record<string, unknown>[]>(`/api/iottimeseries/v3/timeseries/${encodeURIComponent(assetId)}/${encodeURIComponent(aspect)}?latestValue=true`);
  if (rows.length === 0) return undefined;
  // one record per variable's latest value: merged, with the newest time
  return Object.assign({}, ...rows) as Record<string, unknown>;
}

export const deleteAspectType = (id: string, etag: number | string) =>
  api<void>(`${AM}/aspecttypes/${encodeURIComponent(id)}`, { method: 'DELETE', headers: ifMatch(etag) });
export const deleteAssetType = (id: string, etag: number | string) =>
  api<void>(`${AM}/assettypes/${encodeURIComponent(id)}`, { method: 'DELETE', headers: ifMatch(etag) });
