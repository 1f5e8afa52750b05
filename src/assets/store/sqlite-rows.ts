/**
 * The assets table's rows ↔ asset records for the SQLite asset store (sqlite.ts): the row of every column, the
 * array rows list pages read (.raw()), and the lean rows of listAssetValues.
 */
import type { AspectValues, AssetRecord, VariableValue } from '../records.js';
import type { AssetValuesRecord } from '../store.js';

export interface AssetRow {
  asset_id: string; tenant: string; name: string; external_id: string | null; type_id: string; parent_id: string | null;
  path: string; timezone: string; twin_type: string; sub_tenant: string | null; deleted: number | null; etag: number;
  body: string;
}

export type AssetBody = Pick<AssetRecord, 'description' | 'location' | 'variables' | 'aspects' | 'fileAssignments' | 'createdAt'>;

export const assetOf = (r: AssetRow): AssetRecord => {
  const body = JSON.parse(r.body) as AssetBody;
  return {
    assetId: r.asset_id, tenant: r.tenant, name: r.name, externalId: r.external_id, typeId: r.type_id,
    parentId: r.parent_id, path: r.path, timezone: r.timezone, twinType: r.twin_type as AssetRecord['twinType'],
    subTenant: r.sub_tenant, deleted: r.deleted, etag: r.etag, ...body,
  };
};
/** The columns of AssetRow in its order: list pages are read as arrays (.raw()), which skips building a row object. */
export const ROW_COLUMNS = ['asset_id', 'tenant', 'name', 'external_id', 'type_id', 'parent_id', 'path', 'timezone', 'twin_type',
  'sub_tenant', 'deleted', 'etag', 'body'] as const;
export type RawAssetRow = [string, string, string, string | null, string, string | null, string, string, string, string | null,
  number | null, number, string];

export const rawAssetOf = (r: RawAssetRow): AssetRecord => {
  const body = JSON.parse(r[12]) as AssetBody;
  return {
    assetId: r[0], tenant: r[1], name: r[2], externalId: r[3], typeId: r[4], parentId: r[5], path: r[6], timezone: r[7],
    twinType: r[8] as AssetRecord['twinType'], subTenant: r[9], deleted: r[10], etag: r[11], ...body,
  };
};

/**
 * AssetValuesRecord's columns: the body's description, own variables and own aspects are taken out by SQLite
 * (which parses each body once for the three); most assets have no own values, and '[]' is not parsed again.
 */
export const VALUE_COLUMNS = "a.asset_id, a.name, a.external_id, a.type_id, a.parent_id, a.timezone, " +
  "json_extract(a.body, '$.description'), json_extract(a.body, '$.variables'), json_extract(a.body, '$.aspects')";
export type RawValuesRow = [string, string, string | null, string, string | null, string, string, string, string];
const NO_VALUES: never[] = [];
Object.freeze(NO_VALUES);
const jsonList = <T>(text: string): T[] => (text === '[]' ? NO_VALUES : JSON.parse(text) as T[]);

/** The tenant is the query's (not read per row). */
export const valuesOf = (tenant: string, r: RawValuesRow): AssetValuesRecord => ({
  assetId: r[0], tenant, name: r[1], externalId: r[2], typeId: r[3], parentId: r[4], timezone: r[5],
  description: r[6], variables: jsonList<VariableValue>(r[7]), aspects: jsonList<AspectValues>(r[8]),
});

export const assetParams = (a: AssetRecord) => {
  const body: AssetBody = {
    description: a.description, location: a.location, variables: a.variables, aspects: a.aspects,
    fileAssignments: a.fileAssignments, createdAt: a.createdAt,
  };
  return {
    asset_id: a.assetId, tenant: a.tenant, name: a.name, external_id: a.externalId, type_id: a.typeId,
    parent_id: a.parentId, path: a.path, timezone: a.timezone, twin_type: a.twinType, sub_tenant: a.subTenant,
    deleted: a.deleted, etag: a.etag, body: JSON.stringify(body),
  };
};
