/**
 * Reading the rows of an entity set through the port, one page at a time, in a total order so server-driven
 * paging has no gap and no duplicate: data lake objects (object-rows.ts), assets by the $orderby properties (default name) then assetId (offset
 * paging); time series and aggregates by (timestamp, assetId[, variableName, aggregationType]), descending the
 * exact reverse, merged from one lane per asset (order.ts). Only assets that hold a series of the set's aspect
 * and belong to its type family are read. A cursor (the last row's order key) says where the next page starts.
 * Counts are exact ("Insights Hub IIoT for Makers" §8.6 says the original's are not).
 */
import type { EdmSet } from '../model/edm.js';
import type { AssetField, ODataPort } from '../ports.js';
import { aggregateBytesPage } from './aggregate-page.js';
import { assetAggregates } from './aggregate-rows.js';
import { assetRow, assetTextRow } from './asset-rows.js';
import { folderRows, objectPage } from './object-rows.js';
import { type Cursor, type Lane, keyOf, mergeLanes, type Row } from './order.js';
import type { AggregatePlan, AssetPlan, Order, Plan, SeriesPlan } from './plan.js';
import { rawRow, type RawShape, rawShape } from './raw-rows.js';
import { type LaneRead, seriesLanesPage } from './series-merge.js';
import { parsedRow, type RowCache, seriesBytesPage, type SeriesProps, type WrittenRows } from './series-page.js';

export type { Cursor, Row } from './order.js';

export interface PageRequest {
  tenant: string;
  set: EdmSet;
  plan: Plan;
  order: Order[];
  skip: number;
  top: number;
  cursor: Cursor | undefined;
  pageSize: number;
  /** The page is sent with every property and no $expand: time series rows may be raw, aggregate and asset rows text (raw-rows.ts). */
  raw?: boolean;
}

export interface PageResult {
  rows: Row[];
  next?: Cursor;
  /** The rows already written as bytes (a raw time series or aggregate page of one asset, series-page.ts, aggregate-page.ts); then `rows` is empty. */
  written?: WrittenRows;
}

const READ_CHUNK = 2000;
/**
 * Most records a time series lane asks the store for in one read: a page's limit + 1 (2001) is one read, not
 * 2000 and then 1 (the chunk store decodes a whole chunk of up to 4,000 records per read, so the second read of
 * one record cost as much as the first).
 */
const LANE_READ = 10_000;
/**
 * Most candidate assets whose family membership is looked up one by one (assetTypeOf, cached by the asset model);
 * more are asked of the port's family query (familyAssets, one query per 500), the same ids in the same order.
 */
const FAMILY_BY_TYPE = 256;

export class RowReader {
  constructor(private readonly port: ODataPort, private readonly rowCache?: RowCache) {}

  async page(r: PageRequest): Promise<PageResult> {
    if (r.plan.kind === 'assets') return this.assetPage(r, r.plan);
    if (r.plan.kind === 'objects') return objectPage(this.port, r, r.plan);
    const desc = r.order[0]?.direction === 'desc';
    if (r.plan.kind === 'timeseries' && r.raw === true && this.port.readSeriesRuns && !r.plan.empty && r.plan.after < r.plan.upTo) {
      // a raw page is written from the store's bytes: one asset's as its runs, several assets' merged (series-merge.ts)
      const plan = r.plan;
      const assets = await this.seriesAssets(r.tenant, r.set, plan.assetId);
      const { props, shape } = seriesShape(r.set, true);
      const aspect = r.set.aspect!.name;
      if (assets.length > 1 && shape) {
        const read: LaneRead = (assetId, after, upTo, limit) => this.port.readSeriesRuns!(r.tenant, assetId, aspect, { after, upTo, limit, desc });
        const page = await seriesLanesPage(read, { ...r, desc }, plan, assets, shape, props, this.rowCache);
        // undefined: the row path would write it otherwise (series-merge.ts)
        if (page) return { rows: [], ...(page.written ? { written: page.written } : {}), ...(page.next ? { next: page.next } : {}) };
      }
      if (assets.length !== 1 || !shape) return this.merged(r, await this.lanes(r.tenant, r.set, plan, desc, true, assets));
      const [assetId] = assets as [string];
      const read = (after: number, upTo: number, limit: number) => this.port.readSeriesRuns!(r.tenant, assetId, aspect, { after, upTo, limit, desc });
      const page = await seriesBytesPage(read, { ...r, desc }, plan, assetId, shape, props, this.rowCache);
      return { rows: [], ...(page.written ? { written: page.written } : {}), ...(page.next ? { next: page.next } : {}) };
    }
    if (r.plan.kind === 'aggregates' && r.raw === true && !desc && r.plan.assetId !== undefined && (r.cursor !== undefined || r.skip === 0)
      && !r.plan.empty && r.plan.after < r.plan.upTo) {
      // one asset's raw page, ascending, is written as bytes (aggregate-page.ts); else, or when that declines, the lane
      const assets = await this.seriesAssets(r.tenant, r.set, r.plan.assetId);
      const page = assets.length === 1 ? await aggregateBytesPage(this.port, r.tenant, r.set, r.plan, assets[0]!, r) : undefined;
      if (page) return { rows: [], ...(page.written ? { written: page.written } : {}), ...(page.next ? { next: page.next } : {}) };
      return this.merged(r, await this.lanes(r.tenant, r.set, r.plan, desc, true, assets));
    }
    return this.merged(r, await this.lanes(r.tenant, r.set, r.plan, desc, r.raw === true));
  }

