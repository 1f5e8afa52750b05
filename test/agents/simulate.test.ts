/**
 * `ironbridge agent simulate` over the wire: it provisions its asset, agent, configuration and mappings with a
 * binding key, onboards (SHARED_SECRET), sends paced values over the MindConnect exchange (on a hand-moved clock:
 * no sleeps) that come back through IoT Time Series v3 exactly as generated, runs again on the same agent, and as
 * a child process; the MQTT publisher connects as `{tenant}_{agent}` with the agent token as password and publishes
 * the MindConnect time series payload (an in-test aedes broker sees the credentials, the machine's mosquitto the
 * messages); its error paths (bad flags, no binding key, unreachable broker, refused batches, another machine type).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { seedOf, simulate as run, type SimulateDeps, type SimulateOptions, StatusLine } from '../../src/cli/simulate.js';
import { exchangeBody, mqttTopic, runSimulation, sample, sensorVariables, type SimClock } from '../../src/cli/simulator.js';
import { parseMultipart } from '../../src/agents/multipart.js';
import { runCli, type TestServer, useServer } from '../helpers/server.js';
import { json, TS } from '../timeseries/helpers.js';

/** A clock whose sleep moves time instead of waiting. */
function fakeClock(start: number): SimClock & { slept: number } {
  let t = start;
  const c = { slept: 0, now: () => t, sleep: async (ms: number) => { t += ms; c.slept += ms; } };
  return c;
}

