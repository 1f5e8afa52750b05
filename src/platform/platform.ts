/**
 * The composition root: builds every context on the configured storage, mounts their routes on one HTTP host
 * behind token verification, and provisions tenants across contexts. Only this folder and cli/ know all contexts.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installApiAuth } from '../core/auth.js';
import { type Config, publicUrlOf } from '../core/config.js';
import { createHttp } from '../core/http.js';
import { createLogger } from '../core/log.js';
import { createAssets, type AssetsContext } from '../assets/index.js';
import { createTimeseries } from '../timeseries/index.js';
import { createIdentity, type IdentityContext } from '../identity/index.js';
import type { TenantRecord } from '../identity/store.js';
import { createGateway, type GatewayContext } from '../gateway/index.js';
import { countedVerifier, installOperations, type RouteEntry } from './operations.js';
import { createDatalake, isLargeBodyPath, type DatalakeContext } from '../datalake/index.js';
import { openObjectStore, type ObjectStore } from '../objectstore/index.js';
import { createAssetFiles, type AssetFilesContext } from '../assetfiles/index.js';

export type { RouteEntry };
import { createOData, type ODataContext } from '../odata/index.js';
import { createODataAdapter } from './odata-adapter.js';
import { platformAdminRoutes } from './admin-routes.js';
import { createEvents, type EventsContext } from '../events/index.js';
import { agentFileSink, createIotFile, type IotFileContext } from '../iotfile/index.js';
import { createAgents, type AgentsContext } from '../agents/index.js';
import { createMqtt, type MqttContext } from '../mqtt/index.js';
import { agentEventSink } from './agent-events.js';

/** What a context contributes to the platform. */
export interface PlatformContext {
  name: string;
  routes?(app: FastifyInstance): Promise<void>;
  /** Called once per new tenant, after identity has stored it (e.g. the root asset). */
  onTenantCreated?(tenant: TenantRecord): Promise<void>;
  /** Called when a tenant is deleted, before identity forgets it: drop every record and object of the tenant. */
  onTenantDeleted?(tenant: string): Promise<void>;
  close(): void | Promise<void>;
}

export interface Platform {
  config: Config;
  logger: Logger;
  identity: IdentityContext;
  assets: AssetsContext;
  assetFiles: AssetFilesContext;
  gateway: GatewayContext;
  /** The one object store: data lake objects, asset files, IoT files. */
  objects: ObjectStore;
  datalake: DatalakeContext;
  odata: ODataContext;
  events: EventsContext;
  iotFile: IotFileContext;
  agents: AgentsContext;
  /** MindConnect MQTT: the embedded broker and the external subscription (off unless configured). */
  mqtt: MqttContext;
  contexts: PlatformContext[];
  http: FastifyInstance | undefined;
  publicUrl(): string;
  provisionTenant(name: string, companyDomain: string, displayName?: string): Promise<TenantRecord>;
  /** Deletes a tenant and all of its data in every context (identity last, so a failure can be retried). */
  deleteTenant(name: string): Promise<void>;
  /**
   * Starts the HTTP listener and the embedded MQTT broker (when configured), and the external MQTT subscription
   * unless `external` is false (a cluster worker: the primary runs the one subscriber); returns the bound URL.
   */
  listen(options?: { external?: boolean }): Promise<string>;
  /** /ready answers 200 from now on: migrations and the first-start bootstrap are done. */
  markReady(): void;
  /** Every route of the HTTP host (method, pattern, public or its scope), once it listens. */
  routes(): readonly RouteEntry[];
  /** The port worker processes listen on, for a cluster primary that does not listen itself (public URL, TokenURL). */
  useBoundPort(port: number): void;
  close(): Promise<void>;
}

export interface PlatformOptions {
  logger?: Logger;
  /** The clock of sign-in lifetimes (sessions, codes, back-off); tests inject one. Default Date.now. */
  now?: () => number;
}

