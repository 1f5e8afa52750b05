/**
 * `ironbridge agent simulate`: a built-in machine that connects like a MindConnect device (Agent Management API
 * v3, MindConnect API v3 exchange, MindConnect MQTT) and sends sensor-like values at a steady rate, for demos, the
 * UI and benchmarks. It provisions its asset, agent, data source configuration and mappings with the binding key in
 * the environment (simulator.ts), then sends over the exchange (--http, default) or MQTT (--mqtt), with a status
 * line on a terminal (plain lines otherwise) and a summary at the end (--json: as JSON).
 */
import type { WriteStream } from 'node:tty';
import { type Command, Option } from 'commander';
import { Authenticator } from '@ironbridge/sdk';
import { CREDENTIALS } from './data.js';
import { jsonOption, note, printJson, urlOption, UsageError } from './output.js';
import { MAX_POINTS, MAX_RATE, mqttSender, mqttTopic, percentile, postExchange, provisionAgent, type RunStats, runSimulation,
  type Sender, type SimClock } from './simulator.js';

export interface SimulateOptions {
  agent: string;
  rate: string;
  http?: boolean;
  mqtt?: boolean;
  url?: string;
  broker: string;
  duration?: string;
  points: string;
  json?: boolean;
}

type Stream = NodeJS.WriteStream | WriteStream;

const number = (raw: string, flag: string, min: number, max: number, integer = false): number => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  }
  return n;
};

/** A stable seed per agent name, so two machines do not send the same curve. */
export const seedOf = (name: string) => [...name].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);

/** One status line: redrawn in place on a terminal at most 4 times a second, else a plain line every 10 s. */
export class StatusLine {
  private last = 0;
  constructor(private readonly stream: Stream = process.stderr, private readonly quiet = false, private readonly clock: () => number = Date.now) {}

  update(text: string, force = false): void {
    if (this.quiet) return;
    const now = this.clock();
    const tty = Boolean(this.stream.isTTY);
    if (!force && now - this.last < (tty ? 250 : 10_000)) return;
    this.last = now;
    this.stream.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
  }

  end(text: string): void {
    if (this.quiet) return;
    this.stream.write(this.stream.isTTY ? `\r${text}\x1b[K\n` : `${text}\n`);
  }
}

export function statusText(name: string, mode: string, s: RunStats, rate: number, duration?: number): string {
  const secs = s.elapsedMs / 1000;
  const perSec = secs > 0 ? s.messages / secs : 0;
  return `${name} ${mode}: ${s.messages} messages (${s.points} data points) acknowledged, ${perSec.toFixed(1)}/s of ${rate}/s, `
    + `ack p50 ${percentile(s.latencies, 50).toFixed(1)} ms p99 ${percentile(s.latencies, 99).toFixed(1)} ms, ${s.failed} failed, `
    + `${secs.toFixed(0)} s${duration === undefined ? '' : ` of ${duration} s`}`;
}

export interface SimulateDeps {
  clock?: SimClock;
  signal?: AbortSignal;
  status?: StatusLine;
  env?: NodeJS.ProcessEnv;
  /** Where the set-up notes go (default standard error). */
  note?: (text: string) => void;
}

/** The command's work, callable from tests with an injected clock. Returns the summary it prints. */
export async function simulate(opts: SimulateOptions, deps: SimulateDeps = {}): Promise<Record<string, unknown>> {
  if (opts.http && opts.mqtt) throw new UsageError('choose one of --http and --mqtt');
  const rate = number(opts.rate, '--rate', 0.001, MAX_RATE);
  const points = number(opts.points, '--points', 1, MAX_POINTS, true);
  const duration = opts.duration === undefined ? undefined : number(opts.duration, '--duration', 0.001, 31_536_000);
  const mode = opts.mqtt ? 'mqtt' : 'http';
  if (opts.agent.trim() === '' || opts.agent.length > 100) throw new UsageError('--agent must be a name of 1 to 100 characters');
  const env = deps.env ?? process.env;
  const say = deps.note ?? note;
  const auth = Authenticator.fromEnv({}, env);
  const baseUrl = (opts.url ?? env['IRONBRIDGE_API_URL'] ?? new URL(auth.tokenUrl).origin).replace(/\/+$/, '');
  say(`platform ${baseUrl} (token from ${auth.tokenUrl})`);
  const agent = await provisionAgent({ baseUrl, token: () => auth.getAccessToken() }, { name: opts.agent, points });
  say(`agent ${agent.name} (id ${agent.id}) onboarded; values go to ${agent.id}/${agent.aspect} (${agent.variables.map((v) => v.name).join(', ')})`);
  let send: Sender = (entries) => postExchange(agent, entries);
  let close = async () => {};
  if (mode === 'mqtt') {
    const m = await mqttSender(agent, opts.broker);
    say(`publishing to ${opts.broker} on ${mqttTopic(agent.tenant, agent.clientId)} as ${agent.clientId}`);
    send = m.send;
    close = m.close;
  }
  const status = deps.status ?? new StatusLine(process.stderr, opts.json);
  let stats: RunStats;
  try {
    stats = await runSimulation({ rate, duration, seed: seedOf(agent.name), variables: agent.variables, send, clock: deps.clock,
      signal: deps.signal, onBatch: (s) => status.update(statusText(agent.name, mode, s, rate, duration)) });
  } finally {
    await close();
  }
  status.end(statusText(agent.name, mode, stats, rate, duration));
  return {
    agent: agent.name, agentId: agent.id, assetId: agent.id, aspect: agent.aspect, mode, rate, points, seconds: stats.elapsedMs / 1000,
    messages: stats.messages, dataPoints: stats.points, failed: stats.failed, batches: stats.batches,
    ackP50Ms: percentile(stats.latencies, 50), ackP99Ms: percentile(stats.latencies, 99), from: stats.first ?? null, to: stats.last ?? null,
    ...(stats.lastError ? { lastError: stats.lastError } : {}),
  };
}

export function registerSimulate(agent: Command): void {
  agent.command('simulate')
    .description('simulate a machine: create its asset and agent if needed, onboard, map and send sensor-like values '
      + '(sine + noise temperature, counter, pressure, running) at --rate messages per second\n'
      + `example: ironbridge agent simulate --agent pump-1 --rate 10 --duration 60 (${CREDENTIALS})`)
    .requiredOption('--agent <name>', 'agent (and asset) name; created when missing, onboarded afresh')
    .option('--rate <n>', `messages (one timestamp each) per second, up to ${MAX_RATE}`, '1')
    .option('--http', 'send over the MindConnect exchange (POST /api/mindconnect/v3/exchange; the default)')
    .option('--mqtt', 'publish to an MQTT broker (tc/{tenant}/{clientId}/o/mc_v3/ts, QoS 1, the agent token as password)')
    .addOption(urlOption())
    .option('--broker <url>', 'MQTT broker URL for --mqtt', 'mqtt://127.0.0.1:1883')
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)')
    .addOption(new Option('--points <k>', `data points per message (variables of the machine), 1 to ${MAX_POINTS}`).default('4'))
    .addOption(jsonOption())
    .action(async (opts: SimulateOptions) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await simulate(opts, { signal: stop.signal });
        if (opts.json) printJson(summary);
        if (Number(summary['failed']) > 0) {
          throw new Error(`${String(summary['failed'])} messages were not acknowledged (last: ${String(summary['lastError'])})`);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
