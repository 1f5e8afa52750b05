/**
 * The identity context as the platform composes it: store, key ring, token service, the credential guard every
 * secret check passes, the user sign-in the gateway calls (`signIn`), the OAuth service of every token endpoint and
 * of the web app sign-in (`oauth`), and their routes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../core/config.js';
import { SecretBox } from '../core/secrets.js';
import { CredentialGuard } from './guard.js';
import { KeyRing } from './keyring.js';
import { oauthRoutes } from './oauth/routes.js';
import { OAuthService } from './oauth/service.js';
import type { OAuthStore } from './oauth/store.js';
import { adminKeyRoutes, adminUserRoutes } from './admin-routes.js';
import { identityRoutes } from './routes.js';
import { IdentityService } from './service.js';
import { SignIn, type SessionPort } from './signin.js';
import type { IdentityStore } from './store.js';
import { SqliteIdentityStore } from './store/sqlite.js';
import { TokenService } from './tokens.js';

export interface IdentityContext {
  store: IdentityStore;
  oauthStore: OAuthStore;
  service: IdentityService;
  tokens: TokenService;
  keys: KeyRing;
  guard: CredentialGuard;
  /** The sign-in of users: what the gateway calls (sessions, token exchange). */
  signIn: SignIn;
  oauth: OAuthService;
  /** Loads (or creates) the signing keys; needed before tokens are issued or verified. */
  start(): Promise<void>;
  /** Mounts the routes; `sessions` are the gateway's web sessions (single sign-on on the consent page). */
  routes(app: FastifyInstance, sessions: SessionPort): Promise<void>;
  close(): void;
}

export interface IdentityDependencies {
  logger: Logger;
  /** The clock of lifetimes (codes, back-off); tests inject one. */
  now?: () => number;
}

/** The key that encrypts signing keys at rest, from --signing-key-secret or a file outside the data directory. */
export function signingKeyBox(config: Config): SecretBox | undefined {
  if (config.signingKeySecret !== undefined && config.signingKeySecretFile !== undefined) {
    throw new ConfigError('--signing-key-secret-file', 'give the key either as --signing-key-secret or as a file, not both');
  }
  let material = config.signingKeySecret;
  if (config.signingKeySecretFile !== undefined) {
    const file = path.resolve(config.signingKeySecretFile);
    const rel = path.relative(config.dataDir, file);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
      throw new ConfigError('--signing-key-secret-file', `${file} is inside the data directory; keep the key apart from the data it protects`);
    }
    try {
      material = fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError('--signing-key-secret-file', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (material === undefined) return undefined;
  try {
    return new SecretBox(material);
  } catch (err) {
    throw new ConfigError(config.signingKeySecretFile !== undefined ? '--signing-key-secret-file' : '--signing-key-secret', (err as Error).message);
  }
}

export function createIdentity(config: Config, publicUrl: () => string, deps: IdentityDependencies): IdentityContext {
  if (config.signingKeyRefreshSeconds >= config.signingKeyRetentionSeconds) {
    throw new ConfigError('--signing-key-refresh', `${config.signingKeyRefreshSeconds} s must be below --signing-key-retention `
      + `(${config.signingKeyRetentionSeconds} s), or another process's rotation may be followed too late`);
  }
  const box = signingKeyBox(config);
  const now = deps.now ?? Date.now;
  const store = new SqliteIdentityStore({ dataDir: config.dataDir, sync: config.sqliteSync });
  const tokenUrl = () => `${publicUrl()}/oauth/token`;
  // App credentials get their tokens from the technical token manager, not /oauth/token (which refuses them).
  const keyTokenUrl = (kind: 'service' | 'app') => (kind === 'app' ? `${publicUrl()}/api/technicaltokenmanager/v3/oauth/token` : tokenUrl());
  const service = new IdentityService(store, { hashCost: config.secretHashCost, tokenUrl: keyTokenUrl,
    keyGraceMs: config.keyRotationGraceSeconds * 1000, now: deps.now ?? Date.now });
  const keys = new KeyRing(store, { rotationMs: config.signingKeyRotationDays * 86_400_000, tokenTtlMs: config.tokenTtlSeconds * 1000,
    retentionMs: config.signingKeyRetentionSeconds * 1000, box });
  const tokens = new TokenService(store, keys, { ttlSeconds: config.tokenTtlSeconds, issuer: tokenUrl, cacheSize: config.verifiedTokenCacheSize });
  const guard = new CredentialGuard({
    maxChecks: config.maxConcurrentSecretChecks, hashCost: config.secretHashCost, logger: deps.logger,
    backoff: { after: config.authBackoffAfter, initialMs: config.authBackoffInitialSeconds * 1000, maxMs: config.authBackoffMaxSeconds * 1000,
      forgetMs: config.authBackoffForgetSeconds * 1000, maxEntries: config.authBackoffEntries, now },
  });
  const signIn = new SignIn(store, tokens, guard);
  const oauth = new OAuthService(store, store.oauth, tokens, guard, signIn, {
    hashCost: config.secretHashCost, codeTtlMs: config.authorizationCodeTtlSeconds * 1000,
    refreshTtlMs: config.refreshTokenTtlSeconds * 1000, now,
  });
  const timers: NodeJS.Timeout[] = [];
  return {
    store, oauthStore: store.oauth, service, tokens, keys, guard, signIn, oauth,
    async start() {
      await keys.sealStoredKeys();
      await keys.ensureCurrent();
      // More often than the retention margin (checked above): other workers' rotations are followed in time.
      timers.push(setInterval(() => void keys.refresh().catch(() => undefined), config.signingKeyRefreshSeconds * 1000).unref());
      // Ended grant families go every quarter of the shortest lifetime they can have (a code's), at most every minute.
      timers.push(setInterval(() => void oauth.sweep().catch(() => undefined),
        Math.min(60_000, Math.max(250, config.authorizationCodeTtlSeconds * 250))).unref());
    },
    async routes(app, sessions) {
      await identityRoutes(app, { identity: service, keys, issuer: tokenUrl, publicUrl, formLimit: config.oauthFormLimitBytes });
      await oauthRoutes(app, { oauth, signIn, sessions, bodyLimit: config.oauthFormLimitBytes });
      await adminUserRoutes(app, service);
      await adminKeyRoutes(app, service);
    },
    close() {
      for (const t of timers) clearInterval(t);
      store.close();
    },
  };
}

export type { CreatedKey, PublicKeyInfo, PublicUserInfo } from './service.js';
export type { SessionPort, SignedInUser, SignIn, UserToken } from './signin.js';
export { publicOAuthClient } from './oauth/service.js';
export { loginPage } from './oauth/pages.js';
