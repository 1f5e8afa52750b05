/** Sorting of list endpoints (reference §0.2, §1.7): Spring-style `sort` parameters and in-memory ordering. */
import { Generic } from '../core/errors.js';
import type { Scalar } from '../core/filter.js';
import type { SortDirection } from './store.js';

/** Spring-style sort: `field,asc`, `field,desc`, `field`, or just `asc`/`desc` for the default field. */
export function parseSort(raw: string | string[] | undefined, allowed: string[]): { field: string; direction: SortDirection }[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: { field: string; direction: SortDirection }[] = [];
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

export function sortItems<T>(items: T[], sort: { field: string; direction: SortDirection }[], get: (t: T, f: string) => Scalar): T[] {
  return [...items].sort((x, y) => {
    for (const s of sort) {
      const c = compareScalars(get(x, s.field), get(y, s.field));
      if (c !== 0) return s.direction === 'asc' ? c : -c;
    }
    return 0;
  });
}
