/**
 * The MindConnect exchange (MindConnect API v3 `POST /exchange`) and the ingest seam (ingest.ts): a multipart/mixed
 * body of items, each a multipart/related of a meta part (application/vnd.siemens.mindsphere.meta+json) and a data
 * part. standardTimeSeries items carry `[{timestamp, values: [{dataPointId, value, qualityCode}]}]`; their values
 * are typed by the agent's data points, turned through its mappings into records of the mapped assets' aspects
 * (`<variable>` and `<variable>_qc`) and written in one commit through the time series write path. An item that
 * cannot be read or stored refuses the whole batch with a 400 naming the item and the rule. Values of unmapped
 * data points are counted (IngestResult.unmapped) and reported in the agent's diagnostic messages (diagnostics.ts).
 * `file` items (details {fileName, creationDate, fileType}, an application/octet-stream part) become IoT files of the
 * agent's asset through AgentFileSink, checked before the time series commit and written after it.
 */
import { AgentErrors } from './errors.js';
import type { AgentFileSink, AgentPrincipal, AgentIngest, DataPointBatch, IngestResult } from './ingest.js';
import { boundaryOf, MultipartError, parseMultipart } from './multipart.js';
import { dataPointsOf, type DataPoint } from './configuration.js';
import type { AgentService } from './service.js';
import type { AgentStore } from './store.js';
import type { OnboardingService } from './onboarding.js';
import type { DiagnosticsService } from './diagnostics.js';
import { randomUUID } from 'node:crypto';
import type { TokenVerifier } from '../core/auth.js';
import type { AssetLookup } from '../core/model.js';
import { AppError } from '../core/errors.js';
import type { TimeseriesWriter } from '../timeseries/index.js';

const META = 'application/vnd.siemens.mindsphere.meta+json';
/** The online status needs the last exchange to a few seconds, far below the ONLINE window. */
const LAST_SEEN_STEP_MS = 5000;
/** How old a listing of a tenant's agents may be to answer which agent an external broker's client id is. */
const CLIENT_IDS_MS = 1000;

export interface ExchangeOptions {
  store: AgentStore;
  agents: AgentService;
  onboarding: OnboardingService;
  verifier: TokenVerifier;
  writer: TimeseriesWriter;
  assets: AssetLookup;
  diagnostics: DiagnosticsService;
  files?: AgentFileSink;
  now: () => number;
}

/** A file item of an exchange body. */
export interface ExchangeFile {
  item: string;
  fileName: string;
  fileType: string;
  creationDate?: string;
  content: Buffer;
}

/** What an exchange body carries: time series batches (all items, in order) and files. */
export interface ExchangeItems {
  batches: DataPointBatch[];
  files: ExchangeFile[];
}

function json(text: string, item: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, 'latin1').toString('utf8'));
  } catch (err) {
    throw AgentErrors.badItem(item, `is not valid JSON (${(err as Error).message})`);
  }
}

