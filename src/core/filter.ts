/**
 * The JSON `filter` query language of the Insights Hub list endpoints (Asset Management API v3, filter parameter): parsing into a small
 * syntax tree, evaluation in memory, and compilation to a SQL WHERE clause. The caller names the filterable
 * fields and their kinds; a clause on any other field is ignored (as the reference says), and every malformed
 * clause is rejected with a 400 naming the clause path and the rule.
 */
import { Generic } from './errors.js';
import { instantOrUndefined } from './instant.js';
import { nestingBeyond } from './json.js';

export type FieldKind = 'string' | 'date' | 'boolean' | 'number';
export type FieldSpec = Readonly<Record<string, FieldKind>>;
export type Scalar = string | number | boolean | null;

export type FilterNode =
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  | { kind: 'eq'; field: string; value: Scalar }
  | { kind: 'in'; field: string; values: Scalar[] }
  | { kind: 'startsWith' | 'endsWith' | 'contains'; field: string; value: string }
  /** Dates are epoch milliseconds. */
  | { kind: 'before' | 'after'; field: string; value: number }
  | { kind: 'between'; field: string; from: number; to: number; fromInclusive: boolean; toInclusive: boolean };

const OPERATORS = ['eq', 'in', 'startsWith', 'endsWith', 'contains', 'before', 'after', 'between', 'not', 'or', 'and'];
/** Longest filter string accepted; limits parsing work before any is done. */
export const MAX_FILTER_LENGTH = 8192;
/** Deepest and/or/not nesting of the filter tree. */
const MAX_DEPTH = 16;
/**
 * Deepest JSON nesting of the parsed filter, checked before the (recursive) parser walks it; a legal tree nests
 * at most about 2 JSON levels per tree level, and a value of an ignored field is bounded too.
 */
export const MAX_FILTER_NESTING = 64;

const bad = (clause: string, rule: string) =>
  Generic.invalidParameter({ name: `filter${clause ? ` clause "${clause}"` : ''}`, rule });
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** ISO-8601 timestamp with zone (e.g. 2018-01-01T00:00:00.00Z) → epoch ms; the filter form of core/instant. */
export const parseTimestamp = (v: unknown): number | undefined => instantOrUndefined(v, 'filter');

function checkScalar(path: string, kind: FieldKind, v: unknown): Scalar {
  if (v === null) return null;
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') throw bad(path, 'the value must be a string or null');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw bad(path, 'the value must be true, false or null');
      return v;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, 'the value must be a number or null');
      return v;
    case 'date': {
      const ms = parseTimestamp(v);
      if (ms === undefined) throw bad(path, 'the value must be an ISO-8601 timestamp like 2018-01-01T00:00:00.00Z or null');
      return ms;
    }
  }
}

const all = (items: (FilterNode | null)[], kind: 'and' | 'or'): FilterNode | null => {
  const kept = items.filter((n): n is FilterNode => n !== null);
  if (kept.length === 0) return null;
  return kept.length === 1 ? kept[0]! : { kind, items: kept };
};

/** Clauses of an and/or: an object (one clause per key) or an array of objects. */
function clauses(value: unknown, path: string, fields: FieldSpec, depth: number): (FilterNode | null)[] {
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (!isObject(item)) throw bad(`${path}[${i}]`, 'each element must be a JSON object');
      return parseObject(item, `${path}[${i}]`, fields, depth + 1);
    });
  }
  if (!isObject(value)) throw bad(path, 'must be a JSON object or an array of JSON objects');
  return Object.entries(value).map(([k, v]) => parseEntry(k, v, join(path, k), fields, depth + 1));
}

function parseObject(obj: Record<string, unknown>, path: string, fields: FieldSpec, depth: number): FilterNode | null {
  return all(Object.entries(obj).map(([k, v]) => parseEntry(k, v, join(path, k), fields, depth)), 'and');
}

