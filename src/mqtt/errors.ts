/**
 * Errors of the MQTT context: why a message of an agent was refused (or partly stored), answered on its diagnostic
 * topic as `{status, code, message, reason}`. Each is a core catalogue entry (the generic codes, as the MindConnect
 * exchange answers the same faults); `reason` is the bounded label the metrics count by.
 */
import { AppError, Generic } from '../core/errors.js';

export type Reason = 'json' | 'schema' | 'oversize' | 'value' | 'datapoint' | 'unauthorized' | 'internal';

export interface PayloadError {
  reason: Reason;
  error: AppError;
}

export const MqttErrors = {
  json: (detail: string): PayloadError => ({ reason: 'json', error: Generic.malformedBody({ reason: `the payload is not valid JSON (${detail})` }) }),
  schema: (field: string, rule: string): PayloadError => ({ reason: 'schema', error: Generic.invalidRequestBodyProperty({ name: field, rule }) }),
  oversize: (size: number, limit: number): PayloadError =>
    ({ reason: 'oversize', error: Generic.payloadTooLarge({ limit }).withDetail(`${size} bytes`) }),
  /** The agents or events context refused the content (a value of the wrong type, an event field): its 400 error. */
  refused: (error: AppError): PayloadError => ({ reason: 'value', error }),
  unmapped: (count: number): PayloadError => ({ reason: 'datapoint', error: Generic.invalidRequestBodyProperty({ name: 'dataPointId',
    rule: `${count} value(s) of data points without a mapping (or not in the data source configuration) were not stored; the agent's diagnostic messages name them` }) }),
  unauthorized: (reason: string): PayloadError => ({ reason: 'unauthorized', error: Generic.unauthorized({ reason }) }),
};

/** The diagnostic answer to a message on `topic`. */
export function diagnostic(topic: string, e: PayloadError, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ topic, status: e.error.status, code: e.error.code, reason: e.reason, message: e.error.message, ...extra }));
}
