/**
 * The publishing side of bench/ingest in child processes, so that one Node process is not the ceiling of what is
 * offered (with one process for 100 agents the publishers capped at ~95,000 points/s): `runPublishers` forks N
 * children of this file, splits the agents among them (agent i goes to child i mod N, its seed stays i + 1),
 * starts them together once every child's connections are up, and merges what they report: each agent's RunStats
 * (latencies included), its acknowledged timestamps, and the CPU the children used. A child runs the simulator's
 * own pacing loop and senders (src/cli/simulator.ts: `simulate --mqtt` and the exchange), exactly as in-process.
 * Run as a child (`process.send` set), this file waits for its setup message on the IPC channel.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mqttSender, postExchange, type RunStats, runSimulation, type Sender, type SimAgent } from '../../src/cli/simulator.js';

/** An agent as a child gets it: the simulator's fields, with a token string instead of the token function. */
export type WireAgent = Omit<SimAgent, 'token'> & { token: string; seed: number };

export type Transport = { kind: 'mqtt'; url: string } | { kind: 'exchange' };

interface Setup { type: 'setup'; transport: Transport; agents: WireAgent[]; rate: number; seconds: number }
type FromChild =
  | { type: 'ready' }
  | { type: 'done'; stats: RunStats[]; acked: string[][]; startEpoch: number; endEpoch: number; cpuMs: number }
  | { type: 'error'; message: string };

export interface PublishersResult {
  /** Per agent, in the order of `agents`. */
  stats: RunStats[];
  acked: Map<string, Set<string>>;
  /** Seconds from the earliest child's start to the last child's end. */
  seconds: number;
  /** The earliest start, on this process's performance.now() clock. */
  startedAt: number;
  /** CPU milliseconds the children used from the start to the end of their runs (not their start-up). */
  clientCpuMs: number;
}

const epochNow = () => performance.timeOrigin + performance.now();

/** Forks `procs` publisher children for `agents`; resolves once every agent's run ended and was reported. */
export async function runPublishers(procs: number, agents: SimAgent[], transport: Transport, rate: number, seconds: number): Promise<PublishersResult> {
  const n = Math.max(1, Math.min(procs, agents.length));
  const tokens = await Promise.all(agents.map((a) => a.token()));
  const shares: number[][] = Array.from({ length: n }, () => []);
  agents.forEach((_, i) => shares[i % n]!.push(i));
  const file = fileURLToPath(import.meta.url);
  const children = shares.map(() => fork(file, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const kill = () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); };
  process.once('exit', kill);
  const next = (i: number) => new Promise<FromChild>((resolve, reject) => {
    const c = children[i]!;
    const onExit = (code: number | null) => reject(new Error(`publisher ${i} exited (${code}) before reporting`));
    c.once('exit', onExit);
    c.once('message', (m: FromChild) => {
      c.off('exit', onExit);
      if (m.type === 'error') reject(new Error(`publisher ${i}: ${m.message}`));
      else resolve(m);
    });
  });
  try {
    const ready = children.map((_, i) => next(i));
    children.forEach((c, i) => c.send({ type: 'setup', transport, rate, seconds,
      agents: shares[i]!.map((k) => ({ ...agents[k]!, token: tokens[k]!, seed: k + 1 })) } satisfies Setup));
    await Promise.all(ready);
    const done = children.map((_, i) => next(i));
    for (const c of children) c.send({ type: 'go' });
    const reports = (await Promise.all(done)) as Extract<FromChild, { type: 'done' }>[];
    const stats: RunStats[] = new Array(agents.length);
    const acked = new Map<string, Set<string>>();
    reports.forEach((r, i) => shares[i]!.forEach((k, j) => {
      stats[k] = r.stats[j]!;
      acked.set(agents[k]!.id, new Set(r.acked[j]));
    }));
    const start = Math.min(...reports.map((r) => r.startEpoch));
    const end = Math.max(...reports.map((r) => r.endEpoch));
    // Each child exits once its connections are closed; one that does not within 5 s is killed below.
    await Promise.race([Promise.all(children.map((c) => c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
      new Promise((r) => setTimeout(r, 5000).unref())]);
    return { stats, acked, seconds: (end - start) / 1000, startedAt: start - performance.timeOrigin,
      clientCpuMs: reports.reduce((a, r) => a + r.cpuMs, 0) };
  } finally {
    kill();
    process.off('exit', kill);
  }
}

// ---------------------------------------------------------------- the child

async function child(setup: Setup): Promise<void> {
  const send = (m: FromChild) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  const senders: { send: Sender; close?: () => Promise<void> }[] = await Promise.all(setup.agents.map(async (w) => {
    const agent: SimAgent = { ...w, token: async () => w.token };
    if (setup.transport.kind === 'mqtt') return mqttSender(agent, setup.transport.url);
    return { send: (entries) => postExchange(agent, entries) };
  }));
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  await send({ type: 'ready' });
  await go;
  const startEpoch = epochNow();
  const cpu = process.cpuUsage();
  const acked: string[][] = setup.agents.map(() => []);
  const stats = await Promise.all(setup.agents.map((w, j) => runSimulation({ rate: setup.rate, duration: setup.seconds, seed: w.seed,
    variables: w.variables, send: async (entries) => {
      await senders[j]!.send(entries);
      for (const e of entries) acked[j]!.push(e.timestamp);
    } })));
  const endEpoch = epochNow();
  const used = process.cpuUsage(cpu);
  await Promise.all(senders.map((s) => s.close?.()));
  await send({ type: 'done', stats, acked, startEpoch, endEpoch, cpuMs: (used.user + used.system) / 1000 });
  process.disconnect();
}

if (process.send) {
  process.once('message', (m: Setup) => {
    child(m).catch((err: Error) => {
      process.send!({ type: 'error', message: err.message } satisfies FromChild, () => process.exit(1));
    });
  });
}
