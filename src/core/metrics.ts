/**
 * The process's metrics, in the Prometheus text format through prom-client. Every context defines its
 * counters, gauges and histograms here, once, at module load, named `ironbridge_<context>_<what>` with the
 * unit as suffix (`_total`, `_seconds`, `_bytes`); labels carry bounded values only (route patterns, status
 * classes, outcomes), never ids or tenant names. The /metrics route renders `metricsRegistry`.
 */
import client from 'prom-client';

export const metricsRegistry = new client.Registry();

export function counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): client.Counter<L> {
  return new client.Counter({ name, help, labelNames: [...labelNames], registers: [metricsRegistry] });
}

export function gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): client.Gauge<L> {
  return new client.Gauge({ name, help, labelNames: [...labelNames], registers: [metricsRegistry] });
}

export function histogram<L extends string = never>(name: string, help: string, buckets: number[],
  labelNames: readonly L[] = []): client.Histogram<L> {
  return new client.Histogram({ name, help, buckets, labelNames: [...labelNames], registers: [metricsRegistry] });
}

client.collectDefaultMetrics({ register: metricsRegistry, prefix: 'ironbridge_' });

const cacheLookups = counter('ironbridge_cache_lookups_total', 'Lookups in the in-process caches, by cache and outcome (hit or miss)',
  ['cache', 'outcome']);

/** Counts one lookup of a named cache (`verified_tokens`, `asset_types`, …). */
export function cacheLookup(cache: string, hit: boolean): void {
  cacheLookups.inc({ cache, outcome: hit ? 'hit' : 'miss' });
}

const REQUEST = 'ironbridge:metrics-request';
const RESPONSE = 'ironbridge:metrics-response';

interface MetricsMessage {
  type: typeof REQUEST | typeof RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

/**
 * With `--workers N`: the primary answers a worker's request for the metrics of all workers, summed by
 * prom-client's AggregatorRegistry (every worker takes part through `shareWorkerMetrics`).
 */
export function aggregateWorkerMetrics(cluster: import('node:cluster').Cluster): void {
  const aggregator = new client.AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (err: Error) => worker.send({ type: RESPONSE, id: message.id, error: err.message }),
    );
  });
}

let workerShared = false;
let nextRequest = 0;
const pending = new Map<number, (m: MetricsMessage) => void>();

/** In a worker: lets the primary read this process's registry, and routes the primary's answers to `metricsText`. */
export function shareWorkerMetrics(): void {
  if (workerShared) return;
  workerShared = true;
  client.AggregatorRegistry.setRegistries([metricsRegistry]);
  new client.AggregatorRegistry();
  process.on('message', (m: MetricsMessage) => {
    if (m?.type === RESPONSE) pending.get(m.id)?.(m);
  });
}

/** The metrics in the Prometheus text format: this process's, or in a worker the sum over every worker. */
export async function metricsText(): Promise<string> {
  if (!workerShared || !process.send) return metricsRegistry.metrics();
  const id = nextRequest++;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { pending.delete(id); reject(new Error('the primary did not answer for the metrics within 10 s')); }, 10_000);
    pending.set(id, (m) => {
      clearTimeout(timer);
      pending.delete(id);
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve(m.text ?? '');
    });
    process.send!({ type: REQUEST, id } satisfies MetricsMessage);
  });
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;
