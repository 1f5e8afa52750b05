/**
 * The subscription to an external MQTT broker (the machine's mosquitto on 127.0.0.1:1883, or one started on a free
 * port when that is down): the ingestion contract, and the trust model's refusal of unknown agents (a topic whose
 * client id is no onboarded agent of the tenant gets nothing stored). Each run uses its own tenant and subscriber
 * client id, so runs sharing the broker do not see each other's messages.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { sample } from '../helpers/metrics.js';
import { type TestServer, useServer } from '../helpers/server.js';
import { brokerPort } from './child.js';
import { runMqttContract } from './ingest.contract.js';
import { type Agent, connect, onboardAgent, readSeries, topic, tsPayload } from './helpers.js';

const run = Math.random().toString(36).slice(2, 8);
const tenant = `mq${run}`;

describe('external MQTT broker (mosquitto)', () => {
  let brokerUrl = '';
  const settings: Record<string, string | number> = { tenant, mqttExternalTenants: tenant, mqttExternalClientId: `ironbridge-test-${run}`, mqttMaxPayloadBytes: 1024 };
  // Registered before useServer's hook, so the server starts with the broker's URL.
  before(async () => {
    brokerUrl = `mqtt://127.0.0.1:${await brokerPort()}`;
    settings['mqttExternalUrl'] = brokerUrl;
  });
  const server = useServer(settings);
  before(async () => { await server().platform.mqtt.startExternal()!.subscribed(); });
  // The agents connect to the external broker, which authenticates them (here: anonymous, as the test broker allows).
  const connectAgent = (agent: Agent) => connect(brokerUrl, { clientId: agent.clientId });

  runMqttContract('external', () => ({ server, connectAgent, ackAfterCommit: false, transport: 'external' }));

describe('external MQTT broker: trust model', () => {
  let s: TestServer;
  before(() => { s = server(); });

  it('refuses messages of a client id that is no onboarded agent of the tenant, and stores nothing', async () => {
    const known = await onboardAgent(s, 'ext-known');
    const before = sample(await (await fetch(`${s.url}/metrics`)).text(), 'ironbridge_mqtt_refusals_total', { transport: 'external', kind: 'unknown_agent' });
    const c = await connect(brokerUrl, { clientId: `${tenant}_intruder-${run}` });
    try {
      // an unknown client id on the tenant's topics, and a known agent's data sent under the unknown client id
      await c.publishAsync(topic(tenant, `${tenant}_nobody`, 'o/mc_v3/ts'), tsPayload([{ timestamp: '2026-04-01T00:00:00.000Z', values: { 'DP-T': '1' } }]), { qos: 1 });
      await c.publishAsync(topic(tenant, `${tenant}_ext-known-not`, 'o/mc_v3/ts'), tsPayload([{ timestamp: '2026-04-01T00:00:00.000Z', values: { 'DP-T': '1' } }]), { qos: 1 });
      const end = Date.now() + 10_000;
      let refused = before;
      while (refused < before + 2 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 25));
        refused = sample(await (await fetch(`${s.url}/metrics`)).text(), 'ironbridge_mqtt_refusals_total', { transport: 'external', kind: 'unknown_agent' });
      }
      assert.equal(refused, before + 2);
      assert.deepEqual(await readSeries(s, known, '2026-03-31T23:59:59.999Z', '2026-04-01T00:00:00.000Z'), []);
    } finally {
      await c.endAsync();
    }
  });
});
});
