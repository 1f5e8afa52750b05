/**
 * Input parsing of Asset Management request bodies (Asset Management API v3, "Aspect types", "Asset types",
 * "Assets"): ids, names, variable definitions, values parsed against their data type, locations, file
 * assignments, and RFC 7396 merge-patch. Every rule broken is a 400 naming the field; pure functions, no I/O.
 */
import type { VariableDataType } from '../core/model.js';
import { Generic } from '../core/errors.js';
import { nestingBeyond } from '../core/json.js';
import { BIG_STRING_MAX, STRING_MAX, stringValueRule } from '../core/values.js';
import type { TypeCatalog } from './catalog.js';
import { AssetErrors } from './errors.js';
import {
  DATA_TYPES,
  type AspectTypeRecord, type AspectValues, type AspectVariable, type AssetRecord, type AssetTypeRecord,
  type AssetTypeView, type FileAssignment, type Location, type TypeAspect, type VariableDefinition, type VariableValue,
} from './records.js';

/** Asset Management API v3, aspect types: variable names that clash with resource fields. */
export const RESERVED_VARIABLE_NAMES = ['id', 'name', 'description', 'tenant', 'etag', 'scope', 'properties',
  'propertysets', 'extends', 'variables', 'aspects', 'parenttypeid'];
/** Most elements of any array in a request body (variables, aspects, values, file assignments). */
export const MAX_ITEMS = 200;
/** Deepest nesting of a merge-patch body; real ones nest 4 levels (aspects[].variables[].value). */
export const MAX_PATCH_NESTING = 32;

const ID_RE = /^[A-Za-z0-9_.]{1,128}$/;
const MEMBER_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MEMBER_NAME_RULE = 'must start with a letter and have 1-64 letters, digits or underscores';

const invalid = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });

/** Asset Management API v3, aspect types: `{tenant}.{name}`, 1–128 characters of A-Z a-z 0-9 _ . */
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

/** Names are unique within one list. */
export function checkUnique(names: string[], path: string, what: string): void {
  const seen = new Set<string>();
  for (const [i, n] of names.entries()) {
    if (seen.has(n)) throw invalid(`${path}[${i}].name`, `${what} "${n}" appears twice`);
    seen.add(n);
  }
}

export type VariableOwner = 'static' | 'dynamic' | 'assettype';

/** Validates one variable definition (Asset Management API v3, aspect types); `owner` decides which fields are allowed. */
export function parseVariable(raw: unknown, path: string, owner: VariableOwner): AspectVariable {
  const v = asObject(raw, path);
  const name = requireString(v, 'name', `${path}.name`, 64);
  if (!MEMBER_NAME_RE.test(name)) throw invalid(`${path}.name`, MEMBER_NAME_RULE);
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
  // Accepted on dynamic variables too (the official CLI's templates send it); it has no effect there.
  const searchable = optionalBoolean(v, 'searchable', `${path}.searchable`) ?? false;
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
    const rule = stringValueRule(dt, defaultValue, length);
    if (rule) throw invalid(`${path}.defaultValue`, rule);
  }
  return { name, dataType: dt, unit, searchable, length, qualityCode, defaultValue: defaultValue as string | null };
}

/** The body of PUT /aspecttypes/{id} (Asset Management API v3, aspect types). */
export function parseAspectType(tenant: string, id: string, raw: unknown): AspectTypeRecord {
  const body = asObject(raw, 'body');
  const name = requireString(body, 'name', 'name', 128);
  const category = body['category'];
  if (category === undefined || category === null) throw Generic.missingRequestBodyProperty({ name: 'category' });
  if (category !== 'static' && category !== 'dynamic') throw invalid('category', 'must be static or dynamic');
  const scope = optionalString(body, 'scope', 'scope', 16) ?? 'private';
  if (scope !== 'private') throw invalid('scope', 'only private aspect types can be created');
  if (body['variables'] === undefined || body['variables'] === null) throw Generic.missingRequestBodyProperty({ name: 'variables' });
  const variables = asArray(body['variables'], 'variables', MAX_ITEMS).map((v, i) => parseVariable(v, `variables[${i}]`, category));
  checkUnique(variables.map((v) => v.name), 'variables', 'variable');
  return {
    id, tenant, name, category, scope, description: optionalString(body, 'description', 'description', 2048) ?? '',
    variables, etag: 0,
  };
}

