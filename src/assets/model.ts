/**
 * The records of the asset model (aspect types, asset types, assets) and the field rules of reference §1.2–1.4:
 * ids, names, variable definitions, values parsed against their data type, time zones. Pure functions, no I/O.
 */
import type { VariableDataType } from '../core/model.js';
import { Generic } from '../core/errors.js';
import { parseTimestamp } from '../core/filter.js';
import { AssetErrors } from './errors.js';

export const DATA_TYPES: readonly VariableDataType[] = ['BOOLEAN', 'INT', 'LONG', 'DOUBLE', 'STRING', 'BIG_STRING', 'TIMESTAMP'];
export const CORE_TENANT = 'core';
/** Reference §1.2: variable names that clash with resource fields. */
export const RESERVED_VARIABLE_NAMES = ['id', 'name', 'description', 'tenant', 'etag', 'scope', 'properties',
  'propertysets', 'extends', 'variables', 'aspects', 'parenttypeid'];
export const STRING_MAX = 255;
export const BIG_STRING_MAX = 100_000;
/** Most elements of any array in a request body (variables, aspects, values, file assignments). */
export const MAX_ITEMS = 200;

export interface VariableDefinition {
  name: string;
  dataType: VariableDataType;
  unit: string;
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
  fileAssignments: FileAssignment[];
  etag: number;
  /** Deletion time (epoch ms) or null. */
  deleted: number | null;
  createdAt: number;
}

/** The id prefix of everything below this asset (its own path plus its id). */
export const subtreePrefix = (a: Pick<AssetRecord, 'path' | 'assetId'>): string =>
  (a.path ? `${a.path}/` : '') + a.assetId;
export const ancestorIds = (a: Pick<AssetRecord, 'path'>): string[] => (a.path ? a.path.split('/') : []);

const ID_RE = /^[A-Za-z0-9_.]{1,128}$/;
const VARIABLE_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const ASSET_ID_RE = /^[a-f0-9]{32}$/;

const invalid = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });

/** Reference §1.2: `{tenant}.{name}`, 1–128 characters of A-Z a-z 0-9 _ . */
export function checkTypeId(id: string, tenant: string, field = 'id'): void {
  if (!ID_RE.test(id)) {
    throw AssetErrors.invalidId({ field, value: id.slice(0, 200), rule: 'it must be 1-128 characters of A-Z a-z 0-9 _ .' });
  }
  if (!id.startsWith(`${tenant}.`) || id.length === tenant.length + 1) {
    throw AssetErrors.invalidId({ field, value: id, rule: `it must be "${tenant}.<name>": the tenant name, a dot, then the name` });
  }
}

export function requireString(body: Record<string, unknown>, field: string, path: string, max: number): string {
  const v = body[field];
  if (v === undefined || v === null) throw Generic.missingRequestBodyProperty({ name: path });
  return optionalString(body, field, path, max, 1) as string;
}

export function optionalString(body: Record<string, unknown>, field: string, path: string, max: number, min = 0): string | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(path, 'must be a string');
  if (v.length < min || v.length > max) throw invalid(path, `must be ${min}-${max} characters long`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v)) throw invalid(path, 'must not contain control characters');
  return v;
}

export function optionalBoolean(body: Record<string, unknown>, field: string, path: string): boolean | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw invalid(path, 'must be true or false');
  return v;
}

export function asObject(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(path, 'must be a JSON object');
  return v as Record<string, unknown>;
}

export function asArray(v: unknown, path: string, max: number): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(path, 'must be an array');
  if (v.length > max) throw invalid(path, `must not have more than ${max} elements`);
  return v;
}

/** Parses a value (string form, as on the wire) against a data type; returns the rule it breaks, or null. */
export function valueRule(dataType: VariableDataType, value: string, length: number | null): string | null {
  switch (dataType) {
    case 'BOOLEAN':
      return value === 'true' || value === 'false' ? null : 'must be "true" or "false" for BOOLEAN';
    case 'INT': {
      if (!/^[+-]?\d+$/.test(value)) return 'must be a whole number for INT';
      const n = Number(value);
      return n >= -2147483648 && n <= 2147483647 ? null : 'must be within -2147483648..2147483647 for INT';
    }
    case 'LONG': {
      if (!/^[+-]?\d+$/.test(value)) return 'must be a whole number for LONG';
      const n = BigInt(value);
      return n >= -(2n ** 63n) && n < 2n ** 63n ? null : 'must fit in 64 bits for LONG';
    }
    case 'DOUBLE':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) && Number.isFinite(Number(value))
        ? null : 'must be a finite decimal number for DOUBLE';
    case 'STRING': case 'BIG_STRING': {
      const max = length ?? (dataType === 'STRING' ? STRING_MAX : BIG_STRING_MAX);
      return value.length <= max ? null : `must not be longer than ${max} characters for this ${dataType}`;
    }
    case 'TIMESTAMP':
      return parseTimestamp(value) !== undefined ? null : 'must be an ISO-8601 timestamp like 2018-01-01T00:00:00.000Z';
  }
}

