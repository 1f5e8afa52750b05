/**
 * Time series domain rules (IoT Time Series API v3): writes validated against the asset model read through the core port,
 * one write path for many series (the multi-entity PUT now, the agents' exchange and MQTT later), reads with
 * exclusive `from`, inclusive `to`, limit 2000 and continuation that resumes exactly after the last record
 * returned; deletes of ranges; roll-ups that follow the asset's time zone; and the series' lifecycle following
 * asset model events. HTTP-free: the routes parse the query (params.ts) and render.
 */
import { AppError, Generic } from '../core/errors.js';
import { counter } from '../core/metrics.js';
import { DAY, HOUR } from '../core/instant.js';
import type { AssetLookup, ModelAspect, ModelAsset } from '../core/model.js';
import { zoneOf } from './buckets.js';
import { TimeseriesErrors } from './errors.js';
import type { ReadQuery } from './params.js';
import { plainRecords, RecordColumns } from './record-columns.js';
import { checkColumns, columnWrite, NUMERIC, type RecordRules, recordJson, renderRecords, validateRecords, type VariableMap,
  variableMap, writeValueCount } from './records.js';
import type { RecordPage, RecordRunVisitor, SeriesKey, SeriesShape, SeriesWrite, StoredRecord, TimeseriesStore } from './store.js';

/**
 * Limits of the multi-entity PUT. Insights Hub's (IoT Time Series API v3: 5 pairs, 100 records, 100 KB) are far
 * below what a plant sends per timestamp; this server's come from the settings (config.ts: 1 MB, 10,000 records,
 * any number of pairs by default).
 */
export interface BatchLimits {
  /** Most pairs; 0 = any number. */
  maxPairs: number;
  maxRecords: number;
}
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxPairs: 0, maxRecords: 10_000 };
/** IoT Time Series API v3, PATCH. */
export const PATCH_MAX_RECORDS = 10;
export const PATCH_BODY_LIMIT = 600 * 1024;

const valuesWritten = counter('ironbridge_timeseries_values_written_total', 'Time series variable values (quality codes included) stored by PUT requests');
const countWritten = (writes: SeriesWrite[]) => {
  let n = 0;
  for (const w of writes) n += writeValueCount(w);
  valuesWritten.inc(n);
};

export interface Resolved {
  key: SeriesKey;
  asset: ModelAsset;
  aspect: ModelAspect;
  vars: VariableMap;
  shape: SeriesShape;
}

export interface ReadResult {
  /** The JSON array of records: text, or its UTF-8 bytes, or those bytes in pieces (RecordPage.pieces). */
  json: string | Buffer | Buffer[];
  /** Query of the next page when more records than the limit matched. */
  next?: ReadQuery;
}

/** The records of one series in a multi-series write. */
export interface SeriesRecords {
  /** The asset (IoT Time Series' entityId). */
  assetId: string;
  /** The asset's dynamic aspect (propertySetName). */
  aspect: string;
  /**
   * Records as IoT Time Series API v3 has them: `[{"_time": ISO-8601, "<variable>": value, "<variable>_qc": int}]`,
   * checked against the aspect's variables. The objects are consumed (checked and normalised in place). The PUT
   * routes give them as RecordColumns (record-reader.ts), which are checked as columns, or as plain records when
   * anything in them is not accepted at once (then with validateRecords' errors).
   */
  records: unknown;
}

/** An item of a multi-series write that was refused: its position in the call, its series, and why. */
export interface SeriesRejection {
  index: number;
  assetId: string;
  aspect: string;
  error: AppError;
}

export class TimeseriesService {
  constructor(private readonly store: TimeseriesStore, private readonly model: AssetLookup,
    private readonly now: () => number = Date.now, private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS) {}

  /** The asset's aspect as the model has it now; a removed asset or aspect hides its series. */
  async resolve(tenant: string, assetId: string, aspectName: string, requireDynamic = true): Promise<Resolved> {
    return this.resolveIn(await this.model.getAsset(tenant, assetId), tenant, assetId, aspectName, requireDynamic);
  }

