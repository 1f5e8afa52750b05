/**
 * Query parameters of IoT Time Series v3 and Aggregates v4/v3 as the routes read them: raw strings in, typed
 * queries out, each bad parameter a 400 naming it and the rule (Insights Hub IoT Time Series API v3, IoT Time
 * Series Aggregates API v4). What needs the asset model (is `select` a variable of the aspect?) is checked by
 * the services; the next-page query a read returns is printed back here.
 */
import { Generic } from '../core/errors.js';
import { iso, parseInstant } from '../core/instant.js';
import { lastValue } from '../core/query.js';
import { TimeseriesErrors } from './errors.js';
import { allowedValues, isAllowedValue, type Unit, UNITS } from './intervals.js';
import { AGGREGATE_FIELDS, type AggregateField } from './rollup.js';

/** The most records one read answers (IoT Time Series API v3: `limit`, default and cap 2000). */
export const MAX_LIMIT = 2000;
/** The most intervals `count` may ask for. */
export const MAX_COUNT = 10_000;

export type RawQuery = Readonly<Record<string, unknown>>;

/** GET /timeseries/{entityId}/{propertySetName}: `from` exclusive, `to` inclusive (epoch ms). */
export interface ReadQuery {
  from?: number;
  to?: number;
  limit: number;
  sort: 'asc' | 'desc';
  latestValue: boolean;
  /** Variable names; their quality codes come with them. */
  select?: string[];
}

/** One `select` item of an aggregates query: a variable, with all fields or one. */
export interface AggregateSelect {
  variable: string;
  field?: AggregateField;
}

export interface AggregateQuery {
  from?: number;
  to?: number;
  unit?: Unit;
  /** Only with `unit`. */
  value?: number;
  count?: number;
  select?: AggregateSelect[];
}

const invalid = (name: string, rule: string) => Generic.invalidParameter({ name, rule });

/** The last value of a parameter given more than once; undefined when absent or empty. */
function text(q: RawQuery, name: string): string | undefined {
  const s = lastValue(q[name]);
  return s === '' ? undefined : s;
}

function required(q: RawQuery, name: string): string {
  const v = text(q, name);
  if (v === undefined) throw Generic.missingParameter({ name });
  return v;
}

function instant(q: RawQuery, name: string, form: 'strict' | 'lenient'): number | undefined {
  const raw = text(q, name);
  if (raw === undefined) return undefined;
  const t = parseInstant(raw, form);
  if (typeof t === 'string') throw invalid(name, t);
  return t;
}

/** `from` < `to` when both are given; the message quotes them as sent. */
function range(q: RawQuery, form: 'strict' | 'lenient'): { from?: number; to?: number } {
  const from = instant(q, 'from', form);
  const to = instant(q, 'to', form);
  if (from !== undefined && to !== undefined && from >= to) {
    throw TimeseriesErrors.invalidRange({ from: text(q, 'from')!, to: text(q, 'to')! });
  }
  return { from, to };
}

