/** The gateway context as the platform composes it: store, registry, sessions, greylist, the edge and the registry routes. */
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../core/auth.js';
import type { Config } from '../core/config.js';
import { Edge } from './edge.js';
import { Greylist } from './greylist.js';
import { Registry } from './registry.js';
import { gatewayRoutes } from './routes.js';
import { Sessions, type UserDirectory } from './sessions.js';
import type { GatewayStore } from './store.js';
import { SqliteGatewayStore } from './store/sqlite.js';

export interface GatewayContext {
  name: 'gateway';
  store: GatewayStore;
  registry: Registry;
  sessions: Sessions;
  greylist: Greylist;
  /** The node:http server's front: connection cap, limits, dispatch (see edge.ts). */
  edge: Edge;
  /** Pass to createHttp: the node:http server with the gateway in front of fastify. */
  serverFactory: FastifyServerFactory;
  /** Pass to createHttp: requests the HTTP parser refused, answered in our error shapes. */
  clientErrorHandler: (err: Error, socket: Socket) => void;
  routes(app: FastifyInstance): Promise<void>;
  /** Drops every record of the tenant (the tenant delete): its rows and its objects. */
  onTenantDeleted(tenant: string): Promise<void>;
  close(): void;
}

export interface GatewayDependencies {
  logger: Logger;
  verifier: TokenVerifier;
  /** Identity's sign-in (tenants, passwords, user tokens). */
  users: UserDirectory;
  /** The clock of session lifetimes; tests inject one. */
  now?: () => number;
  /** Paths whose routes count their own request bodies (signed object uploads): no request size limit here. */
  largeBody?: (path: string) => boolean;
}

export function createGateway(config: Config, deps: GatewayDependencies): GatewayContext {
  const store = new SqliteGatewayStore({ dataDir: config.dataDir, sync: config.sqliteSync });
  const registry = new Registry(store, { cacheMs: config.gatewayRegistryCacheMs });
  const sessions = new Sessions(store, deps.users, {
    ttlMs: config.sessionTtlSeconds * 1000, idleMs: config.sessionIdleSeconds * 1000, now: deps.now ?? Date.now,
  });
  const greylist = new Greylist({
    slowMs: config.gatewaySlowResponseMs, greylistMs: config.gatewayGreylistMs, mode: config.gatewaySlowMode,
    loadPercent: config.gatewaySlowLoadPercent, maxConnections: config.gatewayMaxConnections,
  });
  const edge = new Edge({ config, logger: deps.logger, verifier: deps.verifier, users: deps.users, registry, sessions, greylist,
    ...(deps.largeBody ? { largeBody: deps.largeBody } : {}) });
  return {
    name: 'gateway', store, registry, sessions, greylist, edge,
    serverFactory: ((handler) => edge.serverFactory(handler as never)) as FastifyServerFactory,
    clientErrorHandler: (err, socket) => edge.clientError(err, socket),
    routes: (app) => gatewayRoutes(app, { registry, greylist, config }),
    async onTenantDeleted(tenant) {
      await store.deleteTenant(tenant);
      registry.invalidate();
    },
    close() {
      store.close();
    },
  };
}

export type { UserDirectory } from './sessions.js';
