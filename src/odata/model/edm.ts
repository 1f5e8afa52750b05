/**
 * The entity data model of one contract, built from the contract's asset types as the asset model has them now
 * ("Insights Hub IIoT for Makers" §4, §8): per asset type an entity set of its assets (the type and every type
 * derived from it), per dynamic aspect a time series set and an aggregate set `AGGR_{AspectType}_{AspectName}_
 * {AssetType}`; relations as navigation properties that all have a Partner (Mendix's "Consumed OData Service
 * requirements"): asset ↔ its time series and aggregates, derived type ↔ base type, parent ↔ child assets.
 * A folder contract has one entity set per data lake folder: the objects below it (path, name, size,
 * lastModified, tags) as media entities whose content is the object (`Set('path')/$value`).
 * Every name is checked against the CSDL identifier rule; what breaks a rule is reported as a problem (with an
 * alias to offer) and left out, so the model that is served is always valid.
 */
import type { VariableDataType } from '../../core/model.js';
import type { PortAspect, PortAssetType } from '../ports.js';
import { identifierRule, suggestAlias } from './names.js';

export type SetKind = 'assets' | 'timeseries' | 'aggregates' | 'objects';

export type PropSource =
  | { kind: 'field'; field: string }
  | { kind: 'typeVariable'; variable: string; dataType: VariableDataType }
  | { kind: 'staticVariable'; aspect: string; variable: string; dataType: VariableDataType }
  | { kind: 'seriesValue'; key: string };

export interface EdmProperty {
  name: string;
  type: string;
  nullable: boolean;
  maxLength?: number;
  filterable: boolean;
  sortable: boolean;
  source: PropSource;
  /** The aliases key of a generated name. */
  aliasOf?: string;
}

/** How a navigation property finds its targets from a source row. */
export type Join = 'seriesOfAsset' | 'assetOfSeries' | 'sameAsset' | 'parent' | 'children';

export interface EdmNav {
  name: string;
  target: string;
  collection: boolean;
  nullable: boolean;
  partner: string;
  join: Join;
  aliasOf?: string;
}

export interface EdmSet {
  name: string;
  kind: SetKind;
  /** The asset type the set belongs to and its family (itself and every derived type). */
  typeId: string;
  family: string[];
  aspect?: PortAspect;
  key: string[];
  properties: EdmProperty[];
  navs: EdmNav[];
  /** What $filter / $orderby accept, as Core.Description and in 400 messages. */
  rules: string;
  /** The name before aliasing (the key of its members' aliases). */
  generated: string;
  /** Objects sets: the data lake folder (ending with "/"); the entities are media entities (HasStream). */
  folder?: string;
}

export interface Problem {
  item: string;
  rule: string;
  /** A valid name the contract can keep with `aliases: { [for]: suggestion }`. */
  alias?: { for: string; suggestion: string };
}

export interface EdmModel {
  namespace: string;
  sets: EdmSet[];
  byName: Map<string, EdmSet>;
  problems: Problem[];
}

export interface ContractShape {
  name: string;
  kind?: 'assets' | 'folders';
  assetTypes: string[];
  folders?: string[];
  aliases: Record<string, string>;
}

export const ASSET_RULES = 'Filter assets with eq, contains, startswith or endswith on assetId, name, parentId, timezone and typeId, joined with and; sort by assetId, name, parentId, timezone, typeId or externalId.';
export const SERIES_RULES = "Filter time series with assetId eq '…' and timestamp gt / timestamp le (a DateTimeOffset literal or a 'YYYY-MM-DDTHH:mm:ss' string, UTC), joined with and; sort by timestamp only.";
export const AGGREGATE_RULES = "Filter aggregates with eq on assetId, aggregationType, variableName, intervalUnit (minutes, hours, days, weeks, months; default hours), intervalValue (default the smallest value of the unit: 2 for minutes, else 1) and intervalCount, and timestamp gt / timestamp le, joined with and; sort by timestamp only.";