  /**
   * Resolved series by the model's asset object: the asset model hands out the same (frozen) object until the
   * asset, its type or an aspect type changes in any process, so a series is resolved once per model version.
   */
  private readonly resolved = new WeakMap<ModelAsset, Map<string, Resolved>>();

  private resolveIn(asset: ModelAsset | undefined, tenant: string, assetId: string, aspectName: string,
    requireDynamic: boolean): Resolved {
    if (!asset) throw TimeseriesErrors.assetNotFound({ assetId });
    let byAspect = this.resolved.get(asset);
    const hit = byAspect?.get(aspectName);
    if (hit && hit.key.tenant === tenant && hit.key.assetId === assetId && (!requireDynamic || hit.aspect.category !== 'static')) return hit;
    const aspect = asset.aspects.find((a) => a.name === aspectName);
    if (!aspect) {
      throw TimeseriesErrors.aspectNotFound({ assetId, aspect: aspectName,
        known: asset.aspects.map((a) => a.name).join(', ') || 'none' });
    }
    if (requireDynamic && aspect.category === 'static') throw TimeseriesErrors.staticAspect({ aspect: aspectName });
    const vars = variableMap(aspect.variables);
    const r: Resolved = {
      key: { tenant, assetId, aspect: aspectName }, asset, aspect, vars,
      shape: { zone: zoneOf(asset.timezone), variables: vars },
    };
    // Only frozen assets are the model's shared ones; an unfrozen one may be a caller's own, changed later.
    if (Object.isFrozen(asset) && r.key.assetId === asset.assetId) {
      if (!byAspect) this.resolved.set(asset, byAspect = new Map());
      byAspect.set(aspectName, r);
    }
    return r;
  }

  /**
   * Roll-ups follow the asset's time zone: a series whose roll-ups were aligned to another zone (the asset's
   * zone changed, or the runtime's tz database learned it) is realigned before it is written. Reads never write.
   */
  private async align({ key, shape }: { key: SeriesKey; shape: SeriesShape }): Promise<void> {
    const stored = await this.store.zoneOf(key);
    if (stored !== undefined && stored !== shape.zone.id) await this.store.rebuild(key, shape);
  }

  /** Whether a series' stored roll-ups are aligned to its asset's zone now (or it has none). */
  async rollupsAligned(r: Resolved): Promise<boolean> {
    const stored = await this.store.zoneOf(r.key);
    return stored === undefined || stored === r.shape.zone.id;
  }

  /** PUT of one series, through the one write path: whole records replaced; all or nothing; its own error. */
  async put(tenant: string, assetId: string, aspect: string, body: unknown): Promise<void> {
    const [refused] = await this.writeSeries(tenant, [{ assetId, aspect, records: body }], { partial: true });
    if (refused) throw refused.error;
  }

