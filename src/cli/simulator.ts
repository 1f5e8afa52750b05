/**
 * The machine simulator's reusable parts, shared by `ironbridge agent simulate` (simulate.ts) and bench/ingest:
 * provisioning a simulated machine over the public APIs (an aspect type of sensor-like variables, its asset type,
 * the asset, its SHARED_SECRET agent; onboarding, the HS256 client assertion and agent token, the data source
 * configuration and one mapping per data point, as the MindConnect Node.js SDK does them: Agent Management API v3,
 * MindConnect API v3), the sensor values (sine + noise temperature, counter, pressure, running), the two wire forms
 * of a batch (the exchange body byte for byte as the SDK's BulkPostData writes it; the MindConnect MQTT time series
 * payload on `tc/{tenant}/{clientId}/o/mc_v3/ts`) and the pacing loop on an injectable clock.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { connectAsync, type MqttClient } from 'mqtt';

// ---------------------------------------------------------------- sensors and values

export interface SensorVariable { name: string; dataType: 'DOUBLE' | 'LONG' | 'BOOLEAN'; unit: string; qualityCode: boolean }
export interface Value { dataPointId: string; value: string; qualityCode: string }
export interface Entry { timestamp: string; values: Value[] }

const KINDS: readonly Omit<SensorVariable, 'name'>[] = [
  { dataType: 'DOUBLE', unit: 'C', qualityCode: true },
  { dataType: 'LONG', unit: '', qualityCode: false },
  { dataType: 'DOUBLE', unit: 'bar', qualityCode: false },
  { dataType: 'BOOLEAN', unit: '', qualityCode: false },
];
const KIND_NAMES = ['temperature', 'counter', 'pressure', 'running'];
export const MAX_POINTS = 100;
/** The most messages per second of one agent: one timestamp per millisecond at most, so none overwrites another. */
export const MAX_RATE = 1000;

/** K variables: temperature, counter, pressure, running, then temperature2, counter2, … */
export function sensorVariables(points: number): SensorVariable[] {
  return Array.from({ length: points }, (_, k) => {
    const round = Math.floor(k / KIND_NAMES.length);
    return { name: `${KIND_NAMES[k % KIND_NAMES.length]}${round === 0 ? '' : round + 1}`, ...KINDS[k % KINDS.length]! };
  });
}

export const dataPointId = (variable: string) => `DP-${variable}`;