/** The items of an exchange body; a malformed body or item is a 400 naming it. */
export function readExchange(body: Buffer, contentType: string): ExchangeItems {
  if (!/^multipart\/mixed\b/i.test(contentType)) throw AgentErrors.mediaType(contentType.slice(0, 100) || 'none');
  const boundary = boundaryOf(contentType);
  if (!boundary) throw AgentErrors.malformed('the multipart/mixed Content-Type has no boundary');
  let items;
  try {
    items = parseMultipart(body.toString('latin1'), boundary);
  } catch (err) {
    if (err instanceof MultipartError) throw AgentErrors.malformed(`the multipart/mixed body is malformed: ${err.message}`);
    throw err;
  }
  if (items.length === 0) throw AgentErrors.malformed('the multipart/mixed body has no items');
  const batches: DataPointBatch[] = [];
  const files: ExchangeFile[] = [];
  items.forEach((outer, i) => {
    const item = `item ${i}`;
    const inner = boundaryOf(outer.headers['content-type'] ?? '');
    if (!/^multipart\/related\b/i.test(outer.headers['content-type'] ?? '') || !inner) {
      throw AgentErrors.badItem(item, 'must be multipart/related with a boundary');
    }
    let parts;
    try {
      parts = parseMultipart(outer.body, inner);
    } catch (err) {
      if (err instanceof MultipartError) throw AgentErrors.badItem(item, `is malformed: ${err.message}`);
      throw err;
    }
    const metaPart = parts.find((p) => (p.headers['content-type'] ?? '').toLowerCase().startsWith(META));
    const dataPart = parts.find((p) => p !== metaPart);
    if (!metaPart || !dataPart) throw AgentErrors.badItem(item, `needs a ${META} part and a data part`);
    const meta = json(metaPart.body, `${item} meta`) as { type?: unknown; payload?: { type?: unknown; details?: unknown } } | null;
    const type = meta?.payload?.type;
    if (meta?.type !== 'item' || typeof type !== 'string') throw AgentErrors.badItem(`${item} meta`, 'must be {"type":"item","payload":{"type":…}}');
    if (type === 'file') {
      files.push(fileItem(item, meta.payload?.details, Buffer.from(dataPart.body, 'latin1')));
      return;
    }
    if (type !== 'standardTimeSeries') throw AgentErrors.badItem(`${item} meta.payload.type`, `"${type}" is not supported; use standardTimeSeries or file`);
    const data = json(dataPart.body, `${item} data`);
    if (!Array.isArray(data)) throw AgentErrors.badItem(`${item} data`, 'must be an array of {timestamp, values}');
    data.forEach((entry: unknown, j: number) => {
      const at = `${item} data[${j}]`;
      const e = entry as { timestamp?: unknown; values?: unknown } | null;
      if (typeof e?.timestamp !== 'string' || Number.isNaN(Date.parse(e.timestamp))) throw AgentErrors.badItem(`${at}.timestamp`, 'must be an ISO 8601 date-time');
      if (!Array.isArray(e.values)) throw AgentErrors.badItem(`${at}.values`, 'must be an array');
      batches.push({ timestamp: e.timestamp, values: e.values.map((v: unknown, k: number) => {
        const x = v as { dataPointId?: unknown; value?: unknown; qualityCode?: unknown } | null;
        if (typeof x?.dataPointId !== 'string') throw AgentErrors.badItem(`${at}.values[${k}].dataPointId`, 'must be a string');
        if (x.value === undefined || x.value === null || typeof x.value === 'object') throw AgentErrors.badItem(`${at}.values[${k}].value`, 'must be a string');
        return { dataPointId: x.dataPointId, value: String(x.value), ...(x.qualityCode !== undefined ? { qualityCode: String(x.qualityCode) } : {}) };
      }) });
    });
  });
  return { batches, files };
}

function fileItem(item: string, details: unknown, content: Buffer): ExchangeFile {
  const d = (details ?? {}) as { fileName?: unknown; fileType?: unknown; creationDate?: unknown };
  if (typeof d.fileName !== 'string' || d.fileName === '') throw AgentErrors.badItem(`${item} meta.payload.details.fileName`, 'must be a non-empty string');
  if (d.fileType !== undefined && typeof d.fileType !== 'string') throw AgentErrors.badItem(`${item} meta.payload.details.fileType`, 'must be a string');
  if (d.creationDate !== undefined && (typeof d.creationDate !== 'string' || Number.isNaN(Date.parse(d.creationDate)))) {
    throw AgentErrors.badItem(`${item} meta.payload.details.creationDate`, 'must be an ISO 8601 date-time');
  }
  return { item, fileName: d.fileName, fileType: (d.fileType as string | undefined) || 'application/octet-stream',
    ...(d.creationDate !== undefined ? { creationDate: new Date(d.creationDate as string).toISOString() } : {}), content };
}

/** A value typed as its data point's type; undefined when it is not of that type. */
function typed(dp: DataPoint, raw: string): unknown {
  switch (dp.type) {
    case 'INT': case 'LONG': return /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : undefined;
    case 'DOUBLE': { const n = Number(raw); return raw.trim() !== '' && Number.isFinite(n) ? n : undefined; }
    case 'BOOLEAN': return /^true$/i.test(raw) ? true : /^false$/i.test(raw) ? false : undefined;
    case 'TIMESTAMP': return Number.isNaN(Date.parse(raw)) ? undefined : new Date(raw).toISOString();
    default: return raw;
  }
}

/** The records of one (asset, aspect) series of a write, and the record of the batch being read. */
interface SeriesAcc {
  assetId: string;
  aspect: string;
  records: Map<string, Record<string, unknown>>;
  batch: number;
  current: Record<string, unknown> | undefined;
}