/** The body of PUT /assettypes/{id} (Asset Management API v3, asset types); references resolve in the tenant's catalog. */
export function parseAssetType(tenant: string, id: string, raw: unknown, cat: TypeCatalog): AssetTypeRecord {
  const body = asObject(raw, 'body');
  const name = requireString(body, 'name', 'name', 128);
  const scope = optionalString(body, 'scope', 'scope', 16) ?? 'private';
  if (scope !== 'private') throw invalid('scope', 'only private asset types can be created');
  const parentRaw = optionalString(body, 'parentTypeId', 'parentTypeId', 128);
  if (parentRaw === null) throw Generic.missingRequestBodyProperty({ name: 'parentTypeId' });
  const parent = cat.assetType(parentRaw);
  if (!parent) throw AssetErrors.referenceNotFound({ field: 'parentTypeId', id: parentRaw });
  if (parent.id === id || cat.chain(parent.id).some((t) => t.id === id)) {
    throw invalid('parentTypeId', `${parentRaw} derives from ${id}; a type cannot inherit from itself`);
  }
  const aspects: TypeAspect[] = asArray(body['aspects'], 'aspects', MAX_ITEMS).map((a, i) => {
    const o = asObject(a, `aspects[${i}]`);
    const aname = requireString(o, 'name', `aspects[${i}].name`, 64);
    if (!MEMBER_NAME_RE.test(aname)) throw invalid(`aspects[${i}].name`, MEMBER_NAME_RULE);
    // A body read back from GET carries the embedded aspectType instead of aspectTypeId; accept both.
    const embedded = o['aspectType'] !== null && typeof o['aspectType'] === 'object' ? (o['aspectType'] as Record<string, unknown>)['id'] : undefined;
    const ref = o['aspectTypeId'] === undefined && typeof embedded === 'string'
      ? embedded : requireString(o, 'aspectTypeId', `aspects[${i}].aspectTypeId`, 128);
    const at = cat.aspectType(ref);
    if (!at) throw AssetErrors.referenceNotFound({ field: `aspects[${i}].aspectTypeId`, id: ref });
    return { name: aname, aspectTypeId: at.id };
  });
  checkUnique(aspects.map((a) => a.name), 'aspects', 'aspect');
  const variables: VariableDefinition[] = asArray(body['variables'], 'variables', MAX_ITEMS).map((v, i) => {
    const { qualityCode: _qc, ...def } = parseVariable(v, `variables[${i}]`, 'assettype');
    return def;
  });
  checkUnique(variables.map((v) => v.name), 'variables', 'variable');
  return {
    id, tenant, name, description: optionalString(body, 'description', 'description', 2048) ?? '',
    parentTypeId: parent.id, instantiable: optionalBoolean(body, 'instantiable', 'instantiable') ?? true, scope,
    aspects, variables, fileAssignments: parseFileAssignments(body['fileAssignments']), etag: 0,
  };
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

/** The fields PUT and PATCH /assets/{id} may change (Asset Management API v3, assets). */
export function parseAssetFields(body: Record<string, unknown>) {
  return {
    name: requireString(body, 'name', 'name', 128),
    externalId: optionalString(body, 'externalId', 'externalId', 255),
    description: optionalString(body, 'description', 'description', 2048) ?? '',
    location: body['location'] === undefined || body['location'] === null ? null : parseLocation(body['location']),
    fileAssignments: parseFileAssignments(body['fileAssignments']),
  };
}

/** Own values, validated against the exploded type: only declared variables and static aspects. */
export function parseAssetValues(body: Record<string, unknown>, type: AssetTypeView): { variables: VariableValue[]; aspects: AspectValues[] } {
  const parseList = (raw: unknown, path: string, defs: VariableDefinition[], where: string) => {
    const list = asArray(raw, path, MAX_ITEMS).map((item, i) => {
      const o = asObject(item, `${path}[${i}]`);
      const name = requireString(o, 'name', `${path}[${i}].name`, 64);
      const def = defs.find((d) => d.name === name);
      if (!def) throw invalid(`${path}[${i}].name`, `"${name}" is not a variable of ${where}`);
      const value = o['value'];
      if (value !== null && value !== undefined && typeof value !== 'string') {
        throw invalid(`${path}[${i}].value`, 'must be a string (values are sent as text) or null');
      }
      if (typeof value === 'string') {
        const rule = stringValueRule(def.dataType, value, def.length);
        if (rule) throw invalid(`${path}[${i}].value`, rule);
      }
      return { name, value: (value ?? null) as string | null };
    });
    checkUnique(list.map((v) => v.name), path, 'variable');
    return list;
  };
  const variables = parseList(body['variables'], 'variables', type.variables.map((m) => m.member), `asset type ${type.type.id}`);
  const aspects = asArray(body['aspects'], 'aspects', MAX_ITEMS).map((item, i) => {
    const o = asObject(item, `aspects[${i}]`);
    const name = requireString(o, 'name', `aspects[${i}].name`, 64);
    const at = type.aspects.find((m) => m.member.name === name)?.member.aspectType;
    if (!at) throw invalid(`aspects[${i}].name`, `"${name}" is not an aspect of asset type ${type.type.id}`);
    if (at.category !== 'static') throw invalid(`aspects[${i}].name`, `aspect "${name}" is dynamic; its values are time series, not asset values`);
    return { name, variables: parseList(o['variables'], `aspects[${i}].variables`, at.variables, `aspect ${name}`) };
  });
  checkUnique(aspects.map((a) => a.name), 'aspects', 'aspect');
  return { variables, aspects };
}

/** Refuses a body nested deeper than MAX_PATCH_NESTING before any recursive code walks it. */
function checkNesting(body: Record<string, unknown>): void {
  const path = nestingBeyond(body, MAX_PATCH_NESTING);
  if (path !== null) {
    throw invalid(path.split(/[.[]/)[0] || 'body', `nests deeper than ${MAX_PATCH_NESTING} levels, the most a merge-patch body may nest`);
  }
}

/** RFC 7396 JSON merge-patch; callers check the nesting first (checkNesting), which bounds the recursion. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target)
    ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (k === '__proto__') continue; // never let a body key reach an object's prototype
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A merge-patch body applied to the writable view of a type (PATCH /aspecttypes/{id}, /assettypes/{id}). */
export function patchedType<T extends { id: string; tenant: string; etag: number }>(current: T, raw: unknown): Record<string, unknown> {
  const patch = asObject(raw, 'body');
  checkNesting(patch);
  const { id: _i, tenant: _t, etag: _e, ...writable } = current;
  return mergePatch(writable, patch) as Record<string, unknown>;
}

/** Own values merged by name: an entry replaces the value of its name, `value: null` resets it to the default. */
function mergeValues(current: VariableValue[], patch: unknown, path: string): VariableValue[] {
  if (patch === undefined) return current;
  const out = new Map(current.map((v) => [v.name, v]));
  for (const [i, item] of asArray(patch, path, MAX_ITEMS).entries()) {
    const o = asObject(item, `${path}[${i}]`);
    const name = requireString(o, 'name', `${path}[${i}].name`, 64);
    if (o['value'] === null) out.delete(name);
    else out.set(name, { name, value: o['value'] as string });
  }
  return [...out.values()];
}

/**
 * PATCH /assets/{id}: the merge-patch applied to the asset's writable view, as a PUT body. `variables` and the
 * `aspects` values merge by name instead of being replaced (Asset Management API v3, assets).
 */
export function patchedAsset(current: AssetRecord, raw: unknown): Record<string, unknown> {
  const patch = asObject(raw, 'body');
  checkNesting(patch);
  const { variables, aspects, ...rest } = patch;
  const base = {
    name: current.name, externalId: current.externalId, description: current.description, location: current.location,
    fileAssignments: current.fileAssignments,
  };
  const merged = mergePatch(base, rest) as Record<string, unknown>;
  merged['variables'] = mergeValues(current.variables, variables, 'variables');
  merged['aspects'] = aspects === undefined ? current.aspects
    : asArray(aspects, 'aspects', MAX_ITEMS).reduce<AspectValues[]>((acc, item, i) => {
      const o = asObject(item, `aspects[${i}]`);
      const name = requireString(o, 'name', `aspects[${i}].name`, 64);
      const old = acc.find((a) => a.name === name);
      const vars = mergeValues(old?.variables ?? [], o['variables'], `aspects[${i}].variables`);
      return [...acc.filter((a) => a.name !== name), { name, variables: vars }];
    }, current.aspects);
  return merged;
}