/** A small deterministic noise in [-1, 1) from a seed and two counters (mulberry32's mixing). */
function noise(seed: number, i: number, k: number): number {
  let t = (seed ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The values of message `i` at `timeMs`: deterministic per seed, so a reader can recompute them. */
export function sample(seed: number, i: number, timeMs: number, variables: readonly SensorVariable[]): Value[] {
  return variables.map((v, k) => {
    const kind = k % KIND_NAMES.length;
    const phase = ((seed % 360) + k * 7) * (Math.PI / 180);
    let value: string;
    if (kind === 0) value = String(round3(60 + 15 * Math.sin((2 * Math.PI * timeMs) / 60_000 + phase) + 0.5 * noise(seed, i, k)));
    else if (kind === 1) value = String(i);
    else if (kind === 2) value = String(round3(5 + 0.5 * Math.sin((2 * Math.PI * timeMs) / 300_000 + phase) + 0.05 * noise(seed, i, k)));
    else value = String(Math.floor(timeMs / 60_000) % 10 !== 9);
    return { dataPointId: dataPointId(v.name), value, qualityCode: '0' };
  });
}

// ---------------------------------------------------------------- wire forms

export const EXCHANGE_CONTENT_TYPE = 'multipart/mixed; boundary=mindspheremessage';

/** The exchange body of a batch exactly as the MindConnect Node.js SDK's BulkPostData writes it (bare \n, then \r\n). */
export function exchangeBody(configurationId: string, entries: readonly Entry[]): string {
  const meta = JSON.stringify({ type: 'item', version: '1.0', payload: { type: 'standardTimeSeries', version: '1.0', details: { configurationId } } }, null, 4);
  return '--mindspheremessage\nContent-Type:multipart/related;boundary=mindspherepart\n\n'
    + `--mindspherepart\nContent-Type:application/vnd.siemens.mindsphere.meta+json\n\n${meta}\n\n`
    + `--mindspherepart\nContent-Type:application/json\n\n${JSON.stringify(entries)}\n\n\r\n`
    + '--mindspherepart--\n--mindspheremessage--\n';
}

/** The MindConnect MQTT time series topic and client id of an agent. */
export const mqttClientId = (tenant: string, agentName: string) => `${tenant}_${agentName}`;
export const mqttTopic = (tenant: string, clientId: string) => `tc/${tenant}/${clientId}/o/mc_v3/ts`;
/** The MindConnect MQTT time series payload of a batch. */
export const mqttPayload = (entries: readonly Entry[]) => JSON.stringify({ timeseries: entries });

// ---------------------------------------------------------------- the platform over HTTP

/** Where the admin calls go and the bearer token they carry (a binding key's token, or a test's). */
export interface AdminApi { baseUrl: string; token(): Promise<string> }

export class SimulatorError extends Error {}

async function call(baseUrl: string, token: string | null, method: string, path: string, body?: unknown,
  headers: Record<string, string> = {}, ok: number[] = []): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const h: Record<string, string> = { ...headers };
  if (token) h['authorization'] = `Bearer ${token}`;
  let payload: string | undefined;
  if (body instanceof URLSearchParams) {
    h['content-type'] = 'application/x-www-form-urlencoded';
    payload = body.toString();
  } else if (body !== undefined) {
    h['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers: h, ...(payload === undefined ? {} : { body: payload }) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
  if (res.status >= 300 && !ok.includes(res.status)) {
    throw new SimulatorError(`${method} ${path}: ${res.status} ${typeof parsed === 'string' ? parsed.slice(0, 300) : JSON.stringify(parsed).slice(0, 300)}`);
  }
  return { status: res.status, body: parsed };
}

export interface SimAgent {
  tenant: string;
  name: string;
  /** The agent id, which is its asset's id. */
  id: string;
  /** The aspect its values land in. */
  aspect: string;
  clientId: string;
  /** The agent's base URL (its boarding configuration's content.baseUrl). */
  baseUrl: string;
  configurationId: string;
  variables: SensorVariable[];
  /** A live agent token (renewed five minutes before it expires). */
  token(): Promise<string>;
}

export interface ProvisionOptions {
  name: string;
  points: number;
  /** Existing asset ids by name, to skip a lookup per agent (the bench provisions many). */
  parentId?: string;
}

export const ASPECT = 'Sensors';

/** The aspect type and asset type of K-variable machines (created when missing); returns the asset type id. */
export async function ensureTypes(api: AdminApi, tenant: string, points: number): Promise<string> {
  const token = await api.token();
  const aspectTypeId = `${tenant}.SimSensors${points}`;
  const assetTypeId = `${tenant}.SimMachine${points}`;
  const variables = sensorVariables(points).map((v) => ({ ...v, searchable: false }));
  await call(api.baseUrl, token, 'PUT', `/api/assetmanagement/v3/aspecttypes/${aspectTypeId}`, { name: `SimSensors${points}`, category: 'dynamic',
    scope: 'private', description: `simulated machine sensors (${points} variables)`, variables }, { 'if-none-match': '*' }, [409, 412]);
  await call(api.baseUrl, token, 'PUT', `/api/assetmanagement/v3/assettypes/${assetTypeId}`, { name: `SimMachine${points}`, parentTypeId: 'core.basicasset',
    description: 'simulated machine', aspects: [{ name: ASPECT, aspectTypeId }] }, { 'if-none-match': '*' }, [409, 412]);
  return assetTypeId;
}

/** The tenant of the admin token (from the root asset) and the root asset's id. */
export async function tenantOf(api: AdminApi): Promise<{ tenant: string; rootId: string }> {
  const root = (await call(api.baseUrl, await api.token(), 'GET', '/api/assetmanagement/v3/assets/root')).body as { tenantId: string; assetId: string };
  return { tenant: root.tenantId, rootId: root.assetId };
}

/**
 * The simulated machine `name`: its asset and SHARED_SECRET agent (created when missing), onboarded afresh (an
 * onboarded agent is offboarded first: its old credentials stop), with its data source configuration and mappings.
 */
export async function provisionAgent(api: AdminApi, o: ProvisionOptions): Promise<SimAgent> {
  const { tenant, rootId } = await tenantOf(api);
  const assetTypeId = await ensureTypes(api, tenant, o.points);
  const admin = await api.token();
  const q = (f: unknown) => encodeURIComponent(JSON.stringify(f));
  const agents = (await call(api.baseUrl, admin, 'GET', `/api/agentmanagement/v3/agents?filter=${q({ name: o.name })}&size=10`)).body as { content: { id: string; name: string }[] };
  let agentId = agents.content.find((a) => a.name === o.name)?.id;
  if (!agentId) {
    const found = (await call(api.baseUrl, admin, 'GET', `/api/assetmanagement/v3/assets?filter=${q({ name: o.name, typeId: assetTypeId })}&size=10`)).body as
      { _embedded?: { assets?: { assetId: string; name: string }[] } };
    let assetId = found._embedded?.assets?.find((a) => a.name === o.name)?.assetId;
    if (!assetId) {
      assetId = ((await call(api.baseUrl, admin, 'POST', '/api/assetmanagement/v3/assets', { name: o.name, typeId: assetTypeId,
        parentId: o.parentId ?? rootId, description: 'simulated machine (ironbridge agent simulate)' })).body as { assetId: string }).assetId;
    }
    agentId = ((await call(api.baseUrl, admin, 'POST', '/api/agentmanagement/v3/agents', { name: o.name, entityId: assetId, securityProfile: 'SHARED_SECRET' })).body as { id: string }).id;
  }
  const asset = (await call(api.baseUrl, admin, 'GET', `/api/assetmanagement/v3/assets/${agentId}`)).body as { typeId: string };
  if (asset.typeId !== assetTypeId) {
    throw new SimulatorError(`agent ${o.name} sends for asset ${agentId} of type ${asset.typeId}, not ${assetTypeId}; `
      + `pick another --agent name or --points ${asset.typeId.replace(/^.*SimMachine/, '')}`);
  }
  const status = (await call(api.baseUrl, admin, 'GET', `/api/agentmanagement/v3/agents/${agentId}/boarding/status`)).body as { status: string };
  if (status.status === 'ONBOARDED') await call(api.baseUrl, admin, 'POST', `/api/agentmanagement/v3/agents/${agentId}/boarding/offboard`);
  const boarding = (await call(api.baseUrl, admin, 'GET', `/api/agentmanagement/v3/agents/${agentId}/boarding/configuration`)).body as
    { content: { baseUrl: string; iat: string; clientId: string; tenant: string } };
  const { baseUrl, iat, clientId } = boarding.content;
  const reg = (await call(baseUrl, iat, 'POST', '/api/agentmanagement/v3/register', {})).body as { client_id: string; client_secret: string };
  const variables = sensorVariables(o.points);
  let cached: { token: string; until: number } | undefined;
  const token = async (): Promise<string> => {
    if (cached && Date.now() < cached.until) return cached.token;
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ schemas: ['urn:siemens:mindsphere:v1'], ten: tenant })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(reg.client_id).setSubject(reg.client_id).setAudience(['southgate'])
      .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 3600).setJti(randomUUID())
      .sign(new TextEncoder().encode(reg.client_secret));
    const t = (await call(baseUrl, null, 'POST', '/api/agentmanagement/v3/oauth/token', new URLSearchParams({ grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }))).body as { access_token: string; expires_in: number };
    cached = { token: t.access_token, until: Date.now() + Math.max(60, t.expires_in - 300) * 1000 };
    return t.access_token;
  };
  const agentToken = await token();
  const configurationId = `CF-${assetTypeId}`.slice(0, 128);
  const path = `/api/agentmanagement/v3/agents/${clientId}/dataSourceConfiguration`;
  const current = (await call(baseUrl, agentToken, 'GET', path)).body as { eTag: string };
  await call(baseUrl, agentToken, 'PUT', path, { configurationId, dataSources: [{ name: `DS-${ASPECT}`, description: '', customData: { aspect: ASPECT },
    dataPoints: variables.map((v) => ({ id: dataPointId(v.name), name: v.name, description: '', unit: v.unit, type: v.dataType, customData: { variable: v.name } })) }] },
  { 'if-match': current.eTag });
  for (const v of variables) {
    await call(baseUrl, agentToken, 'POST', '/api/mindconnect/v3/dataPointMappings', { agentId: clientId, dataPointId: dataPointId(v.name), entityId: agentId,
      propertySetName: ASPECT, propertyName: v.name, keepMapping: true }, {}, [409]);
  }
  return { tenant, name: o.name, id: agentId, aspect: ASPECT, clientId: mqttClientId(tenant, o.name), baseUrl, configurationId, variables, token };
}

