/**
 * One read-only OData v4 service per published contract (OASIS OData v4 Protocol; "Insights Hub IIoT for Makers"
 * §4, §8): the service document, `$metadata`, collections with $filter/$select/$orderby/$top/$skip/$count/$expand,
 * `/$count`, entities by key, navigation from an entity, the media resource of a data lake object (`/$value`), and server-driven paging of at most the page size whose
 * `@odata.nextLink` carries the whole query and a cursor, so following it reaches the end with no gap and no
 * duplicate. JSON with odata.metadata=minimal. No HTTP here: the routes pass the path, query and origin.
 */
import type { Readable } from 'node:stream';
import { ODataErrors } from '../errors.js';
import { renderCsdl } from '../model/csdl.js';
import type { EdmSet } from '../model/edm.js';
import type { ContractRegistry } from '../registry.js';
import { servicePath } from '../registry.js';
import type { ExpandOptions } from '../query/ast.js';
import { kept } from '../query/kept.js';
import { parseOptions, queryPairs, type QueryOptions } from '../query/options.js';
import type { ParseLimits } from '../query/parser.js';
import { printExpand, printFilter, printOrderby, printSelect } from '../query/print.js';
import { decodeCursor, encodeCursor, entityKeyText, keyPlan } from './keys.js';
import { type Ctx, Expander, type Join, joinOf, spend } from './expand.js';
import { type Plan, planFilter, planOrder, planSelect } from './plan.js';
import { parseResource } from './resource.js';
import { type Cursor, type Row, RowReader } from './rows.js';
import { pageBytes, pageParts, pageText } from './raw-rows.js';
import { RowCache } from './series-page.js';

export interface ODataRequest {
  tenant: string;
  contract: string;
  version: string;
  /** Path after the service root, without a leading slash, still percent-encoded. */
  path: string;
  /** Raw query string (or the text/plain body of POST …/$query). */
  query: string;
  /** `https://host` of the request, so links work on the gateway host and on web app hosts. */
  origin: string;
  /** Prefer: odata.maxpagesize. */
  maxPageSize?: number;
}

export interface ODataResponse {
  contentType: 'json' | 'xml' | 'text' | 'media';
  body: string;
  /** True when the body is known to hold only ASCII characters (a page of raw rows, raw-rows.ts); else unknown. */
  ascii?: boolean;
  /** The body's UTF-8 bytes, when they were written straight into a buffer (then `body` is empty; raw-rows.ts pageBytes). */
  bytes?: Buffer;
  /** The body's UTF-8 bytes as buffers to send one after the other, views of kept rows among them (raw-rows.ts pageParts). */
  parts?: Buffer[];
  headers: Record<string, string>;
  /** The content of a media resource (contentType media), streamed. */
  stream?: Readable;
}

export interface ODataServiceOptions {
  pageSize: number;
  limits: ParseLimits;
  /** Most entities and expanded lookups in one response. */
  maxResponseEntities: number;
  /** Bytes of time series rows kept per rendered chunk (series-page.ts RowCache); none when absent. */
  rowCacheBytes?: number;
}

export class ODataService {
  private readonly reader;
  private readonly expander;
  private readonly plans = new WeakMap<EdmSet, WeakMap<object, Plan>>();
  /** parseOptions of a query text (for this service's limits), kept (query/kept.ts). */
  private readonly options = new Map<string, QueryOptions>();

  constructor(private readonly registry: ContractRegistry, private readonly port: ConstructorParameters<typeof RowReader>[0],
    private readonly opts: ODataServiceOptions) {
    this.reader = new RowReader(port, new RowCache(opts.rowCacheBytes ?? 0));
    this.expander = new Expander(this.reader, {
      set: (ctx, name) => this.set(ctx, name),
      collection: (ctx, set, o, base, join) => this.collection(ctx, set, o, base, join),
      nextQuery,
    });
  }