function parseEntry(key: string, value: unknown, path: string, fields: FieldSpec, depth: number): FilterNode | null {
  if (depth > MAX_DEPTH) throw bad(path, `nesting deeper than ${MAX_DEPTH} levels is not allowed`);
  if (key === 'and' || key === 'or') return all(clauses(value, path, fields, depth), key);
  if (key === 'not') {
    if (!isObject(value)) throw bad(path, 'must be a JSON object');
    const inner = parseObject(value, path, fields, depth + 1);
    return inner === null ? null : { kind: 'not', item: inner };
  }
  // own properties only: a clause named like an Object.prototype member ("toString") is just an unknown field
  if (!Object.hasOwn(fields, key)) return null;
  const kind = fields[key]!;
  return parseCondition(key, kind, value, path, depth);
}

function parseInterval(path: string, v: unknown): FilterNode & { kind: 'between' } {
  const m = typeof v === 'string' ? /^\s*([[(])\s*([^,\s]+)\s*,\s*([^,\s]+)\s*([\])])\s*$/.exec(v) : null;
  const from = m ? parseTimestamp(m[2]) : undefined;
  const to = m ? parseTimestamp(m[3]) : undefined;
  if (!m || from === undefined || to === undefined) {
    throw bad(path, 'must be an interval of two ISO-8601 timestamps like "[2018-01-01T00:00:00Z, 2018-02-01T00:00:00Z)"');
  }
  if (from > to) throw bad(path, 'the interval start must not be after its end');
  return { kind: 'between', field: '', from, to, fromInclusive: m[1] === '[', toInclusive: m[4] === ']' };
}

function parseCondition(field: string, kind: FieldKind, value: unknown, path: string, depth: number): FilterNode | null {
  if (!isObject(value)) {
    if (Array.isArray(value)) throw bad(path, 'a field value must be a scalar or an operator object, not an array');
    return { kind: 'eq', field, value: checkScalar(path, kind, value) };
  }
  if (depth > MAX_DEPTH) throw bad(path, `nesting deeper than ${MAX_DEPTH} levels is not allowed`);
  const parts: FilterNode[] = [];
  const entries = Object.entries(value);
  if (entries.length === 0) throw bad(path, `an operator object needs one of ${OPERATORS.join(', ')}`);
  for (const [op, arg] of entries) {
    const p = join(path, op);
    switch (op) {
      case 'eq':
        parts.push({ kind: 'eq', field, value: checkScalar(p, kind, arg) });
        break;
      case 'in': {
        const list = isObject(arg) ? arg['value'] : arg;
        if (!Array.isArray(list)) throw bad(p, 'must be {"value": [ ... ]} with an array of values');
        parts.push({ kind: 'in', field, values: list.map((x, i) => checkScalar(`${p}[${i}]`, kind, x)) });
        break;
      }
      case 'startsWith': case 'endsWith': case 'contains':
        if (kind !== 'string') throw bad(p, `${op} applies only to text fields; ${field} is a ${kind} field`);
        if (typeof arg !== 'string') throw bad(p, 'the value must be a string');
        parts.push({ kind: op, field, value: arg });
        break;
      case 'before': case 'after': {
        if (kind !== 'date') throw bad(p, `${op} applies only to date fields; ${field} is a ${kind} field`);
        const ms = parseTimestamp(arg);
        if (ms === undefined) throw bad(p, 'the value must be an ISO-8601 timestamp like 2018-01-01T00:00:00.00Z');
        parts.push({ kind: op, field, value: ms });
        break;
      }
      case 'between':
        if (kind !== 'date') throw bad(p, `between applies only to date fields; ${field} is a ${kind} field`);
        parts.push({ ...parseInterval(p, arg), field });
        break;
      case 'not': {
        const inner = parseCondition(field, kind, arg, p, depth + 1);
        if (inner) parts.push({ kind: 'not', item: inner });
        break;
      }
      case 'or': case 'and': {
        if (!Array.isArray(arg)) throw bad(p, 'must be an array of operator objects');
        const items = arg.map((x, i) => {
          if (!isObject(x)) throw bad(`${p}[${i}]`, 'each element must be an operator object');
          return parseCondition(field, kind, x, `${p}[${i}]`, depth + 1);
        });
        const node = all(items, op);
        if (node) parts.push(node);
        break;
      }
      default:
        throw bad(p, `unknown operator "${op}"; use one of ${OPERATORS.join(', ')}`);
    }
  }
  return all(parts, 'and');
}

