/**
 * From parsed query options to what an entity set serves ("Insights Hub IIoT for Makers" §8.4, §8.5, §8.7):
 * a conjunction of exactly the operators each entity allows, the enumeration checks with the allowed values,
 * the sort orders, and the selected properties. Everything else is a 400 in the OData error shape that says what
 * is supported; nothing here touches data.
 */
import { parseInstant } from '../../core/instant.js';
import { ODataErrors } from '../errors.js';
import type { Expr, Literal, OrderItem, SelectItem } from '../query/ast.js';
import { printFilter } from '../query/print.js';
import { AGGREGATION_TYPES, type EdmProperty, type EdmSet } from '../model/edm.js';
import type { AssetCondition, AssetField, IntervalUnit } from '../ports.js';

export const T_MIN = 0;
export const T_MAX = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

export const ODATA_UNITS: Record<string, IntervalUnit> = {
  minutes: 'minute', hours: 'hour', days: 'day', weeks: 'week', months: 'month',
};
/** Allowed intervalValue per unit (IoT Time Series Aggregates API v4 interval table). */
export const UNIT_VALUES: Record<IntervalUnit, { min: number; max: number; step: number; text: string }> = {
  minute: { min: 2, max: 60, step: 2, text: '2, 4, 6, …, 60' },
  hour: { min: 1, max: 24, step: 1, text: '1 to 24' },
  day: { min: 1, max: 90, step: 1, text: '1 to 90' },
  week: { min: 1, max: 12, step: 1, text: '1 to 12' },
  month: { min: 1, max: 3, step: 1, text: '1 to 3' },
};
const NOMINAL: Record<IntervalUnit, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 };
export const intervalLength = (unit: IntervalUnit, value: number) => NOMINAL[unit] * value;
export const MAX_INTERVAL_COUNT = 10_000;

export interface AssetPlan { kind: 'assets'; conditions: AssetCondition[] }
export interface SeriesPlan { kind: 'timeseries'; assetId?: string; after: number; upTo: number; empty: boolean }
export interface AggregatePlan {
  kind: 'aggregates';
  assetId?: string;
  after: number;
  upTo: number;
  /** True when the range is the series' own extent (no timestamp condition). */
  bounded: boolean;
  variableName?: string;
  aggregationType?: string;
  unitName: string;
  unit: IntervalUnit;
  value: number;
  count: number | null;
  empty: boolean;
}
export type ObjectField = 'path' | 'name' | 'size' | 'lastModified';
export interface ObjectCondition {
  field: ObjectField;
  op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'contains' | 'startswith' | 'endswith';
  /** Text for path and name; a number for size; epoch ms for lastModified. */
  value: string | number;
}
export interface ObjectPlan { kind: 'objects'; conditions: ObjectCondition[] }
export type Plan = AssetPlan | SeriesPlan | AggregatePlan | ObjectPlan;

export interface Order { field: string; direction: 'asc' | 'desc' }

const unsupported = (set: EdmSet, what: string) => ODataErrors.unsupported({ target: '$filter', what, supported: set.rules });

/** The conjuncts of an `and` tree. */
function conjuncts(e: Expr, out: Expr[] = []): Expr[] {
  if (e.kind === 'and') {
    conjuncts(e.left, out);
    conjuncts(e.right, out);
  } else out.push(e);
  return out;
}

interface Condition { property: EdmProperty; op: string; value: Literal }

const FLIP: Record<string, string> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

function condition(set: EdmSet, e: Expr): Condition {
  const prop = (path: string[]): EdmProperty => {
    const p = path.length === 1 ? set.properties.find((x) => x.name === path[0]) : undefined;
    if (!p) {
      const known = set.navs.some((n) => n.name === path[0]);
      throw ODataErrors.badQuery({ target: '$filter', rule: known ? `filtering on the navigation path ${path.join('/')} is not supported; ${set.rules}`
        : `${path.join('/')} is not a property of ${set.name}` });
    }
    if (!p.filterable) throw unsupported(set, `Filtering on ${p.name}`);
    return p;
  };
  if (e.kind === 'compare') {
    if (e.left.kind === 'property' && e.right.kind === 'literal') return { property: prop(e.left.path), op: e.op, value: e.right };
    if (e.right.kind === 'property' && e.left.kind === 'literal') return { property: prop(e.right.path), op: FLIP[e.op]!, value: e.left };
    throw unsupported(set, `The comparison ${printFilter(e)} (only a property compared with a literal)`);
  }
  if (e.kind === 'call' && ['contains', 'startswith', 'endswith'].includes(e.name)) {
    const [a, b] = e.args;
    if (e.args.length !== 2 || a?.kind !== 'property' || b?.kind !== 'literal') {
      throw unsupported(set, `${e.name}(…) other than ${e.name}(property, 'text')`);
    }
    return { property: prop(a.path), op: e.name, value: b };
  }
  if (e.kind === 'or' || e.kind === 'not') throw unsupported(set, `The operator ${e.kind}`);
  if (e.kind === 'call') throw unsupported(set, `The function ${e.name}`);
  throw unsupported(set, `The expression ${printFilter(e)}`);
}

