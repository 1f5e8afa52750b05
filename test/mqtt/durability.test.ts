/**
 * No acknowledged MQTT message is lost (MindConnect MQTT, QoS 1): a real `ironbridge serve --mqtt-port 0` child takes
 * time series messages from an mqtt.js agent publishing at QoS 1 with many messages in flight, is killed with
 * SIGKILL mid-load, restarts on the same data directory, and every value whose PUBACK the agent received is read
 * back through the time series API. The ready line names the bound MQTT port.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { it } from 'node:test';
import { spawnServer, tempDir, type ChildServer } from '../helpers/server.js';
import { apiOf } from './child.js';
import { DURABLE_ENV } from '../platform/durable-server.js';
import { connect, onboardAgent, readSeries, topic, tsPayload } from './helpers.js';

const T0 = Date.parse('2025-06-01T00:00:00.000Z');
const TOTAL = 3000;
const KILL_AFTER = 400;

function mqttPortOf(server: ChildServer): number {
  const ready = server.output().split('\n').find((l) => l.includes('Ironbridge is ready'));
  const port = (JSON.parse(ready ?? '{}') as { mqtt?: { port?: number } }).mqtt?.port;
  assert.ok(port && port > 0, `the ready line names the MQTT port: ${ready}`);
  return port;
}

it('every QoS 1 message the broker acknowledged survives kill -9 of the server mid-load', async () => {
  const dataDir = tempDir();
  try {
    const first = await spawnServer(dataDir, DURABLE_ENV, ['--mqtt-port', '0']);
    const port = mqttPortOf(first);
    const s = await apiOf(first.url, dataDir);
    const agent = await onboardAgent(s, 'durable-mqtt');
    const client = await connect(`mqtt://127.0.0.1:${port}`, { clientId: agent.clientId, password: agent.token });
    client.on('error', () => undefined);
    const acked: number[] = [];
    let killed = false;
    const killedAt = new Promise<void>((resolve) => {
      for (let i = 0; i < TOTAL; i++) {
        const payload = tsPayload([{ timestamp: new Date(T0 + i * 1000).toISOString(), values: { 'DP-N': String(i), 'DP-T': String(i / 2) } }]);
        client.publish(topic(s.tenant, agent.clientId, 'o/mc_v3/ts'), payload, { qos: 1 }, (err) => {
          if (err || killed) return;
          acked.push(i);
          if (acked.length >= KILL_AFTER) {
            killed = true;
            first.child.kill('SIGKILL');
            resolve();
          }
        });
      }
    });
    await killedAt;
    await first.stop('SIGKILL');
    client.end(true);
    const ackedAtKill = [...acked];
    assert.ok(ackedAtKill.length >= KILL_AFTER && ackedAtKill.length < TOTAL, `${ackedAtKill.length} acknowledged before the kill`);

    const second = await spawnServer(dataDir, DURABLE_ENV);
    try {
      const s2 = await apiOf(second.url, dataDir);
      const stored = new Map<number, Record<string, unknown>>();
      for (let from = T0 - 1; from < T0 + TOTAL * 1000; from += 1000 * 1000) {
        for (const r of await readSeries(s2, agent, new Date(from).toISOString(), new Date(from + 1000 * 1000).toISOString())) {
          stored.set(r['count'] as number, r);
        }
      }
      const lost = ackedAtKill.filter((i) => stored.get(i)?.['temperature'] !== i / 2);
      assert.deepEqual(lost, [], `${lost.length} of ${ackedAtKill.length} acknowledged messages lost`);
      // Nothing is stored that was not sent; messages in flight at the kill may be stored without their PUBACK.
      for (const i of stored.keys()) assert.ok(i >= 0 && i < TOTAL);
    } finally {
      await second.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