  async count(tenant: string, set: EdmSet, plan: Plan): Promise<number> {
    if (plan.kind === 'assets') {
      return (await this.port.listAssets(tenant, { typeId: set.typeId, conditions: plan.conditions, sort: [], offset: 0, limit: 0 })).total;
    }
    if (plan.kind === 'objects') return (await folderRows(this.port, tenant, set, plan, [])).length;
    if (plan.kind === 'timeseries') {
      // one COUNT per asset of the family that holds the aspect, instead of reading the records
      if (plan.empty || plan.after >= plan.upTo) return 0;
      let total = 0;
      for (const assetId of await this.seriesAssets(tenant, set, plan.assetId)) {
        total += await this.port.countSeries(tenant, assetId, set.aspect!.name, plan.after, plan.upTo);
      }
      return total;
    }
    let n = 0;
    for (const lane of await this.lanes(tenant, set, plan, false)) {
      for (let pos: Cursor | undefined; ;) {
        const rows = await lane(pos, READ_CHUNK);
        n += rows.length;
        if (rows.length < READ_CHUNK) break;
        pos = keyOf(rows[rows.length - 1]!);
      }
    }
    return n;
  }

  private async assetPage(r: PageRequest, plan: AssetPlan): Promise<PageResult> {
    const n = r.cursor?.n ?? 0;
    const limit = Math.max(0, Math.min(r.pageSize, r.top - n));
    const sort = r.order.map((o) => ({ field: o.field as AssetField, direction: o.direction }));
    const offset = r.skip + n;
    const { items, total } = await this.port.listAssets(r.tenant, { typeId: r.set.typeId, conditions: plan.conditions, sort, offset, limit });
    const rows = r.raw ? items.map((a) => assetTextRow(r.set, a)) : items.map((a) => assetRow(r.set, a));
    const delivered = n + rows.length;
    const more = offset + rows.length < total && delivered < r.top && rows.length > 0;
    return { rows, ...(more ? { next: { n: delivered } } : {}) };
  }

  /** Assets whose series the set reads: the one the filter names, or those holding a series of the aspect; in the family. */
  private async seriesAssets(tenant: string, set: EdmSet, assetId: string | undefined): Promise<string[]> {
    // one asset (the filter names it): its type, from the asset model's cache, against the set's family (the model of this request)
    if (assetId !== undefined) {
      const typeId = await this.port.assetTypeOf(tenant, assetId);
      return typeId !== undefined && set.family.includes(typeId) ? [assetId] : [];
    }
    const candidates = await this.port.assetsWithSeries(tenant, set.aspect!.name);
    if (candidates.length === 0) return [];
    if (candidates.length > FAMILY_BY_TYPE) return this.port.familyAssets(tenant, set.typeId, candidates);
    // a few candidates: each one's type from the model's cache, as for one asset (the family query was ~0.6 ms per page)
    const ids = [...new Set(candidates)];
    const types = await Promise.all(ids.map((id) => this.port.assetTypeOf(tenant, id)));
    return ids.filter((_, i) => types[i] !== undefined && set.family.includes(types[i]!)).sort();
  }

