/** The time series and aggregates context as the platform composes it: store, services, routes, model events. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { AssetLookup, ModelEvents } from '../core/model.js';
import { AggregatesService } from './aggregates.js';
import { timeseriesRoutes } from './routes.js';
import { type SeriesRecords, type SeriesRejection, TimeseriesService } from './service.js';
import type { TimeseriesStore } from './store.js';
import { SqliteTimeseriesStore } from './store/sqlite.js';
import { WorkerTimeseriesStore } from './store/worker-store.js';

export type { SeriesRecords, SeriesRejection };

/**
 * The one write path for time series of many series at once, for other contexts (the agents' MindConnect
 * exchange and MQTT ingestion) and the multi-entity PUT:
 *
 *   writeSeries(tenant, items: SeriesRecords[], options?: { partial?: boolean }): Promise<SeriesRejection[]>
 *
 * Each item is `{ assetId, aspect, records }` with records in the IoT Time Series v3 wire form
 * (`[{"_time": ISO-8601, "<variable>": value, "<variable>_qc": int}]`). Every item is checked against the asset
 * model before anything is stored, then all of them are stored in one transaction (PUT semantics: a record
 * replaces the record at its timestamp; the later of two at one timestamp wins). Without `partial` one bad item
 * refuses the call: nothing is stored and an AppError `mdsp.core.iottimeseries.seriesRejected` (400) names the
 * item's index, asset and aspect (the item's own error is its `cause`). With `partial`, bad items come back as
 * SeriesRejection and the others are stored. Resolves once the transaction is durable (`--sqlite-sync`).
 */
export type TimeseriesWriter = Pick<TimeseriesService, 'writeSeries'>;

export interface TimeseriesDeps {
  config: Config;
  logger: Logger;
  model: AssetLookup;
  events: ModelEvents;
}

export interface TimeseriesContext {
  name: 'timeseries';
  store: TimeseriesStore;
  timeseries: TimeseriesService;
  /** The multi-series write path (see TimeseriesWriter). */
  writer: TimeseriesWriter;
  aggregates: AggregatesService;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export function createTimeseries(deps: TimeseriesDeps): TimeseriesContext {
  const options = { dataDir: deps.config.dataDir, sync: deps.config.sqliteSync, logger: deps.logger,
    groupCommitMs: deps.config.timeseriesGroupCommitMs, groupCommitRecords: deps.config.timeseriesGroupCommitRecords,
    textCacheBytes: deps.config.timeseriesTextCacheMb * 1024 * 1024 };
  // --timeseries-writer: commits on a writer thread beside the request handling, or on the main thread
  const store: TimeseriesStore = deps.config.timeseriesWriter === 'thread'
    ? new WorkerTimeseriesStore({ ...options, warn: (fields, message) => deps.logger.warn(fields, message) })
    : new SqliteTimeseriesStore(options);
  const timeseries = new TimeseriesService(store, deps.model, Date.now,
    { maxPairs: deps.config.timeseriesBatchMaxPairs, maxRecords: deps.config.timeseriesBatchMaxRecords });
  const aggregates = new AggregatesService(store, timeseries);
  const unsubscribe = deps.events.on(async (event) => {
    try {
      if (event.type === 'asset.deleted') await timeseries.assetDeleted(event.tenant, event.assetId);
      else if (event.type === 'assettype.aspectRemoved') await timeseries.aspectRemoved(event.tenant, event.aspectName);
    } catch (err) {
      deps.logger.error({ err, event }, 'time series could not follow an asset model change');
    }
  });
  return {
    name: 'timeseries', store, timeseries, writer: timeseries, aggregates,
    routes: (app) => timeseriesRoutes(app, { timeseries, aggregates, bodyLimit: deps.config.timeseriesBodyLimitBytes,
      batchBodyLimit: deps.config.timeseriesBatchBodyLimitBytes }),
    async onTenantDeleted(tenant) { await store.deleteTenant(tenant); },
    close() {
      unsubscribe();
      store.close();
    },
  };
}