const str = (c: Condition, allowNull = false): string | null => {
  if (c.value.type === 'string') return c.value.value as string;
  if (allowNull && c.value.type === 'null') return null;
  throw ODataErrors.badQuery({ target: '$filter', rule: `${c.property.name} is compared with a string literal such as '…', not ${printFilter(c.value)}` });
};

function instant(c: Condition): number {
  const v = c.value;
  if (v.type !== 'string' && v.type !== 'dateTimeOffset' && v.type !== 'date') {
    throw ODataErrors.badQuery({ target: '$filter', rule: `timestamp is compared with a DateTimeOffset literal or a 'YYYY-MM-DDTHH:mm:ss' string, not ${printFilter(v)}` });
  }
  const t = parseInstant(String(v.value), 'lenient');
  if (typeof t === 'string') throw ODataErrors.badQuery({ target: '$filter', rule: `timestamp ${printFilter(v)} ${t}` });
  return t;
}

function int(c: Condition): number {
  if (c.value.type !== 'int') throw ODataErrors.badQuery({ target: '$filter', rule: `${c.property.name} is compared with a whole number, not ${printFilter(c.value)}` });
  return c.value.value as number;
}

/** timestamp gt (after) / le (before or at), "Insights Hub IIoT for Makers" §8.5. */
function timeBound(set: EdmSet, c: Condition, r: { after: number; upTo: number }): void {
  if (c.op === 'gt') r.after = Math.max(r.after, instant(c));
  else if (c.op === 'le') r.upTo = Math.min(r.upTo, instant(c));
  else throw unsupported(set, `timestamp ${c.op} (timestamp takes gt, meaning after, and le, meaning before or at)`);
}

function onlyEq(set: EdmSet, c: Condition): void {
  if (c.op !== 'eq') throw unsupported(set, `${c.property.name} ${c.op}`);
}

export function planFilter(set: EdmSet, filter: Expr | undefined): Plan {
  const conds = filter ? conjuncts(filter).map((e) => condition(set, e)) : [];
  switch (set.kind) {
    case 'assets': {
      const conditions: AssetCondition[] = conds.map((c) => {
        const field = c.property.name as AssetField;
        if (c.op === 'eq') return { field, op: 'eq', value: str(c, true) };
        if (c.op === 'contains' || c.op === 'startswith' || c.op === 'endswith') {
          return { field, op: c.op === 'contains' ? 'contains' : c.op === 'startswith' ? 'startsWith' : 'endsWith', value: str(c)! };
        }
        throw unsupported(set, `${field} ${c.op}`);
      });
      return { kind: 'assets', conditions };
    }
    case 'timeseries': {
      const p: SeriesPlan = { kind: 'timeseries', after: T_MIN, upTo: T_MAX, empty: false };
      for (const c of conds) {
        if (c.property.name === 'timestamp') timeBound(set, c, p);
        else {
          onlyEq(set, c);
          const id = str(c)!;
          if (p.assetId !== undefined && p.assetId !== id) p.empty = true;
          p.assetId = id;
        }
      }
      return p;
    }
    case 'aggregates': return planAggregates(set, conds);
    case 'objects': return { kind: 'objects', conditions: conds.map((c) => objectCondition(set, c)) };
  }
}

const ORDERING = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

function objectCondition(set: EdmSet, c: Condition): ObjectCondition {
  const field = c.property.name as ObjectField;
  const op = c.op as ObjectCondition['op'];
  if (field === 'path' || field === 'name') {
    if (op !== 'eq' && op !== 'contains' && op !== 'startswith' && op !== 'endswith') throw unsupported(set, `${field} ${c.op}`);
    return { field, op, value: str(c)! };
  }
  if (!ORDERING.includes(op)) throw unsupported(set, `${c.op}(…) on ${field}`);
  if (field === 'size') return { field, op, value: int(c) };
  const v = c.value;
  if (v.type !== 'string' && v.type !== 'dateTimeOffset' && v.type !== 'date') {
    throw ODataErrors.badQuery({ target: '$filter', rule: `lastModified is compared with a DateTimeOffset literal, not ${printFilter(v)}` });
  }
  const t = parseInstant(String(v.value), 'lenient');
  if (typeof t === 'string') throw ODataErrors.badQuery({ target: '$filter', rule: `lastModified ${printFilter(v)} ${t}` });
  return { field, op, value: t };
}

function enumValue(name: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) throw ODataErrors.enumValue({ target: name, value: value.slice(0, 60), allowed: allowed.join(', ') });
}

