/**
 * Ingest benchmark (issue 13, run on demand: `npx tsc -p . && node dist/bench/ingest/run.js [flags]`): simulated
 * machines (src/cli/simulator.ts, the code of `ironbridge agent simulate`) provisioned and onboarded on an
 * `ironbridge serve` child, then, with the publishers in `--publisher-procs` child processes (publishers.ts):
 *   1. exchange: every agent sends its paced messages over the MindConnect exchange (one batch in flight per agent,
 *      what fell due meanwhile in the next batch). Reported: data points per second readable in storage afterwards
 *      (read back through IoT Time Series v3, counted per acknowledged timestamp), p50/p99 acknowledgement latency,
 *      acknowledged losses (acknowledged but not readable), refused batches, the server's CPU per data point;
 *   2. mosquitto: the same MQTT messages (topics, payloads, client ids, QoS 1) published to mosquitto and counted at
 *      a subscriber: its pass-through rate is the reference; the ratio is printed. By default the bench starts its
 *      own mosquitto (mosquitto.ts: a free port, raised queue limits, its drop count read back);
 *   3. Ironbridge MQTT (embedded broker, `--mqtt-port`): the hook below; skipped with a message when the server has
 *      no embedded broker;
 *   4. Ironbridge subscribed to the same mosquitto.
 * Flags: --agents 100 --seconds 20 --rate 100 (messages per second per agent) --points 10 (data points per message)
 * --publisher-procs 2 --mqtt-port N --mosquitto own|none|mqtt://host:port (own: started by the bench when installed)
 * --mosquitto-max-queued 1000000 --mosquitto-max-inflight 1000 (of the bench's own mosquitto),
 * --exchange none (skips phase 1), --external none (skips phase 4), --reference none (skips phase 2, keeps the broker).
 * BENCH_SERVER_NODE_ARGS: node flags of the server child (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connectAsync } from 'mqtt';
import { mqttPayload, mqttTopic, percentile, provisionAgent, type RunStats, type SimAgent } from '../../src/cli/simulator.js';
import { BIN, fetchToken, firstStartSecrets, tempDir } from '../../test/helpers/server.js';
import { cpuMs, fmt, pool, startServe } from '../timeseries-shared.js';
import { mosquittoBinary, type OwnMosquitto, startMosquitto } from './mosquitto.js';
import { runPublishers, type Transport } from './publishers.js';

const { values: flags } = parseArgs({ options: {
  agents: { type: 'string', default: '100' }, seconds: { type: 'string', default: '20' }, rate: { type: 'string', default: '100' },
  points: { type: 'string', default: '10' }, 'mqtt-port': { type: 'string' }, mosquitto: { type: 'string', default: 'own' },
  exchange: { type: 'string', default: 'yes' }, external: { type: 'string', default: 'yes' },
  reference: { type: 'string', default: 'yes' }, 'publisher-procs': { type: 'string', default: '2' },
  'mosquitto-max-queued': { type: 'string', default: '1000000' }, 'mosquitto-max-inflight': { type: 'string', default: '1000' },
} });
const AGENTS = Number(flags.agents);
const SECONDS = Number(flags.seconds);
const RATE = Number(flags.rate);
const POINTS = Number(flags.points);
const MQTT_PORT = flags['mqtt-port'] === undefined ? undefined : Number(flags['mqtt-port']);
const PROCS = Number(flags['publisher-procs']);

/**
 * HOOK (Ironbridge MQTT mode): the server setting that turns the embedded MQTT broker on at a port, as its
 * environment variable (`--mqtt-port` / IRONBRIDGE_MQTT_PORT of the MQTT ingestion, merged on main from the `mqtt`
 * branch). With `--mqtt-port N` the server child starts with it set to N, and phase 3 publishes the same messages to
 * mqtt://127.0.0.1:N and counts what is readable, exactly as phase 1 does. A server without the broker (a build
 * before that merge ignores the variable) accepts no connection there: the mode is then skipped with a message.
 */
const EMBEDDED_MQTT_PORT_ENV: string | undefined = 'IRONBRIDGE_MQTT_PORT';

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

interface Phase { name: string; stats: RunStats[]; seconds: number; startedAt: number; acked: Map<string, Set<string>>; clientCpuMs: number;
  cpuMs?: number }

const sumOf = (stats: RunStats[], f: (s: RunStats) => number) => stats.reduce((a, s) => a + f(s), 0);

