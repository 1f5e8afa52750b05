/**
 * The brute-force side of the OData query properties: generated data (assets of a three-level type family with
 * their own and default variable values, time series records of some of them), generated queries as the tree the
 * test keeps and the URL it sends, and the evaluation of a query over the data by the rules the service documents
 * (OASIS OData v4 URL Conventions: null sorts first ascending; docs/odata.md: assets default to name order, ties
 * by assetId ascending; time series by (timestamp, assetId), descending the exact reverse). Nothing here calls the
 * service.
 */
import fc from 'fast-check';

export interface DataAsset {
  name: string;
  type: 'Base' | 'Mid' | 'Leaf';
  /** Index of the parent among earlier assets, or -1 for the plant. */
  parent: number;
  timezone: string;
  externalId: string | null;
  site: string | null;
  level: number | null;
  /** Record minutes (from START) of its time series, empty for none. */
  minutes: number[];
}

export interface Asset {
  assetId: string;
  name: string;
  parentId: string;
  timezone: string;
  typeId: string;
  description: string;
  externalId: string | null;
  site: string | null;
  level: number | null;
}

export interface SeriesRow { assetId: string; timestamp: string; v: number; s: string }

export const START = Date.parse('2024-05-01T00:00:00.000Z');
export const TIMEZONES = ['UTC', 'Europe/Berlin', 'America/New_York'];
/** Short texts over a small alphabet, so that eq / contains / startswith / endswith often match; quotes and URL characters included. */
const CHARS = ['a', 'b', 'A', 'é', "'", '+', '%', '&', ' '];
export const text = (max: number) => fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: max }).map((c) => c.join(''))
  .filter((t) => t.trim() === t);

export const dataArb = fc.array(fc.record({
  name: text(4),
  type: fc.constantFrom('Base' as const, 'Mid' as const, 'Leaf' as const),
  parent: fc.nat(),
  timezone: fc.constantFrom(...TIMEZONES),
  externalId: fc.option(text(3), { nil: null }),
  site: fc.option(text(3), { nil: null }),
  level: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  minutes: fc.oneof({ weight: 3, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 25 }) }),
}), { minLength: 24, maxLength: 30 }).map((list) => list.map((a, i) => ({ ...a, parent: i === 0 ? -1 : (a.parent % (i + 1)) - 1 })));

/** The types whose assets a set of type `t` serves (its family). */
export const FAMILY: Record<string, string[]> = { Base: ['Base', 'Mid', 'Leaf'], Mid: ['Mid', 'Leaf'], Leaf: ['Leaf'] };

export const seriesValue = (assetIndex: number, minute: number) => ({ v: assetIndex * 100 + minute / 4, s: minute % 2 ? 'odd' : 'even' });

// ---- queries ----

export type AssetField = 'assetId' | 'name' | 'parentId' | 'timezone' | 'typeId';
export interface AssetCond { field: AssetField; op: 'eq' | 'contains' | 'startswith' | 'endswith'; value: string | null; flipped: boolean }
export interface SortItem { field: string; dir: 'asc' | 'desc' | '' }
export interface Window { top?: number; skip?: number; count: boolean; maxPage?: number; select?: string[] }

export interface SeriesCond { kind: 'asset'; value: string; flipped: boolean }
export interface TimeCond { kind: 'time'; op: 'gt' | 'le'; t: number; form: 'offset' | 'zulu' | 'string' | 'stringZ'; flipped: boolean }

const lit = (v: string | null) => (v === null ? 'null' : `'${v.replace(/'/g, "''")}'`);

export function assetCondText(c: AssetCond): string {
  if (c.op !== 'eq') return `${c.op}(${c.field},${lit(c.value)})`;
  return c.flipped ? `${lit(c.value)} eq ${c.field}` : `${c.field} eq ${lit(c.value)}`;
}

function timeLiteral(t: number, form: TimeCond['form']): string {
  const iso = new Date(t).toISOString();
  switch (form) {
    case 'zulu': return iso;
    case 'stringZ': return `'${iso}'`;
    case 'string': return `'${iso.slice(0, 19)}'`;
    case 'offset': {
      const local = new Date(t + 3_600_000).toISOString().slice(0, 23);
      return `${local}+01:00`;
    }
  }
}