function planAggregates(set: EdmSet, conds: Condition[]): AggregatePlan {
  const r = { after: T_MIN, upTo: T_MAX };
  let timed = { after: false, upTo: false };
  const eq: Record<string, (string | number)[]> = {};
  for (const c of conds) {
    if (c.property.name === 'timestamp') {
      timeBound(set, c, r);
      timed = { after: timed.after || c.op === 'gt', upTo: timed.upTo || c.op === 'le' };
      continue;
    }
    onlyEq(set, c);
    const v = c.property.name === 'intervalValue' || c.property.name === 'intervalCount' ? int(c) : str(c)!;
    (eq[c.property.name] ??= []).push(v);
  }
  const one = (k: string) => eq[k]?.[0];
  const conflicting = Object.values(eq).some((vs) => vs.some((v) => v !== vs[0]));
  const unitName = (one('intervalUnit') as string | undefined) ?? 'hours';
  enumValue('intervalUnit', unitName, Object.keys(ODATA_UNITS));
  for (const v of eq['intervalUnit'] ?? []) enumValue('intervalUnit', v as string, Object.keys(ODATA_UNITS));
  const unit = ODATA_UNITS[unitName]!;
  const rule = UNIT_VALUES[unit];
  for (const v of eq['intervalValue'] ?? []) {
    const n = v as number;
    if (!(n >= rule.min && n <= rule.max && (n - rule.min) % rule.step === 0)) {
      throw ODataErrors.enumValue({ target: `intervalValue (with intervalUnit ${unitName})`, value: String(n), allowed: rule.text });
    }
  }
  for (const v of eq['aggregationType'] ?? []) enumValue('aggregationType', v as string, AGGREGATION_TYPES);
  const variables = set.aspect!.variables.map((v) => v.name);
  for (const v of eq['variableName'] ?? []) enumValue('variableName', v as string, variables);
  const value = (one('intervalValue') as number | undefined) ?? rule.min;
  const count = (one('intervalCount') as number | undefined) ?? null;
  if (count !== null) {
    if (count < 1 || count > MAX_INTERVAL_COUNT) {
      throw ODataErrors.badQuery({ target: '$filter', rule: `intervalCount must be from 1 to ${MAX_INTERVAL_COUNT}` });
    }
    if (timed.after === timed.upTo) {
      throw ODataErrors.badQuery({ target: '$filter', rule: 'intervalCount counts intervals from a timestamp gt bound or back from a timestamp le bound: give exactly one of them' });
    }
    const span = count * intervalLength(unit, value);
    if (timed.after) r.upTo = Math.min(T_MAX, r.after + span);
    else r.after = Math.max(T_MIN, r.upTo - span);
  }
  return {
    kind: 'aggregates', after: r.after, upTo: r.upTo, bounded: timed.after || timed.upTo || count !== null,
    ...(one('assetId') !== undefined ? { assetId: one('assetId') as string } : {}),
    ...(one('variableName') !== undefined ? { variableName: one('variableName') as string } : {}),
    ...(one('aggregationType') !== undefined ? { aggregationType: one('aggregationType') as string } : {}),
    unitName, unit, value, count, empty: conflicting || r.after >= r.upTo,
  };
}

export function planOrder(set: EdmSet, orderby: OrderItem[] | undefined): Order[] {
  const items = orderby ?? [];
  const out: Order[] = [];
  for (const o of items) {
    const p = o.path.length === 1 ? set.properties.find((x) => x.name === o.path[0]) : undefined;
    if (!p) throw ODataErrors.badQuery({ target: '$orderby', rule: `${o.path.join('/')} is not a property of ${set.name}` });
    if (!p.sortable) {
      throw ODataErrors.unsupported({ target: '$orderby', what: `Sorting ${set.name} by ${p.name}`,
        supported: set.kind === 'assets' || set.kind === 'objects' ? set.rules : `${set.kind === 'timeseries' ? 'Time series' : 'Aggregates'} can only be sorted by timestamp.` });
    }
    out.push({ field: p.name, direction: o.direction });
  }
  if (set.kind !== 'assets' && set.kind !== 'objects' && out.length > 1) {
    throw ODataErrors.unsupported({ target: '$orderby', what: 'More than one sort property', supported: 'Sort by timestamp only.' });
  }
  return out;
}

/** Selected structural properties in declaration order (all when $select is absent or *). */
export function planSelect(set: EdmSet, select: SelectItem[] | undefined): EdmProperty[] {
  if (!select || select.includes('*')) return set.properties;
  const names = new Set<string>();
  for (const s of select) {
    if (s === '*') continue;
    const name = s.length === 1 ? s[0]! : '';
    if (set.properties.some((p) => p.name === name)) names.add(name);
    else if (!set.navs.some((n) => n.name === name)) {
      throw ODataErrors.badQuery({ target: '$select', rule: `${s.join('/')} is not a property of ${set.name}` });
    }
  }
  return set.properties.filter((p) => names.has(p.name));
}
