/**
 * The OData context as the platform composes it: the contract store, the registry and catalog, the OData
 * services, and their routes. It reads assets, time series and aggregates only through the ODataPort the
 * composition root implements (platform/odata-adapter.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import type { ODataPort } from './ports.js';
import { DEFAULT_LIMITS } from './query/parser.js';
import { ContractRegistry } from './registry.js';
import { registryRoutes } from './routes.js';
import { ODataService } from './serve/service.js';
import { serviceRoutes } from './service-routes.js';
import { SqliteContractStore } from './store/sqlite.js';

export interface ODataContext {
  name: 'odata';
  registry: ContractRegistry;
  service: ODataService;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export function createOData(deps: { config: Config; port: ODataPort }): ODataContext {
  const { config, port } = deps;
  const store = new SqliteContractStore({ dataDir: config.dataDir, sync: config.sqliteSync });
  const registry = new ContractRegistry(store, port, { maxContracts: config.odataMaxContracts, maxFolderContracts: config.odataMaxFolderContracts });
  const service = new ODataService(registry, port, {
    pageSize: config.odataPageSize, maxResponseEntities: config.odataMaxResponseEntities, limits: { ...DEFAULT_LIMITS, maxLength: config.odataMaxQueryLength },
    rowCacheBytes: config.odataRowCacheMb * 1024 * 1024,
  });
  return {
    name: 'odata', registry, service,
    async routes(app) {
      await registryRoutes(app, registry);
      await serviceRoutes(app, service);
    },
    async onTenantDeleted(tenant) { await store.deleteTenant(tenant); },
    close: () => store.close(),
  };
}
