/**
 * Wire representations of the asset model (the models of the public @mindconnect/mindconnect-nodejs SDK's
 * asset-models.ts, Asset Management API v3): aspect type, asset type (own or exploded members with
 * `_links.origin`), asset, an asset's aspects and variables, and the HAL list envelope of Insights Hub API paging. Only
 * renders what the service decided; no rule is applied here.
 */
import type { PageResult } from './paging.js';
import type { AspectMember, AspectTypeRecord, AssetTypeView, AssetView, ExplodedMember, VariableDefinition } from './records.js';

const href = (url: string) => ({ href: url });
const SHARING = { modes: [] as string[] };

export function renderAspectType(t: AspectTypeRecord, base: string) {
  return {
    id: t.id, tenantId: t.tenant, name: t.name, category: t.category, scope: t.scope, description: t.description,
    variables: t.variables.map((v) => ({
      name: v.name, dataType: v.dataType, unit: v.unit, searchable: v.searchable, length: v.length,
      qualityCode: v.qualityCode, defaultValue: v.defaultValue,
    })),
    etag: t.etag, sharing: SHARING, _links: { self: href(`${base}/aspecttypes/${t.id}`) },
  };
}

export function renderAssetType(v: AssetTypeView, base: string) {
  const t = v.type;
  const typeHref = (id: string) => `${base}/assettypes/${id}`;
  const origin = (id: string) => (id === t.id ? {} : { _links: { origin: href(typeHref(id)) } });
  return {
    id: t.id, tenantId: t.tenant, name: t.name, description: t.description, parentTypeId: t.parentTypeId,
    instantiable: t.instantiable, scope: t.scope, etag: t.etag,
    aspects: v.aspects.map(({ member, origin: o }) => ({ name: member.name, aspectType: renderAspectType(member.aspectType, base), ...origin(o) })),
    variables: v.variables.map(({ member, origin: o }) => ({ ...member, ...origin(o) })),
    fileAssignments: v.fileAssignments.map(({ member, origin: o }) => ({ ...member, ...origin(o) })),
    sharing: SHARING,
    _links: { self: href(typeHref(t.id)), ...(t.parentTypeId ? { parent: href(typeHref(t.parentTypeId)) } : {}) },
  };
}

export function renderAsset(v: AssetView, base: string) {
  const a = v.record;
  const self = `${base}/assets/${a.assetId}`;
  return {
    assetId: a.assetId, tenantId: a.tenant, name: a.name, externalId: a.externalId, description: a.description,
    location: v.location, variables: v.variables, aspects: v.aspects, fileAssignments: v.fileAssignments,
    typeId: a.typeId, parentId: a.parentId, timezone: a.timezone, twinType: a.twinType,
    ...(a.subTenant ? { subTenant: a.subTenant, t2Tenant: a.subTenant } : {}),
    locks: [], deleted: a.deleted === null ? null : new Date(a.deleted).toISOString(), sharing: SHARING, etag: a.etag,
    hierarchyPath: v.hierarchy,
    _links: {
      self: href(self),
      ...(a.parentId ? { parent: href(`${base}/assets/${a.parentId}`) } : {}),
      children: href(`${base}/assets?filter=${encodeURIComponent(JSON.stringify({ parentId: a.assetId }))}`),
      variables: href(`${self}/variables`), aspects: href(`${self}/aspects`), location: href(`${self}/location`),
    },
  };
}

/** An aspect of an asset (GET /assets/{id}/aspects). */
export function renderAssetAspect(assetId: string, m: AspectMember, base: string) {
  return {
    aspectTypeId: m.aspectType.id, holderAssetId: assetId, name: m.name, category: m.aspectType.category,
    description: m.aspectType.description, variables: renderAspectType(m.aspectType, base).variables,
    _links: {
      self: href(`${base}/assets/${assetId}/aspects`), asset: href(`${base}/assets/${assetId}`),
      aspectType: href(`${base}/aspecttypes/${m.aspectType.id}`),
    },
  };
}

/** A variable of an asset's type chain (GET /assets/{id}/variables). */
export const renderAssetVariable = ({ member, origin }: ExplodedMember<VariableDefinition>, base: string) =>
  ({ ...member, _links: { origin: href(`${base}/assettypes/${origin}`) } });

/** HAL list (Insights Hub API paging): `_embedded.<key>`, `page`, and first/prev/self/next/last links. */
export function halPage<T>(result: PageResult<unknown>, key: string, items: T[], url: URL) {
  const totalPages = Math.ceil(result.total / result.size);
  const at = (page: number) => {
    const u = new URL(url);
    u.searchParams.set('page', String(page));
    u.searchParams.set('size', String(result.size));
    return href(u.toString());
  };
  const last = Math.max(totalPages - 1, 0);
  return {
    _embedded: { [key]: items },
    page: { size: result.size, totalElements: result.total, totalPages, number: result.page },
    _links: {
      first: at(0),
      ...(result.page > 0 ? { prev: at(Math.min(result.page - 1, last)) } : {}),
      self: at(result.page),
      ...(result.page < last ? { next: at(result.page + 1) } : {}),
      last: at(last),
    },
  };
}
