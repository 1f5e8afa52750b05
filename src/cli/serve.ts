/**
 * `ironbridge serve`: one process, or with --workers N a node:cluster primary and N worker processes that share
 * the listening port and the data directory. The primary migrates the databases and creates the signing key
 * before forking, runs the first-start bootstrap once when every worker listens (so the banner is printed once
 * and its TokenURL carries the shared port), replaces a worker that dies, and stops all of them on SIGTERM/SIGINT.
 * Each worker gets ceil(cap / N) of the per-instance caps (connections, concurrent secret checks).
 */
import cluster, { type Worker } from 'node:cluster';
import { type Config, workerCount } from '../core/config.js';
import { firstStart, firstStartBanner, type FirstStart } from '../platform/bootstrap.js';
import { createPlatform, type Platform } from '../platform/platform.js';

const LISTENING = 'ironbridge:listening';
/** A worker that lived this long before dying is restarted at once; quicker deaths back off exponentially. */
const STABLE_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
/** Workers still running this long after SIGTERM are killed. */
const STOP_GRACE_MS = 15_000;

interface ListeningMessage {
  type: typeof LISTENING;
  url: string;
  port: number;
}

export interface ServeOptions {
  json?: boolean;
}

export async function serve(config: Config, options: ServeOptions): Promise<void> {
  if (cluster.isWorker) return serveWorker(config);
  if (workerCount(config.workers) > 1) return servePrimary(config, options);
  const platform = await createPlatform(config);
  const url = await platform.listen();
  announce(platform, url, await firstStart(platform), options, {});
  stopOnSignals(platform);
}

/** The per-instance caps of seed 002 split among the workers, so the machine as a whole keeps them. */
export function workerConfig(config: Config): Config {
  const n = workerCount(config.workers);
  return {
    ...config,
    gatewayMaxConnections: Math.ceil(config.gatewayMaxConnections / n),
    maxConcurrentSecretChecks: Math.ceil(config.maxConcurrentSecretChecks / n),
  };
}

function announce(platform: Platform, url: string, first: FirstStart | undefined, options: ServeOptions,
  extra: Record<string, unknown>): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ready: true, url, publicUrl: platform.publicUrl(), firstStart: first ?? null })}\n`);
  } else if (first) {
    process.stdout.write(`${firstStartBanner(first)}\n`);
  }
  platform.logger.info({ url, publicUrl: platform.publicUrl(), dataDir: platform.config.dataDir, ...extra }, 'Ironbridge is ready');
}

function stopOnSignals(platform: Platform): void {
  let stopping: Promise<void> | undefined;
  // A terminal's Ctrl-C reaches the workers and the primary, which then sends SIGTERM: close once.
  const stop = (signal: string) => (stopping ??= (async () => {
    platform.logger.info({ signal }, 'shutting down');
    await platform.close();
    process.exit(0);
  })());
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

async function serveWorker(config: Config): Promise<void> {
  const platform = await createPlatform(workerConfig(config));
  const url = await platform.listen();
  const port = Number(new URL(url).port);
  const message: ListeningMessage = { type: LISTENING, url, port };
  process.send?.(message);
  stopOnSignals(platform);
}

async function servePrimary(config: Config, options: ServeOptions): Promise<void> {
  const n = workerCount(config.workers);
  // Migrations and the signing key once, before any worker opens the databases.
  const platform = await createPlatform(config);
  await platform.identity.start();
  const logger = platform.logger;
  const live = new Map<number, { worker: Worker; startedAt: number; listening: boolean }>();
  const restarts = new Set<NodeJS.Timeout>();
  let quickDeaths = 0;
  let stopping = false;
  let ready = false;
  let failStartup: (err: Error) => void = () => undefined;
  let onListening: (m: ListeningMessage) => void = () => undefined;

  const fork = (): void => {
    const worker = cluster.fork();
    const slot = { worker, startedAt: Date.now(), listening: false };
    live.set(worker.id, slot);
    worker.on('message', (m: ListeningMessage) => {
      if (m?.type !== LISTENING) return;
      slot.listening = true;
      logger.info({ worker: worker.id, workerPid: worker.process.pid, url: m.url }, 'worker listening');
      onListening(m);
    });
    worker.on('exit', (code, signal) => {
      live.delete(worker.id);
      if (stopping) return;
      if (!ready) {
        failStartup(new Error(`worker ${worker.process.pid} exited during startup (code ${code}, signal ${signal})`));
        return;
      }
      const lived = Date.now() - slot.startedAt;
      quickDeaths = lived >= STABLE_MS ? 0 : quickDeaths + 1;
      const delay = quickDeaths === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** (quickDeaths - 1));
      logger.warn({ worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: delay },
        'worker exited unexpectedly; starting a replacement');
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (!stopping) fork();
      }, delay);
      restarts.add(timer);
    });
  };

  let stopped: Promise<never> | undefined;
  const stop = (signal: string, exitCode: number): Promise<never> => (stopped ??= stopAll(signal, exitCode));
  const stopAll = async (signal: string, exitCode: number): Promise<never> => {
    stopping = true;
    logger.info({ signal, workers: live.size }, 'shutting down');
    for (const t of restarts) clearTimeout(t);
    const exited = [...live.values()].map(({ worker }) => new Promise<boolean>((resolve) => {
      worker.once('exit', (code) => resolve(code === 0));
      worker.process.kill('SIGTERM');
    }));
    const killer = setTimeout(() => {
      for (const { worker } of live.values()) {
        logger.warn({ workerPid: worker.process.pid }, 'worker did not stop in time; killing it');
        worker.process.kill('SIGKILL');
      }
    }, STOP_GRACE_MS);
    const clean = (await Promise.all(exited)).every(Boolean);
    clearTimeout(killer);
    await platform.close().catch(() => undefined);
    process.exit(clean ? exitCode : 1);
  };

  process.once('SIGINT', () => void stop('SIGINT', 0));
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  const first = await new Promise<ListeningMessage>((resolve, reject) => {
    let firstMessage: ListeningMessage | undefined;
    failStartup = reject;
    onListening = (m) => {
      firstMessage ??= m;
      if ([...live.values()].every((s) => s.listening) && live.size === n) resolve(firstMessage);
    };
    for (let i = 0; i < n; i++) fork();
  }).catch(async (err: Error) => {
    logger.error({ err: err.message }, 'Ironbridge could not start its workers');
    return stop('startup failure', 1);
  });
  ready = true;
  onListening = () => undefined;
  // Workers listening on port 0 all share the port the first one got (node:cluster keys the handle by address and port).
  platform.useBoundPort(first.port);
  announce(platform, first.url, await firstStart(platform), options, { workers: n });
}
