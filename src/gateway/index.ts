/** The gateway context as the platform composes it: store, registry, sessions, greylist, OAuth, the layer and routes. */
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../core/auth.js';
import type { Config } from '../core/config.js';
import { Gateway } from './gateway.js';
import { Greylist } from './greylist.js';
import { OAuthService, oauthRoutes } from './oauth.js';
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
  oauth: OAuthService;
  layer: Gateway;
  /** Pass to createHttp: the node:http server with the gateway in front of fastify. */
  serverFactory: FastifyServerFactory;
  routes(app: FastifyInstance): Promise<void>;
  close(): void;
}

export interface GatewayDependencies {
  logger: Logger;
  verifier: TokenVerifier;
  users: UserDirectory;
}

export function createGateway(config: Config, deps: GatewayDependencies): GatewayContext {
  const store = new SqliteGatewayStore({ dataDir: config.dataDir, sync: config.sqliteSync });
  const registry = new Registry(store, { cacheMs: config.gatewayRegistryCacheMs });
  const sessions = new Sessions(store, deps.users, { ttlMs: config.sessionTtlSeconds * 1000, idleMs: config.sessionIdleSeconds * 1000 });
  const greylist = new Greylist({
    slowMs: config.gatewaySlowResponseMs, greylistMs: config.gatewayGreylistMs, mode: config.gatewaySlowMode,
    loadPercent: config.gatewaySlowLoadPercent, maxConnections: config.gatewayMaxConnections,
  });
  const oauth = new OAuthService(store, deps.users, { refreshTtlMs: config.refreshTokenTtlSeconds * 1000,
    hashCost: config.secretHashCost, maxSecretChecks: config.maxConcurrentSecretChecks });
  const layer = new Gateway({ config, logger: deps.logger, verifier: deps.verifier, users: deps.users, registry, sessions, greylist });
  return {
    name: 'gateway', store, registry, sessions, greylist, oauth, layer,
    serverFactory: ((handler) => layer.serverFactory(handler as never)) as FastifyServerFactory,
    async routes(app) {
      await gatewayRoutes(app, { registry, greylist, config });
      await oauthRoutes(app, { oauth, users: deps.users, sessions, config });
    },
    close() {
      store.close();
    },
  };
}

export type { UserDirectory } from './sessions.js';
