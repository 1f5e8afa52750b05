/**
 * Asset Management files as the platform composes them: their index (assetfiles.db), the platform's object
 * store, the service and the routes under /api/assetmanagement/v3/files. Which files are assigned is asked of
 * Asset Management (`inUse`); Asset Management asks this context which file ids exist (`service.missing`).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { deletePrefix, type ObjectStore } from '../objectstore/index.js';
import { assetFileRoutes } from './routes.js';
import { AssetFileService } from './service.js';
import { SqliteAssetFileStore } from './store/sqlite.js';

export { AssetFileService } from './service.js';

export interface AssetFilesContext {
  name: 'assetfiles';
  service: AssetFileService;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export function createAssetFiles(deps: { config: Config; objects: ObjectStore; inUse: (tenant: string, fileId: string) => Promise<boolean>;
  now?: () => number }): AssetFilesContext {
  const store = new SqliteAssetFileStore({ dataDir: deps.config.dataDir, sync: deps.config.sqliteSync });
  const service = new AssetFileService({ store, objects: deps.objects, maxBytes: deps.config.assetFileMaxBytes,
    maxPageSize: deps.config.assetMaxPageSize, now: deps.now ?? Date.now, inUse: deps.inUse });
  return {
    name: 'assetfiles', service,
    routes: (app) => assetFileRoutes(app, service, deps.config.assetFileMaxBytes),
    async onTenantDeleted(tenant) {
      await store.deleteTenant(tenant);
      await deletePrefix(deps.objects, `assetfiles/${tenant}/`);
    },
    close: () => store.close(),
  };
}
