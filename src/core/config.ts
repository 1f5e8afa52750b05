/**
 * Every setting of the platform, its default, its environment variable and its rule, in one place.
 * The README configuration table is generated from SETTINGS (`node dist/src/cli/main.js config --markdown`).
 * Precedence: explicit flag > IRONBRIDGE_* environment variable > default.
 */
import os from 'node:os';
import path from 'node:path';
import type { Config, LogFormat, ObjectStoreKind, S3Checksums, SlowMode, SqliteSync, TimeseriesWriterMode, Workers, WsMessages } from './config-shape.js';
import { bool, ConfigError, int, oneOf, text, type Setting } from './setting.js';

export { ConfigError } from './setting.js';

export type { Config, LogFormat, ObjectStoreKind, S3Checksums, SlowMode, SqliteSync, TimeseriesWriterMode, Workers, WsMessages } from './config-shape.js';

export const MAX_WORKERS = 64;


const hostLabel = text(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be a lowercase DNS name');
export const TENANT_NAME = /^[a-z][a-z0-9]{1,19}$/;
export const TENANT_RULE = 'must be 2-20 lowercase letters or digits, starting with a letter';
/** Names no tenant may take: `core` owns the shared core asset and aspect types (Asset Management API v3). */
export const RESERVED_TENANTS: readonly string[] = ['core'];

function s<K extends keyof Config>(x: Setting<K>): Setting<K> {
  return x;
}

export const SETTINGS = [
  s({ key: 'port', example: '0', flag: '--port', env: 'IRONBRIDGE_PORT', default: 8080, parse: int(0, 65535),
    description: 'TCP port of the HTTP listener (0 picks a free port).' }),
  s({ key: 'host', example: 'localhost', flag: '--host', env: 'IRONBRIDGE_HOST', default: '127.0.0.1',
    parse: text(/^[0-9a-zA-Z.:-]+$/, 'must be an IP address or host name'),
    description: 'Address the HTTP listener binds to.' }),
  s({ key: 'dataDir', flag: '--data-dir', env: 'IRONBRIDGE_DATA_DIR', default: './data',
    parse: text(/^.+$/, 'must not be empty'),
    description: 'Directory of the embedded databases and object files; created on first start.' }),
  s({ key: 'domain', example: 'example.test', flag: '--domain', env: 'IRONBRIDGE_DOMAIN', default: 'localhost', parse: hostLabel,
    description: 'DNS domain of the host names gateway.{region}.{domain} and {tenant}-{app}.{region}.{domain}.' }),
  s({ key: 'region', example: 'eu1', flag: '--region', env: 'IRONBRIDGE_REGION', default: 'local',
    parse: text(/^[a-z0-9]{1,20}$/, 'must be 1-20 lowercase letters or digits'),
    description: 'Region label used in host names.' }),
  s({ key: 'publicUrl', example: 'http://ironbridge.example.test:9000', flag: '--public-url', env: 'IRONBRIDGE_PUBLIC_URL', default: undefined,
    parse: (raw) => {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http(s) URL');
      return raw.replace(/\/+$/, '');
    },
    description: 'Base URL clients use to reach the platform; default http://localhost:{port}. Used in TokenURL and token issuer.' }),
  s({ key: 'tenant', example: 'acme', flag: '--tenant', env: 'IRONBRIDGE_TENANT', default: 'local',
    parse: (raw) => {
      const name = text(TENANT_NAME, TENANT_RULE)(raw);
      if (RESERVED_TENANTS.includes(name)) throw new Error(`"${name}" is reserved`);
      return name;
    },
    description: 'Name of the tenant provisioned on first start.' }),
  s({ key: 'logLevel', example: 'debug', flag: '--log-level', env: 'IRONBRIDGE_LOG_LEVEL', default: 'info',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    description: 'pino log level.' }),
  s({ key: 'logFormat', flag: '--log-format', env: 'IRONBRIDGE_LOG_FORMAT', default: 'auto' as LogFormat,
    parse: oneOf<LogFormat>('auto', 'json', 'pretty'), example: 'json',
    description: 'Log lines on standard output: json (one object a line, ISO times), pretty (readable text), or auto: pretty on a terminal, json otherwise.' }),
  // Sign-in: every lifetime and limit of tokens, codes, sessions, signing keys and credential checks, in one block
  // (as node-oidc-provider keeps its `ttl`). The Industrial IoT Gateway's restriction table gives the token, refresh and session values.
  s({ key: 'tokenTtlSeconds', flag: '--token-ttl', env: 'IRONBRIDGE_TOKEN_TTL', default: 1800, parse: int(1, 86400),
    description: 'Lifetime of issued access tokens in seconds (Insights Hub: 1800).' }),
  s({ key: 'refreshTokenTtlSeconds', flag: '--refresh-token-ttl', env: 'IRONBRIDGE_REFRESH_TOKEN_TTL', default: 43_200,
    parse: int(1, 31 * 86_400),
    description: 'Lifetime of OAuth refresh tokens issued to third-party web apps (Industrial IoT Gateway: 12 hours).' }),
  s({ key: 'authorizationCodeTtlSeconds', flag: '--authorization-code-ttl', env: 'IRONBRIDGE_AUTHORIZATION_CODE_TTL',
    default: 60, parse: int(1, 600),
    description: 'Lifetime of an OAuth authorization code of the web app sign-in; single use (RFC 6749 §4.1.2: at most 10 minutes).' }),
  s({ key: 'sessionTtlSeconds', flag: '--session-ttl', env: 'IRONBRIDGE_SESSION_TTL', default: 43_200, parse: int(1, 31 * 86_400),
    description: 'Maximum lifetime of a web session (Industrial IoT Gateway: 12 hours).' }),
  s({ key: 'sessionIdleSeconds', flag: '--session-idle', env: 'IRONBRIDGE_SESSION_IDLE', default: 1_800, parse: int(1, 31 * 86_400),
    description: 'A web session without activity for this long ends (Industrial IoT Gateway: 30 minutes).' }),
  s({ key: 'signingKeyRotationDays', flag: '--signing-key-rotation-days', env: 'IRONBRIDGE_SIGNING_KEY_ROTATION_DAYS',
    default: 30, parse: int(1, 3650),
    description: 'Age after which a new token signing key replaces the current one; the old key stays published until its last token expires.' }),
  s({ key: 'signingKeyRetentionSeconds', flag: '--signing-key-retention', env: 'IRONBRIDGE_SIGNING_KEY_RETENTION',
    default: 60, parse: int(2, 86_400),
    description: 'A retired signing key stays published for the token lifetime plus this margin, so a token another process signed just before the rotation still verifies; must exceed --signing-key-refresh.' }),
  s({ key: 'signingKeyRefreshSeconds', flag: '--signing-key-refresh', env: 'IRONBRIDGE_SIGNING_KEY_REFRESH',
    default: 30, parse: int(1, 86_400),
    description: 'How often each process re-reads the signing keys to follow a rotation made by another process (below --signing-key-retention).' }),
  s({ key: 'oauthFormLimitBytes', flag: '--oauth-form-limit', env: 'IRONBRIDGE_OAUTH_FORM_LIMIT', default: 64 * 1024,
    parse: int(1024, 1024 * 1024),
    description: 'Largest body of the OAuth endpoints (/oauth/token, /oauth/webapp/*, the technical token manager); larger gets 413.' }),
  s({ key: 'loginFormLimitBytes', flag: '--login-form-limit', env: 'IRONBRIDGE_LOGIN_FORM_LIMIT', default: 16 * 1024,
    parse: int(256, 1024 * 1024),
    description: 'Largest login form posted to /login on web app hosts; larger gets 413.' }),
  s({ key: 'authBackoffAfter', flag: '--auth-backoff-after', env: 'IRONBRIDGE_AUTH_BACKOFF_AFTER', default: 5, parse: int(1, 1000),
    description: 'Failed secret or password checks in a row after which a client id or user is locked for a while (back-off against guessing).' }),
  s({ key: 'authBackoffInitialSeconds', flag: '--auth-backoff-initial', env: 'IRONBRIDGE_AUTH_BACKOFF_INITIAL', default: 1,
    parse: int(1, 3600),
    description: 'First lock of a client id or user after --auth-backoff-after failures; each further failure doubles it, up to --auth-backoff-max.' }),
  s({ key: 'authBackoffMaxSeconds', flag: '--auth-backoff-max', env: 'IRONBRIDGE_AUTH_BACKOFF_MAX', default: 30, parse: int(1, 3600),
    description: 'Longest lock of a client id or user; kept short, so that an attacker cannot lock a legitimate client out for long.' }),
  s({ key: 'authBackoffForgetSeconds', flag: '--auth-backoff-forget', env: 'IRONBRIDGE_AUTH_BACKOFF_FORGET', default: 900,
    parse: int(1, 86_400),
    description: 'Failures older than this are forgotten; a successful check forgets them at once.' }),
  s({ key: 'keyRotationGraceSeconds', flag: '--key-rotation-grace', env: 'IRONBRIDGE_KEY_ROTATION_GRACE', default: 86_400,
    parse: int(0, 90 * 86_400),
    description: 'After `ironbridge keys rotate`, the old client secret still works for this long (default one day), so '
      + 'that every app can switch to the new one; 0 ends it at once. Tokens issued before keep their own lifetime.' }),
  s({ key: 'authBackoffEntries', flag: '--auth-backoff-entries', env: 'IRONBRIDGE_AUTH_BACKOFF_ENTRIES', default: 10_000,
    parse: int(1, 10_000_000),
    description: 'Client ids and users whose failures are remembered at once per process (bounded memory; the least recently failing are forgotten first).' }),
  s({ key: 'signingKeySecret', secret: true, example: 'an-example-key-of-at-least-32-characters', flag: '--signing-key-secret', env: 'IRONBRIDGE_SIGNING_KEY_SECRET', default: undefined,
    parse: (raw) => {
      // The value is a secret: the rule is named, the value never echoed.
      if (!/^[\x21-\x7e]{32,}$/.test(raw)) throw new Error('must be at least 32 printable characters without spaces (e.g. openssl rand -base64 32)');
      return raw;
    },
    description: 'Key that encrypts the token signing keys in identity.db (AES-256-GCM); prefer the environment variable or --signing-key-secret-file to a flag. Unset: the keys are stored as plain PEM.' }),
  s({ key: 'signingKeySecretFile', alternativeTo: 'signingKeySecret', example: 'file:an-example-key-of-at-least-32-characters',
    flag: '--signing-key-secret-file', env: 'IRONBRIDGE_SIGNING_KEY_SECRET_FILE', default: undefined,
    parse: text(/^.+$/, 'must not be empty'),
    description: 'File outside the data directory holding the key that encrypts the token signing keys (instead of --signing-key-secret).' }),
  s({ key: 'verifiedTokenCacheSize', flag: '--verified-token-cache', env: 'IRONBRIDGE_VERIFIED_TOKEN_CACHE',
    default: 10000, parse: int(0, 10_000_000),
    description: 'Entries in the cache of verified tokens (0 disables it).' }),
  s({ key: 'jsonBodyLimitBytes', flag: '--json-body-limit', env: 'IRONBRIDGE_JSON_BODY_LIMIT', default: 1024 * 1024,
    parse: int(1024, 150 * 1024 * 1024),
    description: 'Largest JSON or form request body in bytes (Insights Hub APIs: 1 MB); larger bodies get 413 before they are read whole.' }),
  s({ key: 'sqliteSync', example: 'normal', flag: '--sqlite-sync', env: 'IRONBRIDGE_SQLITE_SYNC', default: 'full' as SqliteSync,
    parse: oneOf<SqliteSync>('full', 'normal'),
    description: 'SQLite synchronous mode: full survives power loss, normal survives a killed process only.' }),
  s({ key: 'secretHashCost', flag: '--secret-hash-cost', env: 'IRONBRIDGE_SECRET_HASH_COST', default: 15, parse: int(10, 20),
    description: 'log2 of the scrypt cost used to hash client secrets and passwords.' }),
  s({ key: 'maxConcurrentSecretChecks', flag: '--max-secret-checks', env: 'IRONBRIDGE_MAX_SECRET_CHECKS', default: 16,
    parse: int(1, 1024),
    description: 'Secret and password hash checks allowed at once, split among the workers (each takes ceil(max/workers)); more concurrent token requests get 429 before any hashing.' }),
  s({ key: 'assetDefaultTimezone', example: 'Europe/Berlin', flag: '--asset-default-timezone', env: 'IRONBRIDGE_ASSET_DEFAULT_TIMEZONE',
    default: 'UTC', parse: text(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, 'must be a Java time zone id like Europe/Berlin'),
    description: 'Time zone of assets created without one (and of root assets); a Java zone id.' }),
  s({ key: 'assetMaxPageSize', flag: '--asset-max-page-size', env: 'IRONBRIDGE_ASSET_MAX_PAGE_SIZE', default: 2000,
    parse: int(1, 10000),
    description: 'Largest page size of every Asset Management list; larger requests get 400. 2000 serves what the official SDK and CLI ask for (Insights Hub itself allows 200 today).' }),
  s({ key: 'timeseriesBodyLimitBytes', flag: '--timeseries-body-limit', env: 'IRONBRIDGE_TIMESERIES_BODY_LIMIT',
    default: 1024 * 1024, parse: int(1024, 150 * 1024 * 1024),
    description: 'Largest body of PUT /api/iottimeseries/v3/timeseries/{entityId}/{propertySetName} in bytes (Insights Hub: 1 MB).' }),
  s({ key: 'gatewayMaxRequestBytes', flag: '--gateway-max-request', env: 'IRONBRIDGE_GATEWAY_MAX_REQUEST',
    default: 150 * 1024 * 1024, parse: int(1024, 2 ** 40),
    description: 'Largest request body the gateway accepts, counted while streaming (Industrial IoT Gateway: 150 MB); larger gets 413 and the connection closed.' }),
  s({ key: 'gatewayMaxFileBytes', flag: '--gateway-max-file', env: 'IRONBRIDGE_GATEWAY_MAX_FILE',
    default: 100 * 1024 * 1024, parse: int(1, 2 ** 40),
    description: 'Largest file part of a multipart/form-data request (Industrial IoT Gateway: 100 MB); larger gets 413.' }),
  s({ key: 'gatewayMaxHeaderBytes', flag: '--gateway-max-header', env: 'IRONBRIDGE_GATEWAY_MAX_HEADER',
    default: 16 * 1024, parse: int(1024, 1024 * 1024),
    description: 'Largest request header section in bytes (Industrial IoT Gateway: 16 kB); larger gets 431.' }),
  s({ key: 'gatewayMaxConnections', flag: '--gateway-max-connections', env: 'IRONBRIDGE_GATEWAY_MAX_CONNECTIONS',
    default: 400, parse: int(1, 1_000_000),
    description: 'Parallel client connections per instance (Industrial IoT Gateway: 400), split among the workers (each takes ceil(max/workers)); more are answered 503 and closed.' }),
  s({ key: 'gatewayIdleTimeoutMs', flag: '--gateway-idle-timeout', env: 'IRONBRIDGE_GATEWAY_IDLE_TIMEOUT',
    default: 60_000, parse: int(100, 3_600_000),
    description: 'Milliseconds without a byte after which an HTTP or WebSocket connection, or a backend request (504), is closed (Industrial IoT Gateway: 60 s).' }),
  s({ key: 'gatewayRegistryCacheMs', flag: '--gateway-registry-cache', env: 'IRONBRIDGE_GATEWAY_REGISTRY_CACHE',
    default: 12 * 3_600_000, parse: int(0, 7 * 86_400_000),
    description: 'Longest time a Gateway Registry lookup stays cached (Industrial IoT Gateway: 12 hours); a change by any process invalidates it at once.' }),
  s({ key: 'gatewaySlowResponseMs', flag: '--gateway-slow-response', env: 'IRONBRIDGE_GATEWAY_SLOW_RESPONSE',
    default: 30_000, parse: int(1, 3_600_000),
    description: 'A backend response slower than this marks its endpoint slow (Industrial IoT Gateway: 30 s).' }),
  s({ key: 'gatewayGreylistMs', flag: '--gateway-greylist', env: 'IRONBRIDGE_GATEWAY_GREYLIST',
    default: 300_000, parse: int(1, 86_400_000),
    description: 'How long a slow endpoint stays greylisted (Industrial IoT Gateway: 5 minutes).' }),
  s({ key: 'gatewaySlowMode', example: 'block', flag: '--gateway-slow-mode', env: 'IRONBRIDGE_GATEWAY_SLOW_MODE',
    default: 'report' as SlowMode, parse: oneOf<SlowMode>('report', 'block'),
    description: 'report: slow endpoints are logged and counted only (Industrial IoT Gateway: current behaviour); block: greylisted endpoints get 503 while the instance is above the load threshold.' }),
  s({ key: 'gatewaySlowLoadPercent', flag: '--gateway-slow-load', env: 'IRONBRIDGE_GATEWAY_SLOW_LOAD',
    default: 80, parse: int(0, 100),
    description: 'Share of the connection cap above which greylisted endpoints are blocked in block mode (Industrial IoT Gateway: 80 %).' }),
  s({ key: 'gatewayWsPingMs', flag: '--gateway-ws-ping', env: 'IRONBRIDGE_GATEWAY_WS_PING',
    default: 30_000, parse: int(100, 3_600_000),
    description: 'Interval of server pings on proxied WebSockets, keeping idle browsers inside the idle timeout.' }),
  s({ key: 'gatewayWsMessages', example: 'preserve', flag: '--gateway-ws-messages', env: 'IRONBRIDGE_GATEWAY_WS_MESSAGES',
    default: 'binary' as WsMessages, parse: oneOf<WsMessages>('binary', 'preserve'),
    description: 'binary: every proxied WebSocket message is sent on as a binary frame, both ways (Industrial IoT Gateway, what Insights Hub apps expect); preserve: text frames stay text.' }),
  s({ key: 'workers', example: '2', flag: '--workers', env: 'IRONBRIDGE_WORKERS', default: 1 as Workers,
    parse: (raw): Workers => {
      if (raw.trim() === 'auto') return 'auto';
      if (!/^\d+$/.test(raw.trim())) throw new Error(`"${raw}" is neither a whole number 1..${MAX_WORKERS} nor auto`);
      return int(1, MAX_WORKERS)(raw);
    },
    description: `Serving processes sharing the port and the data directory (1..${MAX_WORKERS}, or auto: one per core); connection and secret-check caps are split among them.` }),
  s({ key: 'objectStore', example: 's3', flag: '--object-store', env: 'IRONBRIDGE_OBJECT_STORE', default: 'fs' as ObjectStoreKind,
    parse: oneOf<ObjectStoreKind>('fs', 's3'),
    description: 'Where file bytes (data lake objects, asset files, IoT files) live: fs = {data-dir}/objects, s3 = the S3-compatible bucket of the --bucket-* settings.' }),
  s({ key: 's3Endpoint', example: 'http://127.0.0.1:9', flag: '--bucket-endpoint', env: 'IRONBRIDGE_BUCKET_ENDPOINT', default: undefined,
    parse: (raw) => {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http(s) URL');
      return raw.replace(/\/+$/, '');
    },
    description: 'Endpoint of S3-compatible storage (e.g. http://127.0.0.1:9000); unset = AWS S3 of the region.' }),
  s({ key: 's3Bucket', example: 'example-bucket', flag: '--bucket', env: 'IRONBRIDGE_BUCKET', default: 'ironbridge',
    parse: text(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)'),
    description: 'Bucket holding the objects with --object-store s3 (it must exist).' }),
  s({ key: 's3Region', example: 'eu-central-1', flag: '--bucket-region', env: 'IRONBRIDGE_BUCKET_REGION', default: 'us-east-1',
    parse: text(/^[a-z0-9-]{1,40}$/, 'must be a region name like eu-central-1'),
    description: 'Region of the S3 bucket (signing region for S3-compatible stores).' }),
  s({ key: 's3PathStyle', example: 'false', flag: '--bucket-path-style', env: 'IRONBRIDGE_BUCKET_PATH_STYLE', default: true, parse: bool,
    description: 'true: {endpoint}/{bucket}/{key} addressing (most S3-compatible stores); false: virtual-hosted {bucket}.{endpoint}.' }),
  s({ key: 's3AccessKeyId', example: 'EXAMPLEKEYID', flag: '--bucket-access-key-id', env: 'IRONBRIDGE_BUCKET_ACCESS_KEY_ID', default: undefined,
    parse: text(/^\S{1,128}$/, 'must be a non-empty key id'),
    description: 'S3 access key id; unset = the AWS SDK default chain (AWS_* variables, profiles, instance roles).' }),
  s({ key: 's3SecretAccessKey', example: 'example-secret-access-key', secret: true, flag: '--bucket-secret-access-key', env: 'IRONBRIDGE_BUCKET_SECRET_ACCESS_KEY', default: undefined,
    parse: text(/^\S{1,256}$/, 'must be a non-empty secret'),
    description: 'S3 secret access key (prefer the environment variable to the flag).' }),
  s({ key: 's3Checksums', example: 'when_supported', flag: '--bucket-checksums', env: 'IRONBRIDGE_BUCKET_CHECKSUMS', default: 'when_required' as S3Checksums,
    parse: oneOf<S3Checksums>('when_supported', 'when_required'),
    description: 'when_required: CRC checksums only where S3 demands them (what S3-compatible stores accept); when_supported: on every request (AWS).' }),
  s({ key: 's3Prefix', example: 'example/', flag: '--bucket-prefix', env: 'IRONBRIDGE_BUCKET_PREFIX', default: '',
    parse: text(/^([A-Za-z0-9._-]+\/)*$/, 'must be empty or folder names each ending with /'),
    description: 'Key prefix of every object inside the bucket, so several installations can share one.' }),
  s({ key: 'hashThreads', flag: '--hash-threads', env: 'IRONBRIDGE_HASH_THREADS', default: 2, parse: int(1, 16),
    description: 'Most worker threads computing the MD5 and SHA-256 of streamed file bytes, off the thread serving requests (per serving process): the first starts shortly after the store opens, another only when each running one holds three live hash states (about one upload).' }),
  s({ key: 'gcPacingBytes', flag: '--gc-pacing', env: 'IRONBRIDGE_GC_PACING_BYTES', default: 8 * 1024 * 1024, parse: int(0, 2 ** 31),
    description: 'Bytes of streamed uploads after which the serving process runs a minor garbage collection, freeing the socket chunks already copied before V8\'s own trigger (some 64 MB of them) does; 0 = off.' }),
  s({ key: 'datalakeMaxRequestBytes', flag: '--datalake-max-request', env: 'IRONBRIDGE_DATALAKE_MAX_REQUEST',
    default: 100 * 1024 * 1024, parse: int(1, 2 ** 40),
    description: 'Largest object or part in one upload request through the gateway (Integrated Data Lake: 100 MB); larger gets 413.' }),
  s({ key: 'datalakeSignedMaxBytes', flag: '--datalake-signed-max', env: 'IRONBRIDGE_DATALAKE_SIGNED_MAX',
    default: 5 * 1024 ** 3, parse: int(1, 2 ** 42),
    description: 'Largest object one PUT to a signed upload URL may carry (S3 single PUT: 5 GiB); larger gets 413.' }),
  s({ key: 'datalakeSignedUrlSeconds', flag: '--datalake-signed-url-ttl', env: 'IRONBRIDGE_DATALAKE_SIGNED_URL_TTL',
    default: 7200, parse: int(1, 7 * 86_400),
    description: 'Lifetime of signed upload and download URLs in seconds (Integrated Data Lake: 7200).' }),
  s({ key: 'datalakeMultipartHours', flag: '--datalake-multipart-hours', env: 'IRONBRIDGE_DATALAKE_MULTIPART_HOURS',
    default: 24, parse: int(1, 24 * 30),
    description: 'Hours within which a multipart upload must be completed; then it is aborted (Integrated Data Lake: 24).' }),
  s({ key: 'datalakeMinPartBytes', flag: '--datalake-min-part', env: 'IRONBRIDGE_DATALAKE_MIN_PART',
    default: 5 * 1024 * 1024, parse: int(1, 5 * 1024 ** 3),
    description: 'Smallest part of a multipart upload except the last (S3: 5 MiB); smaller gets 400 at completion.' }),
  s({ key: 'datalakeWebhookAttempts', flag: '--datalake-webhook-attempts', env: 'IRONBRIDGE_DATALAKE_WEBHOOK_ATTEMPTS',
    default: 8, parse: int(1, 100),
    description: 'Deliveries of one object event to a subscription webhook before it is given up (marked FAILED).' }),
  s({ key: 'datalakeWebhookBackoffMs', flag: '--datalake-webhook-backoff', env: 'IRONBRIDGE_DATALAKE_WEBHOOK_BACKOFF',
    default: 1000, parse: int(1, 3_600_000),
    description: 'Wait before the first retry of a failed webhook delivery; doubles with each further attempt (capped at 1 hour).' }),
  s({ key: 'assetFileMaxBytes', flag: '--asset-file-max', env: 'IRONBRIDGE_ASSET_FILE_MAX',
    default: 5 * 1024 * 1024, parse: int(1, 2 ** 40),
    description: 'Largest file of /api/assetmanagement/v3/files (Asset Management: 5 MB); larger gets 413.' }),
  s({ key: 'odataPageSize', flag: '--odata-page-size', env: 'IRONBRIDGE_ODATA_PAGE_SIZE', default: 2000, parse: int(1, 2000),
    description: 'Most entities per page of an OData service (IIoT for Makers §8.6: 2000); more continue over @odata.nextLink. A client may ask for fewer with Prefer: odata.maxpagesize.' }),
  s({ key: 'odataMaxContracts', flag: '--odata-max-contracts', env: 'IRONBRIDGE_ODATA_MAX_CONTRACTS', default: 200, parse: int(1, 100_000),
    description: 'Most OData contracts per tenant in the contract registry.' }),
  s({ key: 'odataMaxFolderContracts', flag: '--odata-max-folder-contracts', env: 'IRONBRIDGE_ODATA_MAX_FOLDER_CONTRACTS', default: 50, parse: int(1, 100_000),
    description: 'Most folder contracts (Integrated Data Lake folders published as OData, at most 20 folders each) per tenant; one more gets 400 naming the limit.' }),
  s({ key: 'odataMaxQueryLength', flag: '--odata-max-query-length', env: 'IRONBRIDGE_ODATA_MAX_QUERY_LENGTH', default: 8192, parse: int(256, 1_000_000),
    description: 'Longest $filter, $orderby, $select or $expand value in characters (the whole query string may have four times as many); longer gets 400 before it is parsed.' }),
  s({ key: 'odataMaxResponseEntities', flag: '--odata-max-response-entities', env: 'IRONBRIDGE_ODATA_MAX_RESPONSE_ENTITIES', default: 20_000, parse: int(2000, 10_000_000),
    description: 'Most entities (expanded ones included) and expanded lookups in one OData response; a $expand that would need more gets 400 asking for a smaller $top.' }),
  s({ key: 'odataRowCacheMb', flag: '--odata-row-cache-mb', env: 'IRONBRIDGE_ODATA_ROW_CACHE_MB', default: 64, parse: int(0, 65_536),
    description: 'MiB of OData time series rows kept as written for the rendered time series chunks they come from (per asset and entity set), so a page read again is copied instead of checked and written again; 0 keeps none.' }),
  s({ key: 'timeseriesBatchBodyLimitBytes', flag: '--timeseries-batch-body-limit', env: 'IRONBRIDGE_TIMESERIES_BATCH_BODY_LIMIT',
    default: 1024 * 1024, parse: int(1024, 150 * 1024 * 1024),
    description: 'Largest body of the multi-entity PUT /api/iottimeseries/v3/timeseries in bytes (Insights Hub: 100 KB; raised so a plant\'s time-major data fits); larger gets 413.' }),
  s({ key: 'timeseriesBatchMaxRecords', flag: '--timeseries-batch-max-records', env: 'IRONBRIDGE_TIMESERIES_BATCH_MAX_RECORDS',
    default: 10_000, parse: int(1, 10_000_000),
    description: 'Most records, across all pairs, of one multi-entity PUT (Insights Hub: 100); more gets 400.' }),
  s({ key: 'timeseriesBatchMaxPairs', flag: '--timeseries-batch-max-pairs', env: 'IRONBRIDGE_TIMESERIES_BATCH_MAX_PAIRS',
    default: 0, parse: int(0, 10_000_000),
    description: 'Most asset/aspect pairs of one multi-entity PUT (Insights Hub: 5); 0 allows any number (the record and body limits still bound it).' }),
  s({ key: 'timeseriesGroupCommitMs', flag: '--timeseries-group-commit-ms', env: 'IRONBRIDGE_TIMESERIES_GROUP_COMMIT_MS',
    default: 0, parse: int(0, 1000),
    description: 'Longest wait of a time series write for others to share its commit; 0 commits on the next turn of the event loop, with the writes that arrived meanwhile. Each write is acknowledged only after its commit.' }),
  s({ key: 'timeseriesGroupCommitRecords', flag: '--timeseries-group-commit-records', env: 'IRONBRIDGE_TIMESERIES_GROUP_COMMIT_RECORDS',
    default: 20_000, parse: int(1, 10_000_000),
    description: 'Records of queued time series writes that make a shared commit start at once, without waiting for the delay.' }),
  s({ key: 'timeseriesTextCacheMb', flag: '--timeseries-text-cache-mb', env: 'IRONBRIDGE_TIMESERIES_TEXT_CACHE_MB',
    default: 64, parse: int(0, 65_536),
    description: 'MiB of time series chunks kept rendered as JSON text for reads, so a range read again is copied instead of decoded again; 0 keeps none.' }),
  s({ key: 'timeseriesWriter', example: 'thread', flag: '--timeseries-writer', env: 'IRONBRIDGE_TIMESERIES_WRITER',
    default: 'thread' as TimeseriesWriterMode, parse: oneOf<TimeseriesWriterMode>('thread', 'inline'),
    description: 'Where time series writes are committed: thread runs them (chunk encoding, roll-ups, SQLite) on a writer thread of their own, beside the request handling of the main thread; inline runs them on the main thread.' }),
  s({ key: 'eventMaxPageSize', flag: '--event-max-page-size', env: 'IRONBRIDGE_EVENT_MAX_PAGE_SIZE', default: 2000, parse: int(1, 10000),
    description: 'Largest page size of /api/eventmanagement/v3 lists (events, event types); larger requests get 400.' }),
  s({ key: 'iotFileMaxBytes', flag: '--iot-file-max', env: 'IRONBRIDGE_IOT_FILE_MAX',
    default: 8 * 1024 * 1024, parse: int(1, 2 ** 40),
    description: 'Largest body of one PUT /api/iotfile/v3/files request: a whole file, or one part of a multipart upload (the MindConnect SDK sends 8 MB parts); larger gets 413.' }),
  s({ key: 'iotFileMaxParts', flag: '--iot-file-max-parts', env: 'IRONBRIDGE_IOT_FILE_MAX_PARTS', default: 10000, parse: int(1, 10000),
    description: 'Most parts of one IoT File multipart upload (?part=N); so the largest file is this times --iot-file-max.' }),
  s({ key: 'agentInitialTokenTtlSeconds', flag: '--agent-initial-token-ttl', env: 'IRONBRIDGE_AGENT_INITIAL_TOKEN_TTL', default: 7 * 86_400, parse: int(60, 366 * 86_400),
    description: 'Lifetime of an agent\'s initial access token (its boarding configuration; Agent Management: 7 days).' }),
  s({ key: 'agentSecretTtlSeconds', flag: '--agent-secret-ttl', env: 'IRONBRIDGE_AGENT_SECRET_TTL', default: 30 * 86_400, parse: int(3600, 3660 * 86_400),
    description: 'Lifetime of an onboarded agent\'s client secret or registered key (client_secret_expires_at); the SDK rotates 25 hours before.' }),
  s({ key: 'agentTokenTtlSeconds', flag: '--agent-token-ttl', env: 'IRONBRIDGE_AGENT_TOKEN_TTL', default: 3600, parse: int(60, 86_400),
    description: 'Lifetime of an agent access token (Agent Management: 3600 s).' }),
  s({ key: 'agentAssertionSkewSeconds', flag: '--agent-assertion-skew', env: 'IRONBRIDGE_AGENT_ASSERTION_SKEW', default: 60, parse: int(0, 3600),
    description: 'Clock skew allowed on the iat, nbf and exp of an agent\'s client assertion.' }),
  s({ key: 'exchangeMaxBytes', flag: '--exchange-max', env: 'IRONBRIDGE_EXCHANGE_MAX', default: 10 * 1024 * 1024, parse: int(1024, 2 ** 30),
    description: 'Largest body of POST /api/mindconnect/v3/exchange (MindConnect API: 10 MB); larger gets 413.' }),
  s({ key: 'diagnosticActivationsMax', flag: '--diagnostic-activations-max', env: 'IRONBRIDGE_DIAGNOSTIC_ACTIVATIONS_MAX', default: 5, parse: int(1, 10_000),
    description: 'Most agents of a tenant with a diagnostic activation (MindConnect API: 5).' }),
  s({ key: 'diagnosticMessagesKept', flag: '--diagnostic-messages-kept', env: 'IRONBRIDGE_DIAGNOSTIC_MESSAGES_KEPT', default: 1000, parse: int(1, 1_000_000),
    description: 'Diagnostic messages kept per agent (the newest); older ones are dropped.' }),
  s({ key: 'agentOnlineSeconds', flag: '--agent-online', env: 'IRONBRIDGE_AGENT_ONLINE', default: 300, parse: int(1, 86_400),
    description: 'An onboarded agent counts as ONLINE (GET …/agents/{id}/status) this long after its last token request or exchange.' }),
  s({ key: 'gatewayHeaderTimeoutMs', flag: '--gateway-header-timeout', env: 'IRONBRIDGE_GATEWAY_HEADER_TIMEOUT',
    default: 20_000, parse: int(100, 3_600_000),
    description: 'Milliseconds a client may take to send a whole request header section (nginx client_header_timeout); slower gets 408 and the connection closed, however steadily it trickles bytes.' }),
  s({ key: 'gatewayBodyMinRate', flag: '--gateway-body-min-rate', env: 'IRONBRIDGE_GATEWAY_BODY_MIN_RATE',
    default: 500, parse: int(0, 1_000_000_000),
    description: 'Least bytes per second of a request body (Apache mod_reqtimeout MinRate; nginx client_body_timeout): the body must arrive within --gateway-header-timeout plus one second per this many bytes, else 408 and the connection closed; time the server itself does not read is not counted. 0 turns it off.' }),
  s({ key: 'gatewayAddressSharePercent', flag: '--gateway-address-share', env: 'IRONBRIDGE_GATEWAY_ADDRESS_SHARE',
    default: 50, parse: int(1, 100),
    description: 'Share of the connection cap one client address may hold open (at least one connection); more from it are answered 503 and closed. Set 100 behind a reverse proxy that connects from one address, or for a plant whose devices share one NAT address (with the defaults more than 200 keep-alive devices from one address are refused).' }),
  s({ key: 'jsonMaxNesting', flag: '--json-max-nesting', env: 'IRONBRIDGE_JSON_MAX_NESTING', default: 64, parse: int(8, 10_000),
    description: 'Deepest nesting of objects and arrays in an application/json request body (Asset Management merge-patch bodies: 32); deeper gets 400 before any code walks the body.' }),
  // MindConnect MQTT: the embedded broker (off unless a port is given) and the subscription to an external broker.
  s({ key: 'mqttPort', example: '0', flag: '--mqtt-port', env: 'IRONBRIDGE_MQTT_PORT', default: undefined, parse: int(0, 65535),
    description: 'TCP port of the embedded MQTT 3.1.1 broker for agents (MindConnect MQTT topics tc/{tenant}/{clientId}/…) on --host; unset: no broker; 0 picks a free port (the ready line names it).' }),
  s({ key: 'mqttMaxPayloadBytes', flag: '--mqtt-max-payload', env: 'IRONBRIDGE_MQTT_MAX_PAYLOAD', default: 1024 * 1024, parse: int(1024, 256 * 1024 * 1024),
    description: 'Largest payload of one agent MQTT message (time series, events, token request) in bytes; larger is answered on the diagnostic topic and not stored.' }),
  s({ key: 'mqttBatchMaxValues', flag: '--mqtt-batch-max-values', env: 'IRONBRIDGE_MQTT_BATCH_MAX_VALUES', default: 20_000, parse: int(1, 10_000_000),
    description: 'Data point values of queued MQTT time series messages (of all agents) that start their shared write at once; below it they are written on the next turn of the event loop. Each message is acknowledged only after its commit.' }),
  s({ key: 'mqttExternalUrl', example: 'mqtt://127.0.0.1:9', flag: '--mqtt-external-url', env: 'IRONBRIDGE_MQTT_EXTERNAL_URL', default: undefined,
    parse: (raw) => {
      const u = new URL(raw);
      if (!['mqtt:', 'mqtts:', 'tcp:'].includes(u.protocol)) throw new Error('must be an mqtt://, mqtts:// or tcp:// URL');
      if (u.username || u.password) throw new Error('must not carry credentials (use --mqtt-external-username and IRONBRIDGE_MQTT_EXTERNAL_PASSWORD)');
      return raw;
    },
    description: 'URL of an external MQTT broker whose agent topics the platform subscribes to and ingests (the broker authenticates the agents; unknown agents are refused). Unset: none.' }),
  s({ key: 'mqttExternalTenants', example: 'acme,plant2', flag: '--mqtt-external-tenants', env: 'IRONBRIDGE_MQTT_EXTERNAL_TENANTS', default: undefined,
    parse: text(/^[a-z][a-z0-9]{1,19}(,[a-z][a-z0-9]{1,19})*$/, 'must be a comma-separated list of tenant names'),
    description: 'Tenants whose topics tc/{tenant}/+/o/… the external subscription covers; unset: every tenant (tc/+/+/o/…).' }),
  s({ key: 'mqttExternalClientId', example: 'ironbridge-2', flag: '--mqtt-external-client-id', env: 'IRONBRIDGE_MQTT_EXTERNAL_CLIENT_ID', default: 'ironbridge',
    parse: text(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable characters without spaces'),
    description: 'MQTT client id of the external subscription: a persistent session, so the broker keeps unacknowledged messages while the platform is down.' }),
  s({ key: 'mqttExternalMaxUnacked', flag: '--mqtt-external-max-unacked', env: 'IRONBRIDGE_MQTT_EXTERNAL_MAX_UNACKED', default: 1000, parse: int(1, 65_535),
    description: 'Most messages of the external subscription being stored at once (received, not yet acknowledged); at the bound the next message is read only after one is committed. The broker\'s own in-flight limit (mosquitto: max_inflight_messages) may be lower.' }),
  s({ key: 'mqttExternalUsername', example: 'ironbridge', flag: '--mqtt-external-username', env: 'IRONBRIDGE_MQTT_EXTERNAL_USERNAME', default: undefined,
    parse: text(/^.{1,256}$/, 'must be 1-256 characters'),
    description: 'User name of the external subscription at its broker.' }),
  s({ key: 'mqttExternalPassword', secret: true, example: 'an-example-broker-password', flag: '--mqtt-external-password', env: 'IRONBRIDGE_MQTT_EXTERNAL_PASSWORD', default: undefined,
    parse: text(/^.{1,1024}$/, 'must be 1-1024 characters'),
    description: 'Password of the external subscription at its broker; prefer the environment variable to a flag.' }),
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

/**
 * The settings of `config` that differ from their defaults, by key (the data directory always): what the ready log
 * line shows, so an operator (and the test that starts the server with every flag) sees what is in force.
 */
export const REDACTED = '[redacted]';

export function changedSettings(config: Config): Partial<Record<keyof Config, unknown>> {
  const out: Partial<Record<keyof Config, unknown>> = { dataDir: config.dataDir };
  for (const s of SETTINGS) {
    if (s.key !== 'dataDir' && config[s.key] !== s.default) out[s.key] = 'secret' in s && s.secret ? REDACTED : config[s.key];
  }
  return out;
}