export function seriesCondText(c: SeriesCond | TimeCond): string {
  if (c.kind === 'asset') return c.flipped ? `${lit(c.value)} eq assetId` : `assetId eq ${lit(c.value)}`;
  const l = timeLiteral(c.t, c.form);
  if (!c.flipped) return `timestamp ${c.op} ${l}`;
  return `${l} ${c.op === 'gt' ? 'lt' : 'ge'} timestamp`;
}

/** A conjunction, parenthesised at random (the service flattens `and` trees). */
export function conjunction(parts: string[], parens: boolean[]): string {
  return parts.reduce((acc, p, i) => {
    const term = parens[i] ? `(${p})` : p;
    return i === 0 ? term : parens[i + parts.length] ? `(${acc}) and ${term}` : `${acc} and ${term}`;
  }, '');
}

export function queryString(filter: string | undefined, orderby: SortItem[], w: Window): string {
  const q: [string, string][] = [];
  if (filter) q.push(['$filter', filter]);
  if (orderby.length) q.push(['$orderby', orderby.map((o) => `${o.field}${o.dir ? ` ${o.dir}` : ''}`).join(',')]);
  if (w.select) q.push(['$select', w.select.join(',')]);
  if (w.top !== undefined) q.push(['$top', String(w.top)]);
  if (w.skip !== undefined) q.push(['$skip', String(w.skip)]);
  if (w.count) q.push(['$count', 'true']);
  return q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

// ---- evaluation ----

function matches(a: Asset, c: AssetCond): boolean {
  const v = a[c.field] as string | null;
  if (c.op === 'eq') return v === c.value;
  if (v === null || c.value === null) return false;
  return c.op === 'contains' ? v.includes(c.value) : c.op === 'startswith' ? v.startsWith(c.value) : v.endsWith(c.value);
}

/** OData null ordering: first when ascending, last when descending. */
function compare(x: unknown, y: unknown): number {
  if (x === y) return 0;
  if (x === null || x === undefined) return -1;
  if (y === null || y === undefined) return 1;
  return (x as string) < (y as string) ? -1 : 1;
}

export function evalAssets(all: Asset[], family: string[], conds: AssetCond[], orderby: SortItem[]): Asset[] {
  const rows = all.filter((a) => family.includes(a.typeId) && conds.every((c) => matches(a, c)));
  const sort = orderby.length ? orderby : [{ field: 'name', dir: '' as const }];
  return rows.sort((x, y) => {
    for (const o of sort) {
      const c = compare(x[o.field as keyof Asset], y[o.field as keyof Asset]);
      if (c !== 0) return o.dir === 'desc' ? -c : c;
    }
    return compare(x.assetId, y.assetId);
  });
}

export function evalSeries(all: SeriesRow[], family: Set<string>, conds: (SeriesCond | TimeCond)[], desc: boolean): SeriesRow[] {
  const rows = all.filter((r) => family.has(r.assetId) && conds.every((c) => {
    if (c.kind === 'asset') return r.assetId === c.value;
    const t = Date.parse(r.timestamp);
    // the literal forms without milliseconds carry the instant cut to the second
    const bound = c.form === 'string' ? Math.floor(c.t / 1000) * 1000 : c.t;
    return c.op === 'gt' ? t > bound : t <= bound;
  }));
  rows.sort((x, y) => compare(x.timestamp, y.timestamp) || compare(x.assetId, y.assetId));
  return desc ? rows.reverse() : rows;
}

/** Applies $skip/$top and $select the way the answer must show them. */
export function window<T extends object>(rows: T[], w: Window, declared: string[]): Record<string, unknown>[] {
  const skip = w.skip ?? 0;
  const cut = rows.slice(skip, w.top === undefined ? undefined : skip + w.top);
  const names = w.select && !w.select.includes('*') ? declared.filter((p) => w.select!.includes(p)) : declared;
  return cut.map((r) => Object.fromEntries(names.map((n) => [n, (r as Record<string, unknown>)[n] ?? null])));
}