/** Sends one batch over the MindConnect exchange with the agent's token; resolves when it is acknowledged (2xx). */
export async function postExchange(agent: SimAgent, entries: readonly Entry[]): Promise<void> {
  const res = await fetch(`${agent.baseUrl}/api/mindconnect/v3/exchange`, { method: 'POST', body: exchangeBody(agent.configurationId, entries),
    headers: { authorization: `Bearer ${await agent.token()}`, 'content-type': EXCHANGE_CONTENT_TYPE } });
  const text = await res.text();
  if (res.status >= 300) throw new SimulatorError(`exchange: ${res.status} ${text.slice(0, 300)}`);
}

/**
 * A publisher of the agent's messages to an MQTT broker (mqtt.js, MQTT 3.1.1): client id `{tenant}_{agent}`, the
 * agent token as the password, one QoS 1 message per timestamp; a batch is acknowledged when every PUBACK is in.
 */
export async function mqttSender(agent: SimAgent, brokerUrl: string): Promise<{ send: Sender; close(): Promise<void> }> {
  let client: MqttClient;
  try {
    client = await connectAsync(brokerUrl, { clientId: agent.clientId, username: agent.clientId, password: await agent.token(),
      protocolVersion: 4, clean: true, reconnectPeriod: 1000, connectTimeout: 10_000 });
  } catch (err) {
    throw new SimulatorError(`MQTT broker ${brokerUrl}: ${(err as Error).message}`);
  }
  const topic = mqttTopic(agent.tenant, agent.clientId);
  return {
    async send(entries) {
      // A reconnect after the token expired presents the current one.
      client.options.password = await agent.token();
      await Promise.all(entries.map((e) => client.publishAsync(topic, mqttPayload([e]), { qos: 1 })));
    },
    close: () => client.endAsync(),
  };
}

