/**
 * The OData context's port (src/odata/ports.ts) implemented on the public read side of the other contexts: the
 * asset-model port (core/model.ts AssetModelReader), the time series and aggregates services, the identity
 * store and the Integrated Data Lake's folder interface (tenant scope, no subtenant). Only the composition root knows all of them; the OData context knows none.
 */
import { AppError } from '../core/errors.js';
import { checkPath } from '../datalake/paths.js';
import type { DatalakeService, FolderEntry } from '../datalake/service.js';
import type { FilterNode } from '../core/filter.js';
import { iso } from '../core/instant.js';
import type { AssetModelReader, ModelAssetType, ModelAssetValues, ModelValue } from '../core/model.js';
import type { IdentityStore } from '../identity/store.js';
import type { AggregateInterval as AggregatesInterval, AggregatesService } from '../timeseries/aggregates.js';
import { UNIT_RULES } from '../timeseries/intervals.js';
import type { TimeseriesService } from '../timeseries/service.js';
import type {
  AggregateInterval, AssetCondition, AssetRow, IntervalUnit, ODataPort, PortAssetType, PortObject, PortVariable,
} from '../odata/ports.js';

const portObject = (e: FolderEntry): PortObject => ({ path: e.path, name: e.name, size: e.size, lastModified: e.lastModified, tags: e.tags });

export interface ODataAdapterDeps {
  model: AssetModelReader;
  timeseries: TimeseriesService;
  aggregates: AggregatesService;
  identity: IdentityStore;
  datalake: DatalakeService;
}

/** Asset ids per family lookup (one `in` condition). */
const FAMILY_CHUNK = 500;

const notFound = (err: unknown) => err instanceof AppError && err.status === 404;

const portVariable = (v: { name: string; dataType: PortVariable['dataType']; length: number | null; qualityCode: boolean;
  defaultValue: string | null }): PortVariable =>
  ({ name: v.name, dataType: v.dataType, length: v.length, qualityCode: v.qualityCode, defaultValue: v.defaultValue });

function portType(t: ModelAssetType): PortAssetType {
  return {
    id: t.id, name: t.name, parentTypeId: t.parentTypeId, version: t.version,
    variables: t.variables.map((v) => portVariable({ ...v, qualityCode: false })),
    aspects: t.aspects.map((a) => ({ name: a.name, aspectTypeId: a.aspectTypeId, aspectTypeName: a.aspectTypeName,
      category: a.category, variables: a.variables.map(portVariable) })),
  };
}

const values = (list: readonly ModelValue[]): Record<string, string | null> =>
  Object.fromEntries(list.map((v) => [v.name, v.value]));

/** What the model shows of an asset (own values, else the type's defaults), as the OData rows need it. */
function row(a: ModelAssetValues): AssetRow {
  return {
    assetId: a.assetId, name: a.name, parentId: a.parentId, timezone: a.timezone, typeId: a.typeId,
    description: a.description, externalId: a.externalId, variables: values(a.variables),
    aspects: Object.fromEntries(a.staticAspects.map((s) => [s.name, values(s.variables)])),
  };
}

/** The family (hasType: the type or one derived from it) and every condition, as one filter-language tree. */
function filterOf(typeId: string, conditions: readonly AssetCondition[]): FilterNode {
  const items: FilterNode[] = [{ kind: 'eq', field: 'hasType', value: typeId }];
  for (const c of conditions) {
    if (c.op === 'eq') items.push({ kind: 'eq', field: c.field, value: c.value });
    else if (c.op === 'in') items.push({ kind: 'in', field: c.field, values: c.values });
    else items.push({ kind: c.op, field: c.field, value: c.value });
  }
  return { kind: 'and', items };
}

/**
 * The port's intervals of v4's: times parsed and printed canonically, variables copied without the two times.
 * An interval's end is mostly the next one's start (the same text), so that instant is parsed and printed once.
 */
function intervals(list: readonly AggregatesInterval[]): AggregateInterval[] {
  const out = new Array<AggregateInterval>(list.length);
  let prevText: string | undefined;
  let prevT = NaN;
  let prevIso = '';
  for (let i = 0; i < list.length; i++) {
    const iv = list[i]!;
    const same = iv.starttime === prevText;
    const start = same ? prevT : Date.parse(iv.starttime);
    const startTime = same ? prevIso : iso(start);
    const end = Date.parse(iv.endtime);
    const endTime = iso(end);
    prevText = iv.endtime;
    prevT = end;
    prevIso = endTime;
    const variables: Record<string, Record<string, unknown>> = {};
    for (const k in iv) if (k !== 'starttime' && k !== 'endtime') variables[k] = iv[k] as Record<string, unknown>;
    out[i] = { start, end, startTime, endTime, variables };
  }
  return out;
}

