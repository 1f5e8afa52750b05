/**
 * The Integrated Data Lake context as the platform composes it: the index (datalake.db), the platform's object
 * store, the services, the routes, and the two background loops (webhook deliveries, expired multipart uploads).
 * Time comes from `now`, injected by tests.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { deletePrefix, type ObjectStore } from '../objectstore/index.js';
import { scopePrefix, storageKey } from './paths.js';
import { AccessPermissions } from './access.js';
import { ObjectEvents } from './events.js';
import { DeleteJobs } from './jobs.js';
import { MultipartService } from './multipart.js';
import { datalakeRawRoutes } from './routes-raw.js';
import { datalakeRoutes } from './routes.js';
import { DatalakeService } from './service.js';
import { SIGNED_PREFIX, UrlSigner } from './signing.js';
import { SqliteDatalakeStore } from './store/sqlite.js';

export { DatalakeService, type Caller, type FolderEntry } from './service.js';
export { SIGNED_PREFIX } from './signing.js';
export type { Scope } from './paths.js';

export interface DatalakeDependencies {
  config: Config;
  logger: Logger;
  objects: ObjectStore;
  publicUrl: () => string;
  now?: () => number;
}

export interface DatalakeContext {
  name: 'datalake';
  store: SqliteDatalakeStore;
  service: DatalakeService;
  multipart: MultipartService;
  jobs: DeleteJobs;
  events: ObjectEvents;
  access: AccessPermissions;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): Promise<void>;
}

const SWEEP_MS = 60_000;
const DELIVERY_MS = 1000;

/** Requests under this prefix carry object bodies beyond the gateway's request limit (signed upload URLs). */
export const isLargeBodyPath = (path: string): boolean => path.startsWith(SIGNED_PREFIX);

export async function createDatalake(deps: DatalakeDependencies): Promise<DatalakeContext> {
  const { config, logger, objects } = deps;
  const now = deps.now ?? Date.now;
  const warn = (msg: string, err: unknown) => logger.warn({ err }, msg);
  const store = new SqliteDatalakeStore({ dataDir: config.dataDir, sync: config.sqliteSync });
  const storageAccount = config.objectStore === 's3' ? config.s3Bucket : 'local';
  let events: ObjectEvents | undefined;
  const service = new DatalakeService({
    store, objects, signer: new UrlSigner(await store.signingKey()), now, publicUrl: deps.publicUrl, storageAccount,
    maxRequestBytes: config.datalakeMaxRequestBytes, signedMaxBytes: config.datalakeSignedMaxBytes,
    signedUrlSeconds: config.datalakeSignedUrlSeconds, onEvents: () => events?.kick(),
  });
  events = new ObjectEvents({ store, service, now, storageAccount, attempts: config.datalakeWebhookAttempts,
    backoffMs: config.datalakeWebhookBackoffMs, warn });
  const multipart = new MultipartService({
    store, objects, service, now, windowMs: config.datalakeMultipartHours * 3_600_000, maxPartBytes: config.datalakeMaxRequestBytes,
    minPartBytes: config.datalakeMinPartBytes, onEvents: () => events?.kick(), warn,
  });
  const jobs = new DeleteJobs(store, service, now, warn);
  const access = new AccessPermissions(store, service, now);
  const timers = [
    setInterval(() => events!.kick(), DELIVERY_MS).unref(),
    setInterval(() => void multipart.sweep().catch((err: unknown) => warn('multipart sweep failed', err)), SWEEP_MS).unref(),
  ];
  return {
    name: 'datalake', store, service, multipart, jobs, events, access,
    async routes(app) {
      await datalakeRoutes(app, { service, multipart, jobs, events: events!, access });
      await datalakeRawRoutes(app, { service, multipart, maxRequestBytes: config.datalakeMaxRequestBytes, signedMaxBytes: config.datalakeSignedMaxBytes });
    },
    async onTenantDeleted(tenant) {
      for (const u of await store.deleteTenant(tenant)) {
        const key = storageKey({ tenant, subtenant: u.sub || undefined }, u.path);
        await objects.abortMultipart(key, u.storeId).catch(() => undefined);
      }
      await deletePrefix(objects, scopePrefix({ tenant, subtenant: undefined }));
    },
    async close() {
      for (const t of timers) clearInterval(t);
      await jobs.idle();
      await events!.idle();
      store.close();
    },
  };
}
