/**
 * The embedded MQTT broker (aedes; MindConnect MQTT): the ingestion contract, and what only the embedded broker
 * does itself: authentication by the agent token as password with client id `{tenant}_{agentName}`, the ACL (an
 * agent publishes and subscribes only under its own prefix; another agent's topic is refused and its data
 * untouched), a revoked token's connection closed at its next message, and the port in the platform.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { sample } from '../helpers/metrics.js';
import { type TestServer, useServer } from '../helpers/server.js';
import { runMqttContract } from './ingest.contract.js';
import { type Agent, AGM, connect, onboardAgent, readSeries, topic, tsPayload } from './helpers.js';

const server = useServer({ mqttPort: 0, mqttMaxPayloadBytes: 1024 });
const brokerUrl = () => `mqtt://127.0.0.1:${server().platform.mqtt.port()}`;
const connectAgent = (agent: Agent) => connect(brokerUrl(), { clientId: agent.clientId, username: agent.clientId, password: agent.token });

runMqttContract('embedded', () => ({ server, connectAgent, ackAfterCommit: true, transport: 'embedded' }));

const closed = (c: MqttClient) => new Promise<void>((resolve) => { if (c.disconnected || !c.connected) resolve(); else c.once('close', () => resolve()); });

describe('embedded MQTT broker: authentication and ACL', () => {
  let s: TestServer;
  let a: Agent;
  let b: Agent;
  before(async () => {
    s = server();
    a = await onboardAgent(s, 'acl-a');
    b = await onboardAgent(s, 'acl-b');
  });

  it('listens on the port the platform reports', () => {
    assert.ok((s.platform.mqtt.port() ?? 0) > 0);
  });

  it('refuses a connection without a token, with a token that is no agent\'s, or with another client id', async () => {
    await assert.rejects(connect(brokerUrl(), { clientId: a.clientId }), /Bad username or password|Not authorized/);
    await assert.rejects(connect(brokerUrl(), { clientId: a.clientId, password: await s.token() }), /Not authorized/);
    await assert.rejects(connect(brokerUrl(), { clientId: b.clientId, password: a.token }), /Identifier rejected/);
    await assert.rejects(connect(brokerUrl(), { clientId: a.clientId, password: 'not-a-token' }), /Not authorized/);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.ok(sample(metrics, 'ironbridge_mqtt_refusals_total', { transport: 'embedded', kind: 'connect' }) >= 3);
  });

  it('grants subscriptions under the agent\'s own prefix only', async () => {
    const c = await connectAgent(a);
    try {
      const own = await c.subscribeAsync(topic(s.tenant, a.clientId, 'i/#'), { qos: 1 });
      assert.equal(own[0]!.qos, 1);
      for (const filter of [topic(s.tenant, b.clientId, 'i/#'), `tc/${s.tenant}/+/i/#`, 'tc/#', '#', `tc/${s.tenant}/${a.clientId}`]) {
        // SUBACK 0x80 (failure): mqtt.js rejects the subscription
        await assert.rejects(c.subscribeAsync(filter, { qos: 1 }), /Subscribe error/, filter);
      }
      assert.ok(c.connected, 'a refused subscription leaves the connection open');
    } finally {
      await c.endAsync();
    }
  });

  it('closes the connection of an agent that publishes on another agent\'s topic; nothing reaches the other agent', async () => {
    const c = await connectAgent(a);
    const gone = closed(c);
    c.publish(topic(s.tenant, b.clientId, 'o/mc_v3/ts'), tsPayload([{ timestamp: '2026-02-01T00:00:00.000Z', values: { 'DP-T': '99' } }]), { qos: 1 });
    await gone;
    c.end(true);
    assert.deepEqual(await readSeries(s, b, '2026-02-01T00:00:00.000Z', '2026-02-01T00:00:01.000Z'), []);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.ok(sample(metrics, 'ironbridge_mqtt_refusals_total', { transport: 'embedded', kind: 'publish' }) >= 1);
  });

  it('closes an offboarded agent\'s connection at its next message and stores nothing of it', async () => {
    const o = await onboardAgent(s, 'acl-off');
    const c = await connectAgent(o);
    const res = await s.api(`${AGM}/agents/${o.id}/boarding/offboard`, { method: 'POST' });
    assert.equal(res.status, 200);
    const gone = closed(c);
    c.publish(topic(s.tenant, o.clientId, 'o/mc_v3/ts'), tsPayload([{ timestamp: '2026-03-01T00:00:00.000Z', values: { 'DP-T': '5' } }]), { qos: 1 });
    await gone;
    c.end(true);
    assert.deepEqual(await readSeries(s, o, '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:01.000Z'), []);
  });
});