export type VariableOwner = 'static' | 'dynamic' | 'assettype';

/** Validates one variable definition (reference §1.2); `owner` decides which fields are allowed. */
export function parseVariable(raw: unknown, path: string, owner: VariableOwner): AspectVariable {
  const v = asObject(raw, path);
  const name = requireString(v, 'name', `${path}.name`, 64);
  if (!VARIABLE_NAME_RE.test(name)) {
    throw invalid(`${path}.name`, 'must start with a letter and have 1-64 letters, digits or underscores');
  }
  if (RESERVED_VARIABLE_NAMES.includes(name.toLowerCase())) {
    throw invalid(`${path}.name`, `"${name}" is a reserved name (${RESERVED_VARIABLE_NAMES.join(', ')})`);
  }
  if (/_qc$/i.test(name)) throw invalid(`${path}.name`, 'must not end in _qc (reserved for quality codes)');
  const dataType = v['dataType'];
  if (dataType === undefined || dataType === null) throw Generic.missingRequestBodyProperty({ name: `${path}.dataType` });
  if (typeof dataType !== 'string' || !DATA_TYPES.includes(dataType as VariableDataType)) {
    throw invalid(`${path}.dataType`, `must be one of ${DATA_TYPES.join(', ')}`);
  }
  const dt = dataType as VariableDataType;
  if (dt === 'BIG_STRING' && owner !== 'dynamic') throw invalid(`${path}.dataType`, 'BIG_STRING is only allowed in dynamic aspect types');
  const unit = optionalString(v, 'unit', `${path}.unit`, 64) ?? '';
  const searchable = optionalBoolean(v, 'searchable', `${path}.searchable`) ?? false;
  if (searchable && owner === 'dynamic') throw invalid(`${path}.searchable`, 'only variables of static aspect types can be searchable');
  const qualityCode = optionalBoolean(v, 'qualityCode', `${path}.qualityCode`) ?? false;
  if (qualityCode && owner === 'assettype') throw invalid(`${path}.qualityCode`, 'asset type variables have no quality code');
  let length: number | null = null;
  const rawLength = v['length'];
  if (dt === 'STRING' || dt === 'BIG_STRING') {
    const max = dt === 'STRING' ? STRING_MAX : BIG_STRING_MAX;
    if (rawLength === undefined || rawLength === null) length = max;
    else if (typeof rawLength !== 'number' || !Number.isInteger(rawLength) || rawLength < 1 || rawLength > max) {
      throw invalid(`${path}.length`, `must be a whole number within 1..${max} for ${dt}`);
    } else length = rawLength;
  } else if (rawLength !== undefined && rawLength !== null) {
    throw invalid(`${path}.length`, 'applies only to STRING and BIG_STRING variables');
  }
  const defaultValue = v['defaultValue'] === undefined || v['defaultValue'] === null ? null : v['defaultValue'];
  if (defaultValue !== null) {
    if (owner === 'dynamic') throw invalid(`${path}.defaultValue`, 'only static aspect and asset type variables have default values');
    if (typeof defaultValue !== 'string') throw invalid(`${path}.defaultValue`, 'must be a string');
    const rule = valueRule(dt, defaultValue, length);
    if (rule) throw invalid(`${path}.defaultValue`, rule);
  }
  return { name, dataType: dt, unit, searchable, length, qualityCode, defaultValue: defaultValue as string | null };
}

/** Variable names must be unique within one list. */
export function checkUnique(names: string[], path: string, what: string): void {
  const seen = new Set<string>();
  for (const [i, n] of names.entries()) {
    if (seen.has(n)) throw invalid(`${path}[${i}].name`, `${what} "${n}" appears twice`);
    seen.add(n);
  }
}

