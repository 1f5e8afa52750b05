/**
 * IoT File as the platform composes it: its index (iotfile.db), the platform's object store, the service and
 * the routes under /api/iotfile/v3. Which entities exist is asked of the platform (`entityExists`).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { deletePrefix, type ObjectStore } from '../objectstore/index.js';
import { iotFileRoutes } from './routes.js';
import { IotFileService, pathProblem } from './service.js';
import type { IotFileStore } from './store.js';
import { SqliteIotFileStore } from './store/sqlite.js';

export { IotFileService } from './service.js';

/**
 * File items of the MindConnect exchange as IoT files of the agent's asset (the agents context's AgentFileSink,
 * matched by shape: iotfile does not import agents). A file of the same name is replaced, as a PUT without If-Match.
 */
export function agentFileSink(service: IotFileService) {
  return {
    check: (fileName: string) => pathProblem(fileName),
    async putAgentFile(agent: { tenant: string; agentId: string; clientId: string },
      f: { fileName: string; fileType: string; creationDate?: string; content: Buffer }): Promise<void> {
      await service.put({ tenant: agent.tenant, clientId: agent.clientId }, agent.agentId, f.fileName, { kind: 'whole' },
        { type: f.fileType, ...(f.creationDate !== undefined ? { timestamp: f.creationDate } : {}) },
        { stream: Readable.from([f.content]), length: f.content.length });
    },
  };
}
export { SqliteIotFileStore } from './store/sqlite.js';

export interface IotFileContext {
  name: 'iotfile';
  store: IotFileStore;
  service: IotFileService;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export function createIotFile(deps: { config: Config; objects: ObjectStore; entityExists: (tenant: string, id: string) => Promise<boolean>;
  now?: () => number }): IotFileContext {
  const store = new SqliteIotFileStore({ dataDir: deps.config.dataDir, sync: deps.config.sqliteSync });
  const service = new IotFileService({ store, objects: deps.objects, entityExists: deps.entityExists, maxBytes: deps.config.iotFileMaxBytes,
    maxParts: deps.config.iotFileMaxParts, now: deps.now ?? Date.now });
  return {
    name: 'iotfile', store, service, routes: (app) => iotFileRoutes(app, service),
    async onTenantDeleted(tenant) {
      for (const u of await store.deleteTenant(tenant)) await deps.objects.abortMultipart(u.contentKey, u.uploadId).catch(() => undefined);
      await deletePrefix(deps.objects, `iotfile/${tenant}/`);
    },
    close: () => store.close(),
  };
}