/** Builds the platform's contexts; `withHttp` false is what admin CLI commands use. */
export async function createPlatform(config: Config, options: PlatformOptions = {}): Promise<Platform> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, config.logFormat);
  let boundPort: number | undefined;
  const publicUrl = () => publicUrlOf(config, boundPort);
  const identity = createIdentity(config, publicUrl, { logger, now: options.now });
  // The gateway calls identity's sign-in (Industrial IoT Gateway sessions and token exchange).
  const gateway = createGateway(config, { logger, verifier: identity.tokens, users: identity.signIn, now: options.now,
    largeBody: isLargeBodyPath });
  const objects = openObjectStore(config);
  // Asset Management and its files ask each other: which file ids exist, which files are assigned.
  let assetFiles: AssetFilesContext | undefined;
  const assets = createAssets({ config, logger, files: { missing: (t, ids) => assetFiles!.service.missing(t, ids) } });
  assetFiles = createAssetFiles({ config, objects, inUse: (t, id) => assets.service.fileInUse(t, id) });
  const timeseries = createTimeseries({ config, logger, model: assets.model, events: assets.events });
  const datalake = await createDatalake({ config, logger, objects, publicUrl, ...(options.now ? { now: options.now } : {}) });
  const odata = createOData({ config, port: createODataAdapter({
    model: assets.model, timeseries: timeseries.timeseries, aggregates: timeseries.aggregates, identity: identity.store,
    datalake: datalake.service,
  }) });
  // Events and IoT files belong to an entity: an asset of the tenant. (The MindConnect SDK's agent uploads files to its
  // client id by default, so once agents exist they are entities too.)
  const entityExists = async (tenant: string, id: string) => (await assets.model.getAsset(tenant, id)) !== undefined;
  const events = createEvents({ config, entityExists, ...(options.now ? { now: options.now } : {}) });
  const iotFile = createIotFile({ config, objects, entityExists, ...(options.now ? { now: options.now } : {}) });
  const agents = createAgents({ config, assets: assets.model, writer: timeseries.writer, tokens: identity.tokens, keys: identity.keys,
    events: assets.events, files: agentFileSink(iotFile.service), publicUrl, ...(options.now ? { now: options.now } : {}) });
  const mqtt = createMqtt({ config, ingest: agents.ingest, events: agentEventSink(events.service), logger });
  // Closed in reverse: MQTT first, so no message is taken while the stores close.
  const contexts: PlatformContext[] = [gateway, assets, assetFiles, timeseries, datalake, odata, events, iotFile, agents, mqtt];
  let ready = false;
  let routeTable: readonly RouteEntry[] = [];

  const platform: Platform = {
    config, logger, identity, assets, assetFiles, gateway, objects, datalake, odata, events, iotFile, agents, mqtt, contexts, http: undefined, publicUrl,
    async provisionTenant(name, companyDomain, displayName) {
      const tenant = await identity.service.createTenant(name, companyDomain, displayName);
      for (const c of contexts) await c.onTenantCreated?.(tenant);
      return tenant;
    },
    async deleteTenant(name) {
      await identity.service.requireTenant(name);
      // the contexts that read others (agents, OData, files) go first, the asset model they read goes late
      for (const c of [...contexts].reverse()) await c.onTenantDeleted?.(name);
      await identity.service.deleteTenant(name);
      logger.warn({ tenant: name }, 'tenant deleted with all of its data');
    },
    async listen(options = {}) {
      await identity.start();
      const http = createHttp({ logger, bodyLimit: config.jsonBodyLimitBytes, serverFactory: gateway.serverFactory,
        clientErrorHandler: gateway.clientErrorHandler, maxJsonNesting: config.jsonMaxNesting });
      routeTable = await installOperations(http, { dataDir: config.dataDir, isReady: () => ready });
      installApiAuth(http, countedVerifier(identity.tokens));
      await identity.routes(http, gateway.sessions.port);
      for (const c of contexts) await c.routes?.(http);
      await platformAdminRoutes(http, (name) => platform.deleteTenant(name));
      platform.http = http;
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      boundPort = typeof address === 'object' && address ? address.port : config.port;
      await mqtt.startBroker();
      if (options.external !== false) mqtt.startExternal();
      return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`;
    },
    useBoundPort(port) {
      boundPort = port;
    },
    markReady() {
      ready = true;
    },
    routes: () => routeTable,
    async close() {
      ready = false;
      await platform.http?.close();
      for (const c of [...contexts].reverse()) await c.close();
      await objects.close();
      identity.close();
    },
  };
  return platform;
}
