/**
 * One MQTT message of an authenticated agent, whichever broker carried it (MindConnect MQTT `o/mc_v3/ts`,
 * `o/mc_v3/e`, `o/agm_v3/t`): read the payload, write through the AgentIngest seam (one durable commit; time series
 * messages of all agents arriving in one turn share it, batcher.ts) or the AgentEventSink, and say what to answer:
 * token responses on `i/agm_v3/tr`, diagnostics on `i/mc_v3/diag` for a refused or partly stored message. The returned promise settles only after the commit; a refusal (a bad payload)
 * resolves with its diagnostic, so the message is acknowledged and never retried; a failure of storage rejects,
 * so the transport withholds the acknowledgement and the message comes again.
 */
import type { Logger } from 'pino';
import type { AgentEventSink, AgentIngest, AgentPrincipal } from '../agents/ingest.js';
import { AppError } from '../core/errors.js';
import { counter } from '../core/metrics.js';
import { TimeseriesBatcher } from './batcher.js';
import { diagnostic, MqttErrors, type PayloadError } from './errors.js';
import { readEvents, readTimeseries, readTokenRequest } from './payload.js';
import { type Channel, DIAGNOSTIC, OUT, TOKEN_RESPONSE, topicOf } from './topics.js';

export type Transport = 'embedded' | 'external';

const messages = counter('ironbridge_mqtt_messages_total', 'Agent MQTT messages handled, by transport, channel (ts, e, t) and outcome (stored, refused, failed)',
  ['transport', 'channel', 'outcome']);
const badPayloads = counter('ironbridge_mqtt_bad_payloads_total', 'Agent MQTT messages answered on the diagnostic topic, by transport and reason',
  ['transport', 'reason']);
const dataPoints = counter('ironbridge_mqtt_data_points_total', 'Data point values received in stored MQTT time series messages', ['transport']);
const refusedClients = counter('ironbridge_mqtt_refusals_total',
  'Connections, publications and subscriptions refused by the MQTT ACL or authentication, by transport and kind', ['transport', 'kind']);

/** Counts a refusal of the ACL or of authentication (kind: connect, publish, subscribe, unknown_agent). */
export function countRefusal(transport: Transport, kind: 'connect' | 'publish' | 'subscribe' | 'unknown_agent'): void {
  refusedClients.inc({ transport, kind });
}

export interface Reply {
  topic: string;
  payload: Buffer;
}

export interface IngestionOptions {
  ingest: AgentIngest;
  events: AgentEventSink;
  maxPayloadBytes: number;
  /** Queued data point values that start the shared write at once (batcher.ts; --mqtt-batch-max-values). */
  batchMaxValues: number;
  logger: Logger;
}

export class MqttIngestion {
  /** Time series messages of all agents, written together per turn of the event loop (batcher.ts). */
  private readonly batcher: TimeseriesBatcher;

  constructor(private readonly o: IngestionOptions) {
    this.batcher = new TimeseriesBatcher(o.ingest, o.batchMaxValues);
  }

  /** Handles one message; resolves with the replies once it is committed or refused, rejects when storage failed. */
  async handle(transport: Transport, agent: AgentPrincipal, channel: Channel, payload: Buffer): Promise<Reply[]> {
    const topic = () => topicOf(agent.tenant, agent.clientId, OUT[channel]);
    const refuse = (e: PayloadError, extra: Record<string, unknown> = {}): Reply[] => {
      messages.inc({ transport, channel, outcome: 'refused' });
      badPayloads.inc({ transport, reason: e.reason });
      return [{ topic: topicOf(agent.tenant, agent.clientId, DIAGNOSTIC), payload: diagnostic(topic(), e, extra) }];
    };
    try {
      switch (channel) {
        case 'ts': {
          const read = readTimeseries(payload, this.o.maxPayloadBytes);
          if (!read.ok) return refuse(read.error);
          const result = await this.batcher.submit(agent, read.value);
          messages.inc({ transport, channel, outcome: 'stored' });
          let n = 0;
          for (const b of read.value) n += b.values.length;
          dataPoints.inc({ transport }, n - result.unmapped);
          if (result.unmapped > 0) {
            badPayloads.inc({ transport, reason: 'datapoint' });
            return [{ topic: topicOf(agent.tenant, agent.clientId, DIAGNOSTIC),
              payload: diagnostic(topic(), MqttErrors.unmapped(result.unmapped), { records: result.records, unmapped: result.unmapped }) }];
          }
          return [];
        }
        case 'e': {
          const read = readEvents(payload, this.o.maxPayloadBytes);
          if (!read.ok) return refuse(read.error);
          await this.o.events.createAgentEvents(agent, read.value);
          messages.inc({ transport, channel, outcome: 'stored' });
          return [];
        }
        case 't': {
          const read = readTokenRequest(payload, this.o.maxPayloadBytes);
          if (!read.ok) return refuse(read.error);
          const token = await this.o.ingest.issueToken(read.value.assertion);
          // The assertion must be this agent's own: a token for another agent is not handed out on this agent's topic.
          const owner = await this.o.ingest.authenticate(token.access_token);
          if (!owner || owner.tenant !== agent.tenant || owner.agentId !== agent.agentId) {
            return refuse(MqttErrors.unauthorized('the client assertion is not this agent\'s'));
          }
          messages.inc({ transport, channel, outcome: 'stored' });
          const data = { access_token: token.access_token, token_type: token.token_type, expires_in: token.expires_in };
          return [{ topic: topicOf(agent.tenant, agent.clientId, TOKEN_RESPONSE),
            payload: Buffer.from(JSON.stringify({ ...(read.value.id !== undefined ? { id: read.value.id } : {}), data })) }];
        }
      }
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        return refuse(err.status === 401 || err.status === 403 ? { reason: 'unauthorized', error: err } : MqttErrors.refused(err));
      }
      messages.inc({ transport, channel, outcome: 'failed' });
      this.o.logger.error({ err, transport, channel, tenant: agent.tenant, clientId: agent.clientId }, 'an MQTT message could not be stored; it is not acknowledged');
      throw err;
    }
  }
}
