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
import { createGateway, type GatewayContext, type UserDirectory } from '../gateway/index.js';
import { scopesOfRole } from '../core/scopes.js';

/** What a context contributes to the platform. */
export interface PlatformContext {
  name: string;
  routes?(app: FastifyInstance): Promise<void>;
  /** Called once per new tenant, after identity has stored it (e.g. the root asset). */
  onTenantCreated?(tenant: TenantRecord): Promise<void>;
  close(): void | Promise<void>;
}

export interface Platform {
  config: Config;
  logger: Logger;
  identity: IdentityContext;
  assets: AssetsContext;
  gateway: GatewayContext;
  contexts: PlatformContext[];
  http: FastifyInstance | undefined;
  publicUrl(): string;
  provisionTenant(name: string, companyDomain: string, displayName?: string): Promise<TenantRecord>;
  /** Starts the HTTP listener; returns the bound URL. */
  listen(): Promise<string>;
  /** The port worker processes listen on, for a cluster primary that does not listen itself (public URL, TokenURL). */
  useBoundPort(port: number): void;
  close(): Promise<void>;
}

/** Builds the platform's contexts; `withHttp` false is what admin CLI commands use. */
export async function createPlatform(config: Config, options: { logger?: Logger } = {}): Promise<Platform> {
  const logger = options.logger ?? createLogger(config.logLevel);
  let boundPort: number | undefined;
  const publicUrl = () => publicUrlOf(config, boundPort);
  const identity = createIdentity(config, publicUrl);
  // The gateway's view of identity (seed 002 sessions and token exchange).
  const users: UserDirectory = {
    tenantExists: async (tenant) => (await identity.store.getTenant(tenant)) !== undefined,
    authenticate: async (tenant, email, password) => {
      const u = await identity.service.authenticateUser(tenant, email, password);
      return u && { id: u.id, email: u.email };
    },
    userToken: async (tenant, userId, options = {}) => {
      const u = await identity.store.getUser(tenant, userId);
      if (!u) return undefined;
      const role = scopesOfRole(u.role);
      const scopes = options.scopes ? role.filter((s) => options.scopes!.includes(s)) : role;
      const t = await identity.tokens.issueUserToken(u, scopes, options.clientId);
      return { token: t.access_token, expiresAt: Date.now() + t.expires_in * 1000, scopes };
    },
  };
  const gateway = createGateway(config, { logger, verifier: identity.tokens, users });
  const assets = createAssets({ config, logger });
  const timeseries = createTimeseries({ config, logger, model: assets.model, events: assets.events });
  const contexts: PlatformContext[] = [gateway, assets, timeseries];

  const platform: Platform = {
    config, logger, identity, assets, gateway, contexts, http: undefined, publicUrl,
    async provisionTenant(name, companyDomain, displayName) {
      const tenant = await identity.service.createTenant(name, companyDomain, displayName);
      for (const c of contexts) await c.onTenantCreated?.(tenant);
      return tenant;
    },
    async listen() {
      await identity.start();
      const http = createHttp({ logger, bodyLimit: config.jsonBodyLimitBytes, serverFactory: gateway.serverFactory });
      installApiAuth(http, identity.tokens);
      http.get('/health', { logLevel: 'warn' }, async () => ({ status: 'UP' }));
      await identity.routes(http);
      for (const c of contexts) await c.routes?.(http);
      platform.http = http;
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      boundPort = typeof address === 'object' && address ? address.port : config.port;
      return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`;
    },
    useBoundPort(port) {
      boundPort = port;
    },
    async close() {
      await platform.http?.close();
      for (const c of [...contexts].reverse()) await c.close();
      identity.close();
    },
  };
  return platform;
}