/** Parses the `filter` query parameter; undefined/empty → null (match all). Throws a 400 AppError naming the clause. */
export function parseFilter(raw: string | undefined, fields: FieldSpec): FilterNode | null {
  if (raw === undefined || raw.trim() === '') return null;
  if (raw.length > MAX_FILTER_LENGTH) throw bad('', `must not be longer than ${MAX_FILTER_LENGTH} characters`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw bad('', `must be valid JSON (${(err as Error).message})`);
  }
  if (!isObject(json)) throw bad('', 'must be a JSON object');
  if (nestingBeyond(json, MAX_FILTER_NESTING) !== null) throw bad('', `must not nest deeper than ${MAX_FILTER_NESTING} levels`);
  return parseObject(json, '', fields, 0);
}

/** Replaces every condition on `field` by the result of fn (e.g. hasType → typeId in [...]). */
export function rewriteField(node: FilterNode | null, field: string,
  fn: (n: Extract<FilterNode, { field: string }>) => FilterNode): FilterNode | null {
  if (node === null) return null;
  switch (node.kind) {
    case 'and': case 'or':
      return { kind: node.kind, items: node.items.map((i) => rewriteField(i, field, fn)!) };
    case 'not':
      return { kind: 'not', item: rewriteField(node.item, field, fn)! };
    default:
      return node.field === field ? fn(node) : node;
  }
}

/** True when the tree has any condition on `field`. */
export function mentions(node: FilterNode | null, field: string): boolean {
  if (node === null) return false;
  switch (node.kind) {
    case 'and': case 'or': return node.items.some((i) => mentions(i, field));
    case 'not': return mentions(node.item, field);
    default: return node.field === field;
  }
}

/**
 * Every field the tree has a condition on, and how deep its and/or/not levels go. Iterative: a tree built by
 * other code than parseFilter (another context's query language) may be of any depth.
 */
export function shapeOf(node: FilterNode | null): { fields: Set<string>; depth: number } {
  const fields = new Set<string>();
  let depth = 0;
  const stack: [FilterNode, number][] = node ? [[node, 1]] : [];
  while (stack.length > 0) {
    const [n, d] = stack.pop()!;
    depth = Math.max(depth, d);
    switch (n.kind) {
      case 'and': case 'or': for (const i of n.items) stack.push([i, d + 1]); break;
      case 'not': stack.push([n.item, d + 1]); break;
      default: fields.add(n.field);
    }
  }
  return { fields, depth };
}

/**
 * In-memory evaluation; `get` returns the field value (dates as epoch ms), or all values of a multi-valued field
 * (a condition on it holds when it holds for one of them). Comparisons with null are false.
 */
export function evaluate(node: FilterNode | null, get: (field: string) => Scalar | Scalar[]): boolean {
  if (node === null) return true;
  switch (node.kind) {
    case 'and': return node.items.every((i) => evaluate(i, get));
    case 'or': return node.items.some((i) => evaluate(i, get));
    case 'not': return !evaluate(node.item, get);
    default: break;
  }
  const v = get(node.field);
  return Array.isArray(v) ? v.some((x) => holds(node, x)) : holds(node, v);
}

function holds(node: Extract<FilterNode, { field: string }>, v: Scalar): boolean {
  switch (node.kind) {
    case 'eq': return v === node.value;
    case 'in': return node.values.some((x) => x === v);
    case 'startsWith': return typeof v === 'string' && v.startsWith(node.value);
    case 'endsWith': return typeof v === 'string' && v.endsWith(node.value);
    case 'contains': return typeof v === 'string' && v.includes(node.value);
    case 'before': return typeof v === 'number' && v < node.value;
    case 'after': return typeof v === 'number' && v > node.value;
    case 'between':
      return typeof v === 'number' && (node.fromInclusive ? v >= node.from : v > node.from)
        && (node.toInclusive ? v <= node.to : v < node.to);
  }
}

