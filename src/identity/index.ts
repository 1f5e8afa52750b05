/** The identity context as the platform composes it: store, key ring, services and routes. */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.js';
import { KeyRing } from './keyring.js';
import { identityRoutes } from './routes.js';
import { IdentityService } from './service.js';
import type { IdentityStore } from './store.js';
import { SqliteIdentityStore } from './store/sqlite.js';
import { TokenService } from './tokens.js';

export interface IdentityContext {
  store: IdentityStore;
  service: IdentityService;
  tokens: TokenService;
  keys: KeyRing;
  /** Loads (or creates) the signing keys; needed before tokens are issued or verified. */
  start(): Promise<void>;
  routes(app: FastifyInstance): Promise<void>;
  close(): void;
}

export function createIdentity(config: Config, publicUrl: () => string): IdentityContext {
  const store = new SqliteIdentityStore({ dataDir: config.dataDir, sync: config.sqliteSync });
  const tokenUrl = () => `${publicUrl()}/oauth/token`;
  const service = new IdentityService(store, { hashCost: config.secretHashCost, tokenUrl });
  const keys = new KeyRing(store, config.signingKeyRotationDays * 86_400_000, config.tokenTtlSeconds * 1000);
  const tokens = new TokenService(store, keys, {
    ttlSeconds: config.tokenTtlSeconds, issuer: tokenUrl, cacheSize: config.verifiedTokenCacheSize,
    hashCost: config.secretHashCost, maxConcurrentSecretChecks: config.maxConcurrentSecretChecks,
  });
  let timer: NodeJS.Timeout | undefined;
  return {
    store, service, tokens, keys,
    async start() {
      await keys.ensureCurrent();
      // Below the key ring's 60 s retention margin (see keyring.ts): other workers' rotations are followed in time.
      timer = setInterval(() => void keys.refresh().catch(() => undefined), 30_000);
      timer.unref();
    },
    routes: (app) => identityRoutes(app, { identity: service, tokens, keys, issuer: tokenUrl, publicUrl }),
    close() {
      if (timer) clearInterval(timer);
      store.close();
    },
  };
}

export type { CreatedKey, PublicKeyInfo, PublicUserInfo } from './service.js';