export const OBJECT_RULES = "Filter objects with eq, contains, startswith or endswith on path and name, and eq, ne, gt, ge, lt or le on size and lastModified, joined with and; sort by path, name, size or lastModified. An object's content is its media resource: {set}('{path}')/$value.";

export const AGGREGATION_TYPES = ['average', 'countbad', 'countgood', 'countuncertain', 'firstvalue', 'lastvalue',
  'maxvalue', 'minvalue', 'sd', 'sum'] as const;
export type AggregationType = (typeof AGGREGATION_TYPES)[number];

export function edmType(dataType: VariableDataType, length: number | null): { type: string; maxLength?: number } {
  switch (dataType) {
    case 'BOOLEAN': return { type: 'Edm.Boolean' };
    case 'INT': return { type: 'Edm.Int32' };
    case 'LONG': return { type: 'Edm.Int64' };
    case 'DOUBLE': return { type: 'Edm.Double' };
    case 'STRING': return { type: 'Edm.String', maxLength: length ?? 255 };
    case 'BIG_STRING': return { type: 'Edm.String', maxLength: length ?? 100_000 };
    // "Mendix Data Hub treats OData time fields as strings" (IIoT for Makers §8.3)
    case 'TIMESTAMP': return { type: 'Edm.String', maxLength: 64 };
  }
}

const field = (name: string, type: string, o: { nullable?: boolean; maxLength?: number; filterable?: boolean; sortable?: boolean } = {}): EdmProperty => ({
  name, type, nullable: o.nullable ?? true, ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}),
  filterable: o.filterable ?? false, sortable: o.sortable ?? false, source: { kind: 'field', field: name },
});

const ASSET_FIELDS = (): EdmProperty[] => [
  field('assetId', 'Edm.String', { nullable: false, maxLength: 32, filterable: true, sortable: true }),
  field('name', 'Edm.String', { nullable: false, maxLength: 128, filterable: true, sortable: true }),
  field('parentId', 'Edm.String', { maxLength: 32, filterable: true, sortable: true }),
  field('timezone', 'Edm.String', { nullable: false, maxLength: 64, filterable: true, sortable: true }),
  field('typeId', 'Edm.String', { nullable: false, maxLength: 128, filterable: true, sortable: true }),
  field('description', 'Edm.String', { maxLength: 2048 }),
  field('externalId', 'Edm.String', { maxLength: 255, sortable: true }),
];

/** Time series key: the asset and the timestamp as an Edm.String (Mendix accepts no DateTimeOffset key). */
const SERIES_KEYS = (): EdmProperty[] => [
  field('assetId', 'Edm.String', { nullable: false, maxLength: 32, filterable: true }),
  field('timestamp', 'Edm.String', { nullable: false, maxLength: 24, filterable: true, sortable: true }),
];

const AGGREGATE_FIELDS = (): EdmProperty[] => [
  field('assetId', 'Edm.String', { nullable: false, maxLength: 32, filterable: true }),
  field('timestamp', 'Edm.String', { nullable: false, maxLength: 24, filterable: true, sortable: true }),
  field('variableName', 'Edm.String', { nullable: false, maxLength: 128, filterable: true }),
  field('aggregationType', 'Edm.String', { nullable: false, maxLength: 16, filterable: true }),
  field('intervalUnit', 'Edm.String', { nullable: false, maxLength: 8, filterable: true }),
  field('intervalValue', 'Edm.Int32', { nullable: false, filterable: true }),
  field('intervalCount', 'Edm.Int32', { filterable: true }),
  field('endTimestamp', 'Edm.String', { nullable: false, maxLength: 24 }),
  field('value', 'Edm.Double'),
  field('valueTimestamp', 'Edm.String', { maxLength: 24 }),
];
const OBJECT_FIELDS = (): EdmProperty[] => [
  field('path', 'Edm.String', { nullable: false, maxLength: 1024, filterable: true, sortable: true }),
  field('name', 'Edm.String', { nullable: false, maxLength: 255, filterable: true, sortable: true }),
  field('size', 'Edm.Int64', { nullable: false, filterable: true, sortable: true }),
  field('lastModified', 'Edm.DateTimeOffset', { nullable: false, filterable: true, sortable: true }),
  field('tags', 'Collection(Edm.String)', { nullable: false }),
];

