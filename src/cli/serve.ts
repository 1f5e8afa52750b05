/**
 * `ironbridge serve`: one process, or with --workers N a node:cluster primary and N worker processes that share
 * the listening port and the data directory. The primary migrates the databases and creates the signing key
 * before forking, runs the first-start bootstrap once when every worker listens (so the banner is printed once
 * and its TokenURL carries the shared port), replaces a worker that dies, and stops all of them on SIGTERM/SIGINT.
 * Each worker gets ceil(cap / N) of the per-instance caps (connections, concurrent secret checks).
 */
import cluster, { type Worker } from 'node:cluster';
import { type Command, Option } from 'commander';
import { changedSettings, type Config, type ConfigInput, loadConfig, SETTINGS, workerCount } from '../core/config.js';
import { aggregateWorkerMetrics, shareWorkerMetrics } from '../core/metrics.js';
import { VERSION } from '../core/version.js';
import { webAppUrl } from '../gateway/host.js';
import { deliverSecrets, firstStart, type FirstStart } from '../platform/bootstrap.js';
import { recordServer } from '../platform/instance.js';
import { createPlatform, type Platform } from '../platform/platform.js';

const LISTENING = 'ironbridge:listening';
/** Sent by the primary to each worker once the bootstrap ran: its /ready answers 200 from then on. */
const BOOTSTRAPPED = 'ironbridge:bootstrapped';
/** A worker that lived this long before dying is restarted at once; quicker deaths back off exponentially. */
const STABLE_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
/** Workers still running this long after SIGTERM are killed. */
const STOP_GRACE_MS = 15_000;

interface ListeningMessage {
  type: typeof LISTENING;
  url: string;
  port: number;
  /** The embedded MQTT broker's port (the workers share it). */
  mqttPort?: number | undefined;
}

interface ServeOptions {
  json?: boolean;
}

/** One option per setting of SETTINGS, so every documented flag works (`ironbridge config --markdown` lists them). */
function settingOptions(): { option: Option; key: keyof Config }[] {
  return SETTINGS.map((s) => {
    const shown = s.default === undefined ? '' : `, default ${String(s.default)}`;
    const option = new Option(`${s.flag} <${typeof s.default === 'number' ? 'n' : 'value'}>`, `${s.description} (${s.env}${shown})`);
    return { option, key: s.key };
  });
}

export function registerServe(program: Command): void {
  const command = program.command('serve')
    .description('run the platform (example: ironbridge serve --port 8080 --data-dir ./data); every flag also has an '
      + 'IRONBRIDGE_* variable, and a flag wins over it');
  const options = settingOptions();
  for (const { option } of options) command.addOption(option);
  command.option('--json', 'print the address as one JSON line {"ready":true,…} on standard output (log lines follow --log-format)')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const input: ConfigInput = {};
      for (const { option, key } of options) {
        const value = opts[option.attributeName()];
        if (typeof value === 'string') input[key] = value;
      }
      await serve(loadConfig(input), { json: opts['json'] === true });
    });
}

export async function serve(config: Config, options: ServeOptions): Promise<void> {
  if (cluster.isWorker) return serveWorker(config);
  if (workerCount(config.workers) > 1) return servePrimary(config, options);
  const platform = await createPlatform(config);
  const url = await platform.listen();
  const first = await firstStart(platform);
  platform.markReady();
  announce(platform, url, first, options, mqttInfo(platform.config, platform.mqtt.port()));
  stopOnSignals(platform);
}

/** The per-instance caps of the Industrial IoT Gateway split among the workers, so the machine as a whole keeps them. */
function workerConfig(config: Config): Config {
  const n = workerCount(config.workers);
  return {
    ...config,
    gatewayMaxConnections: Math.ceil(config.gatewayMaxConnections / n),
    maxConcurrentSecretChecks: Math.ceil(config.maxConcurrentSecretChecks / n),
  };
}

/**
 * Records the server in its data directory, hands the first-start secrets to the operator (the terminal, or a 0600
 * file: never a log line or the --json ready line), and announces readiness.
 */
function announce(platform: Platform, url: string, first: FirstStart | undefined, options: ServeOptions,
  extra: Record<string, unknown>): void {
  const publicUrl = platform.publicUrl();
  recordServer(platform.config, { publicUrl, url, port: Number(new URL(url).port) });
  const secrets = first ? deliverSecrets(platform.config.dataDir, first) : undefined;
  const firstStartInfo = first ? { tenant: first.tenant, ...secrets } : null;
  const c = platform.config;
  const launchpad = webAppUrl(c.tenant, 'launchpad', c.region, c.domain, new URL(url).port);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ready: true, url, publicUrl, launchpad, version: VERSION, firstStart: firstStartInfo })}\n`);
  }
  if (secrets?.secretsFile) {
    platform.logger.warn({ secretsFile: secrets.secretsFile },
      'first start: the admin password and the binding key are in this file (mode 0600); store them elsewhere and delete it');
  }
  platform.logger.info({ url, publicUrl, launchpad, version: VERSION, settings: changedSettings(platform.config), firstStart: firstStartInfo,
    ...extra }, 'Ironbridge is ready');
}

/** What the ready line says of MQTT: the embedded broker's bound port, the external broker's URL. */
function mqttInfo(config: Config, port: number | undefined): Record<string, unknown> {
  if (port === undefined && config.mqttExternalUrl === undefined) return {};
  return { mqtt: { ...(port !== undefined ? { port } : {}), ...(config.mqttExternalUrl !== undefined ? { external: config.mqttExternalUrl } : {}) } };
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
  shareWorkerMetrics();
  const platform = await createPlatform(workerConfig(config));
  process.on('message', (m: { type?: string }) => {
    if (m?.type === BOOTSTRAPPED) platform.markReady();
  });
  const url = await platform.listen({ external: false });
  const port = Number(new URL(url).port);
  const message: ListeningMessage = { type: LISTENING, url, port, mqttPort: platform.mqtt.port() };
  process.send?.(message);
  stopOnSignals(platform);
}

async function servePrimary(config: Config, options: ServeOptions): Promise<void> {
  const n = workerCount(config.workers);
  // Migrations and the signing key once, before any worker opens the databases.
  const platform = await createPlatform(config);
  await platform.identity.start();
  aggregateWorkerMetrics(cluster);
  const logger = platform.logger;
  const live = new Map<number, { worker: Worker; startedAt: number; listening: boolean }>();
  const restarts = new Set<NodeJS.Timeout>();
  let quickDeaths = 0;
  let stopping = false;
  let ready = false;
  let bootstrapped = false;
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
      if (bootstrapped) worker.send({ type: BOOTSTRAPPED }); // a replacement of a worker that died
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
  const bootstrap = await firstStart(platform);
  bootstrapped = true;
  for (const { worker } of live.values()) worker.send({ type: BOOTSTRAPPED });
  // The one subscriber of an external MQTT broker, so each message is ingested once.
  platform.mqtt.startExternal();
  announce(platform, first.url, bootstrap, options, { workers: n, ...mqttInfo(config, first.mqttPort) });
}
