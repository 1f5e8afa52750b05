/**
 * The embedded MQTT 3.1.1 broker for agents (aedes; Insights Hub "MindConnect MQTT"): an agent connects with client id
 * `{tenant}_{agentName}` and its agent access token as password (verified through AgentIngest.authenticate, the one
 * token path), may publish and subscribe only under `tc/{tenant}/{clientId}/`, and its messages on the ingest
 * topics are handled in aedes' authorizePublish hook: aedes sends the QoS 1 PUBACK only after that hook calls back,
 * i.e. after the commit, and reads no further packets of the connection until the ones it read are handled, so a
 * slow store slows the agent down (TCP back-pressure) instead of dropping anything. aedes hands all packets of one
 * socket read to the hook at once, and the time series of all agents are written together per turn (batcher.ts).
 * The token is verified again for every message, once per turn of the event loop for all messages carrying it: an
 * expired, offboarded or deleted agent's connection is closed at its next message.
 */
import net from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { AgentIngest, AgentPrincipal } from '../agents/ingest.js';
import { countRefusal, type MqttIngestion, type Reply } from './ingestion.js';
import { isMqttClientId, OUT, prefixOf, withinPrefix, type Channel } from './topics.js';

export interface EmbeddedOptions {
  host: string;
  port: number;
  ingest: AgentIngest;
  ingestion: MqttIngestion;
  logger: Logger;
}

export interface EmbeddedBroker {
  port: number;
  close(): Promise<void>;
}

interface Session {
  agent: AgentPrincipal;
  token: string;
  /** The channels of the agent's ingest topics, by topic (built once per connection, not per message). */
  channels: ReadonlyMap<string, Channel>;
}

const sessions = new WeakMap<Client, Session>();

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** The ingest topics of an agent, the exact topics `tc/{tenant}/{clientId}/o/…`, and their channels. */
function channelsOf(agent: AgentPrincipal): Map<string, Channel> {
  const prefix = prefixOf(agent.tenant, agent.clientId);
  return new Map((Object.keys(OUT) as Channel[]).map((c) => [`${prefix}${OUT[c]}`, c]));
}

export async function startEmbeddedBroker(o: EmbeddedOptions): Promise<EmbeddedBroker> {
  // The verification of a token for the messages of this turn: each is verified after it arrived, and those arriving
  // together share one verification (the revocation lookup included).
  const verified = new Map<string, Promise<AgentPrincipal | null>>();
  const verify = (token: string): Promise<AgentPrincipal | null> => {
    let p = verified.get(token);
    if (!p) {
      if (verified.size === 0) setImmediate(() => verified.clear());
      verified.set(token, p = o.ingest.authenticate(token));
    }
    return p;
  };
  const broker = await Aedes.createBroker({
    // MQTT 3.1.1 has no limit on client id length; MindConnect client ids are `{tenant}_{agentName}`.
    maxClientsIdLength: 256,
    authenticate(client, _username, password, done) {
      const token = password?.toString('utf8') ?? '';
      if (!token) {
        countRefusal('embedded', 'connect');
        return done(authError('the agent access token is the password', 4), false);
      }
      o.ingest.authenticate(token).then((agent) => {
        if (!agent || agent.clientId !== client.id || !isMqttClientId(client.id, agent.tenant)) {
          countRefusal('embedded', 'connect');
          return done(authError(agent ? 'the client id must be {tenant}_{agentName} of the token\'s agent' : 'not a live agent token', agent ? 2 : 5), false);
        }
        sessions.set(client, { agent, token, channels: channelsOf(agent) });
        done(null, true);
      }, (err: Error) => done(Object.assign(err, { returnCode: 3 }) as AuthenticateError, false));
    },
    authorizeSubscribe(client, subscription, done) {
      const s = sessions.get(client);
      if (!s || !withinPrefix(subscription.topic, s.agent.tenant, s.agent.clientId)) {
        countRefusal('embedded', 'subscribe');
        return done(null, null); // SUBACK 0x80: refused, the connection stays
      }
      done(null, subscription);
    },
    authorizePublish(client, packet, done) {
      const s = client ? sessions.get(client) : undefined;
      if (!client || !s || !withinPrefix(packet.topic, s.agent.tenant, s.agent.clientId)) {
        countRefusal('embedded', 'publish');
        return done(new Error('an agent may publish only under its own tc/{tenant}/{clientId}/ prefix'));
      }
      const channel = s.channels.get(packet.topic);
      if (!channel) return done(null); // the agent's own other topics: plain publish and subscribe
      verify(s.token).then(async (agent) => {
        if (!agent || agent.agentId !== s.agent.agentId) {
          countRefusal('embedded', 'connect');
          throw new Error('the agent token expired or was revoked; connect again with a fresh one');
        }
        const replies = await o.ingestion.handle('embedded', agent, channel, packet.payload as Buffer);
        await publishAll(replies);
      }).then(() => done(null), (err: Error) => done(err));
    },
  });
  const publishAll = (replies: Reply[]) => Promise.all(replies.map((r) => new Promise<void>((resolve) => {
    const p: PublishPacket = { cmd: 'publish', topic: r.topic, payload: r.payload, qos: 1, retain: false, dup: false };
    broker.publish(p as Parameters<Aedes['publish']>[0], () => resolve());
  })));
  broker.on('clientError', (client, err) => o.logger.debug({ clientId: client?.id, err: err.message }, 'MQTT client error'));
  broker.on('connectionError', (client, err) => o.logger.debug({ clientId: client?.id, err: err.message }, 'MQTT connection error'));
  const server = net.createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
