/**
 * Time series domain rules (reference §2): writes validated against the asset model read through the core port,
 * reads with exclusive `from`, inclusive `to`, limit 2000 and continuation that resumes exactly after the last
 * record returned; deletes of ranges; and the series' lifecycle following asset model events.
 */
import { Generic } from '../core/errors.js';
import type { AssetModelReader, ModelAspect, ModelAsset } from '../core/model.js';
import { TimeseriesErrors } from './errors.js';
import { NUMERIC, type RecordRules, recordJson, renderRecords, validateRecords, type VariableMap, variableMap } from './records.js';
import type { SeriesKey, SeriesShape, StoredRecord, TimeseriesStore, WriteRecord } from './store.js';
import { DAY, HOUR, iso, parseInstant, zoneOf } from './time.js';

export const MAX_LIMIT = 2000;
/** Reference §2, multi-entity PUT. */
export const BATCH_MAX_PAIRS = 5;
export const BATCH_MAX_RECORDS = 100;
export const BATCH_BODY_LIMIT = 100 * 1024;
/** Reference §2, PATCH. */
export const PATCH_MAX_RECORDS = 10;
export const PATCH_BODY_LIMIT = 600 * 1024;

export interface Resolved {
  key: SeriesKey;
  asset: ModelAsset;
  aspect: ModelAspect;
  vars: VariableMap;
  shape: SeriesShape;
}

export interface ReadParams {
  from?: string;
  to?: string;
  limit?: string;
  select?: string;
  sort?: string;
  latestValue?: string;
}

export interface ReadResult {
  json: string;
  /** Query of the next page when more records than the limit matched. */
  next?: Record<string, string>;
}

export interface PairResult {
  index: number;
  entityId: string;
  propertySetName: string;
  error?: Error;
}

const param = (name: string, rule: string) => Generic.invalidParameter({ name, rule });

export function parseTimeParam(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const t = parseInstant(raw);
  if (typeof t === 'string') throw param(name, t);
  return t;
}

export class TimeseriesService {
  constructor(private readonly store: TimeseriesStore, private readonly model: AssetModelReader,
    private readonly now: () => number = Date.now) {}

  /** The asset's aspect as the model has it now; a removed asset or aspect hides its series. */
  async resolve(tenant: string, assetId: string, aspectName: string, requireDynamic = true): Promise<Resolved> {
    const asset = await this.model.getAsset(tenant, assetId);
    if (!asset) throw TimeseriesErrors.assetNotFound({ assetId });
    const aspect = asset.aspects.find((a) => a.name === aspectName);
    if (!aspect) {
      throw TimeseriesErrors.aspectNotFound({ assetId, aspect: aspectName,
        known: asset.aspects.map((a) => a.name).join(', ') || 'none' });
    }
    if (requireDynamic && aspect.category === 'static') throw TimeseriesErrors.staticAspect({ aspect: aspectName });
    const vars = variableMap(aspect.variables);
    return {
      key: { tenant, assetId, aspect: aspectName }, asset, aspect, vars,
      shape: { zone: zoneOf(asset.timezone), variables: vars },
    };
  }

  async put(tenant: string, assetId: string, aspect: string, body: unknown): Promise<void> {
    const r = await this.resolve(tenant, assetId, aspect);
    const records = validateRecords(body, r.vars);
    if (records.length > 0) await this.store.put([{ key: r.key, shape: r.shape, records }]);
  }

