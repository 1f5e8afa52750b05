/**
 * How admin commands reach a data directory: they open the same embedded stores as the server (safe while it runs:
 * WAL, busy timeout), refuse a directory that does not exist (only `serve` creates one), say on standard error
 * which directory they used, and take the public URL, domain and region from the record of the server that last ran
 * there (`server.json`), so the URLs they print are the ones that server answers on.
 */
import fs from 'node:fs';
import { type Config, type ConfigInput, loadConfig, SETTINGS } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { readServerRecord } from '../platform/instance.js';
import { createPlatform, type Platform } from '../platform/platform.js';
import { type CommonOptions, note, UsageError } from './output.js';

export interface AdminOptions extends CommonOptions {
  publicUrl?: string;
}

/** The settings a server record supplies when neither a flag nor an IRONBRIDGE_* variable gives them. */
const RECORDED = ['publicUrl', 'domain', 'region'] as const;

/** The configuration of an admin command on an existing data directory; `urls` when the command prints URLs. */
export function adminConfig(options: AdminOptions, env: NodeJS.ProcessEnv = process.env, urls = false): Config {
  const flags: ConfigInput = { dataDir: options.dataDir, tenant: options.tenant, publicUrl: options.publicUrl, logLevel: 'silent' };
  const config = loadConfig(flags, env);
  if (!fs.existsSync(config.dataDir) || !fs.statSync(config.dataDir).isDirectory()) {
    throw new UsageError(`data directory ${config.dataDir} does not exist: pass --data-dir (or IRONBRIDGE_DATA_DIR), `
      + `or run \`ironbridge serve --data-dir ${config.dataDir}\` once to create it`);
  }
  note(`data directory ${config.dataDir}`);
  if (!urls) return config;
  const record = readServerRecord(config.dataDir);
  const given = (key: (typeof RECORDED)[number]) => {
    const setting = SETTINGS.find((s) => s.key === key)!;
    return flags[key] !== undefined || Boolean(env[setting.env]);
  };
  if (record) {
    for (const key of RECORDED) if (!given(key)) (config as unknown as Record<string, unknown>)[key] = record[key];
    note(`URLs as served by the server started on it at ${record.startedAt} (${config.publicUrl ?? record.publicUrl})`);
  } else if (!given('publicUrl')) {
    note(`no server has run on this data directory yet: URLs assume http://localhost:${config.port} `
      + '(pass --public-url or IRONBRIDGE_PUBLIC_URL, or start the server first)');
  }
  return config;
}

/** Runs `fn` on the platform of an existing data directory, as the configured (or given) tenant. */
export async function withPlatform<T>(options: AdminOptions, fn: (p: Platform, tenant: string) => Promise<T>,
  settings: { urls?: boolean } = {}): Promise<T> {
  const config = adminConfig(options, process.env, settings.urls);
  const platform = await createPlatform(config, { logger: createLogger('silent') });
  try {
    return await fn(platform, config.tenant);
  } finally {
    await platform.close();
  }
}
