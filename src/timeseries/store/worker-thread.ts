/**
 * The time series writer thread (started by worker-store.ts): owns the SqliteTimeseriesStore connection that
 * makes every write of timeseries.db in this process, with its group commit, so the transactions (chunk encoding,
 * roll-ups, SQLite) run beside the main thread's request handling. Requests are handled in the order they arrive;
 * puts that arrive while a commit runs join the next shared commit (group-commit.ts). A reply is posted only
 * after the store's call returned, so an acknowledged put is committed (and fsynced with --sqlite-sync full).
 * Metric updates of the thread (group commits, SQLite lock waits) ride on the replies to the main thread's registry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import client from 'prom-client';
import { metricsRegistry } from '../../core/metrics.js';
import { zoneOf } from '../buckets.js';
import { recordJson } from '../records.js';
import type { SeriesShape, TimeseriesStore } from '../store.js';
import { SqliteTimeseriesStore, type SqliteTimeseriesOptions } from './sqlite.js';
import { decodeWrites, type MetricEvent, type Reply, type Request, wireError } from './worker-wire.js';

const port = parentPort!;
const store: TimeseriesStore = new SqliteTimeseriesStore({ ...(workerData as SqliteTimeseriesOptions), textCacheBytes: 0 });

// Metric updates made here are replayed by the main thread (its /metrics is the process's).
let events: MetricEvent[] = [];
for (const metric of metricsRegistry.getMetricsAsArray()) {
  const m = metric as unknown as Record<string, (...args: unknown[]) => void>;
  const name = (metric as unknown as { name: string }).name;
  const method = metric instanceof client.Counter ? 'inc' : metric instanceof client.Histogram ? 'observe' : undefined;
  if (!method) continue;
  const own = m[method]!.bind(metric);
  m[method] = (...args: unknown[]) => { own(...args); events.push([name, method, args]); };
}

const vars = new Map<number, ReadonlyMap<string, unknown>>();
const shapeOf = (zone: string, v: number): SeriesShape => ({ zone: zoneOf(zone), variables: vars.get(v)! });

function reply(r: Reply): void {
  if (events.length > 0) { r.m = events; events = []; }
  port.postMessage(r);
}

async function run(m: Request): Promise<unknown> {
  if ('data' in m) for (const [id, entries] of m.data.defs) vars.set(id, new Map(entries));
  switch (m.op) {
    case 'put': return store.put(decodeWrites(m.data, shapeOf));
    case 'patch': return store.patch(decodeWrites(m.data, shapeOf)[0]!, recordJson);
    case 'deleteRange': {
      const [w] = decodeWrites(m.data, shapeOf);
      return store.deleteRange(w!.key, w!.shape, m.from, m.to);
    }
    case 'rebuild': {
      const [w] = decodeWrites(m.data, shapeOf);
      return store.rebuild(w!.key, w!.shape);
    }
    case 'dropAsset': return store.dropAsset(m.tenant, m.assetId);
    case 'dropSeries': return store.dropSeries(m.key);
    case 'deleteTenant': return store.deleteTenant(m.tenant);
    case 'close': {
      // commits the queued puts; their replies are posted by the continuations of their promises
      store.close();
      await new Promise((resolve) => setImmediate(resolve));
      return undefined;
    }
  }
}

port.on('message', (m: Request) => {
  // The store's call starts now (so requests keep their order); its reply follows its outcome.
  run(m).then(
    (value) => reply({ id: m.id, ok: true, value }),
    (err: unknown) => reply({ id: m.id, ok: false, error: wireError(err) }),
  ).finally(() => {
    if (m.op === 'close') {
      Atomics.store(m.signal, 0, 1);
      Atomics.notify(m.signal, 0);
      port.close();
    }
  });
});
