/**
 * The shape of the platform's settings (Config) and the value types of its enumerated settings. The settings
 * themselves (defaults, environment variables, rules) are in config.ts, which re-exports everything here.
 */
export type SqliteSync = 'full' | 'normal';

/** Where the time series store's writes run: a writer thread of their own, or inline on the main thread. */
export type TimeseriesWriterMode = 'thread' | 'inline';

/** Log lines as JSON (for journals and shippers), readable text, or auto: text on a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  domain: string;
  region: string;
  publicUrl: string | undefined;
  tenant: string;
  logLevel: string;
  logFormat: LogFormat;
  tokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  authorizationCodeTtlSeconds: number;
  sessionTtlSeconds: number;
  sessionIdleSeconds: number;
  signingKeyRotationDays: number;
  signingKeyRetentionSeconds: number;
  signingKeyRefreshSeconds: number;
  oauthFormLimitBytes: number;
  loginFormLimitBytes: number;
  authBackoffAfter: number;
  authBackoffInitialSeconds: number;
  authBackoffMaxSeconds: number;
  authBackoffForgetSeconds: number;
  keyRotationGraceSeconds: number;
  authBackoffEntries: number;
  signingKeySecret: string | undefined;
  signingKeySecretFile: string | undefined;
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
  workers: Workers;
  objectStore: ObjectStoreKind;
  s3Endpoint: string | undefined;
  s3Bucket: string;
  s3Region: string;
  s3PathStyle: boolean;
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
  s3Checksums: S3Checksums;
  s3Prefix: string;
  /** Hash worker threads of the object store (src/objectstore/hashing.ts). */
  hashThreads: number;
  gcPacingBytes: number;
  datalakeMaxRequestBytes: number;
  datalakeSignedMaxBytes: number;
  datalakeSignedUrlSeconds: number;
  datalakeMultipartHours: number;
  datalakeMinPartBytes: number;
  datalakeWebhookAttempts: number;
  datalakeWebhookBackoffMs: number;
  assetFileMaxBytes: number;
  odataPageSize: number;
  odataMaxContracts: number;
  odataMaxFolderContracts: number;
  odataMaxQueryLength: number;
  odataMaxResponseEntities: number;
  odataRowCacheMb: number;
  timeseriesBatchBodyLimitBytes: number;
  timeseriesBatchMaxRecords: number;
  timeseriesBatchMaxPairs: number;
  timeseriesGroupCommitMs: number;
  timeseriesGroupCommitRecords: number;
  timeseriesTextCacheMb: number;
  timeseriesWriter: TimeseriesWriterMode;
  eventMaxPageSize: number;
  iotFileMaxBytes: number;
  iotFileMaxParts: number;
  agentInitialTokenTtlSeconds: number;
  agentSecretTtlSeconds: number;
  agentTokenTtlSeconds: number;
  agentAssertionSkewSeconds: number;
  exchangeMaxBytes: number;
  diagnosticActivationsMax: number;
  diagnosticMessagesKept: number;
  agentOnlineSeconds: number;
  gatewayHeaderTimeoutMs: number;
  gatewayBodyMinRate: number;
  gatewayAddressSharePercent: number;
  jsonMaxNesting: number;
  mqttPort: number | undefined;
  mqttMaxPayloadBytes: number;
  mqttBatchMaxValues: number;
  mqttExternalUrl: string | undefined;
  mqttExternalTenants: string | undefined;
  mqttExternalClientId: string;
  mqttExternalMaxUnacked: number;
  mqttExternalUsername: string | undefined;
  mqttExternalPassword: string | undefined;
}

/** Where object bytes live: files in the data directory, or an S3-compatible bucket. */
export type ObjectStoreKind = 'fs' | 's3';
/** When the S3 client adds and checks CRC checksums; many S3-compatible stores need when_required. */
export type S3Checksums = 'when_supported' | 'when_required';

/** How proxied WebSocket messages are sent on: all as binary frames (Industrial IoT Gateway), or in the type they arrived in. */
export type WsMessages = 'binary' | 'preserve';

/** Serving processes: a count, or 'auto' for one per core (os.availableParallelism). */
export type Workers = number | 'auto';

export type SlowMode = 'report' | 'block';