/** A stream that records what is written (a terminal or not). */
function sink(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

describe('ironbridge agent simulate', () => {
  const server = useServer();
  let s: TestServer;
  let env: NodeJS.ProcessEnv;
  before(() => {
    s = server();
    env = { IRONBRIDGE_TOKEN_URL: s.key.tokenUrl, IRONBRIDGE_CLIENT_ID: s.key.clientId, IRONBRIDGE_CLIENT_SECRET: s.key.clientSecret };
  });
  const simulate = (o: SimulateOptions, d: SimulateDeps = {}) => run(o, { env, note: () => {}, ...d });
  const opts = (o: Partial<SimulateOptions>): SimulateOptions => ({ agent: 'sim', rate: '10', broker: 'mqtt://127.0.0.1:1', points: '4', url: s.url, ...o });
  const read = async (asset: string, from: number, to: number) => {
    const res = await s.api(`${TS}/${asset}/Sensors?from=${new Date(from - 1).toISOString()}&to=${new Date(to).toISOString()}&limit=2000`);
    assert.equal(res.status, 200);
    return await json(res) as Record<string, unknown>[];
  };

  it('provisions, onboards and sends paced values over the exchange that read back exactly as generated', async () => {
    const clock = fakeClock(T0);
    const status = new StatusLine(sink(false), false, clock.now);
    const summary = await simulate(opts({ agent: 'press-1', rate: '20', duration: '3' }), { clock, status });
    assert.equal(summary['messages'], 60);
    assert.equal(summary['dataPoints'], 240);
    assert.equal(summary['failed'], 0);
    assert.equal(summary['mode'], 'http');
    // Paced: the clock moved the three seconds (and no more), one message per batch at 20/s.
    assert.equal(clock.now() - T0, 3000);
    assert.equal(summary['batches'], 60);
    const asset = summary['assetId'] as string;
    const agent = await json(await s.api(`/api/agentmanagement/v3/agents/${asset}`));
    assert.deepEqual([agent.name, agent.securityProfile], ['press-1', 'SHARED_SECRET']);
    assert.equal((await json(await s.api(`/api/agentmanagement/v3/agents/${asset}/boarding/status`))).status, 'ONBOARDED');
    const mappings = await json(await s.api(`/api/mindconnect/v3/dataPointMappings?filter=${encodeURIComponent(JSON.stringify({ agentId: asset }))}`));
    assert.deepEqual(mappings.content.map((m: { propertyName: string; validity: { status: string } }) => `${m.propertyName}:${m.validity.status}`).sort(),
      ['counter:VALID', 'pressure:VALID', 'running:VALID', 'temperature:VALID']);
    const records = await read(asset, T0, T0 + 3000);
    assert.equal(records.length, 60);
    const vars = sensorVariables(4);
    records.forEach((r, i) => {
      const t = T0 + i * 50;
      assert.equal(r['_time'], new Date(t).toISOString());
      const want = sample(seedOf('press-1'), i, t, vars);
      assert.equal(r['temperature'], Number(want[0]!.value));
      assert.equal(r['temperature_qc'], 0);
      assert.equal(r['counter'], i);
      assert.equal(r['pressure'], Number(want[2]!.value));
      assert.equal(r['running'], want[3]!.value === 'true');
      assert.ok((r['temperature'] as number) > 44 && (r['temperature'] as number) < 76);
    });
  });

  it('runs again on the same machine: offboards and onboards afresh, keeps its asset and mappings', async () => {
    const first = await simulate(opts({ agent: 'press-2', rate: '5', duration: '1' }), { clock: fakeClock(T0), status: new StatusLine(sink(false), true) });
    const again = await simulate(opts({ agent: 'press-2', rate: '5', duration: '1' }), { clock: fakeClock(T0 + 60_000), status: new StatusLine(sink(false), true) });
    assert.equal(again['assetId'], first['assetId']);
    assert.equal((await read(first['assetId'] as string, T0, T0 + 61_000)).length, 10);
    const mappings = await json(await s.api(`/api/mindconnect/v3/dataPointMappings?filter=${encodeURIComponent(JSON.stringify({ agentId: first['assetId'] }))}`));
    assert.equal(mappings.content.length, 4);
    // Another machine type under the same name is refused with the way out.
    await assert.rejects(simulate(opts({ agent: 'press-2', points: '6', duration: '1' }), { clock: fakeClock(T0) }), /SimMachine4.*--points 4/);
  });

  it('draws a status line in place on a terminal and plain lines otherwise', async () => {
    const clock = fakeClock(T0);
    const tty = sink(true);
    await simulate(opts({ agent: 'press-3', rate: '100', duration: '2', points: '8' }), { clock, status: new StatusLine(tty, false, clock.now) });
    assert.match(tty.text, /^\rpress-3 http: \d+ messages/);
    assert.match(tty.text, /\x1b\[K/);
    assert.match(tty.text, /200 messages \(1600 data points\) acknowledged, 100\.0\/s of 100\/s.* 0 failed, 2 s of 2 s\x1b\[K\n$/);
    const plain = sink(false);
    const c2 = fakeClock(T0);
    await simulate(opts({ agent: 'press-4', rate: '10', duration: '25' }), { clock: c2, status: new StatusLine(plain, false, c2.now) });
    assert.doesNotMatch(plain.text, /\r|\x1b/);
    // One line at the start, then one per 10 s, then the summary.
    assert.equal(plain.text.trim().split('\n').length, 4, plain.text);
  });

  it('counts refused batches as failed and batches what fell behind', async () => {
    const clock = fakeClock(T0);
    let calls = 0;
    const stats = await runSimulation({ rate: 100, duration: 1, seed: 1, variables: sensorVariables(2), clock, maxBatch: 30,
      send: async (entries) => { calls++; clock.now(); if (calls === 2) throw new Error('exchange: 400 bad item'); await clock.sleep(entries.length * 25); } });
    // Each send takes 25 ms per message: later batches carry what became due meanwhile, at most 30.
    assert.equal(stats.messages + stats.failed, 100);
    assert.ok(stats.failed >= 1);
    assert.equal(stats.lastError, 'exchange: 400 bad item');
    assert.ok(stats.batches < 100 && stats.batches === calls);
  });

  it('writes the exchange body as the SDK does; the server\'s parser reads it', () => {
    const body = exchangeBody('CF-1', [{ timestamp: '2024-01-01T00:00:00.000Z', values: [{ dataPointId: 'DP-T', value: '20.5', qualityCode: '0' }] }]);
    assert.ok(body.startsWith('--mindspheremessage\nContent-Type:multipart/related;boundary=mindspherepart\n\n--mindspherepart\n'));
    assert.ok(body.endsWith('"qualityCode":"0"}]}]\n\n\r\n--mindspherepart--\n--mindspheremessage--\n'));
    const [item] = parseMultipart(body, 'mindspheremessage');
    const parts = parseMultipart(item!.body, 'mindspherepart');
    assert.equal(JSON.parse(parts[0]!.body).payload.details.configurationId, 'CF-1');
    assert.equal(JSON.parse(parts[1]!.body)[0].values[0].value, '20.5');
  });

  it('runs as a command and prints a JSON summary; the values are stored', async () => {
    const r = await runCli(['agent', 'simulate', '--agent', 'cli-sim', '--rate', '50', '--duration', '0.2', '--url', s.url, '--json'], { env: env as Record<string, string> });
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.messages, 10);
    assert.match(r.stderr, /agent cli-sim \(id [0-9a-f]{32}\) onboarded/);
    const records = await read(summary.assetId, Date.parse(summary.from), Date.parse(summary.to));
    assert.equal(records.length, 10);
  });

  it('refuses bad flags, a missing binding key and an unreachable broker with one line each', async () => {
    for (const [o, message] of [
      [{ rate: '0' }, /--rate must be a number from 0\.001 to 1000, got "0"/],
      [{ rate: 'fast' }, /--rate must be/],
      [{ rate: '1001' }, /--rate must be/],
      [{ points: '2.5' }, /--points must be a whole number from 1 to 100/],
      [{ points: '101' }, /--points must be/],
      [{ duration: '-1' }, /--duration must be/],
      [{ http: true, mqtt: true }, /choose one of --http and --mqtt/],
      [{ agent: ' ' }, /--agent must be a name/],
    ] as const) {
      await assert.rejects(simulate(opts({ agent: 'bad', ...o }), {}), message);
    }
    await assert.rejects(simulate(opts({ agent: 'bad-broker', mqtt: true, broker: 'mqtt://127.0.0.1:1', duration: '1' }), { status: new StatusLine(sink(false), true) }),
      /MQTT broker mqtt:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    // As a command: one line on standard error, exit 1 for a mistake in the call, 2 for missing configuration.
    const bad = await runCli(['agent', 'simulate', '--agent', 'bad', '--rate', '0'], { env: env as Record<string, string> });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ironbridge: --rate must be a number from 0\.001 to 1000, got "0"\n$/);
    const nokey = await runCli(['agent', 'simulate', '--agent', 'bad'], { env: { IRONBRIDGE_TOKEN_URL: '', IRONBRIDGE_CLIENT_ID: '', IRONBRIDGE_CLIENT_SECRET: '' } });
    assert.equal(nokey.code, 2);
    assert.match(nokey.stderr, /IRONBRIDGE_TOKEN_URL is not set/);
  });

  describe('--mqtt', () => {
    let broker: Aedes;
    let tcp: net.Server;
    let port = 0;
    const seen: { clientId: string; username?: string; password?: string; topic?: string; payload?: string }[] = [];
    before(async () => {
      broker = await Aedes.createBroker({
        authenticate: (client, username, password, done) => {
          seen.push({ clientId: client.id, ...(username ? { username } : {}), ...(password ? { password: password.toString() } : {}) });
          done(null, true);
        },
      });
      broker.on('publish', (packet, client) => { if (client) seen.push({ clientId: client.id, topic: packet.topic, payload: packet.payload.toString() }); });
      tcp = net.createServer(broker.handle);
      await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
      port = (tcp.address() as net.AddressInfo).port;
    });
    after(async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    });

    it('connects as {tenant}_{agent} with the agent token as password and publishes QoS 1 time series messages', async () => {
      const summary = await simulate(opts({ agent: 'mq-1', mqtt: true, broker: `mqtt://127.0.0.1:${port}`, rate: '10', duration: '1' }),
        { clock: fakeClock(T0), status: new StatusLine(sink(false), true) });
      assert.equal(summary['messages'], 10);
      const clientId = `${s.tenant}_mq-1`;
      const auth = seen.find((x) => x.clientId === clientId && x.password);
      assert.ok(auth, JSON.stringify(seen));
      assert.equal(auth.username, clientId);
      // The password is a live agent token of this agent: the server takes it on the agent's own configuration.
      const cfg = await s.api(`/api/agentmanagement/v3/agents/${summary['assetId']}/dataSourceConfiguration`, { token: auth.password! });
      assert.equal(cfg.status, 200);
      const msgs = seen.filter((x) => x.clientId === clientId && x.topic);
      assert.equal(msgs.length, 10);
      assert.ok(msgs.every((m) => m.topic === `tc/${s.tenant}/${clientId}/o/mc_v3/ts`));
      assert.deepEqual(JSON.parse(msgs[3]!.payload!), { timeseries: [{ timestamp: new Date(T0 + 300).toISOString(),
        values: sample(seedOf('mq-1'), 3, T0 + 300, sensorVariables(4)) }] });
    });

    it('publishes to the machine\'s mosquitto; a subscriber gets every message and payload', async () => {
      const name = `mq-${process.pid}-${Date.now()}`;
      const clientId = `${s.tenant}_${name}`;
      const sub = await connectAsync('mqtt://127.0.0.1:1883', { clientId: `${clientId}-sub`, protocolVersion: 4 });
      const got: { topic: string; payload: { timeseries: { timestamp: string; values: { dataPointId: string; value: string; qualityCode: string }[] }[] } }[] = [];
      let allIn: () => void = () => {};
      const arrived = new Promise<void>((r) => { allIn = r; });
      sub.on('message', (topic, payload) => {
        got.push({ topic, payload: JSON.parse(payload.toString()) });
        if (got.length === 50) allIn();
      });
      await sub.subscribeAsync(mqttTopic(s.tenant, clientId), { qos: 1 });
      try {
        const summary = await simulate(opts({ agent: name, mqtt: true, broker: 'mqtt://127.0.0.1:1883', rate: '50', duration: '1', points: '5' }),
          { clock: fakeClock(T0), status: new StatusLine(sink(false), true) });
        assert.equal(summary['messages'], 50);
        // Acknowledged by mosquitto means queued for the subscriber; delivery follows on the socket.
        await Promise.race([arrived, new Promise((r) => setTimeout(r, 10_000).unref())]);
        assert.equal(got.length, 50);
        const counters = got.map((g) => Number(g.payload.timeseries[0]!.values.find((v) => v.dataPointId === 'DP-counter')!.value)).sort((a, b) => a - b);
        assert.deepEqual(counters, Array.from({ length: 50 }, (_, i) => i));
        assert.deepEqual(got[0]!.payload.timeseries[0]!.values.map((v) => v.dataPointId), ['DP-temperature', 'DP-counter', 'DP-pressure', 'DP-running', 'DP-temperature2']);
        assert.ok(got.every((g) => g.payload.timeseries[0]!.values.every((v) => typeof v.value === 'string' && v.qualityCode === '0')));
      } finally {
        if (sub.connected) await sub.endAsync();
      }
    });
  });
});
