/**
 * Rendering a page of rows with $select and $expand (OASIS OData v4 URL Conventions "System Query Option
 * $expand"), reading expanded navigations in batches where the relation allows: a single-valued navigation to an
 * asset set (parent, base/derived type, the asset of a series row) is one lookup by assetId for the whole page,
 * the children of a page's assets are one query (unless the nested options page them with $top/$skip); the time
 * series and aggregates of each asset are read per asset, as the REST API reads them. Every response has a budget
 * of entities and lookups (odataMaxResponseEntities), spent as rows are read, so a nested $expand cannot make a
 * request do unbounded work: past it the answer is a 400 that says how to ask for less.
 */
import { ODataErrors } from '../errors.js';
import type { EdmModel, EdmNav, EdmProperty, EdmSet } from '../model/edm.js';
import type { ExpandItem, ExpandOptions } from '../query/ast.js';
import { entityKeyText } from './keys.js';
import { type AssetPlan, planFilter, planOrder, planSelect } from './plan.js';
import type { Row, RowReader } from './rows.js';

/** Extra constraint of a navigation: the target rows of one source row. */
export type Join = { field: 'assetId' | 'parentId'; value: string | null };

export interface Ctx {
  tenant: string;
  model: EdmModel;
  root: string;
  pageSize: number;
  /** Entities and lookups this response may still spend. */
  budget: { left: number; max: number };
}

export interface ExpandHost {
  set(ctx: Ctx, name: string): EdmSet;
  /** A collection page (value, count, next link) of `set` constrained by `join`. */
  collection(ctx: Ctx, set: EdmSet, opts: ExpandOptions, base: string, join: Join): Promise<Record<string, unknown>>;
  /** The query of a next link for options and a cursor. */
  nextQuery(opts: ExpandOptions, cursor: { n: number; c?: number }): string;
}

/** Ids per `in` lookup. */
const BATCH = 500;

export function joinOf(nav: EdmNav, row: Row): Join | undefined {
  switch (nav.join) {
    case 'seriesOfAsset': case 'assetOfSeries': case 'sameAsset': return { field: 'assetId', value: row['assetId'] as string };
    case 'parent': return row['parentId'] === null ? undefined : { field: 'assetId', value: row['parentId'] as string };
    case 'children': return { field: 'parentId', value: row['assetId'] as string };
  }
}

export function pick(row: Row, selected: EdmProperty[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of selected) out[p.name] = row[p.name] ?? null;
  return out;
}

export function spend(ctx: Ctx, n: number): void {
  ctx.budget.left -= n;
  if (ctx.budget.left < 0) {
    throw ODataErrors.tooLong({ target: '$expand', limit: `at most ${ctx.budget.max} entities and expanded lookups in one response; ask for fewer with $top, a nested $top or a narrower $filter` });
  }
}

const chunks = <T>(xs: T[]): T[][] => Array.from({ length: Math.ceil(xs.length / BATCH) }, (_, i) => xs.slice(i * BATCH, (i + 1) * BATCH));

export class Expander {
  constructor(private readonly reader: RowReader, private readonly host: ExpandHost) {}

  /** The rows as the response shows them. */
  async rows(ctx: Ctx, set: EdmSet, rows: Row[], selected: EdmProperty[], expand: ExpandItem[] | undefined): Promise<Record<string, unknown>[]> {
    spend(ctx, rows.length);
    // rows carry exactly the set's properties in declaration order
    if (!expand?.length) return selected.length === set.properties.length ? rows : rows.map((r) => pick(r, selected));
    const out = rows.map((r) => pick(r, selected));
    for (const item of expand) {
      const name = item.path.join('/');
      const nav = item.path.length === 1 ? set.navs.find((n) => n.name === name) : undefined;
      if (!nav) throw ODataErrors.badQuery({ target: '$expand', rule: `${name} is not a navigation property of ${set.name} (navigation properties: ${set.navs.map((n) => n.name).join(', ') || 'none'})` });
      const target = this.host.set(ctx, nav.target);
      if (!nav.collection) await this.single(ctx, nav, target, rows, out, item.options);
      else if (nav.join === 'children' && item.options.top === undefined && item.options.skip === undefined) {
        await this.children(ctx, set, nav, target, rows, out, item.options);
      } else {
        for (const [i, row] of rows.entries()) {
          spend(ctx, 1);
          const base = `${ctx.root}${encodeURIComponent(set.name)}${entityKeyText(set, row)}/${encodeURIComponent(nav.name)}`;
          attach(out[i]!, nav.name, await this.host.collection(ctx, target, item.options, base, joinOf(nav, row)!));
        }
      }
    }
    return out;
  }

