/**
 * Event types (Insights Hub "Event Management API v3" `/eventTypes`): the rules of a tenant's own type (id
 * `{tenant}.{name}` unless given with that prefix, derived from core.basicevent or from another of its types,
 * typed fields), the JSON patch operations, and the two shared types every tenant sees. Knows nothing of HTTP.
 */
import { Generic } from '../core/errors.js';
import type { EventTypeRow, FieldDef, FieldType } from './store.js';

export const BASIC_EVENT = 'core.basicevent';
/** The default type of an event without typeId (the type the MindConnect CLI names). */
export const STANDARD_EVENT = 'com.siemens.mindsphere.eventmgmt.event.type.MindSphereStandardEvent';
const SHARED_TENANT = 'core';

const standardField = (name: string, type: FieldType): FieldDef => ({ name, type, filterable: true, required: false, updatable: true });

/** Fields every event has (columns of the store); a type's own fields may not reuse these names. */
export const BASE_FIELDS: readonly FieldDef[] = [
  { name: 'entityId', type: 'STRING', filterable: true, required: true, updatable: false },
  { name: 'timestamp', type: 'TIMESTAMP', filterable: true, required: true, updatable: true },
  standardField('correlationId', 'STRING'), standardField('description', 'STRING'), standardField('code', 'STRING'),
  standardField('source', 'STRING'), standardField('sourceType', 'STRING'), standardField('sourceId', 'STRING'),
  standardField('severity', 'INTEGER'), standardField('acknowledged', 'BOOLEAN'),
];
const RESERVED = new Set(['id', 'typeId', 'etag', '_links', 'sharing', 'tenantId', ...BASE_FIELDS.map((f) => f.name)]);

export const SHARED_TYPES: readonly EventTypeRow[] = [
  { tenant: SHARED_TENANT, id: BASIC_EVENT, name: 'BasicEvent', parentId: '', ttl: 35, scope: 'GLOBAL', fields: [], etag: 0 },
  { tenant: SHARED_TENANT, id: STANDARD_EVENT, name: 'MindSphereStandardEvent', parentId: BASIC_EVENT, ttl: 35, scope: 'GLOBAL', fields: [], etag: 0 },
];
export const sharedType = (id: string) => SHARED_TYPES.find((t) => t.id === id);

const FIELD_TYPES: readonly FieldType[] = ['STRING', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'LINK', 'TIMESTAMP', 'UUID', 'ENUM'];
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const TYPE_ID = /^[A-Za-z0-9_.-]{1,255}$/;
export const MAX_FIELDS = 50;
const MAX_TTL_DAYS = 36500;

const bad = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function optionalBoolean(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw bad(name, 'must be true or false');
  return v;
}

/** One field of a type body, checked; `at` is its path in the body (e.g. fields[2]). */
export function checkField(raw: unknown, at: string): FieldDef {
  if (!isObject(raw)) throw bad(at, 'must be an object {name, type, filterable, required, updatable, values}');
  const { name, type, values } = raw;
  if (typeof name !== 'string' || !FIELD_NAME.test(name)) throw bad(`${at}.name`, 'must be a letter or _ and then up to 63 letters, digits or _');
  if (RESERVED.has(name)) throw bad(`${at}.name`, `"${name}" is a field every event has`);
  if (typeof type !== 'string' || !FIELD_TYPES.includes(type as FieldType)) throw bad(`${at}.type`, `must be one of ${FIELD_TYPES.join(', ')}`);
  const field: FieldDef = { name, type: type as FieldType, filterable: optionalBoolean(raw['filterable'], `${at}.filterable`, false),
    required: optionalBoolean(raw['required'], `${at}.required`, false), updatable: optionalBoolean(raw['updatable'], `${at}.updatable`, true) };
  if (type === 'ENUM') {
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 255)) {
      throw bad(`${at}.values`, 'an ENUM field needs a non-empty list of strings');
    }
    field.values = [...new Set(values as string[])];
  } else if (values !== undefined && values !== null && !(Array.isArray(values) && values.length === 0)) {
    throw bad(`${at}.values`, 'only an ENUM field has values');
  }
  return field;
}

