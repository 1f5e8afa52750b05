/**
 * The subscription to an external MQTT broker (mqtt.js; Insights Hub "MindConnect MQTT" topics): the platform
 * connects with a persistent session (clean: false, a fixed client id), subscribes at QoS 1 to the agent topics
 * `tc/{tenant}/+/o/mc_v3/ts|o/mc_v3/e|o/agm_v3/t` and ingests through the same MqttIngestion as the embedded broker.
 * Trust model: the external broker authenticates the agents and enforces that each publishes only under its own
 * prefix; the platform maps a topic's tenant and client id to the onboarded agent of that tenant whose client id it
 * is and refuses (counts, answers nothing) messages of unknown agents. Our PUBACK to the broker goes out only after
 * the commit, and a failed commit drops the connection without it, so the broker delivers the message again after
 * the reconnect. Pipelined: up to `maxUnacked` messages are being stored at once (so the messages of many agents
 * share one commit, batcher.ts); at the bound the next packet is read only after one is committed (back-pressure).
 * mqtt.js acknowledges a QoS 1 message itself when handleMessage calls back without an error and reads the next
 * packet only after that; so handleMessage calls back at once with DEFERRED (mqtt.js then sends no PUBACK and goes
 * on) and the PUBACK is sent here after the commit, on the connection the message came on (after a reconnect the
 * broker sends the unacknowledged messages of the persistent session again; a PUBACK is never sent on another one).
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AgentIngest } from '../agents/ingest.js';
import { countRefusal, type MqttIngestion } from './ingestion.js';
import { parseAgentTopic, subscriptionFilters } from './topics.js';

export interface ExternalOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  tenants?: readonly string[] | undefined;
  /** Most messages being stored at once, received and not yet acknowledged (--mqtt-external-max-unacked). */
  maxUnacked: number;
  ingest: AgentIngest;
  ingestion: MqttIngestion;
  logger: Logger;
}

export interface ExternalSubscription {
  /** Resolves once the subscription is in place (tests wait for it; the platform starts without waiting). */
  subscribed(): Promise<void>;
  close(): Promise<void>;
}

/** handleMessage's answer that makes mqtt.js skip its own PUBACK (ours follows the commit). */
const DEFERRED = new Error('acknowledged after the commit');

export function startExternalSubscription(o: ExternalOptions): ExternalSubscription {
  // The agents context answers from a listing at most a second old for known agents, a fresh one for unknown ones.
  const agentOf = (tenant: string, clientId: string) => o.ingest.agentOfClientId(tenant, clientId);
  const client: MqttClient = mqtt.connect(o.url, {
    // MQTT 5: its Receive Maximum tells the broker how many QoS 1 messages may await our PUBACK (MQTT 3.1.1 has
    // none: mosquitto's max_inflight_messages, 20 by default, would bound the pipeline); the session outlives the
    // connection (clean: false and the longest expiry), so unacknowledged messages wait at the broker.
    clientId: o.clientId, clean: false, protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: 10_000,
    properties: { sessionExpiryInterval: 0xffffffff, receiveMaximum: o.maxUnacked },
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
  let unacked = 0;
  let readNext: (() => void) | undefined;
  const sendPuback = (messageId: number, stream: unknown) => {
    // Only on the connection the message came on: after a reconnect the broker sends it again.
    if (client.stream !== stream || !client.connected) return;
    (client as unknown as { _sendPacket(p: { cmd: 'puback'; messageId: number }, cb: (err?: Error) => void): void })
      ._sendPacket({ cmd: 'puback', messageId }, (err) => { if (err) o.logger.debug({ err: err.message }, 'a PUBACK to the external broker failed'); });
  };
  const store = async (packet: IPublishPacket): Promise<void> => {
    const topic = parseAgentTopic(packet.topic);
    if (!topic) return;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
    const agent = await agentOf(topic.tenant, topic.clientId);
    if (!agent) {
      countRefusal('external', 'unknown_agent');
      return;
    }
    const replies = await o.ingestion.handle('external', agent, topic.channel, payload);
    for (const r of replies) {
      client.publish(r.topic, r.payload, { qos: 1 }, (err) => {
        if (err) o.logger.warn({ err: err.message, topic: r.topic }, 'an MQTT reply could not be published');
      });
    }
  };
  client.handleMessage = (packet: IPublishPacket, callback) => {
    if (packet.qos !== 1 || packet.messageId === undefined) {
      // QoS 0 (nothing to acknowledge; the subscription is QoS 1, so no QoS 2 arrives): one at a time, as mqtt.js does.
      store(packet).then(() => callback(), (err: Error) => {
        o.logger.warn({ err: err.message }, 'an external QoS 0 MQTT message could not be stored');
        callback();
      });
      return;
    }
    const stream = client.stream;
    const messageId = packet.messageId;
    unacked++;
    store(packet).then(() => sendPuback(messageId, stream), (err: Error) => {
      // No PUBACK: the broker keeps the message in our persistent session and sends it again after the reconnect.
      o.logger.warn({ err: err.message }, 'dropping the external MQTT connection so the unacknowledged message comes again');
      if (client.stream === stream) stream.destroy();
    }).finally(() => {
      unacked--;
      const next = readNext;
      readNext = undefined;
      next?.();
    });
    const deferred = () => callback(DEFERRED);
    if (unacked < o.maxUnacked) deferred();
    else readNext = deferred;
  };
  return {
    subscribed: () => subscribed,
    close: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
  };
}
