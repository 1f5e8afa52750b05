/**
 * Shared helpers of the MQTT tests: an agent onboarded over the HTTP API as an Insights Hub agent is (asset, agent
 * with a shared secret, register, data source configuration, mappings, a client assertion and its token), mqtt.js
 * connections, and waiting for a message on a topic.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import mqtt, { type MqttClient } from 'mqtt';
import type { TestServer } from '../helpers/server.js';
import { json, makeAsset, TS } from '../timeseries/helpers.js';

export const AGM = '/api/agentmanagement/v3';
export const MC = '/api/mindconnect/v3';
export const ASPECT = 'Mqtt';
export const VARIABLES = [{ name: 'temperature', dataType: 'DOUBLE', unit: 'C', qualityCode: true }, { name: 'count', dataType: 'INT', unit: '' }];
export const CONFIG = { configurationId: 'CF1', dataSources: [{ name: 'DS1', dataPoints: [
  { id: 'DP-T', name: 'T', type: 'DOUBLE', unit: 'C' }, { id: 'DP-N', name: 'N', type: 'INT', unit: '' }, { id: 'DP-U', name: 'U', type: 'INT', unit: '' }] }] };

/** What the helpers need of a server: its URL, tenant and an authorised fetch (a TestServer, or a child server's). */
export type ApiServer = Pick<TestServer, 'url' | 'tenant' | 'api'>;

export interface Agent {
  id: string;
  name: string;
  clientId: string;
  secret: string;
  token: string;
  /** A fresh client assertion (HS256 with the shared secret). */
  assertion(): Promise<string>;
}

async function must(s: ApiServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token?: string | null) {
  const res = await s.api(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(token !== undefined ? { token } : {}) });
  const b = await json(res);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(b)}`);
  return b;
}

export async function agentToken(s: ApiServer, assertion: string): Promise<string> {
  const res = await fetch(`${s.url}${AGM}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion }).toString() });
  const body = await json(res);
  if (res.status !== 200) throw new Error(`agent token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

/** An onboarded SHARED_SECRET agent of a new asset, its data points DP-T (temperature) and DP-N (count) mapped; DP-U unmapped. */
export async function onboardAgent(s: ApiServer, name: string): Promise<Agent> {
  const id = await makeAsset(s as TestServer, `Asset-${name}`, { aspect: ASPECT, variables: VARIABLES });
  await must(s, 'POST', `${AGM}/agents`, { name, entityId: id, securityProfile: 'SHARED_SECRET' });
  const iat = (await must(s, 'GET', `${AGM}/agents/${id}/boarding/configuration`)).content.iat as string;
  const reg = await must(s, 'POST', `${AGM}/register`, {}, {}, iat);
  await must(s, 'PUT', `${AGM}/agents/${id}/dataSourceConfiguration`, CONFIG, { 'if-match': '0' });
  for (const [dataPointId, propertyName] of [['DP-T', 'temperature'], ['DP-N', 'count']]) {
    await must(s, 'POST', `${MC}/dataPointMappings`, { agentId: id, dataPointId, entityId: id, propertySetName: ASPECT, propertyName });
  }
  const secret = reg.client_secret as string;
  const assertion = () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ schemas: ['urn:siemens:mindsphere:v1'], ten: s.tenant, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(id).setSubject(id).setAudience(['southgate'])
      .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 3600).sign(new TextEncoder().encode(secret));
  };
  return { id, name, clientId: `${s.tenant}_${name}`, secret, token: await agentToken(s, await assertion()), assertion };
}

/**
 * Connects with mqtt.js (MQTT 3.1.1); rejects when the broker refuses the connection. MQTT 3.1.1 sends a password only
 * with a user name, so the user name defaults to the client id (the broker ignores it).
 */
export async function connect(url: string, options: { clientId: string; password?: string; username?: string }): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: options.clientId, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 5000,
    ...(options.password !== undefined || options.username !== undefined ? { username: options.username ?? options.clientId } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}) });
}

/** The next message on `topic` (a promise made before the message is sent, so none is missed). */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.off('message', on); reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)); }, timeoutMs);
    const on = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', on);
      resolve(JSON.parse(payload.toString()) as Record<string, unknown>);
    };
    client.on('message', on);
  });
}

/** A time series message of the reference's payload. */
export function tsPayload(entries: { timestamp: string; values: Record<string, string> }[]): string {
  return JSON.stringify({ timeseries: entries.map((e) => ({ timestamp: e.timestamp,
    values: Object.entries(e.values).map(([dataPointId, value]) => ({ dataPointId, value, qualityCode: '0' })) })) });
}

/** The records of the agent's asset in [from, to). */
export async function readSeries(s: ApiServer, agent: Agent, from: string, to: string): Promise<Record<string, unknown>[]> {
  const res = await s.api(`${TS}/${agent.id}/${ASPECT}?from=${from}&to=${to}&limit=2000`);
  const body = await json(res);
  if (res.status !== 200) throw new Error(`read series: ${res.status} ${JSON.stringify(body)}`);
  return body as Record<string, unknown>[];
}

export const topic = (tenant: string, clientId: string, suffix: string) => `tc/${tenant}/${clientId}/${suffix}`;