  /** Single-valued navigations (all of them lead to asset sets): one lookup of the page's targets by assetId. */
  private async single(ctx: Ctx, nav: EdmNav, target: EdmSet, rows: Row[], out: Record<string, unknown>[], opts: ExpandOptions): Promise<void> {
    const ids = [...new Set(rows.map((r) => joinOf(nav, r)?.value).filter((v): v is string => typeof v === 'string'))];
    const found = new Map<string, Row>();
    for (const chunk of chunks(ids)) {
      spend(ctx, 1);
      const plan: AssetPlan = { kind: 'assets', conditions: [{ field: 'assetId', op: 'in', values: chunk }] };
      const page = await this.reader.page({ tenant: ctx.tenant, set: target, plan, order: [], skip: 0, top: chunk.length, cursor: undefined, pageSize: chunk.length });
      for (const r of page.rows) found.set(r['assetId'] as string, r);
    }
    const hits = rows.map((r) => {
      const v = joinOf(nav, r)?.value;
      return typeof v === 'string' ? found.get(v) : undefined;
    });
    const rendered = await this.rows(ctx, target, hits.filter((h): h is Row => h !== undefined), planSelect(target, opts.select), opts.expand);
    let k = 0;
    hits.forEach((h, i) => { out[i]![nav.name] = h ? rendered[k++] : null; });
  }

  /** The children of every asset of the page in one query, grouped by parent in the nested order. */
  private async children(ctx: Ctx, set: EdmSet, nav: EdmNav, target: EdmSet, rows: Row[], out: Record<string, unknown>[],
    opts: ExpandOptions): Promise<void> {
    const filter = planFilter(target, opts.filter) as AssetPlan;
    const order = planOrder(target, opts.orderby);
    const groups = new Map<string, Row[]>();
    for (const chunk of chunks([...new Set(rows.map((r) => r['assetId'] as string))])) {
      spend(ctx, 1);
      // one row more than the budget allows, so a page past it is refused rather than cut
      const limit = ctx.budget.left + 1;
      const plan: AssetPlan = { kind: 'assets', conditions: [...filter.conditions, { field: 'parentId', op: 'in', values: chunk }] };
      const page = await this.reader.page({ tenant: ctx.tenant, set: target, plan, order, skip: 0, top: limit, cursor: undefined, pageSize: limit });
      if (page.next || page.rows.length === limit) spend(ctx, limit);
      for (const r of page.rows) {
        const g = groups.get(r['parentId'] as string);
        if (g) g.push(r);
        else groups.set(r['parentId'] as string, [r]);
      }
    }
    const pages = rows.map((r) => groups.get(r['assetId'] as string) ?? []);
    const shown = pages.map((g) => g.slice(0, ctx.pageSize));
    const rendered = await this.rows(ctx, target, shown.flat(), planSelect(target, opts.select), opts.expand);
    let k = 0;
    rows.forEach((row, i) => {
      const value = rendered.slice(k, k + shown[i]!.length);
      k += shown[i]!.length;
      const all = pages[i]!.length;
      const base = `${ctx.root}${encodeURIComponent(set.name)}${entityKeyText(set, row)}/${encodeURIComponent(nav.name)}`;
      attach(out[i]!, nav.name, {
        ...(opts.count ? { '@odata.count': all } : {}), value,
        ...(all > value.length ? { '@odata.nextLink': `${base}?${this.host.nextQuery(opts, { n: value.length, ...(opts.count ? { c: all } : {}) })}` } : {}),
      });
    });
  }
}

/** A nested collection page as `Nav`, `Nav@odata.count`, `Nav@odata.nextLink`. */
function attach(out: Record<string, unknown>, name: string, page: Record<string, unknown>): void {
  if (page['@odata.count'] !== undefined) out[`${name}@odata.count`] = page['@odata.count'];
  out[name] = page['value'];
  if (page['@odata.nextLink'] !== undefined) out[`${name}@odata.nextLink`] = page['@odata.nextLink'];
}