function wholeNumber(q: RawQuery, name: string, min: number, max: number): number | undefined {
  const raw = text(q, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw invalid(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

function oneOf<T extends string>(q: RawQuery, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(q, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw invalid(name, `must be one of ${allowed.join(', ')}`);
  return raw as T;
}

const list = (raw: string | undefined): string[] | undefined =>
  raw === undefined ? undefined : raw.split(',').map((s) => s.trim()).filter(Boolean);

export function parseReadQuery(q: RawQuery): ReadQuery {
  const { from, to } = range(q, 'strict');
  const limit = wholeNumber(q, 'limit', 1, MAX_LIMIT) ?? MAX_LIMIT;
  const sort = oneOf(q, 'sort', ['asc', 'desc'] as const, 'asc');
  const latestValue = oneOf(q, 'latestValue', ['true', 'false'] as const, 'false') === 'true';
  const select = list(text(q, 'select'));
  return { from, to, limit, sort, latestValue, ...(select ? { select } : {}) };
}

/** The query string of a read (the `Link` of the next page): from, to, limit, select, sort. */
export function formatReadQuery(r: ReadQuery): string {
  const out = new URLSearchParams();
  if (r.from !== undefined) out.set('from', iso(r.from));
  if (r.to !== undefined) out.set('to', iso(r.to));
  out.set('limit', String(r.limit));
  if (r.select) out.set('select', r.select.join(','));
  out.set('sort', r.sort);
  return out.toString();
}

/** DELETE: both bounds required, `from` exclusive, `to` inclusive. */
export function parseDeleteRange(q: RawQuery): { from: number; to: number } {
  required(q, 'from');
  required(q, 'to');
  return range(q, 'strict') as { from: number; to: number };
}

function unitOf(q: RawQuery): Unit | undefined {
  const raw = text(q, 'intervalUnit');
  if (raw === undefined) return undefined;
  if (!(UNITS as readonly string[]).includes(raw)) {
    throw invalid('intervalUnit', `"${raw.slice(0, 40)}" is not one of the allowed values ${UNITS.join(', ')}`);
  }
  return raw as Unit;
}

function valueOf(q: RawQuery, unit: Unit | undefined): number | undefined {
  const raw = text(q, 'intervalValue');
  if (raw === undefined) return undefined;
  if (!unit) throw Generic.missingParameter({ name: 'intervalUnit' });
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!isAllowedValue(unit, n)) {
    throw invalid('intervalValue', `"${raw.slice(0, 20)}" is not allowed with intervalUnit ${unit}; allowed values are ${allowedValues(unit)}`);
  }
  return n;
}

/** `select`: `var` (all fields) or `var.field`, comma separated. */
function aggregateSelect(q: RawQuery): AggregateSelect[] | undefined {
  const items = list(text(q, 'select'));
  if (!items) return undefined;
  return items.map((item) => {
    const [variable, field, extra] = item.split('.');
    if (!variable || extra !== undefined) throw invalid('select', `${item} is not a variable or variable.field`);
    if (field === undefined) return { variable };
    if (!(AGGREGATE_FIELDS as readonly string[]).includes(field)) {
      throw invalid('select', `${field} is not an aggregate field; allowed: ${AGGREGATE_FIELDS.join(', ')}`);
    }
    return { variable, field: field as AggregateField };
  });
}

/** Aggregates v4: every parameter optional (the service completes them); `from`/`to` dates or date-times. */
export function parseAggregateQuery(q: RawQuery): AggregateQuery {
  const from = instant(q, 'from', 'lenient');
  const to = instant(q, 'to', 'lenient');
  const unit = unitOf(q);
  const value = valueOf(q, unit);
  const count = wholeNumber(q, 'count', 1, MAX_COUNT);
  const select = aggregateSelect(q);
  return { from, to, unit, value, count, ...(select ? { select } : {}) };
}

/** Aggregates v3: `from`, `to`, `intervalUnit` and `intervalValue` required; no `count`. */
export interface AggregateQueryV3 {
  from: number;
  to: number;
  unit: Unit;
  value: number;
  select?: AggregateSelect[];
}

export function parseAggregateQueryV3(q: RawQuery): AggregateQueryV3 {
  for (const name of ['from', 'to', 'intervalUnit', 'intervalValue']) required(q, name);
  const from = instant(q, 'from', 'lenient')!;
  const to = instant(q, 'to', 'lenient')!;
  const unit = unitOf(q)!;
  const value = valueOf(q, unit)!;
  const select = aggregateSelect(q);
  return { from, to, unit, value, ...(select ? { select } : {}) };
}

/** v4's `assetId` and `aspectName`. */
export function aggregateTarget(q: RawQuery): { assetId: string; aspectName: string } {
  return { assetId: required(q, 'assetId'), aspectName: required(q, 'aspectName') };
}