/** Runs every agent's simulation at once over `transport`, in PROCS publisher processes (publishers.ts). */
async function phase(name: string, agents: SimAgent[], transport: Transport): Promise<Phase> {
  const r = await runPublishers(PROCS, agents, transport, RATE, SECONDS);
  return { name, stats: r.stats, seconds: r.seconds, startedAt: r.startedAt, acked: r.acked, clientCpuMs: r.clientCpuMs };
}

/** Data points readable through IoT Time Series v3 at the acknowledged timestamps of each agent (every page). */
async function readable(baseUrl: string, token: string, agents: SimAgent[], acked: Map<string, Set<string>>, stats: RunStats[]): Promise<number> {
  let points = 0;
  await pool(agents.map((a, i) => async () => {
    const s = stats[i]!;
    if (!s.first || !s.last) return;
    const want = acked.get(a.id)!;
    let next: string | undefined = `/api/iottimeseries/v3/timeseries/${a.id}/${a.aspect}?from=${new Date(Date.parse(s.first) - 1).toISOString()}`
      + `&to=${s.last}&limit=2000`;
    while (next) {
      const res = await fetch(`${baseUrl}${next}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`read ${a.id}: ${res.status} ${await res.text()}`);
      for (const r of await res.json() as Record<string, unknown>[]) {
        if (!want.has(String(r['_time']))) continue;
        points += Object.keys(r).filter((k) => k !== '_time' && !k.endsWith('_qc')).length;
      }
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
  }), 8);
  return points;
}

/**
 * Publishes the agents' messages to an external broker and counts them at one subscriber of every agent's topic:
 * mosquitto_sub (C, its own process, QoS 1) when it is installed, so the counting costs the publishing process
 * nothing; else an mqtt.js subscriber in this process.
 */
async function mosquittoPhase(url: string, agents: SimAgent[]): Promise<{ phase: Phase; received: number; seconds: number; subscriber: string }> {
  const topics = agents.map((a) => mqttTopic(a.tenant, a.clientId));
  let received = 0;
  let lastAt = 0;
  let stop: () => Promise<void>;
  let subscriber: string;
  const u = new URL(url);
  const clientId = `ironbridge-bench-sub-${process.pid}`;
  if (spawnSync('mosquitto_sub', ['--help']).error === undefined) {
    subscriber = 'mosquitto_sub';
    const sub = spawn('mosquitto_sub', ['-h', u.hostname, '-p', u.port || '1883', '-q', '1', '-i', clientId, '-F', '.', ...topics.flatMap((t) => ['-t', t])],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    process.once('exit', () => { if (sub.exitCode === null) sub.kill('SIGKILL'); });
    sub.stdout.on('data', (d: Buffer) => {
      for (const c of d) if (c === 0x0a) received++;
      lastAt = performance.now();
    });
    // Subscribed once a probe on the first topic comes back.
    const probe = await connectAsync(url, { clientId: `${clientId}-probe`, protocolVersion: 4 });
    for (let i = 0; received === 0; i++) {
      if (i === 100) throw new Error('mosquitto_sub did not subscribe');
      await probe.publishAsync(topics[0]!, 'probe', { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    await probe.endAsync();
    await new Promise((r) => setTimeout(r, 300));
    received = 0;
    stop = () => new Promise<void>((r) => { sub.once('exit', () => r()); sub.kill('SIGTERM'); });
  } else {
    subscriber = 'mqtt.js in the publishing process';
    const sub = await connectAsync(url, { clientId, protocolVersion: 4, clean: true });
    sub.on('message', () => { received++; lastAt = performance.now(); });
    await sub.subscribeAsync(topics, { qos: 1 });
    stop = () => sub.endAsync();
  }
  const p = await phase('mosquitto', agents, { kind: 'mqtt', url });
  const acked = sumOf(p.stats, (s) => s.messages);
  // Deliveries still on the way: wait until every acknowledged message arrived or nothing came for 2 s.
  for (let idle = 0; received < acked && idle < 20; idle++) {
    const before = received;
    await new Promise((r) => setTimeout(r, 100));
    if (received !== before) idle = 0;
  }
  await stop();
  return { phase: p, received, seconds: ((lastAt || performance.now()) - p.startedAt) / 1000, subscriber };
}

function row(label: string, points: number, seconds: number, p: Phase, extra = ''): string {
  const lat = p.stats.flatMap((s) => s.latencies);
  // A path that delivers what was offered kept up: its figure is a floor of what it can do, not its ceiling.
  const keptUp = points / seconds >= 0.95 * AGENTS * RATE * POINTS ? ' (kept up with the offered load)' : '';
  // Every agent's first batch goes out at the same instant: those queue behind each other; the rest is steady state.
  const firsts = p.stats.map((s) => s.latencies[0] ?? 0);
  const worst = p.stats.map((s) => Math.max(0, ...s.latencies));
  const later = p.stats.flatMap((s) => s.latencies.slice(1));
  return `| ${label} | ${fmt(points / seconds)}${keptUp} | ${fmt(points / POINTS / seconds)} | ${fmt(points)} | ${seconds.toFixed(1)} | ${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 99).toFixed(1)} `
    + `| ${percentile(later, 99).toFixed(1)} / ${Math.max(0, ...firsts).toFixed(0)} | ${fmt(sumOf(p.stats, (s) => s.failed))} | ${extra}; `
    // A refusal is explained by its error, not only counted.
    + (p.stats.some((s) => s.lastError) ? `last refusal: ${p.stats.find((s) => s.lastError)?.lastError}; ` : '')
    // Every agent sends all its messages in the end; whether one waited much longer than the others shows in its worst latency.
    + `worst ack per agent ${Math.min(...worst).toFixed(0)}–${Math.max(...worst).toFixed(0)} ms; `
    + `publishers' CPU ${((p.clientCpuMs * 1000) / Math.max(1, sumOf(p.stats, (s) => s.points))).toFixed(1)} µs/point |`;
}

/** An `ironbridge serve` child on a free port with `env`; resolves once it answers /health. */
const startServer = (dataDir: string, env: Record<string, string>) => startServe(BIN, dataDir, env);

const stopServer = (child: ReturnType<typeof spawn>) => new Promise<void>((r) => {
  if (child.exitCode !== null) return r();
  child.once('exit', () => r());
  child.kill('SIGTERM');
});

/** A counter of the server's /metrics (summed over its label sets matching `labels`). */
async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

async function main(): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}`);
  console.log(`${AGENTS} agents × ${RATE} messages/s × ${POINTS} data points for ${SECONDS} s: offered ${fmt(AGENTS * RATE * POINTS)} data points/s`);
  const dataDir = tempDir('ironbridge-bench-ingest-');
  // Every simulated machine connects from 127.0.0.1, where a plant's come from addresses of their own: the per-address
  // share of the connection cap (50 % by default) would refuse some of them, as the bench's own provisioning
  // connections, idle in the parent's pool, count against it too. The instance cap (400) still applies.
  const env: Record<string, string> = { IRONBRIDGE_LOG_LEVEL: 'warn', IRONBRIDGE_SECRET_HASH_COST: '10', IRONBRIDGE_GATEWAY_ADDRESS_SHARE: '100' };
  const embedded = MQTT_PORT !== undefined && EMBEDDED_MQTT_PORT_ENV !== undefined;
  if (embedded) env[EMBEDDED_MQTT_PORT_ENV!] = String(MQTT_PORT);
  let { child, url } = await startServer(dataDir, env);
  const { key } = firstStartSecrets(dataDir);
  const admin = await fetchToken(url, key);
  const api = { baseUrl: url, token: async () => admin };
  const run = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  let t = performance.now();
  const agents: SimAgent[] = new Array(AGENTS);
  await pool(Array.from({ length: AGENTS }, (_, i) => async () => {
    agents[i] = await provisionAgent(api, { name: `bench-${run}-${String(i).padStart(3, '0')}`, points: POINTS });
  }), 4);
  console.log(`provisioned and onboarded ${AGENTS} agents in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const rows: string[] = [];
  /** Rates of the Ironbridge MQTT paths, printed as ratios to mosquitto's pass-through of the same run. */
  const ratios: [string, number][] = [];
  // The server's CPU per point, and how much of a core it got meanwhile: on a loaded machine the rate follows the
  // share of a core the server gets, while the CPU per point is what the path costs.
  const cpuNote = (p: Phase, points: number, seconds = p.seconds) => `server CPU ${((p.cpuMs! * 1000) / Math.max(1, points)).toFixed(1)} µs/point `
    + `(${(p.cpuMs! / 1000 / seconds).toFixed(2)} of a core)`;
  // ---------------------------------------------------------------- 1. the exchange
  let httpRate: number | undefined;
  let cpu = 0;
  if (flags.exchange !== 'none') {
    cpu = cpuMs(child.pid!);
    const http = await phase('exchange', agents, { kind: 'exchange' });
    http.cpuMs = cpuMs(child.pid!) - cpu;
    t = performance.now();
    const httpAcked = sumOf(http.stats, (s) => s.points);
    const httpReadable = await readable(url, admin, agents, http.acked, http.stats);
    console.log(`read back in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    httpRate = httpReadable / http.seconds;
    rows.push(row('Ironbridge, MindConnect exchange (HTTP)', httpReadable, http.seconds, http,
      `${fmt(httpAcked - httpReadable)} acknowledged lost; ${fmt(sumOf(http.stats, (s) => s.acknowledged))} exchanges `
      + `(${Math.min(...http.stats.map((s) => s.acknowledged))}–${Math.max(...http.stats.map((s) => s.acknowledged))} per agent), ${cpuNote(http, httpReadable)}`));
  }

  // The broker of phases 2 and 4: the bench's own mosquitto, or the one of --mosquitto URL.
  let own: OwnMosquitto | undefined;
  let brokerUrl: string | undefined = flags.mosquitto === 'none' ? undefined : flags.mosquitto;
  if (brokerUrl === 'own') {
    const bin = mosquittoBinary();
    if (!bin) {
      console.log('mosquitto phases skipped: no mosquitto installed (or pass --mosquitto mqtt://host:port)');
      brokerUrl = undefined;
    } else {
      own = await startMosquitto(bin, dataDir, Number(flags['mosquitto-max-queued']), Number(flags['mosquitto-max-inflight']));
      brokerUrl = own.url;
      console.log(`the bench's own mosquitto ${own.version} at ${own.url}: max_queued_messages ${own.config.maxQueued}, `
        + `max_inflight_messages ${own.config.maxInflight}`);
    }
  }
  const brokerName = own ? `the bench's mosquitto ${own.version}` : brokerUrl;
  /** What mosquitto dropped during `during` (its own count; undefined for a broker the bench did not start). */
  const dropsOf = async (during: () => Promise<void>): Promise<string> => {
    if (!own) return '';
    const before = await own.dropped();
    await during();
    // $SYS is published every second: the count of the end of the phase.
    await new Promise((r) => setTimeout(r, 1100));
    const after = await own.dropped();
    return `; mosquitto dropped ${Number.isNaN(after - before) ? '? (no $SYS answer)' : fmt(after - before)} messages`;
  };

  // ---------------------------------------------------------------- 2. mosquitto pass-through (the reference)
  let mosquittoRate: number | undefined;
  if (brokerUrl && flags.reference !== 'none') {
    let m!: Awaited<ReturnType<typeof mosquittoPhase>>;
    let brokerCpu = own ? cpuMs(own.pid) : 0;
    const drops = await dropsOf(async () => { m = await mosquittoPhase(brokerUrl!, agents); });
    brokerCpu = own ? cpuMs(own.pid) - brokerCpu : 0;
    const points = m.received * POINTS;
    mosquittoRate = points / m.seconds;
    rows.push(row(`mosquitto pass-through (${brokerName}, QoS 1, one subscriber: ${m.subscriber})`, points, m.seconds, m.phase,
      `${fmt(sumOf(m.phase.stats, (s) => s.messages) - m.received)} acknowledged not delivered${drops}; ${fmt(m.received)} messages`
      + (own ? `; mosquitto CPU ${((brokerCpu * 1000) / Math.max(1, points)).toFixed(1)} µs/point` : '')));
  }

  // ---------------------------------------------------------------- 3. HOOK: Ironbridge MQTT (embedded broker)
  if (MQTT_PORT !== undefined && !embedded) {
    console.log(`Ironbridge MQTT mode skipped: --mqtt-port ${MQTT_PORT} given, but no embedded broker setting is known `
      + '(EMBEDDED_MQTT_PORT_ENV in bench/ingest/run.ts)');
  } else if (embedded && !(await listening(MQTT_PORT!))) {
    console.log(`Ironbridge MQTT mode skipped: the server was started with ${EMBEDDED_MQTT_PORT_ENV}=${MQTT_PORT}, but nothing `
      + 'listens there (this build has no embedded MQTT broker)');
  } else if (embedded) {
    cpu = cpuMs(child.pid!);
    const p = await phase('ironbridge-mqtt', agents, { kind: 'mqtt', url: `mqtt://127.0.0.1:${MQTT_PORT}` });
    p.cpuMs = cpuMs(child.pid!) - cpu;
    const got = await readable(url, admin, agents, p.acked, p.stats);
    ratios.push(['embedded MQTT', got / p.seconds]);
    rows.push(row(`Ironbridge, embedded MQTT broker (port ${MQTT_PORT})`, got, p.seconds, p,
      `${fmt(sumOf(p.stats, (s) => s.points) - got)} acknowledged lost; ${cpuNote(p, got)}`));
  }

  // ---------------------------------------------------------------- 4. Ironbridge subscribed to the external broker
  if (brokerUrl && flags.external !== 'none') {
    // A server restarted on the same data directory with the subscription (phases 1-3 ran without it, so the
    // reference's messages were not ingested meanwhile); a persistent session of its own client id.
    await stopServer(child);
    const subscriberId = `ironbridge-bench-${run}`;
    ({ child, url } = await startServer(dataDir, { ...env, IRONBRIDGE_MQTT_EXTERNAL_URL: brokerUrl,
      IRONBRIDGE_MQTT_EXTERNAL_CLIENT_ID: subscriberId, IRONBRIDGE_MQTT_EXTERNAL_TENANTS: agents[0]!.tenant }));
    const admin2 = await fetchToken(url, key);
    // Subscribed once a probe message of an unknown client id is counted as refused.
    const probe = await connectAsync(brokerUrl, { clientId: `${subscriberId}-probe`, protocolVersion: 4 });
    const unknown = () => metric(url, 'ironbridge_mqtt_refusals_total', 'kind="unknown_agent"');
    for (let i = 0; (await unknown()) === 0; i++) {
      if (i === 100) throw new Error('the server did not subscribe to the external broker');
      await probe.publishAsync(mqttTopic(agents[0]!.tenant, `${agents[0]!.tenant}_probe-${run}`), mqttPayload([]), { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    await probe.endAsync();
    const stored = () => metric(url, 'ironbridge_mqtt_data_points_total', 'transport="external"');
    const base = await stored();
    cpu = cpuMs(child.pid!);
    let p!: Phase;
    let last = 0;
    let lastAt = 0;
    const drops = await dropsOf(async () => {
      p = await phase('ironbridge-external', agents, { kind: 'mqtt', url: brokerUrl! });
      // Storage may lag behind the broker's acknowledgements: wait until nothing more arrives for 3 s.
      const offered = sumOf(p.stats, (s) => s.points);
      last = await stored() - base;
      lastAt = performance.now();
      for (let idle = 0; last < offered && idle < 30; idle++) {
        await new Promise((r) => setTimeout(r, 100));
        const now = await stored() - base;
        if (now !== last) { last = now; lastAt = performance.now(); idle = 0; }
      }
    });
    p.cpuMs = cpuMs(child.pid!) - cpu;
    const offered = sumOf(p.stats, (s) => s.points);
    const seconds = Math.max(p.seconds, (lastAt - p.startedAt) / 1000);
    const got = await readable(url, admin2, agents, p.acked, p.stats);
    ratios.push(['subscribed to the external broker', got / seconds]);
    rows.push(row(`Ironbridge subscribed to ${brokerName} (agents publish there; ack = the broker's)`, got, seconds, p,
      `${fmt(offered - got)} acknowledged by the broker not stored${drops}; storage done ${(seconds - p.seconds).toFixed(1)} s after the last ack; `
      + cpuNote(p, got, seconds)));
    // The persistent session is the bench's own: removed from the broker.
    await stopServer(child);
    await (await connectAsync(brokerUrl, { clientId: subscriberId, clean: true, protocolVersion: 4 })).endAsync();
  }
  await own?.stop();

  console.log('');
  console.log(`publishers: ${PROCS} processes`);
  console.log('| path | data points/s into storage (mosquitto: delivered) | messages/s | data points | seconds | ack p50 ms | ack p99 ms | '
    + 'p99 without each agent\'s first batch / slowest first batch, ms | refused messages | notes |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  if (mosquittoRate && httpRate !== undefined) console.log(`\nexchange / mosquitto pass-through: ${(httpRate / mosquittoRate).toFixed(2)}×`);
  if (mosquittoRate) for (const [name, rate] of ratios) console.log(`${name} / mosquitto pass-through: ${(rate / mosquittoRate).toFixed(2)}×`);
  console.log(`load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}`);
  await stopServer(child);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
