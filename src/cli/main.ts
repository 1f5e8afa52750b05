/**
 * The `ironbridge` command: serve, and the admin commands (tenant, keys, user). Admin commands open the same
 * embedded stores as the server (safe while it runs: WAL, busy timeout), take --data-dir and --json, and exit
 * non-zero with a message naming the bad input.
 */
import { Command, Option } from 'commander';
import { AppError } from '../core/errors.js';
import { ConfigError, type ConfigInput, loadConfig, SETTINGS, settingsMarkdown } from '../core/config.js';
import { ALL_SCOPES, ROLES, type Role } from '../core/scopes.js';
import { createPlatform, type Platform } from '../platform/platform.js';
import { createLogger } from '../core/log.js';
import { registerAssetCommands } from './assets.js';
import { IronbridgeError, ConfigurationError as SdkConfigurationError } from '@ironbridge/sdk';
import { registerCompletion } from './completion.js';
import { registerDataCommands } from './data.js';
import { registerDevProxy } from './devproxy.js';
import { red } from './output.js';
import { registerAppCommands } from './gateway.js';
import { serve } from './serve.js';

export class UsageError extends Error {}

export interface CommonOptions {
  dataDir?: string;
  json?: boolean;
  tenant?: string;
}

export function print(options: CommonOptions, value: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

export async function withPlatform<T>(options: CommonOptions, fn: (p: Platform, tenant: string) => Promise<T>): Promise<T> {
  const config = loadConfig({ dataDir: options.dataDir, tenant: options.tenant, logLevel: 'silent' });
  const platform = await createPlatform(config, { logger: createLogger('silent') });
  try {
    return await fn(platform, config.tenant);
  } finally {
    await platform.close();
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin expects the password on standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const table = (rows: Record<string, unknown>[], columns: string[]): string => {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
};

export const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (IRONBRIDGE_DATA_DIR)');
export const tenantOption = () => new Option('--tenant <name>', 'tenant (IRONBRIDGE_TENANT, default local)');
export const jsonOption = () => new Option('--json', 'print JSON');

export function buildProgram(): Command {
  const program = new Command('ironbridge')
    .description('Ironbridge: a self-hostable industrial IoT platform speaking the Insights Hub APIs')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  program.command('serve')
    .description('run the platform (example: ironbridge serve --port 8080 --data-dir ./data)')
    .option('--port <port>', 'TCP port (IRONBRIDGE_PORT, default 8080)')
    .option('--host <host>', 'bind address (IRONBRIDGE_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'data directory (IRONBRIDGE_DATA_DIR, default ./data)')
    .option('--domain <domain>', 'DNS domain of host names (IRONBRIDGE_DOMAIN, default localhost)')
    .option('--region <region>', 'region label (IRONBRIDGE_REGION, default local)')
    .option('--public-url <url>', 'URL clients reach the platform at (IRONBRIDGE_PUBLIC_URL)')
    .option('--log-level <level>', 'log level (IRONBRIDGE_LOG_LEVEL, default info)')
    .option('--workers <n>', 'serving processes sharing the port, or auto for one per core (IRONBRIDGE_WORKERS, default 1)')
    .option('--json', 'print the address and the first-start secrets as one JSON line {"ready":true,…} (logs are JSON lines too)')
    .action(async (opts: ConfigInput & { json?: boolean }) => {
      await serve(loadConfig(opts), { json: opts.json });
    });

  const tenant = program.command('tenant').description('manage tenants');
  tenant.command('create <name>')
    .description('create a tenant with its root asset (example: ironbridge tenant create acme --company-domain acme.com)')
    .requiredOption('--company-domain <domain>', 'e-mail domain of the company')
    .option('--display-name <text>', 'display name')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (name: string, opts: CommonOptions & { companyDomain: string; displayName?: string }) => {
      const t = await withPlatform(opts, (p) => p.provisionTenant(name, opts.companyDomain, opts.displayName));
      print(opts, { name: t.name, displayName: t.displayName, companyDomain: t.companyDomain },
        () => `tenant ${t.name} created`);
    });
  tenant.command('list').description('list tenants (example: ironbridge tenant list --json)')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions) => {
      const list = await withPlatform(opts, (p) => p.identity.service.listTenants());
      const rows = list.map((t) => ({ name: t.name, displayName: t.displayName, companyDomain: t.companyDomain,
        createdAt: new Date(t.createdAt).toISOString() }));
      print(opts, rows, () => table(rows, ['name', 'displayName', 'companyDomain', 'createdAt']));
    });

  const keys = program.command('keys').description('manage binding keys (OAuth client credentials)');
  keys.command('create')
    .description('create a binding key; the secret is printed only now (example: ironbridge keys create --tenant local --name myapp --json)')
    .requiredOption('--name <name>', 'name of the app connection')
    .addOption(tenantOption())
    .option('--scope <scope...>', `restrict the key to these scopes (default all: ${ALL_SCOPES.join(' ')})`)
    .option('--app-name <name>', 'make app credentials for the technical token manager')
    .option('--app-version <version>', 'app version of app credentials')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { name: string; scope?: string[]; appName?: string; appVersion?: string }) => {
      const key = await withPlatform(opts, (p, t) =>
        p.identity.service.createKey(t, opts.name, { scopes: opts.scope, appName: opts.appName, appVersion: opts.appVersion }));
      print(opts, key, () => `clientID      ${key.clientId}\nclientSecret  ${key.clientSecret}\nTokenURL      ${key.tokenUrl}\n(the secret is not shown again)`);
    });
  keys.command('list').description('list binding keys without secrets (example: ironbridge keys list --tenant local)')
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions) => {
      const list = await withPlatform(opts, (p, t) => p.identity.service.listKeys(t));
      print(opts, list, () => table(list.map((k) => ({ ...k, state: k.revokedAt ? 'revoked' : 'active' })),
        ['name', 'clientId', 'kind', 'state', 'createdAt']));
    });
  keys.command('revoke').description('revoke a binding key; its tokens stop working at once (example: ironbridge keys revoke --name myapp)')
    .requiredOption('--name <name>', 'name of the key')
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { name: string }) => {
      const k = await withPlatform(opts, (p, t) => p.identity.service.revokeKey(t, opts.name));
      print(opts, k, () => `key ${k.name} (${k.clientId}) revoked`);
    });

  const user = program.command('user').description('manage users');
  user.command('add')
    .description('add a user; the password is read from standard input (example: echo "$PW" | ironbridge user add --email a@b.com --password-stdin)')
    .requiredOption('--email <email>', 'e-mail address (login)')
    .requiredOption('--password-stdin', 'read the password from standard input')
    .addOption(new Option('--role <role>', 'role').choices(ROLES as string[]).default('user'))
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { email: string; role: Role }) => {
      const password = await readStdin();
      const u = await withPlatform(opts, (p, t) => p.identity.service.addUser(t, opts.email, password, opts.role));
      print(opts, u, () => `user ${u.email} (${u.role}) added`);
    });
  user.command('list').description('list users (example: ironbridge user list --tenant local)')
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions) => {
      const list = await withPlatform(opts, (p, t) => p.identity.service.listUsers(t));
      print(opts, list, () => table(list as unknown as Record<string, unknown>[], ['email', 'role', 'id', 'createdAt']));
    });

  registerAssetCommands(program);
  registerDevProxy(program);
  registerDataCommands(program);
  registerCompletion(program);
  registerAppCommands(program, { withPlatform, print, table });

  program.command('config').description('print the configuration reference (example: ironbridge config --markdown)')
    .option('--markdown', 'as a Markdown table')
    .addOption(jsonOption())
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        print(opts, SETTINGS.map((x) => ({ flag: x.flag, env: x.env, default: x.default ?? null, description: x.description })), () => '');
        return;
      }
      process.stdout.write(`${settingsMarkdown()}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof AppError || err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`${red('ironbridge:', process.stderr)} ${err.message}\n`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    }
    // Failures of the HTTP commands (SDK errors, bad flags, unreachable platform) as one line, no stack.
    if (err instanceof IronbridgeError) {
      process.stderr.write(`${red('ironbridge:', process.stderr)} ${err.describe()}\n`);
      process.exit(1);
    }
    if (err instanceof SdkConfigurationError || err instanceof Error) {
      process.stderr.write(`${red('ironbridge:', process.stderr)} ${err.message}\n`);
      process.exit(err instanceof SdkConfigurationError ? 2 : 1);
    }
    throw err;
  }
}
