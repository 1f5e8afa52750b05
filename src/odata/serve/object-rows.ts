/**
 * Rows of a folder contract's entity sets (Integrated Data Lake folders published as OData, "Insights Hub IIoT
 * for Makers" §2.4.3): the objects anywhere below the set's folder, read through the port's folder interface in
 * path order, filtered and sorted here (then by path, so the order is total), and offset-paged like assets
 * (the cursor counts delivered rows). A folder with more objects than one request may read answers 400 saying
 * so rather than a partial answer.
 */
import { ODataErrors } from '../errors.js';
import type { EdmSet } from '../model/edm.js';
import type { ODataPort, PortObject } from '../ports.js';
import type { Cursor, Row } from './order.js';
import type { ObjectCondition, ObjectPlan, Order } from './plan.js';

/** Most objects one request reads from a folder (a filter narrows what is shown, not what is read). */
export const MAX_FOLDER_OBJECTS = 100_000;
const READ_CHUNK = 1000;

export function objectRow(o: PortObject): Row {
  return { path: o.path, name: o.name, size: o.size, lastModified: o.lastModified.toISOString(), tags: o.tags };
}

const valueOf = (row: Row, field: ObjectCondition['field']): string | number =>
  field === 'lastModified' ? Date.parse(row['lastModified'] as string) : row[field] as string | number;

function holds(row: Row, c: ObjectCondition): boolean {
  const v = valueOf(row, c.field);
  switch (c.op) {
    case 'eq': return v === c.value;
    case 'ne': return v !== c.value;
    case 'gt': return v > c.value;
    case 'ge': return v >= c.value;
    case 'lt': return v < c.value;
    case 'le': return v <= c.value;
    case 'contains': return String(v).includes(String(c.value));
    case 'startswith': return String(v).startsWith(String(c.value));
    case 'endswith': return String(v).endsWith(String(c.value));
  }
}

function compare(a: Row, b: Row, order: Order[]): number {
  for (const o of [...order, { field: 'path', direction: 'asc' as const }]) {
    const x = valueOf(a, o.field as ObjectCondition['field']);
    const y = valueOf(b, o.field as ObjectCondition['field']);
    if (x !== y) return (x < y ? -1 : 1) * (o.direction === 'desc' ? -1 : 1);
  }
  return 0;
}

/** Every object of the set's folder that the plan's conditions hold for, in the requested order. */
export async function folderRows(port: ODataPort, tenant: string, set: EdmSet, plan: ObjectPlan, order: Order[]): Promise<Row[]> {
  const folder = set.folder!;
  const exact = plan.conditions.find((c) => c.field === 'path' && c.op === 'eq');
  if (exact && !String(exact.value).startsWith(folder)) return [];
  const out: Row[] = [];
  let read = 0;
  for (let after: string | undefined; ;) {
    const page = await port.folderObjects(tenant, folder, after, READ_CHUNK);
    read += page.objects.length;
    if (read > MAX_FOLDER_OBJECTS) {
      throw ODataErrors.tooLong({ target: set.name, limit: `the folder ${folder} holds more than ${MAX_FOLDER_OBJECTS} objects, the most one request reads; publish a subfolder instead` });
    }
    for (const o of page.objects) {
      const row = objectRow(o);
      if (plan.conditions.every((c) => holds(row, c))) out.push(row);
    }
    if (!page.next) break;
    after = page.next;
  }
  return order.length === 0 ? out : out.sort((a, b) => compare(a, b, order));
}

export async function objectPage(port: ODataPort, r: { tenant: string; set: EdmSet; order: Order[]; skip: number; top: number;
  cursor: Cursor | undefined; pageSize: number }, plan: ObjectPlan): Promise<{ rows: Row[]; next?: Cursor }> {
  const all = await folderRows(port, r.tenant, r.set, plan, r.order);
  const n = r.cursor?.n ?? 0;
  const offset = r.skip + n;
  const rows = all.slice(offset, offset + Math.max(0, Math.min(r.pageSize, r.top - n)));
  const delivered = n + rows.length;
  const more = offset + rows.length < all.length && delivered < r.top && rows.length > 0;
  return { rows, ...(more ? { next: { n: delivered } } : {}) };
}