  /**
   * Writes the records of many (asset, aspect) series of one tenant in one store transaction. Every item is
   * resolved against the asset model and checked before anything is stored; records replace whole records at
   * their timestamps (PUT semantics), and of two records at one timestamp of one series the later in the call
   * wins, across items too.
   *
   * Without `partial`, one bad item refuses the whole call: nothing is stored and the AppError `seriesRejected`
   * (400) names the item (its index, asset and aspect) and quotes its error (which is its `cause`). With
   * `partial`, bad items are returned and the good ones are stored together (the multi-entity PUT's rule).
   * No limit of its own: callers bound what they pass (body sizes, record counts).
   * @returns the refused items, in call order (always empty without `partial`)
   */
  async writeSeries(tenant: string, items: readonly SeriesRecords[], options: { partial?: boolean } = {}): Promise<SeriesRejection[]> {
    const rejected: SeriesRejection[] = [];
    const writes: SeriesWrite[] = [];
    const assets = await this.assetsOf(tenant, items);
    for (let index = 0; index < items.length; index++) {
      const { assetId, aspect, records: body } = items[index]!;
      try {
        const r = this.resolveIn(assets.get(assetId), tenant, assetId, aspect, true);
        if (body instanceof RecordColumns) {
          // read into columns by the route's body reader: checked as they are, or as plain records when not at once
          const checked = checkColumns(body, r.vars);
          if (checked) { writes.push(columnWrite(r.key, r.shape, checked)); continue; }
        }
        const records = validateRecords(body instanceof RecordColumns ? plainRecords(body) : body, r.vars);
        if (records.length > 0) writes.push({ key: r.key, shape: r.shape, records });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        if (!options.partial) {
          const refusal = TimeseriesErrors.seriesRejected({ index, assetId, aspect, reason: err.message });
          refusal.cause = err;
          throw refusal;
        }
        rejected.push({ index, assetId, aspect, error: err });
      }
    }
    // as align() for each, with one look at the store for all of them
    const zones = writes.length > 0 ? await this.store.zonesOf(writes.map((w) => w.key)) : [];
    for (let i = 0; i < writes.length; i++) {
      const stored = zones[i];
      if (stored !== undefined && stored !== writes[i]!.shape.zone.id) await this.store.rebuild(writes[i]!.key, writes[i]!.shape);
    }
    if (writes.length > 0) await this.store.put(writes);
    countWritten(writes);
    return rejected;
  }

  /** The assets the items name, each looked up once, all of them at once where the lookup can. */
  private async assetsOf(tenant: string, items: readonly SeriesRecords[]): Promise<Map<string, ModelAsset | undefined>> {
    const ids = [...new Set(items.map((it) => it.assetId))];
    const found = this.model.getAssets
      ? await this.model.getAssets(tenant, ids)
      : await Promise.all(ids.map((id) => this.model.getAsset(tenant, id)));
    return new Map(ids.map((id, i) => [id, found[i]]));
  }

  /**
   * Multi-entity PUT (`{"timeseries":[{entityId, propertySetName, data}]}`): the envelope and its limits are
   * checked first (400 for the whole request); pairs that fail are reported and skipped, the others are stored
   * together in one transaction.
   */
  async putMany(tenant: string, body: unknown): Promise<SeriesRejection[]> {
    const list = (body && typeof body === 'object' && !Array.isArray(body))
      ? (body as Record<string, unknown>)['timeseries'] : undefined;
    if (!Array.isArray(list)) {
      throw TimeseriesErrors.invalidBatch({ field: 'timeseries', rule: 'is required and must be an array of {entityId, propertySetName, data}' });
    }
    const { maxPairs, maxRecords } = this.limits;
    if (list.length === 0 || (maxPairs > 0 && list.length > maxPairs)) {
      const rule = maxPairs > 0 ? `must hold 1 to ${maxPairs} asset/aspect pairs` : 'must hold at least one asset/aspect pair';
      throw TimeseriesErrors.invalidBatch({ field: 'timeseries', rule: `${rule} (it holds ${list.length})` });
    }
    let total = 0;
    for (const item of list) {
      const data = (item as Record<string, unknown> | null)?.['data'];
      if (Array.isArray(data) || data instanceof RecordColumns) total += data.length;
    }
    if (total > maxRecords) throw TimeseriesErrors.tooManyRecords({ count: total, limit: maxRecords });
    const malformed: SeriesRejection[] = [];
    const items: SeriesRecords[] = [];
    const positions: number[] = [];
    list.forEach((raw, index) => {
      const item = raw as Record<string, unknown> | null;
      const assetId = typeof item?.['entityId'] === 'string' ? item['entityId'] : '';
      const aspect = typeof item?.['propertySetName'] === 'string' ? item['propertySetName'] : '';
      const field = !assetId ? 'entityId' : !aspect ? 'propertySetName' : undefined;
      if (field) {
        const error = TimeseriesErrors.invalidBatch({ field: `timeseries[${index}].${field}`, rule: 'is required and must be a string' });
        malformed.push({ index, assetId, aspect, error });
      } else {
        items.push({ assetId, aspect, records: item!['data'] });
        positions.push(index);
      }
    });
    const refused = (await this.writeSeries(tenant, items, { partial: true }))
      .map((r) => ({ ...r, index: positions[r.index]! }));
    return [...malformed, ...refused].sort((a, b) => a.index - b.index);
  }