export const AGGREGATE_KEY = ['assetId', 'timestamp', 'variableName', 'aggregationType', 'intervalUnit', 'intervalValue'];

class Builder {
  readonly problems: Problem[] = [];
  readonly sets: EdmSet[] = [];
  private readonly usedAliases = new Set<string>();
  constructor(private readonly aliases: Record<string, string>) {}

  /** The name to use for a generated name (its alias if the contract has one); undefined when it is invalid. */
  name(item: string, generated: string, aliasKey = generated): string | undefined {
    const alias = this.aliases[aliasKey];
    if (alias !== undefined) this.usedAliases.add(aliasKey);
    const name = alias ?? generated;
    const rule = identifierRule(name);
    if (!rule) return name;
    this.problems.push({
      item: `${item} ${JSON.stringify(name)}${alias !== undefined ? ` (alias of ${generated})` : ''}`, rule,
      alias: { for: aliasKey, suggestion: suggestAlias(name) },
    });
    return undefined;
  }

  unusedAliases(): void {
    for (const key of Object.keys(this.aliases)) {
      if (!this.usedAliases.has(key)) {
        this.problems.push({ item: `aliases[${JSON.stringify(key)}]`, rule: 'names no generated entity set, property or navigation property of this contract' });
      }
    }
  }
}

function assetProperties(b: Builder, setName: string, generated: string, t: PortAssetType): EdmProperty[] {
  const props = ASSET_FIELDS();
  for (const v of t.variables) {
    const name = b.name(`property of ${setName}`, v.name, `${generated}/${v.name}`);
    if (name) props.push({ name, nullable: true, filterable: false, sortable: false, ...edmType(v.dataType, v.length),
      source: { kind: 'typeVariable', variable: v.name, dataType: v.dataType }, aliasOf: `${generated}/${v.name}` });
  }
  for (const a of t.aspects.filter((x) => x.category === 'static')) {
    for (const v of a.variables) {
      const gen = `${a.name}_${v.name}`;
      const name = b.name(`property of ${setName}`, gen, `${generated}/${gen}`);
      if (name) props.push({ name, nullable: true, filterable: false, sortable: false, ...edmType(v.dataType, v.length),
        source: { kind: 'staticVariable', aspect: a.name, variable: v.name, dataType: v.dataType }, aliasOf: `${generated}/${gen}` });
    }
  }
  return props;
}

function seriesProperties(b: Builder, setName: string, generated: string, a: PortAspect): EdmProperty[] {
  const props = SERIES_KEYS();
  for (const v of a.variables) {
    const name = b.name(`property of ${setName}`, v.name, `${generated}/${v.name}`);
    if (!name) continue;
    props.push({ name, nullable: true, filterable: false, sortable: false, ...edmType(v.dataType, v.length),
      source: { kind: 'seriesValue', key: v.name }, aliasOf: `${generated}/${v.name}` });
    if (v.qualityCode) {
      const qc = b.name(`property of ${setName}`, `${v.name}_qc`, `${generated}/${v.name}_qc`);
      if (qc) props.push({ name: qc, type: 'Edm.Int64', nullable: true, filterable: false, sortable: false, source: { kind: 'seriesValue', key: `${v.name}_qc` }, aliasOf: `${generated}/${v.name}_qc` });
    }
  }
  return props;
}

/**
 * Reports names used twice in one scope (CSDL names are case-sensitive; Mendix's are not, so both count) and
 * returns the later occurrences, which are left out.
 */