  async handle(req: ODataRequest, method: 'GET' | 'POST'): Promise<ODataResponse> {
    const contract = await this.registry.published(req.tenant, req.contract, req.version);
    if (!contract) {
      throw ODataErrors.notFound({ target: 'service', resource: `published OData contract ${req.contract} version ${req.version} in this tenant` });
    }
    const model = await this.registry.model(contract);
    const resource = kept(resources, req.path, parseResource, MAX_KEPT, MAX_KEPT_LENGTH);
    if (method === 'POST' && !(resource.kind === 'collection' && resource.query)) {
      throw ODataErrors.readOnly({ target: req.path || '/', method: 'POST', allowed: 'GET (POST only for {set}/$query)' }).withHeader('allow', 'GET, HEAD');
    }
    if (resource.kind === 'collection' && resource.query && method !== 'POST') {
      throw ODataErrors.readOnly({ target: `${resource.set}/$query`, method, allowed: 'POST with the query options as text/plain' }).withHeader('allow', 'POST');
    }
    const opts = kept(this.options, req.query, (q) => parseOptions(queryPairs(q, this.opts.limits.maxLength * 4), this.opts.limits), MAX_KEPT, MAX_KEPT_LENGTH);
    const pageSize = Math.max(1, Math.min(this.opts.pageSize, req.maxPageSize ?? this.opts.pageSize));
    const headers: Record<string, string> = req.maxPageSize !== undefined ? { 'preference-applied': `odata.maxpagesize=${pageSize}` } : {};
    const root = `${req.origin}${servicePath(contract)}`;
    const max = this.opts.maxResponseEntities;
    const ctx: Ctx = { tenant: req.tenant, model, root, pageSize, budget: { left: max, max } };
    switch (resource.kind) {
      case 'serviceDocument':
        return json({ '@odata.context': `${root}$metadata`, value: model.sets.map((s) => ({ name: s.name, kind: 'EntitySet', url: s.name })) }, headers);
      case 'metadata':
        if (opts.format === 'json') throw ODataErrors.notAcceptable({ target: '$format', accept: 'json for $metadata' });
        return { contentType: 'xml', body: renderCsdl(model), headers };
      case 'collection': {
        const set = this.set(ctx, resource.set);
        if (resource.count) return this.countOf(ctx, set, opts, undefined);
        const body = await this.collection(ctx, set, opts, `${root}${encodeURIComponent(set.name)}`, undefined, ctx.pageSize, true);
        return json({ '@odata.context': context(root, set, opts), ...body }, headers);
      }
      case 'entity': {
        const set = this.set(ctx, resource.set);
        const row = await this.byKey(ctx, set, keyPlan(set, resource.key));
        const entity = await this.entity(ctx, set, row, opts);
        return json({ '@odata.context': `${root}$metadata#${set.name}/$entity`, ...entity }, headers);
      }
      case 'media': {
        const set = this.set(ctx, resource.set);
        if (set.folder === undefined) {
          throw ODataErrors.badQuery({ target: 'resource path', rule: `${set.name} has no media resource; $value follows an entity of a folder contract's entity set` });
        }
        const plan = keyPlan(set, resource.key);
        const path = plan.kind === 'objects' ? String(plan.conditions[0]!.value) : '';
        const opened = path.startsWith(set.folder) ? await this.port.openObject(ctx.tenant, path) : undefined;
        if (!opened) throw ODataErrors.notFound({ target: set.name, resource: `object ${JSON.stringify(path.slice(0, 200))} in ${set.name} (folder ${set.folder})` });
        return { contentType: 'media', body: '', stream: opened.body,
          headers: { ...headers, 'content-length': String(opened.object.size), etag: `"${opened.etag}"` } };
      }
      case 'navigation': {
        const set = this.set(ctx, resource.set);
        const nav = set.navs.find((n) => n.name === resource.nav);
        if (!nav) throw ODataErrors.notFound({ target: resource.nav, resource: `navigation property ${resource.nav} of ${set.name}` });
        const source = await this.byKey(ctx, set, keyPlan(set, resource.key));
        const target = this.set(ctx, nav.target);
        const join = joinOf(nav, source);
        if (!nav.collection) {
          if (resource.count) throw ODataErrors.badQuery({ target: '$count', rule: `${nav.name} is single-valued` });
          const row = join ? await this.first(ctx, target, join) : undefined;
          if (!row) return json({ '@odata.context': `${root}$metadata#${target.name}/$entity`, value: null }, headers);
          return json({ '@odata.context': `${root}$metadata#${target.name}/$entity`, ...await this.entity(ctx, target, row, opts) }, headers);
        }
        if (resource.count) return this.countOf(ctx, target, opts, join);
        const base = `${root}${encodeURIComponent(set.name)}${entityKeyText(set, source)}/${encodeURIComponent(nav.name)}`;
        return json({ '@odata.context': context(root, target, opts), ...await this.collection(ctx, target, opts, base, join, ctx.pageSize, true) }, headers);
      }
    }
  }