/** A field with several values per row: the condition holds when it holds for one of them. */
export interface MultiColumn {
  /** Row source of the values, e.g. `json_each(assets.body, '$.fileAssignments')`. */
  from: string;
  /** Expression of one value in that source. */
  value: string;
}

export interface SqlFragment {
  sql: string;
  params: (string | number)[];
}

/** The smallest string greater than every string starting with p (for index range scans). */
function prefixUpperBound(p: string): string | null {
  for (let i = p.length - 1; i >= 0; i--) {
    const c = p.charCodeAt(i);
    if (c < 0xffff) return p.slice(0, i) + String.fromCharCode(c + 1);
  }
  return null;
}

const sqlValue = (v: Scalar): string | number => (typeof v === 'boolean' ? (v ? 1 : 0) : v as string | number);

/**
 * Compiles to SQL over BINARY-collated columns; `column` maps a field to a column expression (trusted text).
 * Same semantics as evaluate(): a comparison with NULL counts as false, also under NOT.
 */
export function toSql(node: FilterNode | null, column: (field: string) => string | MultiColumn): SqlFragment {
  const params: (string | number)[] = [];
  const walk = (n: FilterNode): string => {
    switch (n.kind) {
      case 'and': return `(${n.items.map(walk).join(' AND ')})`;
      case 'or': return `(${n.items.map(walk).join(' OR ')})`;
      case 'not': return `(NOT COALESCE(${walk(n.item)}, 0))`;
      default: break;
    }
    const target = column(n.field);
    if (typeof target === 'string') return leaf(n, target);
    return `(EXISTS (SELECT 1 FROM ${target.from} WHERE ${leaf(n, target.value)}))`;
  };
  const leaf = (n: Extract<FilterNode, { field: string }>, col: string): string => {
    switch (n.kind) {
      case 'eq':
        if (n.value === null) return `(${col} IS NULL)`;
        params.push(sqlValue(n.value));
        return `(${col} = ?)`;
      case 'in': {
        const nonNull = n.values.filter((v) => v !== null);
        const parts: string[] = [];
        if (nonNull.length > 0) {
          params.push(...nonNull.map(sqlValue));
          parts.push(`${col} IN (${nonNull.map(() => '?').join(',')})`);
        }
        if (nonNull.length !== n.values.length) parts.push(`${col} IS NULL`);
        return parts.length ? `(${parts.join(' OR ')})` : '(0)';
      }
      case 'startsWith': {
        // The range lets SQLite use an index on col; substr makes the test exact for any code points.
        const chars = [...n.value].length;
        const upper = /[\ud800-\udfff]/.test(n.value) ? null : prefixUpperBound(n.value);
        if (chars === 0) return `(${col} IS NOT NULL)`;
        if (upper === null) {
          params.push(chars, n.value);
          return `(substr(${col}, 1, ?) = ?)`;
        }
        params.push(n.value, upper, chars, n.value);
        return `(${col} >= ? AND ${col} < ? AND substr(${col}, 1, ?) = ?)`;
      }
      case 'endsWith':
        if (n.value === '') return `(${col} IS NOT NULL)`;
        params.push([...n.value].length, n.value);
        return `(substr(${col}, -?) = ?)`;
      case 'contains':
        params.push(n.value);
        return `(instr(${col}, ?) > 0)`;
      case 'before':
        params.push(n.value);
        return `(${col} < ?)`;
      case 'after':
        params.push(n.value);
        return `(${col} > ?)`;
      case 'between':
        params.push(n.from, n.to);
        return `(${col} ${n.fromInclusive ? '>=' : '>'} ? AND ${col} ${n.toInclusive ? '<=' : '<'} ?)`;
    }
  };
  if (node === null) return { sql: '1', params };
  return { sql: walk(node), params };
}