function clashes<T extends { name: string; aliasOf?: string }>(b: Builder, scope: string, what: (t: T) => string, items: T[]): Set<T> {
  const seen = new Map<string, T>();
  const later = new Set<T>();
  for (const n of items) {
    const key = n.name.toLowerCase();
    const prev = seen.get(key);
    if (prev === undefined) {
      seen.set(key, n);
      continue;
    }
    b.problems.push({
      item: `${what(n)} ${JSON.stringify(n.name)} in ${scope}`,
      rule: `clashes with ${what(prev)} ${JSON.stringify(prev.name)}; names must differ (also in upper/lower case)`,
      ...(n.aliasOf ? { alias: { for: n.aliasOf, suggestion: suggestAlias(`${n.name}_2`) } } : {}),
    });
    later.add(n);
  }
  return later;
}

/** Builds the model; `types` are every type the tenant sees (for families), the contract names its own. */
export function buildModel(contract: ContractShape, types: PortAssetType[]): EdmModel {
  const b = new Builder(contract.aliases);
  if (contract.kind === 'folders') return folderModel(b, contract);
  const byId = new Map(types.map((t) => [t.id, t]));
  const chainOf = (id: string): string[] => {
    const out: string[] = [];
    for (let t = byId.get(id); t && !out.includes(t.id); t = t.parentTypeId ? byId.get(t.parentTypeId) : undefined) out.push(t.id);
    return out;
  };
  const familyOf = (id: string) => types.filter((t) => chainOf(t.id).includes(id)).map((t) => t.id);
  const assetSets = new Map<string, EdmSet>();
  contract.assetTypes.forEach((typeId, i) => {
    const t = byId.get(typeId);
    if (!t) {
      b.problems.push({ item: `assetTypes[${i}] ${JSON.stringify(typeId)}`, rule: 'is not an asset type of this tenant (unknown or deleted)' });
      return;
    }
    if (assetSets.has(t.id)) {
      b.problems.push({ item: `assetTypes[${i}] ${JSON.stringify(typeId)}`, rule: 'is listed twice' });
      return;
    }
    const setName = b.name('entity set of asset type', t.name);
    if (!setName) return;
    const set: EdmSet = { name: setName, kind: 'assets', typeId: t.id, family: familyOf(t.id), key: ['assetId'],
      properties: assetProperties(b, setName, t.name, t), navs: [], rules: ASSET_RULES, generated: t.name };
    assetSets.set(t.id, set);
    b.sets.push(set);
    for (const a of t.aspects.filter((x) => x.category === 'dynamic')) {
      const base = `${a.aspectTypeName}_${a.name}_${t.name}`;
      const tsName = b.name(`time series entity set of aspect ${a.name} of`, base);
      if (tsName) {
        b.sets.push({ name: tsName, kind: 'timeseries', typeId: t.id, family: set.family, aspect: a, key: ['assetId', 'timestamp'],
          properties: seriesProperties(b, tsName, base, a), navs: [], rules: SERIES_RULES, generated: base });
        link(b, set, a.name, tsName, 'seriesOfAsset', 'assetOfSeries');
      }
      const aggName = b.name(`aggregate entity set of aspect ${a.name} of`, `AGGR_${base}`);
      if (aggName) {
        b.sets.push({ name: aggName, kind: 'aggregates', typeId: t.id, family: set.family, aspect: a, key: AGGREGATE_KEY,
          properties: AGGREGATE_FIELDS(), navs: [], rules: AGGREGATE_RULES, generated: `AGGR_${base}` });
        link(b, set, `AGGR_${a.name}`, aggName, 'seriesOfAsset', 'assetOfSeries');
      }
    }
  });
  const pairs = [...assetSets.values()];
  for (const d of pairs) {
    for (const base of pairs) {
      if (d !== base && chainOf(d.typeId).includes(base.typeId)) {
        // every asset of the derived type is also in the base type's set (the same assetId)
        linkSets(b, { set: d, name: `As${base.name}`, collection: false, nullable: false, join: 'sameAsset' },
          { set: base, name: `As${d.name}`, collection: false, nullable: true, join: 'sameAsset' });
      }
      // parent in `base`'s set ↔ children in `d`'s set
      linkSets(b, { set: d, name: `Parent${base.name}`, collection: false, nullable: true, join: 'parent' },
        { set: base, name: `Children${d.name}`, collection: true, nullable: false, join: 'children' });
    }
  }
  for (const s of b.sets) {
    const members: { name: string; aliasOf?: string; p?: EdmProperty; n?: EdmNav }[] = [
      ...s.properties.map((p) => ({ name: p.name, aliasOf: p.aliasOf, p })),
      ...s.navs.map((n) => ({ name: n.name, aliasOf: n.aliasOf, n }))];
    const bad = clashes(b, `entity type ${s.name}`, (m) => (m.p ? 'property' : 'navigation property'), members);
    s.properties = s.properties.filter((p) => ![...bad].some((m) => m.p === p));
    s.navs = s.navs.filter((n) => ![...bad].some((m) => m.n === n));
  }
  const badSets = clashes(b, 'the contract', () => 'entity set', b.sets);
  const sets = b.sets.filter((s) => !badSets.has(s));
  // navigations whose target or partner was dropped go too
  const byName = new Map(sets.map((s) => [s.name, s]));
  for (const s of sets) s.navs = s.navs.filter((n) => byName.get(n.target)?.navs.some((p) => p.name === n.partner && p.target === s.name));
  b.unusedAliases();
  return { namespace: `Ironbridge.${contract.name}`, sets, byName, problems: b.problems };
}