/** Where a data point's value goes: a variable of a series, with its quality code variable when it keeps one. */
interface Target {
  series: SeriesAcc;
  property: string;
  qc: string | undefined;
}

export class ExchangeService implements AgentIngest {
  constructor(private readonly o: ExchangeOptions) {}

  async authenticate(accessToken: string): Promise<AgentPrincipal | null> {
    try {
      return await this.o.onboarding.principalOf(await this.o.verifier.verify(accessToken));
    } catch {
      return null;
    }
  }

  /**
   * The onboarded agents of a tenant by client id, read with one listing per tenant: a found agent is taken from a
   * listing up to CLIENT_IDS_MS old (an offboarded agent's messages stop within that time); one not found is looked
   * up in a listing taken after the question was asked (shared by the questions of one turn of the event loop), so
   * a newly onboarded agent is never refused.
   */
  private readonly clientIds = new Map<string, { at: number; turn: number; agents: Promise<Map<string, AgentPrincipal>> }>();
  private turn = 0;
  private turnEnds = false;

  private listing(tenant: string, fresh: boolean): Promise<Map<string, AgentPrincipal>> {
    if (!this.turnEnds) {
      this.turnEnds = true;
      setImmediate(() => { this.turn++; this.turnEnds = false; });
    }
    const now = this.o.now();
    const c = this.clientIds.get(tenant);
    if (c && (fresh ? c.turn === this.turn : now - c.at < CLIENT_IDS_MS)) return c.agents;
    const agents = this.o.store.list(tenant).then((list) => new Map(list.filter((a) => a.boarding === 'ONBOARDED')
      .map((a) => [`${a.tenant}_${a.name}`, { tenant: a.tenant, agentId: a.id, clientId: `${a.tenant}_${a.name}` }])));
    if (this.clientIds.size > 1000) this.clientIds.clear();
    this.clientIds.set(tenant, { at: now, turn: this.turn, agents });
    agents.catch(() => this.clientIds.delete(tenant));
    return agents;
  }

  async agentOfClientId(tenant: string, clientId: string): Promise<AgentPrincipal | null> {
    if (!clientId.startsWith(`${tenant}_`)) return null;
    return (await this.listing(tenant, false)).get(clientId) ?? (await this.listing(tenant, true)).get(clientId) ?? null;
  }

  issueToken(clientAssertion: string) {
    return this.o.onboarding.issueToken(clientAssertion);
  }

  /** One exchange: file names checked first, then the time series commit, then the files. */
  async exchange(agent: AgentPrincipal, items: ExchangeItems): Promise<IngestResult & { files: number }> {
    for (const f of items.files) {
      if (!this.o.files) throw AgentErrors.badItem(f.item, 'file items are not accepted by this server');
      const broken = this.o.files.check(f.fileName);
      if (broken) throw AgentErrors.badItem(`${f.item} meta.payload.details.fileName`, broken);
    }
    const result = await this.writeTimeseries(agent, items.batches);
    for (const f of items.files) await this.o.files!.putAgentFile(agent, f);
    return { ...result, files: items.files.length };
  }

