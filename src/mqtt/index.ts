/**
 * MindConnect MQTT as the platform composes it (Insights Hub "MindConnect MQTT"): the embedded broker (--mqtt-port)
 * and the subscription to an external broker (--mqtt-external-url), both handing agent messages to one
 * MqttIngestion over the AgentIngest and AgentEventSink seams. This context knows nothing of mappings, identity or
 * storage. Started after the HTTP listener; with --workers N each worker runs the broker on the shared port and
 * the primary alone runs the external subscription (one subscriber, so each message is ingested once).
 */
import type { Logger } from 'pino';
import type { AgentEventSink, AgentIngest } from '../agents/ingest.js';
import type { Config } from '../core/config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded.js';
import { startExternalSubscription, type ExternalSubscription } from './external.js';
import { MqttIngestion } from './ingestion.js';

export { DIAGNOSTIC, TOKEN_RESPONSE, OUT } from './topics.js';

export interface MqttContext {
  name: 'mqtt';
  /** Starts the embedded broker when --mqtt-port is set; resolves with its bound port (undefined when off). */
  startBroker(): Promise<number | undefined>;
  /** Starts the external subscription when --mqtt-external-url is set (it connects and reconnects in the background). */
  startExternal(): ExternalSubscription | undefined;
  /** The embedded broker's bound port, once it listens. */
  port(): number | undefined;
  close(): Promise<void>;
}

export function createMqtt(deps: { config: Config; ingest: AgentIngest; events: AgentEventSink; logger: Logger }): MqttContext {
  const { config, logger } = deps;
  const ingestion = new MqttIngestion({ ingest: deps.ingest, events: deps.events, maxPayloadBytes: config.mqttMaxPayloadBytes,
    batchMaxValues: config.mqttBatchMaxValues, logger });
  let broker: EmbeddedBroker | undefined;
  let external: ExternalSubscription | undefined;
  return {
    name: 'mqtt',
    async startBroker() {
      if (config.mqttPort === undefined || broker) return broker?.port;
      broker = await startEmbeddedBroker({ host: config.host, port: config.mqttPort, ingest: deps.ingest, ingestion, logger });
      logger.info({ port: broker.port }, 'embedded MQTT broker listening');
      return broker.port;
    },
    startExternal() {
      if (config.mqttExternalUrl === undefined) return undefined;
      external ??= startExternalSubscription({ url: config.mqttExternalUrl, clientId: config.mqttExternalClientId,
        username: config.mqttExternalUsername, password: config.mqttExternalPassword,
        tenants: config.mqttExternalTenants?.split(','), maxUnacked: config.mqttExternalMaxUnacked, ingest: deps.ingest, ingestion, logger });
      return external;
    },
    port: () => broker?.port,
    async close() {
      await external?.close();
      await broker?.close();
      external = undefined;
      broker = undefined;
    },
  };
}
