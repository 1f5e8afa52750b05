/**
 * The IoT File search query (Insights Hub "IoT File Service API v3" `GET /files/{entityId}`): the text `filter`
 * (`name eq xyz*.txt and path eq unit/test/`, clauses joined by `and`, `*` a wildcard in eq/ne), `order`
 * (`updated desc`), `offset` and `limit`. Evaluated over one entity's files.
 */
import { Generic } from '../core/errors.js';
import { instantOrUndefined } from '../core/instant.js';
import type { IotFileRow } from './store.js';

type Op = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le';
interface Clause { field: keyof typeof FIELDS; op: Op; value: string }

const FIELDS = { name: 'string', path: 'string', type: 'string', description: 'string', size: 'number',
  timestamp: 'date', created: 'date', updated: 'date' } as const;
const OPS: readonly Op[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le'];
export const MAX_LIMIT = 500;

const badFilter = (rule: string) => Generic.invalidParameter({ name: 'filter', rule });

export function parseSearchFilter(raw: string | undefined): Clause[] {
  if (raw === undefined || raw.trim() === '') return [];
  if (raw.length > 4096) throw badFilter('must be at most 4096 characters');
  return raw.trim().split(/\s+and\s+/i).map((text) => {
    const m = /^(\w+)\s+(\w+)\s+(.+)$/.exec(text.trim());
    if (!m) throw badFilter(`clause "${text.slice(0, 80)}" must be "field op value"`);
    const [, field, op, rawValue] = m as unknown as [string, string, string, string];
    if (!(field in FIELDS)) throw badFilter(`field "${field.slice(0, 40)}" must be one of ${Object.keys(FIELDS).join(', ')}`);
    if (!OPS.includes(op.toLowerCase() as Op)) throw badFilter(`operator "${op.slice(0, 10)}" must be one of ${OPS.join(', ')}`);
    const value = rawValue.trim().replace(/^(['"])(.*)\1$/, '$2');
    const kind = FIELDS[field as keyof typeof FIELDS];
    if (kind === 'number' && !/^\d+$/.test(value)) throw badFilter(`the value of ${field} must be a whole number`);
    if (kind === 'date' && instantOrUndefined(value, 'filter') === undefined) throw badFilter(`the value of ${field} must be an ISO-8601 timestamp`);
    return { field: field as keyof typeof FIELDS, op: op.toLowerCase() as Op, value };
  });
}

const wildcard = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');

function valueOf(f: IotFileRow, field: Clause['field']): string | number {
  return field === 'path' ? (f.path || '/') : f[field];
}

export function matches(f: IotFileRow, clauses: readonly Clause[]): boolean {
  return clauses.every((c) => {
    const v = valueOf(f, c.field);
    const kind = FIELDS[c.field];
    const want: string | number = kind === 'number' ? Number(c.value) : kind === 'date' ? instantOrUndefined(c.value, 'filter')! : c.value;
    if (kind === 'string' && (c.op === 'eq' || c.op === 'ne')) {
      const hit = c.value.includes('*') ? wildcard(c.value).test(String(v)) : v === want;
      return c.op === 'eq' ? hit : !hit;
    }
    switch (c.op) {
      case 'eq': return v === want;
      case 'ne': return v !== want;
      case 'gt': return v > want;
      case 'lt': return v < want;
      case 'ge': return v >= want;
      case 'le': return v <= want;
    }
  });
}

export function sorter(order: string | undefined): (a: IotFileRow, b: IotFileRow) => number {
  const [field = 'name', dir = 'asc', ...rest] = (order ?? 'name asc').trim().split(/[\s,]+/);
  if (!(field in FIELDS) || rest.length > 0) throw Generic.invalidParameter({ name: 'order', rule: `must be "field asc|desc" with a field of ${Object.keys(FIELDS).join(', ')}` });
  if (!/^(asc|desc)$/i.test(dir)) throw Generic.invalidParameter({ name: 'order', rule: 'the direction must be asc or desc' });
  const sign = dir.toLowerCase() === 'desc' ? -1 : 1;
  const f = field as Clause['field'];
  return (a, b) => {
    const x = valueOf(a, f); const y = valueOf(b, f);
    return (x < y ? -1 : x > y ? 1 : `${a.path}${a.name}` < `${b.path}${b.name}` ? -1 : 1) * sign;
  };
}

export function window(offset: string | undefined, limit: string | undefined): { offset: number; limit: number } {
  const o = offset === undefined || offset === '' ? 0 : Number(offset);
  const l = limit === undefined || limit === '' ? MAX_LIMIT : Number(limit);
  if (!Number.isInteger(o) || o < 0) throw Generic.invalidParameter({ name: 'offset', rule: 'must be a whole number from 0' });
  if (!Number.isInteger(l) || l < 1 || l > MAX_LIMIT) throw Generic.invalidParameter({ name: 'limit', rule: `must be a whole number 1..${MAX_LIMIT}` });
  return { offset: o, limit: l };
}