  /** Merge (IoT Time Series API v3 PATCH): at most 10 records, none older than 24 h or in the future, no BIG_STRING. */
  async patch(tenant: string, assetId: string, aspect: string, body: unknown): Promise<void> {
    const r = await this.resolve(tenant, assetId, aspect);
    if (Array.isArray(body) && body.length > PATCH_MAX_RECORDS) {
      throw TimeseriesErrors.tooManyRecords({ count: body.length, limit: PATCH_MAX_RECORDS });
    }
    const now = this.now();
    const rules: RecordRules = { forbidden: new Set(['BIG_STRING']), earliest: now - 24 * HOUR, latest: now };
    const records = validateRecords(body, r.vars, rules);
    if (records.length === 0) return;
    await this.align(r);
    await this.store.patch({ key: r.key, shape: r.shape, records }, recordJson);
  }

  /** Deletes from < t <= to. */
  async delete(tenant: string, assetId: string, aspect: string, from: number, to: number): Promise<number> {
    const r = await this.resolve(tenant, assetId, aspect, false);
    await this.align(r);
    return this.store.deleteRange(r.key, r.shape, from, to);
  }

  /** `select` names variables of the aspect. */
  private checkSelect(r: Resolved, select: readonly string[]): void {
    for (const name of select) {
      if (!r.vars.has(name)) {
        throw Generic.invalidParameter({ name: 'select',
          rule: `${name} is not a variable of aspect ${r.aspect.name} (variables: ${[...r.vars.keys()].join(', ')})` });
      }
    }
  }