  async writeTimeseries(agent: AgentPrincipal, batches: readonly DataPointBatch[]): Promise<IngestResult> {
    const a = await this.o.agents.get(agent.tenant, agent.agentId);
    const points = dataPointsOf(a);
    const mappings = await this.o.store.listMappings(agent.tenant, a.id);
    // Quality codes go only to variables that keep them (a _qc of another is refused by the time series checks).
    const withQc = new Set<string>();
    for (const id of new Set(mappings.map((m) => m.entityId))) {
      for (const aspect of (await this.o.assets.getAsset(agent.tenant, id))?.aspects ?? []) {
        for (const v of aspect.variables) if (v.qualityCode) withQc.add(`${id}\u0000${aspect.name}\u0000${v.name}`);
      }
    }
    // The plan of this call, built once from the mappings (the loop below runs per value and allocates no keys):
    // one record per (asset, aspect, timestamp); records of one series in arrival order.
    const series = new Map<string, SeriesAcc>();
    const plan = new Map<string, { dp: DataPoint; targets: Target[] }>();
    for (const m of mappings) {
      const dp = points.get(m.dataPointId);
      if (!dp) continue;
      const key = `${m.entityId}\u0000${m.propertySetName}`;
      let acc = series.get(key);
      if (!acc) series.set(key, acc = { assetId: m.entityId, aspect: m.propertySetName, records: new Map(), batch: -1, current: undefined });
      let p = plan.get(m.dataPointId);
      if (!p) plan.set(m.dataPointId, p = { dp, targets: [] });
      p.targets.push({ series: acc, property: m.propertyName, qc: withQc.has(`${key}\u0000${m.propertyName}`) ? `${m.propertyName}_qc` : undefined });
    }
    let unmapped = 0;
    const unmappedPoints = new Map<string, number>();
    const byBatch: { records: number; unmapped: number }[] = [];
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const time = new Date(b.timestamp).toISOString();
      const counts = { records: 0, unmapped: 0 };
      byBatch.push(counts);
      for (let k = 0; k < b.values.length; k++) {
        const v = b.values[k]!;
        const p = plan.get(v.dataPointId);
        if (!p) {
          unmapped++;
          counts.unmapped++;
          unmappedPoints.set(v.dataPointId, (unmappedPoints.get(v.dataPointId) ?? 0) + 1);
          continue;
        }
        const value = typed(p.dp, v.value);
        if (value === undefined) throw AgentErrors.badItem(`batch ${i} values[${k}]`, `"${v.value}" is no ${p.dp.type} (data point ${p.dp.id})`);
        if (v.qualityCode !== undefined && !/^\d{1,10}$/.test(v.qualityCode)) {
          throw AgentErrors.badItem(`batch ${i} values[${k}].qualityCode`, 'must be a non-negative integer');
        }
        for (const t of p.targets) {
          const acc = t.series;
          let r = acc.current;
          if (acc.batch !== i) {
            acc.batch = i;
            counts.records++;
            r = acc.records.get(time);
            if (!r) acc.records.set(time, r = { _time: time });
            acc.current = r;
          }
          r![t.property] = value;
          if (t.qc !== undefined && v.qualityCode !== undefined) r![t.qc] = Number(v.qualityCode);
        }
      }
    }
    const items = [];
    let records = 0;
    for (const acc of series.values()) {
      if (acc.records.size === 0) continue;
      items.push({ assetId: acc.assetId, aspect: acc.aspect, records: [...acc.records.values()] });
      records += acc.records.size;
    }
    if (items.length > 0) {
      try {
        await this.o.writer.writeSeries(agent.tenant, items);
      } catch (err) {
        if (err instanceof AppError && err.status === 400) throw AgentErrors.badItem('batch', err.message);
        throw err;
      }
    }
    const correlationId = randomUUID();
    await this.o.diagnostics.report(agent.tenant, a.id, [...unmappedPoints].map(([id, count]) => ({
      correlationId, severity: 'WARN' as const, source: 'exchange', state: 'DROPPED' as const,
      message: `data point ${id} ${points.has(id) ? 'has no mapping' : 'is not in the data source configuration'}; ${count} value(s) were not stored`,
    })));
    // Seen: at most one agent write per LAST_SEEN_STEP_MS, not one per exchange.
    const now = this.o.now();
    if (a.lastSeen === null || now - a.lastSeen >= LAST_SEEN_STEP_MS) await this.seen(a.tenant, a.id, now);
    return { records, unmapped, byBatch };
  }

  private seenQueue = new Map<string, { tenant: string; id: string; at: number }>();
  private seenFlush: Promise<void> | undefined;

  /**
   * Records that an agent was seen: the agents seen in one turn of the event loop are written in one commit (the
   * MQTT batcher writes every agent in the same turn, so 100 agents cost one commit per LAST_SEEN_STEP_MS, not 100).
   * Resolves once it is stored; a failure is not the message's (the online status is best effort).
   */
  private seen(tenant: string, id: string, at: number): Promise<void> {
    this.seenQueue.set(`${tenant}\u0000${id}`, { tenant, id, at });
    this.seenFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const list = [...this.seenQueue.values()];
      this.seenQueue.clear();
      this.seenFlush = undefined;
      return this.o.store.touch(list);
    }).catch(() => undefined);
    return this.seenFlush;
  }
}