function checkFields(raw: unknown, inherited: readonly FieldDef[]): FieldDef[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw bad('fields', 'must be a list of fields');
  if (raw.length > MAX_FIELDS) throw bad('fields', `must have at most ${MAX_FIELDS} fields`);
  const names = new Set(inherited.map((f) => f.name));
  return raw.map((f, i) => {
    const field = checkField(f, `fields[${i}]`);
    if (names.has(field.name)) throw bad(`fields[${i}].name`, `"${field.name}" is defined twice (here or in the parent type)`);
    names.add(field.name);
    return field;
  });
}

export function checkTtl(v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_TTL_DAYS) throw bad('ttl', `must be a whole number of days 1..${MAX_TTL_DAYS}`);
  return v;
}

export function checkScope(v: unknown, fallback: 'LOCAL' | 'GLOBAL'): 'LOCAL' | 'GLOBAL' {
  if (v === undefined || v === null) return fallback;
  if (v !== 'LOCAL' && v !== 'GLOBAL') throw bad('scope', 'must be LOCAL or GLOBAL');
  return v;
}

export function checkName(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 255 || !TYPE_ID.test(v)) {
    throw bad('name', 'must be 1..255 letters, digits, _ . or -');
  }
  return v;
}

/**
 * A new type from its body; `parentFields` are the fields it inherits (resolved by the caller from parentId).
 * The id is `{tenant}.{name}` unless the body gives one with that prefix.
 */
export function newType(tenant: string, body: Record<string, unknown>, parentId: string, parentFields: readonly FieldDef[]): EventTypeRow {
  const name = checkName(body['name']);
  let id = `${tenant}.${name}`;
  if (body['id'] !== undefined && body['id'] !== null) {
    const given = body['id'];
    if (typeof given !== 'string' || !TYPE_ID.test(given) || !given.startsWith(`${tenant}.`) || given.length <= tenant.length + 1) {
      throw bad('id', `must start with the tenant prefix "${tenant}." and use only letters, digits, _ . or -`);
    }
    id = given;
  }
  return { tenant, id, name, parentId, ttl: checkTtl(body['ttl'], 35), scope: checkScope(body['scope'], 'LOCAL'),
    fields: checkFields(body['fields'], parentFields), etag: 0 };
}

/**
 * Applies patch operations (the SDK sends one `{op, path, value}`, RFC 6902 clients a list): `replace` of /name,
 * /ttl or /scope, and `add` of /fields (a field or a list of fields; an added field cannot be required).
 */
export function patchType(current: EventTypeRow, body: unknown, inherited: readonly FieldDef[]): EventTypeRow {
  const ops = Array.isArray(body) ? body : [body];
  if (ops.length === 0) throw bad('op', 'the patch has no operation');
  const next: EventTypeRow = { ...current, fields: [...current.fields] };
  ops.forEach((op, i) => {
    const at = ops.length > 1 ? `[${i}].` : '';
    if (!isObject(op)) throw bad(`${at}op`, 'each operation must be an object {op, path, value}');
    const path = op['path'];
    if (op['op'] === 'replace') {
      if (path === '/name') next.name = checkName(op['value']);
      else if (path === '/ttl') next.ttl = checkTtl(op['value'], next.ttl);
      else if (path === '/scope') next.scope = checkScope(op['value'], next.scope);
      else throw bad(`${at}path`, 'replace applies to /name, /ttl or /scope');
    } else if (op['op'] === 'add') {
      if (path !== '/fields' && path !== '/fields/-') throw bad(`${at}path`, 'add applies to /fields');
      const added = Array.isArray(op['value']) ? op['value'] : [op['value']];
      const names = new Set([...inherited, ...next.fields].map((f) => f.name));
      for (const [j, raw] of added.entries()) {
        const field = checkField(raw, `${at}value[${j}]`);
        if (field.required) throw bad(`${at}value[${j}].required`, 'a field added to an existing type cannot be required');
        if (names.has(field.name)) throw bad(`${at}value[${j}].name`, `"${field.name}" is a field of the type already`);
        names.add(field.name);
        next.fields.push(field);
      }
      if (next.fields.length > MAX_FIELDS) throw bad('fields', `must have at most ${MAX_FIELDS} fields`);
    } else throw bad(`${at}op`, 'must be add or replace');
  });
  return next;
}