/**
 * The port's types of the model's, kept per tenant while the model answers with the very same type objects: its
 * type lists are frozen and kept until its model version moves (assets/reader.ts), so the same objects mean the
 * same types and the mapping (~15 µs per request) is skipped. Kept ones are frozen (shared by every caller).
 */
class PortTypes {
  private readonly byTenant = new Map<string, { from: readonly ModelAssetType[]; types: readonly PortAssetType[] }>();

  of(tenant: string, from: readonly ModelAssetType[]): PortAssetType[] {
    const kept = this.byTenant.get(tenant);
    if (kept && kept.from.length === from.length && kept.from.every((t, i) => t === from[i])) return [...kept.types];
    const types = from.map((t) => deepFreeze(portType(t)));
    // only frozen model types stay the same objects (the reader's kept lists); others are mapped per call
    if (from.every((t) => Object.isFrozen(t))) {
      if (this.byTenant.size >= MAX_TYPE_TENANTS) this.byTenant.clear();
      this.byTenant.set(tenant, { from: [...from], types });
    }
    return [...types];
  }
}

/** Tenants whose mapped types are kept. */
const MAX_TYPE_TENANTS = 256;

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export function createODataAdapter(d: ODataAdapterDeps): ODataPort {
  const portTypes = new PortTypes();
  return {
    async assetTypes(tenant) {
      return portTypes.of(tenant, await d.model.listAssetTypes(tenant));
    },

    async listAssets(tenant, q) {
      const page = await d.model.listAssets(tenant, { filter: filterOf(q.typeId, q.conditions), sort: q.sort,
        offset: q.offset, limit: q.limit });
      return { items: page.items.map(row), total: page.total };
    },

    async familyAssets(tenant, typeId, among) {
      const ids: string[] = [];
      // chunks keep the SQL parameter list short
      for (let i = 0; i < among.length; i += FAMILY_CHUNK) {
        const chunk = among.slice(i, i + FAMILY_CHUNK);
        const page = await d.model.listAssets(tenant, { filter: filterOf(typeId, [{ field: 'assetId', op: 'in', values: chunk }]),
          sort: [{ field: 'assetId', direction: 'asc' }], offset: 0, limit: chunk.length });
        for (const a of page.items) ids.push(a.assetId);
      }
      return ids.sort();
    },

    assetTypeOf: async (tenant, assetId) => (await d.model.getAsset(tenant, assetId))?.typeId,

    assetsWithSeries: (tenant, aspect) => d.timeseries.assetsWithSeries(tenant, aspect),

    async countSeries(tenant, assetId, aspect, after, upTo) {
      if (after >= upTo) return 0;
      try {
        return await d.timeseries.count(tenant, assetId, aspect, after, upTo);
      } catch (err) {
        if (notFound(err)) return 0;
        throw err;
      }
    },

    async readSeries(tenant, assetId, aspect, r) {
      if (r.after >= r.upTo) return [];
      try {
        // stored text: the canonical _time (UTC with milliseconds) first, which SeriesRecordText promises
        return await d.timeseries.readTexts(tenant, assetId, aspect, { from: r.after, to: r.upTo, limit: r.limit, desc: r.desc });
      } catch (err) {
        if (notFound(err)) return [];
        throw err;
      }
    },

    async readSeriesRuns(tenant, assetId, aspect, r) {
      const none = { count: 0, runs: () => {} };
      if (r.after >= r.upTo) return none;
      try {
        return await d.timeseries.readRuns(tenant, assetId, aspect, { from: r.after, to: r.upTo, limit: r.limit, desc: r.desc });
      } catch (err) {
        if (notFound(err)) return none;
        throw err;
      }
    },

    async readAggregates(tenant, assetId, aspect, q): Promise<AggregateInterval[]> {
      try {
        const res = await d.aggregates.v4(tenant, assetId, aspect, { from: q.from, to: q.to, unit: q.unit, value: q.value });
        return intervals(res.aggregates);
      } catch (err) {
        if (notFound(err)) return [];
        throw err;
      }
    },

    aggregateMaxRange: (unit: IntervalUnit) => UNIT_RULES[unit].maxRange,

    async companyDomain(tenant) {
      return (await d.identity.getTenant(tenant))?.companyDomain;
    },

    folderRule(folder) {
      try {
        checkPath(folder, 'folder', 'folder');
        return undefined;
      } catch (err) {
        if (err instanceof AppError) return err.message;
        throw err;
      }
    },

    async folderObjects(tenant, folder, after, limit) {
      const page = await d.datalake.folderObjects({ tenant, subtenant: undefined }, folder, { recursive: true, ...(after !== undefined ? { after } : {}), limit });
      return { objects: page.objects.map(portObject), ...(page.next !== undefined ? { next: page.next } : {}) };
    },

    async openObject(tenant, path) {
      const opened = await d.datalake.openObject({ tenant, subtenant: undefined }, path);
      return opened && { object: portObject(opened.entry), etag: opened.etag, body: opened.body };
    },
  };
}
