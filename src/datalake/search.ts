/**
 * The metadata search filter of the Integrated Data Lake ("Metadata and Object search"): a JSON object with
 * exactly one of `none` (one condition), `and` or `or` (two or more), each condition `{field: {operator: value}}`.
 * Fields and operators: name and location (eq, contains, startswith), size (eq, gt, lt), lastModified — also
 * spelled created or updated, the only time this index keeps — (before, after, between), tags (in: any of a list).
 * Compiled to a parameterised SQL condition over the objects table; `matches` is the same rule in plain code,
 * used by the property test to check the SQL.
 */
import { parseInstant } from '../core/instant.js';
import { DatalakeErrors } from './errors.js';
import type { ObjectRow } from './store.js';

export type Condition =
  | { field: 'name' | 'location'; op: 'eq' | 'contains' | 'startswith'; value: string }
  | { field: 'size'; op: 'eq' | 'gt' | 'lt'; value: number }
  | { field: 'lastModified'; op: 'before' | 'after'; value: number }
  | { field: 'lastModified'; op: 'between'; value: [number, number] }
  | { field: 'tags'; op: 'in'; value: string[] };

export interface Filter {
  combine: 'none' | 'and' | 'or';
  conditions: Condition[];
}

const fail = (rule: string) => DatalakeErrors.invalidFilter({ rule });
const FIELDS = ['name', 'location', 'size', 'lastModified', 'created', 'updated', 'tags'];

function instant(v: unknown, where: string): number {
  const t = parseInstant(v, 'filter');
  if (typeof t === 'string') throw fail(`${where} ${t}`);
  return t;
}

function condition(field: string, spec: unknown): Condition {
  if (!FIELDS.includes(field)) throw fail(`"${field}" is not a searchable field; use one of ${FIELDS.join(', ')}`);
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec) || Object.keys(spec).length !== 1) {
    throw fail(`${field} must be an object with exactly one operator, like {"eq": …}`);
  }
  const [op, value] = Object.entries(spec)[0]!;
  const where = `${field}.${op}`;
  switch (field) {
    case 'name':
    case 'location':
      if (op !== 'eq' && op !== 'contains' && op !== 'startswith') throw fail(`${field} takes eq, contains or startswith, not ${op}`);
      if (typeof value !== 'string') throw fail(`${where} must be a string`);
      return { field, op, value };
    case 'size':
      if (op !== 'eq' && op !== 'gt' && op !== 'lt') throw fail(`size takes eq, gt or lt, not ${op}`);
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(`${where} must be a number`);
      return { field, op, value };
    case 'tags':
      if (op !== 'in') throw fail(`tags takes in, not ${op}`);
      if (!Array.isArray(value) || value.length === 0 || !value.every((t) => typeof t === 'string')) {
        throw fail('tags.in must be a non-empty array of strings');
      }
      return { field, op, value: value as string[] };
    default: {
      if (op === 'before' || op === 'after') return { field: 'lastModified', op, value: instant(value, where) };
      if (op !== 'between') throw fail(`${field} takes before, after or between, not ${op}`);
      let pair: unknown[];
      if (Array.isArray(value)) pair = value;
      else if (typeof value === 'string') pair = value.replace(/^[[(]|[\])]$/g, '').split(',').map((x) => x.trim());
      else throw fail(`${where} must be two instants, like ["2024-01-01T00:00:00Z","2024-02-01T00:00:00Z"]`);
      if (pair.length !== 2) throw fail(`${where} must be two instants`);
      const a = instant(pair[0], where);
      const b = instant(pair[1], where);
      if (a > b) throw fail(`${where} starts after it ends`);
      return { field: 'lastModified', op, value: [a, b] };
    }
  }
}

export function parseFilter(raw: string): Filter {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw fail('it is not JSON, like {"none":{"name":{"contains":"sensor"}}}');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw fail('it must be a JSON object');
  const keys = Object.keys(json);
  if (keys.length !== 1 || !['none', 'and', 'or'].includes(keys[0]!)) {
    throw fail('it must have exactly one of the keys none, and, or');
  }
  const combine = keys[0] as Filter['combine'];
  const body = (json as Record<string, unknown>)[combine];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw fail(`${combine} must be an object of conditions`);
  const entries = Object.entries(body);
  if (combine === 'none' && entries.length !== 1) throw fail('none takes exactly one condition');
  if (combine !== 'none' && entries.length < 2) throw fail(`${combine} takes two or more conditions`);
  return { combine, conditions: entries.map(([f, spec]) => condition(f, spec)) };
}

const like = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filter as an SQL condition over the objects table (columns path, name, size, last_modified, tags). */
export function toSql(filter: Filter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts = filter.conditions.map((c) => {
    switch (c.field) {
      case 'name':
      case 'location': {
        const col = c.field === 'name' ? 'name' : 'path';
        if (c.op === 'eq') { params.push(c.value); return `${col} = ?`; }
        params.push(c.op === 'contains' ? `%${like(c.value)}%` : `${like(c.value)}%`);
        return `${col} LIKE ? ESCAPE '\\'`;
      }
      case 'size':
        params.push(c.value);
        return `size ${c.op === 'eq' ? '=' : c.op === 'gt' ? '>' : '<'} ?`;
      case 'lastModified':
        if (c.op === 'between') { params.push(c.value[0], c.value[1]); return 'last_modified BETWEEN ? AND ?'; }
        params.push(c.value);
        return `last_modified ${c.op === 'before' ? '<' : '>'} ?`;
      case 'tags':
        params.push(...c.value);
        return `EXISTS (SELECT 1 FROM json_each(tags) WHERE value IN (${c.value.map(() => '?').join(', ')}))`;
    }
  });
  return { sql: parts.map((p) => `(${p})`).join(filter.combine === 'or' ? ' OR ' : ' AND '), params };
}

/** The same rule evaluated on a row (SQLite LIKE is case-insensitive for ASCII, and so is this). */
export function matches(filter: Filter, row: ObjectRow): boolean {
  const name = row.path.slice(row.path.lastIndexOf('/') + 1);
  const test = (c: Condition): boolean => {
    switch (c.field) {
      case 'name':
      case 'location': {
        const v = c.field === 'name' ? name : row.path;
        if (c.op === 'eq') return v === c.value;
        const fold = (s: string) => s.replace(/[A-Z]/g, (x) => x.toLowerCase());
        return c.op === 'contains' ? fold(v).includes(fold(c.value)) : fold(v).startsWith(fold(c.value));
      }
      case 'size':
        return c.op === 'eq' ? row.size === c.value : c.op === 'gt' ? row.size > c.value : row.size < c.value;
      case 'lastModified':
        if (c.op === 'between') return row.lastModified >= c.value[0] && row.lastModified <= c.value[1];
        return c.op === 'before' ? row.lastModified < c.value : row.lastModified > c.value;
      case 'tags':
        return row.tags.some((t) => c.value.includes(t));
    }
  };
  return filter.combine === 'or' ? filter.conditions.some(test) : filter.conditions.every(test);
}
