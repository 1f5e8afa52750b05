/**
 * The assets context as the platform composes it: store, service, routes, the AssetModelReader port and the
 * change events other contexts subscribe to. Each new tenant gets its root asset; core types are shared.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { Generic } from '../core/errors.js';
import type { AssetModelReader, ModelEvents } from '../core/model.js';
import type { FileDirectory } from './deps.js';
import { ModelEventBus } from './events.js';
import { CORE_TENANT } from './records.js';
import { assetRoutes } from './routes.js';
import { AssetService } from './service.js';
import type { AssetStore } from './store.js';
import { SqliteAssetStore } from './store/sqlite.js';

export interface AssetsContext {
  name: 'assets';
  store: AssetStore;
  service: AssetService;
  model: AssetModelReader;
  events: ModelEvents;
  routes(app: FastifyInstance): Promise<void>;
  onTenantCreated(tenant: { name: string }): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export function createAssets(deps: { config: Config; logger: Logger; files?: FileDirectory }): AssetsContext {
  const store = new SqliteAssetStore({ dataDir: deps.config.dataDir, sync: deps.config.sqliteSync });
  const events = new ModelEventBus(deps.logger);
  const service = new AssetService(store, events, {
    defaultTimezone: deps.config.assetDefaultTimezone, maxPageSize: deps.config.assetMaxPageSize,
    ...(deps.files ? { files: deps.files } : {}),
  });
  return {
    name: 'assets', store, service, events,
    model: service.model,
    routes: (app) => assetRoutes(app, service),
    async onTenantCreated(tenant) {
      if (tenant.name === CORE_TENANT) {
        throw Generic.invalidParameter({ name: 'tenant', rule: `the name "${CORE_TENANT}" is reserved for the shared core asset model` });
      }
      await service.ensureRoot(tenant.name);
    },
    async onTenantDeleted(tenant) { await store.deleteTenant(tenant); },
    close: () => store.close(),
  };
}