  /** Multi-entity PUT: pairs that fail are reported and skipped; the others are stored together. */
  async putMany(tenant: string, body: unknown): Promise<PairResult[]> {
    const list = (body && typeof body === 'object' && !Array.isArray(body))
      ? (body as Record<string, unknown>)['timeseries'] : undefined;
    if (!Array.isArray(list)) {
      throw TimeseriesErrors.invalidBatch({ field: 'timeseries', rule: 'is required and must be an array of {entityId, propertySetName, data}' });
    }
    if (list.length === 0 || list.length > BATCH_MAX_PAIRS) {
      throw TimeseriesErrors.invalidBatch({ field: 'timeseries', rule: `must hold 1 to ${BATCH_MAX_PAIRS} asset/aspect pairs (it holds ${list.length})` });
    }
    let total = 0;
    for (const item of list) {
      const data = (item as Record<string, unknown> | null)?.['data'];
      if (Array.isArray(data)) total += data.length;
    }
    if (total > BATCH_MAX_RECORDS) throw TimeseriesErrors.tooManyRecords({ count: total, limit: BATCH_MAX_RECORDS });
    const results: PairResult[] = [];
    const writes = [];
    for (let index = 0; index < list.length; index++) {
      const item = list[index] as Record<string, unknown> | null;
      const entityId = typeof item?.['entityId'] === 'string' ? item['entityId'] : '';
      const propertySetName = typeof item?.['propertySetName'] === 'string' ? item['propertySetName'] : '';
      const result: PairResult = { index, entityId, propertySetName };
      results.push(result);
      try {
        if (!entityId) throw TimeseriesErrors.invalidBatch({ field: `timeseries[${index}].entityId`, rule: 'is required and must be a string' });
        if (!propertySetName) throw TimeseriesErrors.invalidBatch({ field: `timeseries[${index}].propertySetName`, rule: 'is required and must be a string' });
        const r = await this.resolve(tenant, entityId, propertySetName);
        const records = validateRecords(item?.['data'], r.vars);
        if (records.length > 0) writes.push({ key: r.key, shape: r.shape, records });
      } catch (err) {
        result.error = err as Error;
      }
    }
    if (writes.length > 0) await this.store.put(writes);
    return results;
  }

  /** Merge (reference §2 PATCH): at most 10 records, none older than 24 h or in the future, no BIG_STRING. */
  async patch(tenant: string, assetId: string, aspect: string, body: unknown): Promise<void> {
    const r = await this.resolve(tenant, assetId, aspect);
    if (Array.isArray(body) && body.length > PATCH_MAX_RECORDS) {
      throw TimeseriesErrors.tooManyRecords({ count: body.length, limit: PATCH_MAX_RECORDS });
    }
    const now = this.now();
    const rules: RecordRules = { forbidden: new Set(['BIG_STRING']), earliest: now - 24 * HOUR, latest: now };
    const records = validateRecords(body, r.vars, rules);
    if (records.length > 0) await this.store.patch({ key: r.key, shape: r.shape, records });
  }

  async delete(tenant: string, assetId: string, aspect: string, fromRaw?: string, toRaw?: string): Promise<number> {
    if (!fromRaw) throw Generic.missingParameter({ name: 'from' });
    if (!toRaw) throw Generic.missingParameter({ name: 'to' });
    const from = parseTimeParam('from', fromRaw)!;
    const to = parseTimeParam('to', toRaw)!;
    if (from >= to) throw TimeseriesErrors.invalidRange({ from: fromRaw, to: toRaw });
    const r = await this.resolve(tenant, assetId, aspect, false);
    return this.store.deleteRange(r.key, r.shape, from, to);
  }

