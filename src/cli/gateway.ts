/**
 * `ironbridge app register|list|remove`: the Gateway Registry from the command line. It writes the same store
 * the server reads; a running server (every worker) sees the change on its next lookup.
 * `ironbridge app oauth-client register`: an OAuth client of a third-party web app, as POST …/oauthclients does.
 */
import { type Command, Option } from 'commander';
import { publicOAuthClient } from '../identity/index.js';
import { publicRegistration } from '../gateway/routes.js';
import type { Platform } from '../platform/platform.js';
import { withPlatform } from './datadir.js';
import { type CommonOptions as AppOptions, dataDirOption, jsonOption, print, table, tenantOption } from './output.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

async function requireTenant(p: Platform, tenant: string): Promise<void> {
  await p.identity.service.requireTenant(tenant);
}

export function registerAppCommands(program: Command): void {
  const app = program.command('app').description('manage the Gateway Registry (web apps and provider APIs)');
  const common = (c: Command) => c.addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption());

  common(app.command('register')
    .description('register a web app or API (example: ironbridge app register --tenant acme --name dash --target http://127.0.0.1:3000 --pattern "/**")')
    .requiredOption('--name <name>', 'application name (2-40 lowercase letters or digits)')
    .option('--provider <provider>', 'provider name; required for APIs, omitted for core apps')
    .addOption(new Option('--type <type>', 'what is registered').choices(['webapp', 'api']).default('webapp'))
    .requiredOption('--target <url>', 'internal URL the gateway forwards to')
    .requiredOption('--pattern <pattern>', 'Ant-style endpoint pattern (repeatable)', collect)
    .option('--cache-control <value>', 'Cache-Control used when the app sends none')
    .option('--csp <value>', 'Content-Security-Policy used when the app sends none'))
    .action(async (opts: AppOptions & { name: string; provider?: string; type: 'webapp' | 'api'; target: string;
      pattern: string[]; cacheControl?: string; csp?: string }) => {
      const reg = await withPlatform(opts, async (p, tenant) => {
        await requireTenant(p, tenant);
        const r = await p.gateway.registry.register(tenant, {
          name: opts.name, provider: opts.provider, type: opts.type, target: opts.target, patterns: opts.pattern,
          cacheControl: opts.cacheControl, csp: opts.csp,
        });
        return publicRegistration(r, p.config);
      }, { urls: true });
      print(opts, reg, () => `${reg.type} ${reg.name}${reg.provider ? `-${reg.provider}` : ''} registered at ${reg.url} -> ${reg.target}`);
    });

  common(app.command('list').description('list registered web apps and APIs (example: ironbridge app list --tenant acme --json)'))
    .action(async (opts: AppOptions) => {
      const rows = await withPlatform(opts, async (p, tenant) => {
        await requireTenant(p, tenant);
        return (await p.gateway.registry.list(tenant)).map((r) => publicRegistration(r, p.config));
      }, { urls: true });
      print(opts, rows, () => table(rows.map((r) => ({ ...r, patterns: r.patterns.join(' ') })),
        ['type', 'name', 'provider', 'url', 'target', 'patterns']));
    });

  common(app.command('remove').description('remove a registration (example: ironbridge app remove --tenant acme --name dash)')
    .requiredOption('--name <name>', 'application name')
    .option('--provider <provider>', 'provider name')
    .addOption(new Option('--type <type>', 'what is removed').choices(['webapp', 'api']).default('webapp')))
    .action(async (opts: AppOptions & { name: string; provider?: string; type: 'webapp' | 'api' }) => {
      await withPlatform(opts, async (p, tenant) => {
        await requireTenant(p, tenant);
        await p.gateway.registry.remove(tenant, opts.type, opts.name, opts.provider ?? '');
      });
      print(opts, { removed: true, name: opts.name, provider: opts.provider ?? null, type: opts.type },
        () => `${opts.type} ${opts.name}${opts.provider ? `-${opts.provider}` : ''} removed`);
    });

  const oauthClient = app.command('oauth-client').description('manage OAuth clients of third-party web apps ("sign in with Ironbridge")');
  common(oauthClient.command('register')
    .description('register an OAuth client; a confidential client\'s secret is printed only now (example: ironbridge app oauth-client register --tenant acme --name "Acme Dashboard" --redirect-uri https://dash.acme.com/callback --confidential)')
    .requiredOption('--name <name>', 'name shown on the consent page (1-100 printable characters)')
    .requiredOption('--redirect-uri <uri>', 'absolute http(s) redirect URI without fragment (repeatable, 1-10)', collect)
    .option('--confidential', 'give the client a secret for client_secret_basic/client_secret_post; without it the client is public (PKCE alone)'))
    .action(async (opts: AppOptions & { name: string; redirectUri: string[]; confidential?: boolean }) => {
      const c = await withPlatform(opts, async (p, tenant) => {
        await requireTenant(p, tenant);
        return publicOAuthClient(await p.identity.oauth.registerClient(tenant, opts.name, opts.redirectUri, opts.confidential ?? false));
      });
      print(opts, c, () => [
        `clientId      ${c.clientId}`,
        ...(c.clientSecret === undefined ? ['(public client: no secret, PKCE S256 required)']
          : [`clientSecret  ${c.clientSecret}`, '(the secret is not shown again)']),
      ].join('\n'));
    });
}
