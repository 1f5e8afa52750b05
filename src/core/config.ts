/**
 * Every setting of the platform, its default, its environment variable and its rule, in one place.
 * The README configuration table is generated from SETTINGS (`node dist/src/cli/main.js config --markdown`).
 * Precedence: explicit flag > IRONBRIDGE_* environment variable > default.
 */
import os from 'node:os';
import path from 'node:path';

export type SqliteSync = 'full' | 'normal';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  domain: string;
  region: string;
  publicUrl: string | undefined;
  tenant: string;
  logLevel: string;
  tokenTtlSeconds: number;
  signingKeyRotationDays: number;
  verifiedTokenCacheSize: number;
  jsonBodyLimitBytes: number;
  sqliteSync: SqliteSync;
  secretHashCost: number;
  maxConcurrentSecretChecks: number;
  assetDefaultTimezone: string;
  assetMaxPageSize: number;
  timeseriesBodyLimitBytes: number;
  gatewayMaxRequestBytes: number;
  gatewayMaxFileBytes: number;
  gatewayMaxHeaderBytes: number;
  gatewayMaxConnections: number;
  gatewayIdleTimeoutMs: number;
  gatewayRegistryCacheMs: number;
  gatewaySlowResponseMs: number;
  gatewayGreylistMs: number;
  gatewaySlowMode: SlowMode;
  gatewaySlowLoadPercent: number;
  gatewayWsPingMs: number;
  gatewayWsMessages: WsMessages;
  sessionTtlSeconds: number;
  sessionIdleSeconds: number;
  refreshTokenTtlSeconds: number;
  workers: Workers;
}

/** How proxied WebSocket messages are sent on: all as binary frames (seed 002), or in the type they arrived in. */
export type WsMessages = 'binary' | 'preserve';

/** Serving processes: a count, or 'auto' for one per core (os.availableParallelism). */
export type Workers = number | 'auto';

export const MAX_WORKERS = 64;

export type SlowMode = 'report' | 'block';

type Parser<T> = (raw: string) => T;

interface Setting<K extends keyof Config> {
  key: K;
  flag: string;
  env: string;
  default: Config[K];
  description: string;
  parse: Parser<Config[K]>;
}

export class ConfigError extends Error {
  constructor(readonly setting: string, message: string) {
    super(`invalid configuration ${setting}: ${message}`);
  }
}

