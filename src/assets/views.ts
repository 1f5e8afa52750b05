/**
 * An asset as the API shows it (Asset Management API v3, "Assets"), the one place its inherited parts are
 * decided: the location is the own one, else the nearest ancestor's; every variable and static aspect of the
 * type chain shows the own value, else the default, else null; file assignments come from the type chain, the
 * asset's own overriding them by key; the hierarchy path names the ancestors.
 */
import type { TypeCatalog } from './catalog.js';
import { ancestorIds, type AssetRecord, type AssetView, type FileAssignment, type Location, type VariableValue } from './records.js';
import type { AssetSummary } from './store.js';

const valueOf = (own: VariableValue[], name: string, fallback: string | null) =>
  own.find((v) => v.name === name)?.value ?? fallback;

function effectiveLocation(a: AssetRecord, ancestors: ReadonlyMap<string, AssetSummary>): Location | null {
  if (a.location) return a.location;
  const ids = ancestorIds(a);
  for (let i = ids.length - 1; i >= 0; i--) {
    const loc = ancestors.get(ids[i]!)?.location;
    if (loc) return loc;
  }
  return null;
}

/**
 * The values an asset shows (no location, files or hierarchy, which need its ancestors): every variable and static
 * aspect of the type chain with the own value, else the default, else null.
 */
export function assetValues(a: Pick<AssetRecord, 'typeId' | 'variables' | 'aspects'>, cat: TypeCatalog): Pick<AssetView, 'variables' | 'aspects'> {
  const type = cat.exploded(a.typeId);
  const variables = (type?.variables ?? []).map(({ member }) => ({
    name: member.name, value: valueOf(a.variables, member.name, member.defaultValue),
  }));
  const aspects = (type?.aspects ?? []).flatMap(({ member: { name, aspectType } }) => {
    if (aspectType.category !== 'static') return [];
    const own = a.aspects.find((x) => x.name === name)?.variables ?? [];
    return [{ name, variables: aspectType.variables.map((v) => ({ name: v.name, value: valueOf(own, v.name, v.defaultValue) })) }];
  });
  return { variables, aspects };
}

/** `ancestors` holds (at least) the summaries of every id on the asset's path. */
export function assetView(a: AssetRecord, cat: TypeCatalog, ancestors: ReadonlyMap<string, AssetSummary>): AssetView {
  const type = cat.exploded(a.typeId);
  const { variables, aspects } = assetValues(a, cat);
  const files = new Map<string, FileAssignment>((type?.fileAssignments ?? []).map(({ member }) => [member.key, member]));
  for (const f of a.fileAssignments) files.set(f.key, f);
  return {
    record: a, location: effectiveLocation(a, ancestors), variables, aspects, fileAssignments: [...files.values()],
    hierarchy: ancestorIds(a).map((id) => ({ assetId: id, name: ancestors.get(id)?.name ?? '' })),
  };
}
