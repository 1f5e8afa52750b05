/**
 * Wire representations of the asset model (mindconnect-sdk.md §4.1 models, reference §1.2–1.4): aspect type,
 * asset type (own or exploded with `_links.origin`), asset with hierarchyPath and inherited location, and the
 * HAL list envelope of reference §0.2.
 */
import type { AspectTypeRecord, AssetRecord, AssetTypeRecord, Location } from './model.js';
import { ancestorIds, explode } from './model.js';
import type { PageResult, TypeCatalog } from './service.js';
import type { AssetSummary } from './store.js';

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

export function renderAssetType(t: AssetTypeRecord, cat: TypeCatalog, exploded: boolean, base: string) {
  const typeHref = (id: string) => `${base}/assettypes/${id}`;
  const view = exploded ? explode(cat.chain(t.id)) : explode([t]);
  const origin = (id: string) => (id === t.id ? {} : { _links: { origin: href(typeHref(id)) } });
  return {
    id: t.id, tenantId: t.tenant, name: t.name, description: t.description, parentTypeId: t.parentTypeId,
    instantiable: t.instantiable, scope: t.scope, etag: t.etag,
    aspects: view.aspects.flatMap(({ member, origin: o }) => {
      const at = cat.aspectType(member.aspectTypeId);
      return at ? [{ name: member.name, aspectType: renderAspectType(at, base), ...origin(o) }] : [];
    }),
    variables: view.variables.map(({ member, origin: o }) => ({ ...member, ...origin(o) })),
    fileAssignments: view.fileAssignments.map(({ member, origin: o }) => ({ ...member, ...origin(o) })),
    sharing: SHARING,
    _links: { self: href(typeHref(t.id)), ...(t.parentTypeId ? { parent: href(typeHref(t.parentTypeId)) } : {}) },
  };
}

/** The location the asset shows: its own, else the nearest ancestor's own (reference §1.4). */
function effectiveLocation(a: AssetRecord, ancestors: Map<string, AssetSummary>): Location | null {
  if (a.location) return a.location;
  const ids = ancestorIds(a);
  for (let i = ids.length - 1; i >= 0; i--) {
    const loc = ancestors.get(ids[i]!)?.location;
    if (loc) return loc;
  }
  return null;
}

export function renderAsset(a: AssetRecord, cat: TypeCatalog, ancestors: Map<string, AssetSummary>, base: string) {
  const self = `${base}/assets/${a.assetId}`;
  const type = cat.exploded(a.typeId);
  const valueOf = (own: { name: string; value: string | null }[], name: string, fallback: string | null) =>
    own.find((v) => v.name === name)?.value ?? fallback;
  const variables = (type?.variables ?? []).map(({ member }) => ({
    name: member.name, value: valueOf(a.variables, member.name, member.defaultValue),
  }));
  const aspects = (type?.aspects ?? []).flatMap(({ member }) => {
    const at = cat.aspectType(member.aspectTypeId);
    if (!at || at.category !== 'static') return [];
    const own = a.aspects.find((x) => x.name === member.name)?.variables ?? [];
    return [{ name: member.name, variables: at.variables.map((v) => ({ name: v.name, value: valueOf(own, v.name, v.defaultValue) })) }];
  });
  const files = new Map((type?.fileAssignments ?? []).map(({ member }) => [member.key, member]));
  for (const f of a.fileAssignments) files.set(f.key, f);
  return {
    assetId: a.assetId, tenantId: a.tenant, name: a.name, externalId: a.externalId, description: a.description,
    location: effectiveLocation(a, ancestors), variables, aspects, fileAssignments: [...files.values()],
    typeId: a.typeId, parentId: a.parentId, timezone: a.timezone, twinType: a.twinType,
    ...(a.subTenant ? { subTenant: a.subTenant, t2Tenant: a.subTenant } : {}),
    locks: [], deleted: a.deleted === null ? null : new Date(a.deleted).toISOString(), sharing: SHARING, etag: a.etag,
    hierarchyPath: ancestorIds(a).map((id) => ({ assetId: id, name: ancestors.get(id)?.name ?? '' })),
    _links: {
      self: href(self),
      ...(a.parentId ? { parent: href(`${base}/assets/${a.parentId}`) } : {}),
      children: href(`${base}/assets?filter=${encodeURIComponent(JSON.stringify({ parentId: a.assetId }))}`),
      variables: href(`${self}/variables`), aspects: href(`${self}/aspects`), location: href(`${self}/location`),
    },
  };
}

/** HAL list (reference §0.2): `_embedded.<key>`, `page`, and first/prev/self/next/last links. */
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