const int = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`${n} is outside ${min}..${max}`);
  return n;
};
const oneOf = <T extends string>(...values: T[]): Parser<T> => (raw) => {
  if (!values.includes(raw as T)) throw new Error(`"${raw}" is not one of ${values.join(', ')}`);
  return raw as T;
};
const text = (re: RegExp, rule: string): Parser<string> => (raw) => {
  if (!re.test(raw)) throw new Error(`"${raw}" ${rule}`);
  return raw;
};
const hostLabel = text(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be a lowercase DNS name');
export const TENANT_NAME = /^[a-z][a-z0-9]{1,19}$/;
export const TENANT_RULE = 'must be 2-20 lowercase letters or digits, starting with a letter';
/** Names no tenant may take: `core` owns the shared core asset and aspect types (reference §1.2). */
export const RESERVED_TENANTS: readonly string[] = ['core'];

function s<K extends keyof Config>(x: Setting<K>): Setting<K> {
  return x;
}

export const SETTINGS = [
  s({ key: 'port', flag: '--port', env: 'IRONBRIDGE_PORT', default: 8080, parse: int(0, 65535),
    description: 'TCP port of the HTTP listener (0 picks a free port).' }),
  s({ key: 'host', flag: '--host', env: 'IRONBRIDGE_HOST', default: '127.0.0.1',
    parse: text(/^[0-9a-zA-Z.:-]+$/, 'must be an IP address or host name'),
    description: 'Address the HTTP listener binds to.' }),
  s({ key: 'dataDir', flag: '--data-dir', env: 'IRONBRIDGE_DATA_DIR', default: './data',
    parse: text(/^.+$/, 'must not be empty'),
    description: 'Directory of the embedded databases and object files; created on first start.' }),
  s({ key: 'domain', flag: '--domain', env: 'IRONBRIDGE_DOMAIN', default: 'localhost', parse: hostLabel,
    description: 'DNS domain of the host names gateway.{region}.{domain} and {tenant}-{app}.{region}.{domain}.' }),
  s({ key: 'region', flag: '--region', env: 'IRONBRIDGE_REGION', default: 'local',
    parse: text(/^[a-z0-9]{1,20}$/, 'must be 1-20 lowercase letters or digits'),
    description: 'Region label used in host names.' }),
  s({ key: 'publicUrl', flag: '--public-url', env: 'IRONBRIDGE_PUBLIC_URL', default: undefined,
    parse: (raw) => {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http(s) URL');
      return raw.replace(/\/+$/, '');
    },
    description: 'Base URL clients use to reach the platform; default http://localhost:{port}. Used in TokenURL and token issuer.' }),
  s({ key: 'tenant', flag: '--tenant', env: 'IRONBRIDGE_TENANT', default: 'local',
    parse: (raw) => {
      const name = text(TENANT_NAME, TENANT_RULE)(raw);
      if (RESERVED_TENANTS.includes(name)) throw new Error(`"${name}" is reserved`);
      return name;
    },
    description: 'Name of the tenant provisioned on first start.' }),
  s({ key: 'logLevel', flag: '--log-level', env: 'IRONBRIDGE_LOG_LEVEL', default: 'info',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    description: 'pino log level.' }),
  s({ key: 'tokenTtlSeconds', flag: '--token-ttl', env: 'IRONBRIDGE_TOKEN_TTL', default: 1800, parse: int(1, 86400),
    description: 'Lifetime of issued access tokens in seconds (Insights Hub: 1800).' }),
  s({ key: 'signingKeyRotationDays', flag: '--signing-key-rotation-days', env: 'IRONBRIDGE_SIGNING_KEY_ROTATION_DAYS',
    default: 30, parse: int(1, 3650),
    description: 'Age after which a new token signing key replaces the current one; the old key stays published until its last token expires.' }),
  s({ key: 'verifiedTokenCacheSize', flag: '--verified-token-cache', env: 'IRONBRIDGE_VERIFIED_TOKEN_CACHE',
    default: 10000, parse: int(0, 10_000_000),
    description: 'Entries in the cache of verified tokens (0 disables it).' }),
  s({ key: 'jsonBodyLimitBytes', flag: '--json-body-limit', env: 'IRONBRIDGE_JSON_BODY_LIMIT', default: 1024 * 1024,
    parse: int(1024, 150 * 1024 * 1024),
    description: 'Largest JSON or form request body in bytes (Insights Hub APIs: 1 MB); larger bodies get 413 before they are read whole.' }),
  s({ key: 'sqliteSync', flag: '--sqlite-sync', env: 'IRONBRIDGE_SQLITE_SYNC', default: 'full' as SqliteSync,
    parse: oneOf<SqliteSync>('full', 'normal'),
    description: 'SQLite synchronous mode: full survives power loss, normal survives a killed process only.' }),
  s({ key: 'secretHashCost', flag: '--secret-hash-cost', env: 'IRONBRIDGE_SECRET_HASH_COST', default: 15, parse: int(10, 20),
    description: 'log2 of the scrypt cost used to hash client secrets and passwords.' }),
  s({ key: 'maxConcurrentSecretChecks', flag: '--max-secret-checks', env: 'IRONBRIDGE_MAX_SECRET_CHECKS', default: 16,
    parse: int(1, 1024),
    description: 'Secret and password hash checks allowed at once, split among the workers (each takes ceil(max/workers)); more concurrent token requests get 429 before any hashing.' }),
  s({ key: 'assetDefaultTimezone', flag: '--asset-default-timezone', env: 'IRONBRIDGE_ASSET_DEFAULT_TIMEZONE',
    default: 'UTC', parse: text(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, 'must be a Java time zone id like Europe/Berlin'),
    description: 'Time zone of assets created without one (and of root assets); a Java zone id.' }),
  s({ key: 'assetMaxPageSize', flag: '--asset-max-page-size', env: 'IRONBRIDGE_ASSET_MAX_PAGE_SIZE', default: 200,
    parse: int(1, 10000),
    description: 'Largest page size of Asset Management lists (Insights Hub: 200); larger requests get 400.' }),
  s({ key: 'timeseriesBodyLimitBytes', flag: '--timeseries-body-limit', env: 'IRONBRIDGE_TIMESERIES_BODY_LIMIT',
    default: 1024 * 1024, parse: int(1024, 150 * 1024 * 1024),
    description: 'Largest body of PUT /api/iottimeseries/v3/timeseries/{entityId}/{propertySetName} in bytes (Insights Hub: 1 MB).' }),
  s({ key: 'gatewayMaxRequestBytes', flag: '--gateway-max-request', env: 'IRONBRIDGE_GATEWAY_MAX_REQUEST',
    default: 150 * 1024 * 1024, parse: int(1024, 2 ** 40),
    description: 'Largest request body the gateway accepts, counted while streaming (seed 002: 150 MB); larger gets 413 and the connection closed.' }),
  s({ key: 'gatewayMaxFileBytes', flag: '--gateway-max-file', env: 'IRONBRIDGE_GATEWAY_MAX_FILE',
    default: 100 * 1024 * 1024, parse: int(1, 2 ** 40),
    description: 'Largest file part of a multipart/form-data request (seed 002: 100 MB); larger gets 413.' }),
  s({ key: 'gatewayMaxHeaderBytes', flag: '--gateway-max-header', env: 'IRONBRIDGE_GATEWAY_MAX_HEADER',
    default: 16 * 1024, parse: int(1024, 1024 * 1024),
    description: 'Largest request header section in bytes (seed 002: 16 kB); larger gets 431.' }),
  s({ key: 'gatewayMaxConnections', flag: '--gateway-max-connections', env: 'IRONBRIDGE_GATEWAY_MAX_CONNECTIONS',
    default: 400, parse: int(1, 1_000_000),
    description: 'Parallel client connections per instance (seed 002: 400), split among the workers (each takes ceil(max/workers)); more are answered 503 and closed.' }),
  s({ key: 'gatewayIdleTimeoutMs', flag: '--gateway-idle-timeout', env: 'IRONBRIDGE_GATEWAY_IDLE_TIMEOUT',
    default: 60_000, parse: int(100, 3_600_000),
    description: 'Milliseconds without a byte after which an HTTP or WebSocket connection, or a backend request (504), is closed (seed 002: 60 s).' }),
  s({ key: 'gatewayRegistryCacheMs', flag: '--gateway-registry-cache', env: 'IRONBRIDGE_GATEWAY_REGISTRY_CACHE',
    default: 12 * 3_600_000, parse: int(0, 7 * 86_400_000),
    description: 'Longest time a Gateway Registry lookup stays cached (seed 002: 12 hours); a change by any process invalidates it at once.' }),
  s({ key: 'gatewaySlowResponseMs', flag: '--gateway-slow-response', env: 'IRONBRIDGE_GATEWAY_SLOW_RESPONSE',
    default: 30_000, parse: int(1, 3_600_000),
    description: 'A backend response slower than this marks its endpoint slow (seed 002: 30 s).' }),
  s({ key: 'gatewayGreylistMs', flag: '--gateway-greylist', env: 'IRONBRIDGE_GATEWAY_GREYLIST',
    default: 300_000, parse: int(1, 86_400_000),
    description: 'How long a slow endpoint stays greylisted (seed 002: 5 minutes).' }),
  s({ key: 'gatewaySlowMode', flag: '--gateway-slow-mode', env: 'IRONBRIDGE_GATEWAY_SLOW_MODE',
    default: 'report' as SlowMode, parse: oneOf<SlowMode>('report', 'block'),
    description: 'report: slow endpoints are logged and counted only (seed 002: current behaviour); block: greylisted endpoints get 503 while the instance is above the load threshold.' }),
  s({ key: 'gatewaySlowLoadPercent', flag: '--gateway-slow-load', env: 'IRONBRIDGE_GATEWAY_SLOW_LOAD',
    default: 80, parse: int(0, 100),
    description: 'Share of the connection cap above which greylisted endpoints are blocked in block mode (seed 002: 80 %).' }),
  s({ key: 'gatewayWsPingMs', flag: '--gateway-ws-ping', env: 'IRONBRIDGE_GATEWAY_WS_PING',
    default: 30_000, parse: int(100, 3_600_000),
    description: 'Interval of server pings on proxied WebSockets, keeping idle browsers inside the idle timeout.' }),
  s({ key: 'gatewayWsMessages', flag: '--gateway-ws-messages', env: 'IRONBRIDGE_GATEWAY_WS_MESSAGES',
    default: 'binary' as WsMessages, parse: oneOf<WsMessages>('binary', 'preserve'),
    description: 'binary: every proxied WebSocket message is sent on as a binary frame, both ways (seed 002, what Insights Hub apps expect); preserve: text frames stay text.' }),
  s({ key: 'sessionTtlSeconds', flag: '--session-ttl', env: 'IRONBRIDGE_SESSION_TTL', default: 43_200, parse: int(1, 31 * 86_400),
    description: 'Maximum lifetime of a web session (seed 002: 12 hours).' }),
  s({ key: 'sessionIdleSeconds', flag: '--session-idle', env: 'IRONBRIDGE_SESSION_IDLE', default: 1_800, parse: int(1, 31 * 86_400),
    description: 'A web session without activity for this long ends (seed 002: 30 minutes).' }),
  s({ key: 'refreshTokenTtlSeconds', flag: '--refresh-token-ttl', env: 'IRONBRIDGE_REFRESH_TOKEN_TTL', default: 43_200,
    parse: int(1, 31 * 86_400),
    description: 'Lifetime of OAuth refresh tokens issued to third-party web apps (seed 002: 12 hours).' }),
  s({ key: 'workers', flag: '--workers', env: 'IRONBRIDGE_WORKERS', default: 1 as Workers,
    parse: (raw): Workers => {
      if (raw.trim() === 'auto') return 'auto';
      if (!/^\d+$/.test(raw.trim())) throw new Error(`"${raw}" is neither a whole number 1..${MAX_WORKERS} nor auto`);
      return int(1, MAX_WORKERS)(raw);
    },
    description: `Serving processes sharing the port and the data directory (1..${MAX_WORKERS}, or auto: one per core); connection and secret-check caps are split among them.` }),
] as const;

export type ConfigInput = Partial<Record<keyof Config, string | number | undefined>>;

/** Resolves flags, environment and defaults into a checked Config; throws ConfigError naming the setting. */
export function loadConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const fromFlag = flags[setting.key];
    const raw = fromFlag !== undefined ? String(fromFlag) : env[setting.env];
    if (raw === undefined || raw === '') {
      out[setting.key] = setting.default;
      continue;
    }
    try {
      out[setting.key] = setting.parse(raw);
    } catch (err) {
      const origin = fromFlag !== undefined ? setting.flag : setting.env;
      throw new ConfigError(origin, (err as Error).message);
    }
  }
  const config = out as unknown as Config;
  config.dataDir = path.resolve(config.dataDir);
  return config;
}

/** The number of serving processes the setting asks for. */
export function workerCount(workers: Workers): number {
  return workers === 'auto' ? Math.min(MAX_WORKERS, os.availableParallelism()) : workers;
}

export function publicUrlOf(config: Config, boundPort?: number): string {
  if (config.publicUrl) return config.publicUrl;
  return `http://localhost:${boundPort ?? config.port}`;
}

export function settingsMarkdown(): string {
  const rows = SETTINGS.map((x) =>
    `| \`${x.flag}\` | \`${x.env}\` | ${x.default === undefined ? '—' : `\`${String(x.default)}\``} | ${x.description} |`);
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