  async read(tenant: string, assetId: string, aspect: string, q: ReadQuery): Promise<ReadResult> {
    const r = await this.resolve(tenant, assetId, aspect, false);
    const { from, to, limit, select } = q;
    if (select) this.checkSelect(r, select);
    if (q.latestValue) return { json: await this.latestValues(r, select ?? [...r.vars.keys()], from, to) };
    if (from === undefined && to === undefined) {
      const last = await this.store.read(r.key, { limit: 1, desc: true });
      return { json: renderRecords(last, select) };
    }
    const desc = q.sort === 'desc';
    let json: string | Buffer | Buffer[];
    let lastT: number;
    if (select) {
      const rows = await this.store.read(r.key, { from, to, limit: limit + 1, desc });
      if (rows.length <= limit) return { json: renderRecords(rows, select) };
      rows.length = limit;
      lastT = rows[limit - 1]!.t;
      json = renderRecords(rows, select);
    } else {
      // Stored text is returned as it is, as bytes: where they lie in the store's rendered chunks when it can.
      const page = await this.store.readJson(r.key, { from, to, limit: limit + 1, desc });
      const more = page.count > limit;
      if (more) page.truncate(limit);
      json = page.pieces ? page.pieces() : page.bytes();
      if (!more) return { json };
      lastT = page.lastTime();
    }
    // asc resumes after the last record (from is exclusive); desc resumes before it (to is inclusive, ms precision).
    const next: ReadQuery = desc ? { from, to: lastT - 1, limit, sort: 'desc', latestValue: false }
      : { from: lastT, to, limit, sort: 'asc', latestValue: false };
    if (select) next.select = select;
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

  // ---- read by the OData context (issue 14) ----

  /**
   * Assets of a tenant that hold a series of the named aspect (propertySetName), so an OData time series set over a
   * type family reads those instead of every asset of the family. A series may have no records in a given range.
   */
  async assetsWithSeries(tenant: string, aspect: string): Promise<string[]> {
    return this.store.assetsWithAspect(tenant, aspect);
  }

  /**
   * Up to `limit` records with from < t <= to as stored text (each begins {"_time":"<24-char ISO>"), in time order
   * or its reverse: what the REST read joins into its answer, for readers that write their own documents.
   */
  async readTexts(tenant: string, assetId: string, aspect: string, q: { from: number; to: number; limit: number; desc: boolean }): Promise<string[]> {
    const r = await this.resolve(tenant, assetId, aspect, false);
    // the cached rendered chunks of readJson (what the REST read sends), cut into records: a page of 2000 costs a
    // copy and a search instead of rendering every record from the chunk's columns again (issue 14)
    const texts = splitRecords((await this.store.readJson(r.key, q)).bytes());
    return texts ?? this.store.readText(r.key, q);
  }

  /**
   * The records readTexts gives, where they lie in the store's page (RecordPage.runs): each record's bytes and time,
   * no string per record, for a reader that copies them into its own document (the OData time series page).
   */
  async readRuns(tenant: string, assetId: string, aspect: string, q: { from: number; to: number; limit: number; desc: boolean }): Promise<RecordRuns> {
    const r = await this.resolve(tenant, assetId, aspect, false);
    return pageRuns(await this.store.readJson(r.key, q));
  }

  /** Records of an asset's aspect with from < t <= to; an unknown asset or aspect is the read's 404. */
  async count(tenant: string, assetId: string, aspect: string, from: number, to: number): Promise<number> {
    const r = await this.resolve(tenant, assetId, aspect, false);
    return this.store.count(r.key, from, to);
  }

  static isNumeric(r: Resolved, name: string): boolean {
    const v = r.vars.get(name);
    return v !== undefined && NUMERIC.has(v.dataType);
  }
}

/** A page's records as runs (RecordPage.runs), in page order. */
export interface RecordRuns {
  readonly count: number;
  runs(visit: RecordRunVisitor): void;
}

const RECORD_START = Buffer.from(',{"_time":"');

/**
 * The page's own runs, or, for a page without them, runs of one record cut from its bytes() at each `,{"_time":"`
 * (between records only, as splitRecords says), times read from each record's `_time`.
 */
export function pageRuns(page: RecordPage): RecordRuns {
  if (page.runs) return page as RecordRuns;
  const buf = page.bytes();
  const starts: number[] = [];
  if (page.count > 0) {
    for (let s = 1; s !== 0; s = buf.indexOf(RECORD_START, s) + 1) starts.push(s);
  }
  starts.push(buf.length); // after the last record: the `]`, as if a comma
  const offs = Int32Array.from(starts);
  const times = Float64Array.from(starts.slice(0, -1), (s) => Date.parse(buf.toString('latin1', s + 10, s + 34)));
  return { count: times.length, runs: (visit) => { for (let k = 0; k < times.length; k++) visit(buf, offs, times, k, k + 1); } };
}

/**
 * The record texts of a readJson page `[r0,r1,…]`, or undefined when it is not a run of records that each begin
 * `{"_time":"` (then the caller reads the texts themselves). A record is a flat object of scalar members, so
 * `,{"_time":"` occurs only between records: inside a JSON string every `"` is escaped, so `{"` cannot occur in
 * one, nor can a string end right before `_time":"`. The page is decoded once and cut into slices of that text
 * (about 40 % less time than decoding each record's bytes on its own).
 */
export function splitRecords(page: Buffer): string[] | undefined {
  const text = page.toString();
  if (text === '[]') return [];
  if (!text.startsWith('[{"_time":"') || !text.endsWith(']')) return undefined;
  const out: string[] = [];
  let s = 1;
  for (;;) {
    const e = text.indexOf(',{"_time":"', s);
    if (e === -1) break;
    out.push(text.slice(s, e));
    s = e + 1;
  }
  out.push(text.slice(s, -1));
  return out;
}
