/**
 * The subscription to an external MQTT broker (mqtt.js; Insights Hub "MindConnect MQTT" topics): the platform
 * connects with a persistent session (clean: false, a fixed client id), subscribes at QoS 1 to the agent topics
 * `tc/{tenant}/+/o/mc_v3/ts|o/mc_v3/e|o/agm_v3/t` and ingests through the same MqttIngestion as the embedded broker.
 * Trust model: the external broker authenticates the agents and enforces that each publishes only under its own
 * prefix; the platform maps a topic's tenant and client id to the onboarded agent of that tenant whose client id it
 * is and refuses (counts, answers nothing) messages of unknown agents. Our PUBACK to the broker goes out only after
 * the commit (mqtt.js sends it when handleMessage calls back, one message at a time), and a failed commit drops the
 * connection without it, so the broker delivers the message again after the reconnect.
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AgentIngest, AgentPrincipal } from '../agents/ingest.js';
import { countRefusal, type MqttIngestion } from './ingestion.js';
import { parseAgentTopic, subscriptionFilters } from './topics.js';

export interface ExternalOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  tenants?: readonly string[] | undefined;
  ingest: AgentIngest;
  ingestion: MqttIngestion;
  logger: Logger;
  now?: () => number;
}

export interface ExternalSubscription {
  /** Resolves once the subscription is in place (tests wait for it; the platform starts without waiting). */
  subscribed(): Promise<void>;
  close(): Promise<void>;
}

/** A positive lookup of an agent by client id is reused this long; an unknown one is asked again each time. */
const AGENT_CACHE_MS = 1000;

export function startExternalSubscription(o: ExternalOptions): ExternalSubscription {
  const now = o.now ?? Date.now;
  const agents = new Map<string, { agent: AgentPrincipal; at: number }>();
  const agentOf = async (tenant: string, clientId: string): Promise<AgentPrincipal | null> => {
    const key = `${tenant}\u0000${clientId}`;
    const hit = agents.get(key);
    if (hit && now() - hit.at < AGENT_CACHE_MS) return hit.agent;
    const agent = await o.ingest.agentOfClientId(tenant, clientId);
    if (agent) {
      if (agents.size > 10_000) agents.clear();
      agents.set(key, { agent, at: now() });
    } else agents.delete(key);
    return agent;
  };
  const client: MqttClient = mqtt.connect(o.url, {
    clientId: o.clientId, clean: false, protocolVersion: 4, reconnectPeriod: 1000, connectTimeout: 10_000,
    ...(o.username !== undefined ? { username: o.username } : {}), ...(o.password !== undefined ? { password: o.password } : {}),
  });
  const filters = subscriptionFilters(o.tenants);
  let resolveSubscribed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => { resolveSubscribed = resolve; });
  client.on('connect', () => {
    client.subscribe(filters, { qos: 1 }, (err) => {
      if (err) o.logger.error({ err: err.message, url: o.url }, 'the external MQTT subscription failed');
      else {
        o.logger.info({ url: o.url, filters }, 'subscribed to the agent topics of the external MQTT broker');
        resolveSubscribed();
      }
    });
  });
  client.on('error', (err) => o.logger.warn({ err: err.message, url: o.url }, 'external MQTT broker'));
  client.handleMessage = (packet: IPublishPacket, callback) => {
    const topic = parseAgentTopic(packet.topic);
    if (!topic) return callback();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
    agentOf(topic.tenant, topic.clientId).then(async (agent) => {
      if (!agent) {
        countRefusal('external', 'unknown_agent');
        return;
      }
      const replies = await o.ingestion.handle('external', agent, topic.channel, payload);
      // Not awaited: mqtt.js handles incoming packets one at a time, so the broker's PUBACK of a reply could not be
      // read while this message is being handled (the replies stay in mqtt.js's outgoing store until acknowledged).
      for (const r of replies) {
        client.publish(r.topic, r.payload, { qos: 1 }, (err) => {
          if (err) o.logger.warn({ err: err.message, topic: r.topic }, 'an MQTT reply could not be published');
        });
      }
    }).then(() => callback(), (err: Error) => {
      // No PUBACK: the broker keeps the message in our persistent session and sends it again after the reconnect.
      o.logger.warn({ err: err.message }, 'dropping the external MQTT connection so the unacknowledged message comes again');
      client.stream?.destroy();
      callback(err);
    });
  };
  return {
    subscribed: () => subscribed,
    close: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
  };
}
