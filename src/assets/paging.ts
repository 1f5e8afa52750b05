/**
 * Paging, sorting and filtering of the list endpoints (Insights Hub API paging; Asset Management API v3, filter parameter; Asset Management API v3, paging): page/size checks against the
 * configured maximum, Spring-style `sort` parameters, and in-memory pages of lists held whole (types, members).
 */
import { Generic } from '../core/errors.js';
import { pageNumber } from '../core/paging.js';
import { evaluate, parseFilter, type FieldSpec, type FilterNode, type Scalar } from '../core/filter.js';
import { AssetErrors } from './errors.js';
import type { SortDirection } from './store.js';

export interface ListQuery {
  page?: number;
  size?: number;
  sort?: string | string[];
  filter?: string;
}

export interface PageResult<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
}

export type Sort = { field: string; direction: SortDirection }[];

/** Asset Management API v3, paging: the page size when none (or 0, as the SDK's tests send) is given. */
export const DEFAULT_PAGE_SIZE = 10;

export function pageParams(q: ListQuery, maxSize: number): { page: number; size: number } {
  const page = pageNumber(q.page);
  let size = q.size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0) throw Generic.invalidParameter({ name: 'size', rule: 'must be a whole number >= 0' });
  if (size === 0) size = DEFAULT_PAGE_SIZE;
  if (size > maxSize) throw AssetErrors.pageTooLarge({ size, max: maxSize });
  return { page, size };
}

/** Spring-style sort: `field,asc`, `field,desc`, `field`, or just `asc`/`desc` for the default field. */
export function parseSort(raw: string | string[] | undefined, allowed: string[]): Sort {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: Sort = [];
  for (const item of list) {
    if (item.trim() === '') continue;
    const [first = '', second, ...rest] = item.split(',').map((s) => s.trim());
    if (rest.length > 0) throw Generic.invalidParameter({ name: 'sort', rule: 'must be "field,asc" or "field,desc"' });
    let field = first;
    let dirText = second;
    if (second === undefined && /^(asc|desc)$/i.test(first)) { field = 'name'; dirText = first; }
    if (!allowed.includes(field)) {
      throw Generic.invalidParameter({ name: 'sort', rule: `"${field.slice(0, 64)}" is not sortable; use one of ${allowed.join(', ')}` });
    }
    if (dirText !== undefined && !/^(asc|desc)$/i.test(dirText)) {
      throw Generic.invalidParameter({ name: 'sort', rule: `direction "${dirText.slice(0, 16)}" must be asc or desc` });
    }
    out.push({ field, direction: (dirText ?? 'asc').toLowerCase() as SortDirection });
  }
  return out.length ? out : [{ field: 'name', direction: 'asc' }];
}

function compareScalars(a: Scalar, b: Scalar): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

export function sortItems<T>(items: T[], sort: Sort, get: (t: T, f: string) => Scalar): T[] {
  return [...items].sort((x, y) => {
    for (const s of sort) {
      const c = compareScalars(get(x, s.field), get(y, s.field));
      if (c !== 0) return s.direction === 'asc' ? c : -c;
    }
    return 0;
  });
}

/** How a list held in memory is filtered and sorted: its filter fields, sortable fields and field reader. */
export interface ListSpec<T> {
  fields: FieldSpec;
  sortable: string[];
  get: (t: T, field: string) => Scalar;
  /** Rewrites the parsed filter (e.g. hasType → typeId in [...]). */
  rewrite?: (f: FilterNode | null) => FilterNode | null;
}

/** One page of a list held whole: filtered, sorted, cut. */
export function pageOf<T>(all: T[], q: ListQuery, spec: ListSpec<T>, maxSize: number): PageResult<T> {
  const { page, size } = pageParams(q, maxSize);
  const sort = parseSort(q.sort, spec.sortable);
  const parsed = parseFilter(q.filter, spec.fields);
  const filter = spec.rewrite ? spec.rewrite(parsed) : parsed;
  const matched = sortItems(all.filter((t) => evaluate(filter, (f) => spec.get(t, f))), sort, spec.get);
  return { items: matched.slice(page * size, page * size + size), total: matched.length, page, size };
}

/** The same page of other items (a page of records rendered as views). */
export const mapPage = <T, U>(p: PageResult<T>, items: U[]): PageResult<U> => ({ ...p, items });