  /** One lane per asset of a time series or aggregate plan (`known`: the plan's assets, when already looked up). */
  private async lanes(tenant: string, set: EdmSet, plan: SeriesPlan | AggregatePlan, desc: boolean, raw = false, known?: string[]): Promise<Lane[]> {
    if (plan.empty || plan.after >= plan.upTo) return [];
    const assets = known ?? await this.seriesAssets(tenant, set, plan.assetId);
    if (plan.kind === 'aggregates') {
      return assets.map((assetId): Lane => (pos, n) => assetAggregates(this.port, tenant, set, plan, assetId, n, pos, desc, raw));
    }
    const aspect = set.aspect!.name;
    const { props, shape } = seriesShape(set, raw);
    return assets.map((assetId): Lane => async (pos, n) => {
      let after = plan.after;
      let upTo = plan.upTo;
      if (pos?.t !== undefined) {
        // rows after pos in (timestamp, assetId) order; in reverse order for desc
        if (!desc) after = Math.max(after, assetId > pos.a! ? pos.t - 1 : pos.t);
        else upTo = Math.min(upTo, assetId < pos.a! ? pos.t : pos.t - 1);
      }
      const rows: Row[] = [];
      while (after < upTo && rows.length < n) {
        const want = Math.min(n - rows.length, LANE_READ);
        const texts = await this.port.readSeries(tenant, assetId, aspect, { after, upTo, limit: want, desc });
        for (const text of texts) {
          const fast = shape && rawRow(shape, assetId, text);
          if (fast) {
            rows.push(fast);
            continue;
          }
          rows.push(parsedRow(assetId, text, props));
        }
        if (texts.length < want) break;
        const last = Date.parse(rows[rows.length - 1]!['timestamp'] as string);
        if (desc) upTo = last - 1;
        else after = last;
      }
      return rows;
    });
  }

  /** Skips, then reads one page (and one row more, to know whether another page follows) from the merged lanes. */
  private async merged(r: PageRequest, lanes: Lane[]): Promise<PageResult> {
    const desc = r.order[0]?.direction === 'desc';
    let pos = r.cursor?.t === undefined ? undefined : r.cursor;
    const n = r.cursor?.n ?? 0;
    if (lanes.length === 0) return { rows: [] };
    if (!r.cursor) {
      for (let left = r.skip; left > 0;) {
        const want = Math.min(left, READ_CHUNK);
        const skipped = await mergeLanes(lanes, pos, want, desc);
        if (skipped.length < want) return { rows: [] };
        pos = keyOf(skipped[skipped.length - 1]!);
        left -= skipped.length;
      }
    }
    const need = Math.max(0, Math.min(r.pageSize, r.top - n));
    if (need === 0) return { rows: [] };
    const rows = await mergeLanes(lanes, pos, need + 1, desc);
    const more = rows.length > need && n + need < r.top;
    if (rows.length > need) rows.length = need;
    return { rows, ...(more ? { next: { ...keyOf(rows[rows.length - 1]!), n: n + rows.length } } : {}) };
  }
}

/** seriesShape's answer with raw rows, per set: a set is part of a kept model (registry.ts) and never changes. */
const rawShapes = new WeakMap<EdmSet, { props: SeriesProps; shape: RawShape | undefined }>();

/** A time series set's series properties (name, stored key) and, for raw rows, the shape of its records (raw-rows.ts). */
function seriesShape(set: EdmSet, raw: boolean): { props: SeriesProps; shape: RawShape | undefined } {
  if (raw) {
    const kept = rawShapes.get(set);
    if (kept) return kept;
  }
  const props = set.properties.filter((p) => p.source.kind === 'seriesValue').map((p) => [p.name, (p.source as { key: string }).key] as const);
  // raw rows need the stored keys to be the property names and every other property to be assetId or timestamp
  const shape = raw && props.every(([name, key]) => name === key) && set.properties.length === props.length + 2
    ? rawShape(props.map(([, key]) => key)) : undefined;
  const out = { props, shape };
  if (raw) rawShapes.set(set, Object.freeze(out));
  return out;
}
