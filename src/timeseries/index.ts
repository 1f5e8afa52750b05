/** The time series and aggregates context as the platform composes it: store, services, routes, model events. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { AssetModelReader, ModelEvents } from '../core/model.js';
import { AggregatesService } from './aggregates.js';
import { timeseriesRoutes } from './routes.js';
import { TimeseriesService } from './service.js';
import { SqliteTimeseriesStore } from './store/sqlite.js';

export interface TimeseriesDeps {
  config: Config;
  logger: Logger;
  model: AssetModelReader;
  events: ModelEvents;
}

export interface TimeseriesContext {
  name: 'timeseries';
  store: SqliteTimeseriesStore;
  timeseries: TimeseriesService;
  aggregates: AggregatesService;
  routes(app: FastifyInstance): Promise<void>;
  close(): void;
}

export function createTimeseries(deps: TimeseriesDeps): TimeseriesContext {
  const store = new SqliteTimeseriesStore({ dataDir: deps.config.dataDir, sync: deps.config.sqliteSync });
  const timeseries = new TimeseriesService(store, deps.model);
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
    name: 'timeseries', store, timeseries, aggregates,
    routes: (app) => timeseriesRoutes(app, { timeseries, aggregates, bodyLimit: deps.config.timeseriesBodyLimitBytes }),
    close() {
      unsubscribe();
      store.close();
    },
  };
}