  private set(ctx: Ctx, name: string): EdmSet {
    const set = ctx.model.byName.get(name);
    if (!set) {
      throw ODataErrors.notFound({ target: name, resource: `entity set ${name} in this service (entity sets: ${[...ctx.model.byName.keys()].join(', ') || 'none'})` });
    }
    return set;
  }

  /** planFilter, kept per entity set (of a kept model) and filter tree (a kept parse, query/options.ts); frozen. */
  private filterPlan(set: EdmSet, filter: QueryOptions['filter']): Plan {
    if (filter === undefined) return planFilter(set, filter);
    let bySet = this.plans.get(set);
    if (!bySet) this.plans.set(set, bySet = new WeakMap());
    let plan = bySet.get(filter);
    if (!plan) {
      plan = planFilter(set, filter);
      if ('conditions' in plan) Object.freeze(plan.conditions);
      bySet.set(filter, Object.freeze(plan));
    }
    return plan;
  }

  private plan(set: EdmSet, filter: QueryOptions['filter'], join: Join | undefined): Plan {
    const plan = this.filterPlan(set, filter);
    // objects sets have no navigation properties, so no join reaches them
    if (!join || plan.kind === 'objects') return plan;
    if (plan.kind === 'assets') {
      return { ...plan, conditions: [...plan.conditions, { field: join.field, op: 'eq', value: join.value }] };
    }
    const id = join.value ?? '';
    return { ...plan, assetId: id, empty: plan.empty || (plan.assetId !== undefined && plan.assetId !== id) };
  }

  private async countOf(ctx: Ctx, set: EdmSet, opts: QueryOptions, join: Join | undefined): Promise<ODataResponse> {
    const n = await this.reader.count(ctx.tenant, set, this.plan(set, opts.filter, join));
    return { contentType: 'text', body: String(n), headers: {} };
  }

  /** `topLevel`: the page is the answer itself (not nested in an $expand), so its rows may be raw (raw-rows.ts). */
  private async collection(ctx: Ctx, set: EdmSet, opts: QueryOptions | ExpandOptions, base: string, join: Join | undefined,
    pageSize = ctx.pageSize, topLevel = false): Promise<Record<string, unknown>> {
    const plan = this.plan(set, opts.filter, join);
    const order = planOrder(set, opts.orderby);
    const selected = planSelect(set, opts.select);
    const skiptoken = 'skiptoken' in opts ? opts.skiptoken : undefined;
    const cursor = skiptoken === undefined ? undefined : decodeCursor(skiptoken);
    const top = opts.top ?? Infinity;
    const skip = opts.skip ?? 0;
    const count = opts.count ? cursor?.c ?? await this.reader.count(ctx.tenant, set, plan) : undefined;
    const raw = topLevel && selected.length === set.properties.length && !opts.expand?.length;
    const page = await this.reader.page({ tenant: ctx.tenant, set, plan, order, skip, top, cursor, pageSize, raw });
    // rows written as bytes (series-page.ts) are the page's value as they are; raw-rows.ts pageBytes sends them
    let value: unknown;
    if (page.written) {
      spend(ctx, page.written.count);
      value = page.written;
    } else value = await this.expander.rows(ctx, set, page.rows, selected, opts.expand);
    const out: Record<string, unknown> = {};
    if (count !== undefined) out['@odata.count'] = count;
    out['value'] = value;
    if (page.next) out['@odata.nextLink'] = `${base}?${nextQuery(opts, { ...page.next, ...(count !== undefined ? { c: count } : {}) })}`;
    return out;
  }

