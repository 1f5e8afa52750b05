/**
 * `ironbridge tenant | keys | user`: the identity admin commands (and `tenant delete`, across every context) on a data directory (see datadir.ts for how the
 * directory and the printed URLs are chosen). Each takes --data-dir and --json and exits non-zero with a message
 * naming the bad input.
 */
import { createInterface } from 'node:readline/promises';
import { type Command, Option } from 'commander';
import { ALL_SCOPES, ROLES, type Role } from '../core/scopes.js';
import { type AdminOptions, withPlatform } from './datadir.js';
import { type CommonOptions, dataDirOption, jsonOption, print, table, tenantOption, UsageError } from './output.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin expects the password on standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks on the terminal for the tenant's name again; without a terminal, --yes is required. */
async function confirmByName(name: string): Promise<void> {
  if (!process.stdin.isTTY) throw new UsageError(`deleting tenant ${name} removes all of its data: confirm with --yes when not on a terminal`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`This deletes tenant ${name} and ALL of its data. Type the tenant name to confirm: `);
    if (answer.trim() !== name) throw new UsageError(`not confirmed: tenant ${name} is kept`);
  } finally {
    rl.close();
  }
}

export function registerAdminCommands(program: Command): void {
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

  tenant.command('delete <name>')
    .description('delete a tenant with ALL of its data (assets, time series, events, files, data lake, agents, OData '
      + 'contracts, web apps, users and keys); asks for the name again unless --yes (example: ironbridge tenant delete acme --yes)')
    .option('--yes', 'do not ask for confirmation (scripts)')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (name: string, opts: CommonOptions & { yes?: boolean }) => {
      if (!opts.yes) await confirmByName(name);
      await withPlatform(opts, (p) => p.deleteTenant(name));
      print(opts, { name, deleted: true }, () => `tenant ${name} deleted with all of its data`);
    });

  const keys = program.command('keys').description('manage binding keys (OAuth client credentials)');
  keys.command('create')
    .description('create a binding key; the secret is printed only now, with the TokenURL of the server that runs on '
      + 'the data directory (example: ironbridge keys create --tenant local --name myapp --json)')
    .requiredOption('--name <name>', 'name of the app connection')
    .addOption(tenantOption())
    .option('--scope <scope...>', `restrict the key to these scopes (default all: ${ALL_SCOPES.join(' ')})`)
    .option('--app-name <name>', 'make app credentials for the technical token manager')
    .option('--app-version <version>', 'app version of app credentials')
    .option('--public-url <url>', 'base URL of the TokenURL (IRONBRIDGE_PUBLIC_URL; default: as recorded by the server)')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: AdminOptions & { name: string; scope?: string[]; appName?: string; appVersion?: string }) => {
      const key = await withPlatform(opts, (p, t) =>
        p.identity.service.createKey(t, opts.name, { scopes: opts.scope, appName: opts.appName, appVersion: opts.appVersion }),
      { urls: true });
      print(opts, key, () => `clientID      ${key.clientId}\nclientSecret  ${key.clientSecret}\nTokenURL      ${key.tokenUrl}\n(the secret is not shown again)`);
    });
  keys.command('list').description('list binding keys without secrets (example: ironbridge keys list --tenant local)')
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions) => {
      const list = await withPlatform(opts, (p, t) => p.identity.service.listKeys(t));
      print(opts, list, () => table(list.map((k) => ({ ...k, state: k.revokedAt ? 'revoked' : 'active' })),
        ['name', 'clientId', 'kind', 'state', 'createdAt']));
    });
  keys.command('rotate')
    .description('give a binding key a new secret, printed only now; the old secret keeps working for '
      + '--key-rotation-grace (IRONBRIDGE_KEY_ROTATION_GRACE, default one day) (example: ironbridge keys rotate --name myapp --json)')
    .requiredOption('--name <name>', 'name of the key')
    .addOption(tenantOption())
    .option('--public-url <url>', 'base URL of the TokenURL (IRONBRIDGE_PUBLIC_URL; default: as recorded by the server)')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: AdminOptions & { name: string }) => {
      const key = await withPlatform(opts, (p, t) => p.identity.service.rotateKey(t, opts.name), { urls: true });
      print(opts, key, () => `clientID      ${key.clientId}\nclientSecret  ${key.clientSecret}\nTokenURL      ${key.tokenUrl}\n`
        + `(the secret is not shown again; the old secret works until ${key.previousSecretValidUntil})`);
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
  user.command('remove').description('remove a user; the user\'s tokens stop at once (example: ironbridge user remove --email a@b.com)')
    .requiredOption('--email <email>', 'e-mail address (login)')
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { email: string }) => {
      const u = await withPlatform(opts, (p, t) => p.identity.service.removeUser(t, opts.email));
      print(opts, u, () => `user ${u.email} removed`);
    });
  user.command('passwd')
    .description('set a user\'s password from standard input; older tokens stop (example: echo "$PW" | ironbridge user passwd --email a@b.com --password-stdin)')
    .requiredOption('--email <email>', 'e-mail address (login)')
    .requiredOption('--password-stdin', 'read the password from standard input')
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { email: string }) => {
      const password = await readStdin();
      const u = await withPlatform(opts, (p, t) => p.identity.service.setPassword(t, opts.email, password));
      print(opts, u, () => `password of ${u.email} changed`);
    });
  user.command('role').description('change a user\'s role; older tokens stop (example: ironbridge user role --email a@b.com --role admin)')
    .requiredOption('--email <email>', 'e-mail address (login)')
    .addOption(new Option('--role <role>', 'role').choices(ROLES as string[]).makeOptionMandatory())
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { email: string; role: Role }) => {
      const u = await withPlatform(opts, (p, t) => p.identity.service.setRole(t, opts.email, opts.role));
      print(opts, u, () => `user ${u.email} is now ${u.role}`);
    });
  user.command('list').description('list users (example: ironbridge user list --tenant local)')
    .addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions) => {
      const list = await withPlatform(opts, (p, t) => p.identity.service.listUsers(t));
      print(opts, list, () => table(list as unknown as Record<string, unknown>[], ['email', 'role', 'id', 'createdAt']));
    });
}
