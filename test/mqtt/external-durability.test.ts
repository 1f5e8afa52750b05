/**
 * No message is lost on the external broker path either (MindConnect MQTT through mosquitto, QoS 1): the platform's
 * PUBACK to the broker follows the commit, with many messages in flight (src/mqtt/external.ts). A real
 * `ironbridge serve` child subscribed to the machine's mosquitto (or one started on a free port) is killed with
 * SIGKILL while an agent's messages stream in, and restarted with the same subscriber client id: the broker sends
 * what was not acknowledged (and what it queued meanwhile) again, and every message the agent published is read
 * back. A PUBACK sent before its commit would lose the messages of the killed commit.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { it } from 'node:test';
import { spawnServer, tempDir, type ChildServer } from '../helpers/server.js';
import { apiOf, brokerPort } from './child.js';
import { sample } from '../helpers/metrics.js';
import { DURABLE_ENV } from '../platform/durable-server.js';
import { connect, onboardAgent, readSeries, topic, tsPayload } from './helpers.js';

const T0 = Date.parse('2025-07-01T00:00:00.000Z');
// mosquitto queues at most max_queued_messages (1,000 by default) for a session that is offline: stay below it.
const TOTAL = 960;
const FIRST = 900;
const KILL_AFTER_POINTS = 100;

async function subscribed(server: ChildServer): Promise<void> {
  for (let i = 0; !server.output().includes('subscribed to the agent topics of the external MQTT broker'); i++) {
    if (i === 200) throw new Error(`the server did not subscribe: ${server.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('every message published through the external broker is stored, across kill -9 of the server mid-load', async (t) => {
  const dataDir = tempDir();
  const brokerUrl = `mqtt://127.0.0.1:${await brokerPort()}`;
  const subscriberId = `ironbridge-durable-${process.pid}-${Date.now().toString(36)}`;
  let env: Record<string, string> = {};
  let second: ChildServer | undefined;
  try {
    // The tenant is known after the first start; the subscription covers it alone.
    const first = await spawnServer(dataDir, DURABLE_ENV);
    const s = await apiOf(first.url, dataDir);
    const agent = await onboardAgent(s, 'durable-external');
    await first.stop();
    env = { ...DURABLE_ENV, IRONBRIDGE_MQTT_EXTERNAL_URL: brokerUrl, IRONBRIDGE_MQTT_EXTERNAL_CLIENT_ID: subscriberId,
      IRONBRIDGE_MQTT_EXTERNAL_TENANTS: s.tenant };
    const killed = await spawnServer(dataDir, env);
    await subscribed(killed);
    const publisher = await connect(brokerUrl, { clientId: agent.clientId });
    const publish = (from: number, to: number) => Promise.all(Array.from({ length: to - from }, (_, k) => from + k).map((i) =>
      publisher.publishAsync(topic(s.tenant, agent.clientId, 'o/mc_v3/ts'),
        tsPayload([{ timestamp: new Date(T0 + i * 1000).toISOString(), values: { 'DP-N': String(i), 'DP-T': String(i / 2) } }]), { qos: 1 })));
    // The first FIRST messages stream in and the server is killed once some are stored (the rest in flight or at the
    // broker); the others are published while the server is down, so the broker queues them.
    const firstHalf = publish(0, FIRST);
    let stored = 0;
    for (let i = 0; stored < KILL_AFTER_POINTS; i++) {
      if (i === 2000) throw new Error(`only ${stored} data points stored before the kill`);
      await new Promise((r) => setImmediate(r));
      stored = sample(await (await fetch(`${killed.url}/metrics`)).text(), 'ironbridge_mqtt_data_points_total', { transport: 'external' });
    }
    await killed.stop('SIGKILL');
    await firstHalf;
    t.diagnostic(`${stored} of ${FIRST * 2} data points of the first messages stored at the kill`);
    await publish(FIRST, TOTAL);
    await publisher.endAsync();

    second = await spawnServer(dataDir, env);
    const s2 = await apiOf(second.url, dataDir);
    const missing = async () => {
      const have = new Set<number>();
      for (const r of await readSeries(s2, agent, new Date(T0 - 1).toISOString(), new Date(T0 + TOTAL * 1000).toISOString())) {
        if (r['temperature'] === (r['count'] as number) / 2) have.add(r['count'] as number);
      }
      return Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !have.has(i));
    };
    let lost = await missing();
    for (let i = 0; lost.length > 0 && i < 300; i++) {
      await new Promise((r) => setTimeout(r, 50));
      lost = await missing();
    }
    assert.deepEqual(lost, [], `${lost.length} of ${TOTAL} messages never stored`);
  } finally {
    await second?.stop();
    // The persistent session is this test's own: removed from the broker.
    await (await connect(brokerUrl, { clientId: subscriberId })).endAsync().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