  private async entity(ctx: Ctx, set: EdmSet, row: Row, opts: QueryOptions): Promise<Record<string, unknown>> {
    return (await this.expander.rows(ctx, set, [row], planSelect(set, opts.select), opts.expand))[0]!;
  }

  private async first(ctx: Ctx, set: EdmSet, join: Join): Promise<Row | undefined> {
    const page = await this.reader.page({ tenant: ctx.tenant, set, plan: this.plan(set, undefined, join), order: [], skip: 0, top: 1, cursor: undefined, pageSize: 1 });
    return page.rows[0];
  }

  private async byKey(ctx: Ctx, set: EdmSet, plan: Plan): Promise<Row> {
    const page = await this.reader.page({ tenant: ctx.tenant, set, plan, order: [], skip: 0, top: 1, cursor: undefined, pageSize: 1 });
    const row = page.rows[0];
    if (!row) throw ODataErrors.notFound({ target: set.name, resource: `entity of ${set.name} with this key` });
    return row;
  }
}

/** Most texts kept per cache of parses (query/kept.ts), and the longest text kept. */
const MAX_KEPT = 512;
const MAX_KEPT_LENGTH = 4096;
/** parseResource of a path after the service root, kept. */
const resources = new Map<string, ReturnType<typeof parseResource>>();

function json(body: Record<string, unknown>, headers: Record<string, string>): ODataResponse {
  const parts = pageParts(body);
  if (parts) return { contentType: 'json', body: '', parts, headers };
  const bytes = pageBytes(body);
  if (bytes) return { contentType: 'json', body: '', bytes, headers };
  const { text, ascii } = pageText(body);
  return { contentType: 'json', body: text, headers, ...(ascii ? { ascii } : {}) };
}

function context(root: string, set: EdmSet, opts: QueryOptions | ExpandOptions): string {
  const sel = opts.select && !opts.select.includes('*') ? `(${printSelect(opts.select)})` : '';
  return `${root}$metadata#${set.name}${sel}`;
}

/** The query of a next link: the request's options as parsed (printed canonically) and the new cursor. */
function nextQuery(opts: QueryOptions | ExpandOptions, cursor: Cursor): string {
  const parts: string[] = [];
  if (opts.filter) parts.push(printed(opts.filter, '$filter', printFilter));
  if (opts.select) parts.push(printed(opts.select, '$select', printSelect));
  if (opts.orderby) parts.push(printed(opts.orderby, '$orderby', printOrderby));
  if (opts.expand) parts.push(printed(opts.expand, '$expand', printExpand));
  if (opts.top !== undefined) parts.push(`$top=${opts.top}`);
  if (opts.skip !== undefined) parts.push(`$skip=${opts.skip}`);
  if (opts.count) parts.push('$count=true');
  parts.push(`$skiptoken=${encodeURIComponent(encodeCursor(cursor))}`);
  return parts.join('&');
}

/** `name=` and the percent-encoded canonical print of a parsed option, kept per parsed tree (trees are never changed). */
const prints = new WeakMap<object, string>();

function printed<T extends object>(tree: T, name: string, print: (tree: T) => string): string {
  let p = prints.get(tree);
  if (p === undefined) prints.set(tree, p = `${name}=${encodeURIComponent(print(tree))}`);
  return p;
}