/** One objects set per folder, named after the folder path (`plant/line 1/` → `plant_line_1`). */
function folderModel(b: Builder, contract: ContractShape): EdmModel {
  (contract.folders ?? []).forEach((folder, i) => {
    const generated = suggestAlias(folder.slice(0, -1).split('/').join('_'));
    const name = b.name(`entity set of folders[${i}] ${JSON.stringify(folder)}:`, generated);
    if (!name) return;
    b.sets.push({ name, kind: 'objects', typeId: '', family: [], key: ['path'], properties: OBJECT_FIELDS(), navs: [],
      rules: OBJECT_RULES, generated, folder });
  });
  const badSets = clashes(b, 'the contract', () => 'entity set', b.sets);
  const sets = b.sets.filter((s) => !badSets.has(s));
  b.unusedAliases();
  return { namespace: `Ironbridge.${contract.name}`, sets, byName: new Map(sets.map((s) => [s.name, s])), problems: b.problems };
}

interface NavEnd { set: EdmSet; name: string; collection: boolean; nullable: boolean; join: Join }

/** asset set ↔ its series set (added just before). */
function link(b: Builder, asset: EdmSet, navName: string, target: string, join: Join, backJoin: Join): void {
  const series = b.sets.find((s) => s.name === target)!;
  linkSets(b, { set: asset, name: navName, collection: true, nullable: false, join },
    { set: series, name: 'asset', collection: false, nullable: false, join: backJoin });
}

/** A navigation property and its Partner; aliased by `{generated set name}/{navigation name}`. */
function linkSets(b: Builder, from: NavEnd, to: NavEnd): void {
  const there = b.name(`navigation property of ${from.set.name}`, from.name, `${from.set.generated}/${from.name}`);
  const back = b.name(`navigation property of ${to.set.name}`, to.name, `${to.set.generated}/${to.name}`);
  if (!there || !back) return;
  from.set.navs.push({ name: there, target: to.set.name, collection: from.collection, nullable: from.nullable, partner: back,
    join: from.join, aliasOf: `${from.set.generated}/${from.name}` });
  to.set.navs.push({ name: back, target: from.set.name, collection: to.collection, nullable: to.nullable, partner: there,
    join: to.join, aliasOf: `${to.set.generated}/${to.name}` });
}