// ---------------------------------------------------------------- pacing

/** The simulator's clock: real time by default, a test's hand-moved clock otherwise. */
export interface SimClock { now(): number; sleep(ms: number): Promise<void> }
export const realClock: SimClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Sends a batch; resolves when it is acknowledged, rejects when it is not. */
export type Sender = (entries: Entry[]) => Promise<void>;

export interface RunOptions {
  rate: number;
  /** Seconds; undefined runs until `signal` aborts. */
  duration?: number;
  seed: number;
  variables: readonly SensorVariable[];
  send: Sender;
  clock?: SimClock;
  /** The most messages per batch when sending falls behind (default 500). */
  maxBatch?: number;
  signal?: AbortSignal;
  /** Called after each batch, acknowledged or not. */
  onBatch?: (stats: RunStats) => void;
}

export interface RunStats {
  /** Messages (one timestamp each) and data points acknowledged, and messages refused or lost on the way. */
  messages: number;
  points: number;
  failed: number;
  batches: number;
  /** Acknowledged batches. */
  acknowledged: number;
  /** Milliseconds from sending to acknowledgement of acknowledged batches (a uniform sample of at most 50,000). */
  latencies: number[];
  elapsedMs: number;
  /** First and last message time, ISO 8601 (the range to read back). */
  first?: string;
  last?: string;
  lastError?: string;
}

/** Latencies kept per run: a uniform sample (reservoir) once there are more, so a long run's memory stays bounded. */
const LATENCIES_KEPT = 50_000;
function keep(stats: RunStats, ms: number): void {
  stats.acknowledged++;
  if (stats.latencies.length < LATENCIES_KEPT) stats.latencies.push(ms);
  else {
    const j = Math.floor(Math.random() * stats.acknowledged);
    if (j < LATENCIES_KEPT) stats.latencies[j] = ms;
  }
}

/**
 * Sends message i (timestamp t0 + ⌊i·1000/rate⌋ ms) once it is due; when sending falls behind, the messages due are
 * sent together (up to maxBatch). One batch in flight, as a device does. Ends after rate·duration messages.
 */
export async function runSimulation(o: RunOptions): Promise<RunStats> {
  const clock = o.clock ?? realClock;
  const maxBatch = o.maxBatch ?? 500;
  const t0 = clock.now();
  const total = o.duration === undefined ? Infinity : Math.floor(o.rate * o.duration);
  const stats: RunStats = { messages: 0, points: 0, failed: 0, batches: 0, acknowledged: 0, latencies: [], elapsedMs: 0 };
  const timeOf = (i: number) => t0 + Math.floor((i * 1000) / o.rate);
  let i = 0;
  while (i < total && !o.signal?.aborted) {
    const now = clock.now();
    const due = Math.min(total, Math.floor(((now - t0) * o.rate) / 1000) + 1);
    if (due <= i) {
      await clock.sleep(Math.max(1, timeOf(i) - now));
      continue;
    }
    const n = Math.min(due - i, maxBatch);
    const entries: Entry[] = [];
    for (let j = i; j < i + n; j++) {
      const t = timeOf(j);
      entries.push({ timestamp: new Date(t).toISOString(), values: sample(o.seed, j, t, o.variables) });
    }
    const sentAt = performance.now();
    try {
      await o.send(entries);
      keep(stats, performance.now() - sentAt);
      stats.messages += n;
      stats.points += n * o.variables.length;
      stats.first ??= entries[0]!.timestamp;
      stats.last = entries[n - 1]!.timestamp;
    } catch (err) {
      stats.failed += n;
      stats.lastError = (err as Error).message;
    }
    stats.batches++;
    i += n;
    stats.elapsedMs = clock.now() - t0;
    o.onBatch?.(stats);
  }
  // A bounded run lasts its duration: the last message's slot ends then.
  if (o.duration !== undefined && !o.signal?.aborted) {
    const left = t0 + o.duration * 1000 - clock.now();
    if (left > 0) await clock.sleep(left);
  }
  stats.elapsedMs = clock.now() - t0;
  return stats;
}

/** The p-th percentile (0..100) of values, 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
