/**
 * The contract of MQTT ingestion (MindConnect MQTT), run against each broker setup: the embedded broker and an
 * external one (mosquitto) the platform subscribes to. Values published at QoS 1 are read back through the time
 * series API; events are stored; a token request is answered; bad payloads (invalid JSON, a schema fault, a value of
 * the wrong type, an unmapped data point, an oversize payload) are answered on the diagnostic topic and counted, and
 * another agent's data flows on meanwhile; an unknown agent gets nothing stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { TestServer } from '../helpers/server.js';
import { sample } from '../helpers/metrics.js';
import { json } from '../timeseries/helpers.js';
import { type Agent, nextMessage, onboardAgent, readSeries, topic, tsPayload } from './helpers.js';

export interface MqttSetup {
  /** The platform under test. */
  server(): TestServer;
  /** An mqtt.js connection of `agent` to the broker it publishes to. */
  connectAgent(agent: Agent): Promise<MqttClient>;
  /** embedded: the PUBACK comes after the commit; external: the broker acknowledges, the platform commits after. */
  ackAfterCommit: boolean;
  transport: 'embedded' | 'external';
}

const DIAG = 'i/mc_v3/diag';

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function runMqttContract(name: string, setup: () => MqttSetup): void {
  describe(`MQTT ingestion contract: ${name}`, () => {
    let m: MqttSetup;
    let s: TestServer;
    let a: Agent;
    let b: Agent;
    let ca: MqttClient;
    let cb: MqttClient;
    let n = 0;
    before(async () => {
      m = setup();
      s = m.server();
      a = await onboardAgent(s, `pump-a-${name}`);
      b = await onboardAgent(s, `pump-b-${name}`);
      ca = await m.connectAgent(a);
      cb = await m.connectAgent(b);
      await ca.subscribeAsync(topic(s.tenant, a.clientId, 'i/#'), { qos: 1 });
      await cb.subscribeAsync(topic(s.tenant, b.clientId, 'i/#'), { qos: 1 });
    });
    after(async () => { await ca?.endAsync(); await cb?.endAsync(); });
    const ts = (agent: Agent) => topic(s.tenant, agent.clientId, 'o/mc_v3/ts');
    const at = () => new Date(Date.UTC(2026, 0, 1, 0, 0, n++)).toISOString();
    const stored = async (agent: Agent, time: string) => {
      // from is exclusive, to inclusive (IoT Time Series API v3)
      const from = new Date(Date.parse(time) - 1).toISOString();
      return (await readSeries(s, agent, from, time))[0];
    };

    it('stores time series values published at QoS 1; they are read back through the time series API', async () => {
      const t1 = at();
      const t2 = at();
      await ca.publishAsync(ts(a), tsPayload([{ timestamp: t1, values: { 'DP-T': '21.5', 'DP-N': '7' } }, { timestamp: t2, values: { 'DP-T': '22' } }]), { qos: 1 });
      const read = m.ackAfterCommit ? await stored(a, t1) : await until('the values', () => stored(a, t1));
      assert.deepEqual(read, { _time: t1, temperature: 21.5, temperature_qc: 0, count: 7 });
      assert.equal((await until('the second record', () => stored(a, t2))).temperature, 22);
    });

    it('answers bad payloads on the diagnostic topic, counts them, and another agent\'s values flow on', async () => {
      const diag = topic(s.tenant, a.clientId, DIAG);
      const before = sample(await (await fetch(`${s.url}/metrics`)).text(), 'ironbridge_mqtt_bad_payloads_total', { transport: m.transport });
      const cases: [string, string | Buffer, RegExp][] = [
        ['json', '{"timeseries": [', /not valid JSON/],
        ['schema', JSON.stringify({ timeseries: [{ timestamp: 'yesterday', values: [] }] }), /timeseries\[0\]\.timestamp/],
        ['value', tsPayload([{ timestamp: at(), values: { 'DP-N': 'seven' } }]), /"seven" is no INT/],
        ['datapoint', tsPayload([{ timestamp: at(), values: { 'DP-U': '1', 'DP-NOPE': '2' } }]), /2 value\(s\) of data points without a mapping/],
        ['oversize', Buffer.alloc(1500, 0x20), /1024/],
      ];
      const tb = at();
      for (const [reason, payload, message] of cases) {
        const answer = nextMessage(ca, diag);
        await ca.publishAsync(ts(a), payload, { qos: 1 });
        const d = await answer;
        assert.equal(d['reason'], reason, JSON.stringify(d));
        assert.equal(d['topic'], ts(a));
        assert.match(String(d['message']), message);
        assert.equal(typeof d['code'], 'string');
      }
      await cb.publishAsync(ts(b), tsPayload([{ timestamp: tb, values: { 'DP-T': '1.25' } }]), { qos: 1 });
      assert.equal((await until('agent b\'s value', () => stored(b, tb))).temperature, 1.25);
      const afterCount = await until('the counted bad payloads', async () => {
        const v = sample(await (await fetch(`${s.url}/metrics`)).text(), 'ironbridge_mqtt_bad_payloads_total', { transport: m.transport });
        return v >= before + cases.length ? v : undefined;
      });
      assert.equal(afterCount, before + cases.length);
      // The connection survived every bad payload: a good message still goes through.
      const t = at();
      await ca.publishAsync(ts(a), tsPayload([{ timestamp: t, values: { 'DP-N': '3' } }]), { qos: 1 });
      assert.equal((await until('a good value after the bad ones', () => stored(a, t))).count, 3);
    });

    it('messages published together are stored together, yet a bad one among them is refused alone and the others are stored', async () => {
      // Published without waiting, so they arrive in one read and are written in one batch (src/mqtt/batcher.ts).
      const diag = topic(s.tenant, a.clientId, DIAG);
      const times = Array.from({ length: 12 }, () => at());
      const bad = 5;
      const refused = nextMessage(ca, diag);
      await Promise.all(times.map((t, i) => ca.publishAsync(ts(a), tsPayload([{ timestamp: t,
        values: i === bad ? { 'DP-N': 'five', 'DP-T': '5' } : { 'DP-N': String(i), 'DP-T': String(i / 2) } }]), { qos: 1 })));
      const d = await refused;
      assert.equal(d['reason'], 'value', JSON.stringify(d));
      assert.match(String(d['message']), /"five" is no INT/);
      for (const [i, t] of times.entries()) {
        if (i === bad) continue;
        const r = m.ackAfterCommit ? await stored(a, t) : await until(`message ${i}`, () => stored(a, t));
        assert.deepEqual(r, { _time: t, temperature: i / 2, temperature_qc: 0, count: i }, `message ${i}`);
      }
      // Nothing of the bad message is stored, not even its good value.
      assert.equal(await stored(a, times[bad]!), undefined);
    });

    it('a message repeating a timestamp of one published with it replaces that record, as if written after it', async () => {
      const t = at();
      await Promise.all([
        ca.publishAsync(ts(a), tsPayload([{ timestamp: t, values: { 'DP-N': '1', 'DP-T': '1' } }]), { qos: 1 }),
        ca.publishAsync(ts(a), tsPayload([{ timestamp: t, values: { 'DP-N': '2' } }]), { qos: 1 }),
      ]);
      const read = await until('the second message', async () => { const r = await stored(a, t); return r?.['count'] === 2 ? r : undefined; });
      assert.deepEqual(read, { _time: t, count: 2 });
    });

    it('stores events of the agent\'s asset', async () => {
      const description = `overheat ${name} ${Date.now()}`;
      await ca.publishAsync(topic(s.tenant, a.clientId, 'o/mc_v3/e'), JSON.stringify({ events: [{ id: 'e1', correlationId: 'c1',
        timestamp: '2026-01-02T00:00:00.000Z', severity: 20, type: 'AgentBaseEvent', description }] }), { qos: 1 });
      const filter = encodeURIComponent(JSON.stringify({ entityId: a.id, description }));
      const found = await until('the event', async () => {
        const body = await json(await s.api(`/api/eventmanagement/v3/events?filter=${filter}`));
        const list = body?._embedded?.events ?? body?.content ?? [];
        return list.length > 0 ? list[0] : undefined;
      });
      assert.equal(found.entityId, a.id);
      assert.equal(found.severity, 20);
    });

    it('answers a token request on i/agm_v3/tr with a token that works; another agent\'s assertion is refused', async () => {
      const answer = nextMessage(ca, topic(s.tenant, a.clientId, 'i/agm_v3/tr'));
      await ca.publishAsync(topic(s.tenant, a.clientId, 'o/agm_v3/t'), JSON.stringify({ id: 'r1', client_assertion: await a.assertion() }), { qos: 1 });
      const r = await answer as { id: string; data: { access_token: string; token_type: string; expires_in: number } };
      assert.equal(r.id, 'r1');
      assert.equal(r.data.token_type, 'Bearer');
      const res = await fetch(`${s.url}/api/agentmanagement/v3/agents/${a.id}/dataSourceConfiguration`, { headers: { authorization: `Bearer ${r.data.access_token}` } });
      assert.equal(res.status, 200);
      const refused = nextMessage(ca, topic(s.tenant, a.clientId, DIAG));
      await ca.publishAsync(topic(s.tenant, a.clientId, 'o/agm_v3/t'), JSON.stringify({ client_assertion: await b.assertion() }), { qos: 1 });
      assert.equal((await refused)['reason'], 'unauthorized');
    });
  });
}
