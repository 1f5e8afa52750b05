/**
 * The rules of changing aspect and asset types (Asset Management API v3, "Aspect types" and "Asset types", the
 * newer rule: PUT takes the complete model): what is immutable, what may only grow, and that member names are
 * unique across a type family. Pure checks over records and the catalog; each throws the 400 naming the field.
 */
import { Generic } from '../core/errors.js';
import type { FilterNode, Scalar } from '../core/filter.js';
import type { TypeCatalog } from './catalog.js';
import { AssetErrors } from './errors.js';
import type { AspectTypeRecord, AssetTypeRecord } from './records.js';

const invalidBody = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });

/** Name and category are fixed; existing variables stay, with their type, quality code and searchable flag. */
export function checkAspectTypeUpdate(old: AspectTypeRecord, next: AspectTypeRecord): void {
  const what = `aspect type ${old.id}`;
  if (next.name !== old.name) throw AssetErrors.immutable({ field: 'name', resource: what });
  if (next.category !== old.category) throw AssetErrors.immutable({ field: 'category', resource: what });
  for (const ov of old.variables) {
    const i = next.variables.findIndex((v) => v.name === ov.name);
    if (i < 0) throw invalidBody('variables', `variable "${ov.name}" exists and cannot be removed or renamed`);
    const nv = next.variables[i]!;
    for (const f of ['dataType', 'qualityCode', 'searchable'] as const) {
      if (nv[f] !== ov[f]) throw AssetErrors.immutable({ field: `variables[${i}].${f}`, resource: what });
    }
    if (nv.length !== ov.length) {
      if (old.category === 'dynamic') throw AssetErrors.immutable({ field: `variables[${i}].length`, resource: what });
      if ((nv.length ?? 0) < (ov.length ?? 0)) throw invalidBody(`variables[${i}].length`, `may only increase (now ${ov.length})`);
    }
  }
}

/** Name and parent are fixed, instantiable goes false→true only, kept members keep their type; members may come and go. */
export function checkAssetTypeUpdate(old: AssetTypeRecord, next: AssetTypeRecord): void {
  const what = `asset type ${old.id}`;
  if (next.name !== old.name) throw AssetErrors.immutable({ field: 'name', resource: what });
  if (next.parentTypeId !== old.parentTypeId) throw AssetErrors.immutable({ field: 'parentTypeId', resource: what });
  if (old.instantiable && !next.instantiable) throw invalidBody('instantiable', 'can change from false to true only');
  for (const [i, nv] of next.variables.entries()) {
    const ov = old.variables.find((v) => v.name === nv.name);
    if (!ov) continue;
    for (const f of ['dataType', 'searchable'] as const) {
      if (nv[f] !== ov[f]) throw AssetErrors.immutable({ field: `variables[${i}].${f}`, resource: what });
    }
    if ((nv.length ?? 0) < (ov.length ?? 0)) throw invalidBody(`variables[${i}].length`, `may only increase (now ${ov.length})`);
  }
  for (const [i, na] of next.aspects.entries()) {
    const oa = old.aspects.find((a) => a.name === na.name);
    if (oa && oa.aspectTypeId !== na.aspectTypeId) throw AssetErrors.immutable({ field: `aspects[${i}].aspectTypeId`, resource: what });
  }
}

/** Asset Management API v3, asset types: aspect and variable names are unique across ancestors and descendants (siblings may share). */
export function checkFamilyNames(next: AssetTypeRecord, cat: TypeCatalog): void {
  const related = [...cat.chain(next.parentTypeId!), ...cat.descendants(next.id)];
  for (const other of related) {
    for (const a of next.aspects) {
      if (other.aspects.some((x) => x.name === a.name)) {
        throw AssetErrors.nameCollision({ kind: 'aspect', name: a.name, typeId: next.id, otherTypeId: other.id });
      }
    }
    for (const v of next.variables) {
      if (other.variables.some((x) => x.name === v.name)) {
        throw AssetErrors.nameCollision({ kind: 'variable', name: v.name, typeId: next.id, otherTypeId: other.id });
      }
    }
  }
}

/** hasType X → the family of X (X and all types derived from it), as an `in` condition on `field`. */
export function hasTypeToIn(cat: TypeCatalog, n: Extract<FilterNode, { field: string }>, field: string): FilterNode {
  const ids = (v: Scalar): string[] => (typeof v === 'string' ? cat.family(v) : []);
  switch (n.kind) {
    case 'eq': return { kind: 'in', field, values: ids(n.value) };
    case 'in': return { kind: 'in', field, values: [...new Set(n.values.flatMap(ids))] };
    default:
      throw Generic.invalidParameter({ name: 'filter clause "hasType"', rule: `hasType supports only eq and in, not ${n.kind}` });
  }
}