  async read(tenant: string, assetId: string, aspect: string, p: ReadParams): Promise<ReadResult> {
    const from = parseTimeParam('from', p.from);
    const to = parseTimeParam('to', p.to);
    if (from !== undefined && to !== undefined && from >= to) {
      throw TimeseriesErrors.invalidRange({ from: p.from!, to: p.to! });
    }
    let limit = MAX_LIMIT;
    if (p.limit !== undefined && p.limit !== '') {
      if (!/^\d+$/.test(p.limit) || Number(p.limit) < 1 || Number(p.limit) > MAX_LIMIT) {
        throw param('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
      }
      limit = Number(p.limit);
    }
    const sort = p.sort ?? 'asc';
    if (sort !== 'asc' && sort !== 'desc') throw param('sort', 'must be one of asc, desc');
    const latest = p.latestValue ?? 'false';
    if (latest !== 'true' && latest !== 'false') throw param('latestValue', 'must be one of true, false');
    const r = await this.resolve(tenant, assetId, aspect, false);
    let select: string[] | undefined;
    if (p.select !== undefined && p.select !== '') {
      select = p.select.split(',').map((s) => s.trim()).filter(Boolean);
      for (const name of select) {
        if (!r.vars.has(name)) {
          throw param('select', `${name} is not a variable of aspect ${aspect} (variables: ${[...r.vars.keys()].join(', ')})`);
        }
      }
    }
    if (latest === 'true') return { json: await this.latestValues(r, select ?? [...r.vars.keys()], from, to) };
    if (from === undefined && to === undefined) {
      const last = await this.store.read(r.key, { limit: 1, desc: true });
      return { json: renderRecords(last, select) };
    }
    const desc = sort === 'desc';
    let json: string;
    let lastT: number;
    if (select) {
      const rows = await this.store.read(r.key, { from, to, limit: limit + 1, desc });
      if (rows.length <= limit) return { json: renderRecords(rows, select) };
      rows.length = limit;
      lastT = rows[limit - 1]!.t;
      json = renderRecords(rows, select);
    } else {
      // Stored text is returned as it is; it begins with {"_time":"<24-char ISO>".
      const texts = await this.store.readText(r.key, { from, to, limit: limit + 1, desc });
      const more = texts.length > limit;
      if (more) texts.length = limit;
      json = `[${texts.join(',')}]`;
      if (!more) return { json };
      lastT = Date.parse(texts[limit - 1]!.slice(10, 34));
    }
    const next: Record<string, string> = {};
    // asc resumes after the last record (from is exclusive); desc resumes before it (to is inclusive, ms precision).
    if (desc) {
      if (p.from) next['from'] = iso(from!);
      next['to'] = iso(lastT - 1);
    } else {
      next['from'] = iso(lastT);
      if (p.to) next['to'] = iso(to!);
    }
    next['limit'] = String(limit);
    if (select) next['select'] = select.join(',');
    next['sort'] = sort;
    return { json, next };
  }

  /** Latest non-null value of each selected variable within 90 days before the newest record. */
  private async latestValues(r: Resolved, select: string[], from?: number, to?: number): Promise<string> {
    const missing = new Set(select);
    const found = new Map<number, Record<string, unknown>>();
    let cursor = to;
    let floor = from;
    while (missing.size > 0) {
      const rows = await this.store.read(r.key, { from: floor, to: cursor, limit: 1000, desc: true });
      if (rows.length === 0) break;
      if (floor === undefined) floor = Math.max(from ?? -Infinity, rows[0]!.t - 90 * DAY);
      for (const row of rows) {
        const rec = JSON.parse(row.json) as Record<string, unknown>;
        for (const name of [...missing]) {
          if (rec[name] === undefined) continue;
          const out = found.get(row.t) ?? {};
          out[name] = rec[name];
          if (rec[`${name}_qc`] !== undefined) out[`${name}_qc`] = rec[`${name}_qc`];
          found.set(row.t, out);
          missing.delete(name);
        }
      }
      cursor = rows[rows.length - 1]!.t - 1;
    }
    const records: StoredRecord[] = [...found.entries()].sort((a, b) => a[0] - b[0])
      .map(([t, values]) => ({ t, json: recordJson(t, values) }));
    return renderRecords(records);
  }

  /** Series of a deleted asset go with it. */
  async assetDeleted(tenant: string, assetId: string): Promise<void> {
    await this.store.dropAsset(tenant, assetId);
  }

  /** An aspect removed from a type: series of assets that no longer have it are deleted. */
  async aspectRemoved(tenant: string, aspect: string): Promise<void> {
    for (const assetId of await this.store.assetsWithAspect(tenant, aspect)) {
      const asset = await this.model.getAsset(tenant, assetId);
      if (!asset || !asset.aspects.some((a) => a.name === aspect)) {
        await this.store.dropSeries({ tenant, assetId, aspect });
      }
    }
  }

  static isNumeric(r: Resolved, name: string): boolean {
    const v = r.vars.get(name);
    return v !== undefined && NUMERIC.has(v.dataType);
  }
}

export type { WriteRecord };
