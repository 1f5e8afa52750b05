/**
 * The payloads of MindConnect MQTT (Insights Hub "MindConnect MQTT"): time series
 * `{"timeseries":[{"timestamp","values":[{"dataPointId","value","qualityCode"}]}]}`, events `{"events":[{…}]}` and, ours,
 * a token request `{"client_assertion":"<JWT>"}` (the agent's client assertion, as the Agent Management token
 * endpoint takes it). Each reader returns the content or a PayloadError naming the field and the rule.
 */
import type { DataPointBatch, DataPointValue } from '../agents/ingest.js';
import { MqttErrors, type PayloadError } from './errors.js';

export type Read<T> = { ok: true; value: T } | { ok: false; error: PayloadError };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const fail = <T>(error: PayloadError): Read<T> => ({ ok: false, error });

function parseJson(payload: Buffer, maxBytes: number): Read<unknown> {
  if (payload.length > maxBytes) return fail(MqttErrors.oversize(payload.length, maxBytes));
  try {
    return ok(JSON.parse(payload.toString('utf8')));
  } catch (err) {
    return fail(MqttErrors.json((err as Error).message));
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The batches of a time series message; values and quality codes arrive as strings (numbers and booleans are taken too). */
export function readTimeseries(payload: Buffer, maxBytes: number): Read<DataPointBatch[]> {
  const parsed = parseJson(payload, maxBytes);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  if (!isObject(body) || !Array.isArray(body['timeseries'])) return fail(MqttErrors.schema('timeseries', 'must be an array of {timestamp, values}'));
  const batches: DataPointBatch[] = [];
  const list = body['timeseries'] as unknown[];
  for (let i = 0; i < list.length; i++) {
    const at = `timeseries[${i}]`;
    const e = list[i];
    if (!isObject(e)) return fail(MqttErrors.schema(at, 'must be an object {timestamp, values}'));
    const ts = e['timestamp'];
    if (typeof ts !== 'string' || Number.isNaN(Date.parse(ts))) return fail(MqttErrors.schema(`${at}.timestamp`, 'must be an ISO 8601 date-time'));
    if (!Array.isArray(e['values'])) return fail(MqttErrors.schema(`${at}.values`, 'must be an array'));
    const raw = e['values'] as unknown[];
    // The parsed values are taken as they are when they already are strings (what agents send): no copy per value.
    let values: DataPointValue[] | undefined;
    for (let k = 0; k < raw.length; k++) {
      const v = raw[k];
      if (!isObject(v) || typeof v['dataPointId'] !== 'string' || v['dataPointId'] === '') {
        return fail(MqttErrors.schema(`${at}.values[${k}].dataPointId`, 'must be a non-empty string'));
      }
      const value = v['value'];
      if (!scalar(value)) return fail(MqttErrors.schema(`${at}.values[${k}].value`, 'must be a string'));
      const qc = v['qualityCode'];
      if (qc !== undefined && !scalar(qc)) return fail(MqttErrors.schema(`${at}.values[${k}].qualityCode`, 'must be a string'));
      if (values === undefined && typeof value === 'string' && (qc === undefined || typeof qc === 'string')) continue;
      values ??= raw.slice(0, k) as DataPointValue[];
      values.push({ dataPointId: v['dataPointId'], value: String(value), ...(qc !== undefined ? { qualityCode: String(qc) } : {}) });
    }
    batches.push({ timestamp: ts, values: values ?? raw as DataPointValue[] });
  }
  return ok(batches);
}

/** The events of an event message: objects, checked by the events context. */
export function readEvents(payload: Buffer, maxBytes: number): Read<Record<string, unknown>[]> {
  const parsed = parseJson(payload, maxBytes);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  if (!isObject(body) || !Array.isArray(body['events'])) return fail(MqttErrors.schema('events', 'must be an array of events'));
  const events = body['events'] as unknown[];
  const bad = events.findIndex((e) => !isObject(e));
  if (bad >= 0) return fail(MqttErrors.schema(`events[${bad}]`, 'must be an object'));
  return ok(events as Record<string, unknown>[]);
}

/** A token request: the client assertion, and an id the response echoes (optional). */
export function readTokenRequest(payload: Buffer, maxBytes: number): Read<{ assertion: string; id?: string }> {
  const parsed = parseJson(payload, maxBytes);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  if (!isObject(body) || typeof body['client_assertion'] !== 'string' || body['client_assertion'] === '') {
    return fail(MqttErrors.schema('client_assertion', 'must be the agent\'s client assertion (a JWT)'));
  }
  const id = body['id'];
  if (id !== undefined && typeof id !== 'string') return fail(MqttErrors.schema('id', 'must be a string'));
  return ok({ assertion: body['client_assertion'], ...(id !== undefined ? { id } : {}) });
}