const zoneCache = new Map<string, string | null>();

/**
 * Reference §1.4: a Java zone id; zones whose UTC offset is not a multiple of 30 minutes (e.g. Asia/Kathmandu)
 * are not supported. Returns the rule broken or null.
 */
export function timezoneRule(zone: string): string | null {
  if (zoneCache.has(zone)) return zoneCache.get(zone)!;
  let rule: string | null = null;
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone)) rule = 'must be a Java time zone id like Europe/Berlin or Etc/GMT+2';
  else {
    try {
      const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
      const year = new Date().getUTCFullYear();
      for (const month of [0, 3, 6, 9]) {
        const part = fmt.formatToParts(Date.UTC(year, month, 15)).find((p) => p.type === 'timeZoneName')?.value ?? '';
        const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part);
        if (m && Number(m[3]) % 30 !== 0) {
          rule = `has a UTC offset of ${m[1]}${m[2]}:${m[3]}; offsets that are not a multiple of 30 minutes are not supported`;
          break;
        }
      }
    } catch {
      rule = 'is not a known time zone id (use a Java zone id like Europe/Berlin or Etc/GMT+2)';
    }
  }
  zoneCache.set(zone, rule);
  return rule;
}

/** Merged view of an asset type and its ancestors (root ancestor first). */
export interface ExplodedMember<T> {
  member: T;
  /** The type that declares the member. */
  origin: string;
}

export interface ExplodedType {
  type: AssetTypeRecord;
  chain: AssetTypeRecord[];
  aspects: ExplodedMember<TypeAspect>[];
  variables: ExplodedMember<VariableDefinition>[];
  fileAssignments: ExplodedMember<FileAssignment>[];
}

/** Merges a type chain (root ancestor first, the type last). A child's file assignment of a key overrides the parent's. */
export function explode(chain: AssetTypeRecord[]): ExplodedType {
  const aspects: ExplodedMember<TypeAspect>[] = [];
  const variables: ExplodedMember<VariableDefinition>[] = [];
  const files = new Map<string, ExplodedMember<FileAssignment>>();
  for (const t of chain) {
    for (const a of t.aspects) aspects.push({ member: a, origin: t.id });
    for (const v of t.variables) variables.push({ member: v, origin: t.id });
    for (const f of t.fileAssignments) files.set(f.key, { member: f, origin: t.id });
  }
  return { type: chain[chain.length - 1]!, chain, aspects, variables, fileAssignments: [...files.values()] };
}

export function parseLocation(raw: unknown): Location {
  const o = asObject(raw, 'location');
  const out: Location = {};
  for (const f of ['country', 'region', 'locality', 'streetAddress', 'postalCode'] as const) {
    const v = optionalString(o, f, `location.${f}`, 255);
    if (v !== null) out[f] = v;
  }
  for (const [f, lim] of [['longitude', 180], ['latitude', 90]] as const) {
    const v = o[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > lim) {
      throw invalid(`location.${f}`, `must be a number within -${lim}..${lim}`);
    }
    out[f] = v;
  }
  return out;
}

/** Body `{fileId}` of the file assignment endpoints; the key comes from the path. */
export function parseFileAssignment(key: string, raw: unknown): FileAssignment {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(key)) throw Generic.invalidParameter({ name: 'key', rule: 'must be 1-64 letters, digits or underscores' });
  return { key, fileId: requireString(asObject(raw, 'body'), 'fileId', 'fileId', 64) };
}

export function parseFileAssignments(raw: unknown): FileAssignment[] {
  const list = asArray(raw, 'fileAssignments', MAX_ITEMS).map((item, i) => {
    const o = asObject(item, `fileAssignments[${i}]`);
    const key = requireString(o, 'key', `fileAssignments[${i}].key`, 64);
    if (!/^[A-Za-z0-9_]+$/.test(key)) throw invalid(`fileAssignments[${i}].key`, 'must be letters, digits or underscores');
    return { key, fileId: requireString(o, 'fileId', `fileAssignments[${i}].fileId`, 64) };
  });
  const seen = new Set<string>();
  for (const [i, f] of list.entries()) {
    if (seen.has(f.key)) throw invalid(`fileAssignments[${i}].key`, `key "${f.key}" appears twice`);
    seen.add(f.key);
  }
  return list;
}
