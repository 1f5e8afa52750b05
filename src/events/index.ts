/**
 * Event Management as the platform composes it: its store (events.db), the service and the routes under
 * /api/eventmanagement/v3. Which entities exist is asked of the platform (`entityExists`: the tenant's assets).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { eventRoutes } from './routes.js';
import { EventService } from './service.js';
import type { EventStore } from './store.js';
import { SqliteEventStore } from './store/sqlite.js';

export { EventService } from './service.js';
export { SqliteEventStore } from './store/sqlite.js';

export interface EventsContext {
  name: 'events';
  store: EventStore;
  service: EventService;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export function createEvents(deps: { config: Config; entityExists: (tenant: string, id: string) => Promise<boolean>;
  now?: () => number }): EventsContext {
  const store = new SqliteEventStore({ dataDir: deps.config.dataDir, sync: deps.config.sqliteSync });
  const service = new EventService({ store, entityExists: deps.entityExists, maxPageSize: deps.config.eventMaxPageSize,
    now: deps.now ?? Date.now });
  return { name: 'events', store, service, routes: (app) => eventRoutes(app, service),
    async onTenantDeleted(tenant) { await store.deleteTenant(tenant); }, close: () => store.close() };
}
