/**
 * `ironbridge agent create|list|show|offboard|delete`: agents (Agent Management API v3) on a data directory, as
 * the REST API makes them. `show --boarding` prints the boarding configuration an agent is started with (its
 * initial access token), in the JSON layout `mc onboard --config` reads. A running server sees the changes.
 * `agent simulate` (simulate.ts) works over HTTP with a binding key instead: it is a device.
 */
import { type Command, Option } from 'commander';
import type { Platform } from '../platform/platform.js';
import { viewOf } from '../agents/service.js';
import { withPlatform } from './datadir.js';
import { registerSimulate } from './simulate.js';
import { type CommonOptions, dataDirOption, jsonOption, print, table, tenantOption } from './output.js';

async function tenantOf(p: Platform, tenant: string): Promise<string> {
  await p.identity.service.requireTenant(tenant);
  return tenant;
}

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('manage agents (devices that send data through the MindConnect API)');
  const common = (c: Command) => c.addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption());

  common(agent.command('create').description('create the agent of an asset (example: ironbridge agent create --tenant acme --asset <id> --name pump-1)')
    .requiredOption('--asset <id>', 'the asset the agent sends data for; the agent gets its id')
    .requiredOption('--name <name>', 'agent name, unique in the tenant')
    .addOption(new Option('--profile <profile>', 'security profile').choices(['SHARED_SECRET', 'RSA_3072']).default('SHARED_SECRET')))
    .action(async (opts: CommonOptions & { asset: string; name: string; profile: string }) => {
      const a = await withPlatform(opts, async (p, t) => p.agents.agents.create(await tenantOf(p, t),
        { name: opts.name, entityId: opts.asset, securityProfile: opts.profile }), { urls: true });
      print(opts, a, () => `agent ${a.name} (${a.securityProfile}) created with id ${a.id}`);
    });

  common(agent.command('list').description('list the agents of a tenant (example: ironbridge agent list --tenant acme)'))
    .action(async (opts: CommonOptions) => {
      const rows = await withPlatform(opts, async (p, t) => {
        const tenant = await tenantOf(p, t);
        return (await p.agents.agents.list(tenant, { size: '2000' })).content;
      });
      print(opts, rows, () => table(rows as unknown as Record<string, unknown>[], ['id', 'name', 'securityProfile', 'eTag']));
    });

  common(agent.command('show').description('show an agent and its boarding status (example: ironbridge agent show --tenant acme --id <id> --boarding)')
    .requiredOption('--id <id>', 'agent id (its asset id)')
    .option('--boarding', 'print the boarding configuration (initial access token) for `mc onboard --config` instead'))
    .action(async (opts: CommonOptions & { id: string; boarding?: boolean }) => {
      const out = await withPlatform(opts, async (p, t) => {
        const tenant = await tenantOf(p, t);
        if (opts.boarding) return p.agents.agents.boardingConfiguration(tenant, opts.id);
        const a = await p.agents.agents.get(tenant, opts.id);
        return { ...viewOf(a), boarding: a.boarding, ...(await p.agents.agents.status(tenant, opts.id)) };
      }, { urls: true });
      print(opts, out, () => JSON.stringify(out, null, 2));
    });

  common(agent.command('offboard').description('offboard an agent: its credentials and tokens stop at once (example: ironbridge agent offboard --tenant acme --id <id>)')
    .requiredOption('--id <id>', 'agent id'))
    .action(async (opts: CommonOptions & { id: string }) => {
      const r = await withPlatform(opts, async (p, t) => p.agents.agents.offboard(await tenantOf(p, t), opts.id));
      print(opts, r, () => `agent ${opts.id} offboarded`);
    });

  common(agent.command('delete').description('delete an agent and its mappings; its asset stays (example: ironbridge agent delete --tenant acme --id <id>)')
    .requiredOption('--id <id>', 'agent id'))
    .action(async (opts: CommonOptions & { id: string }) => {
      await withPlatform(opts, async (p, t) => {
        const tenant = await tenantOf(p, t);
        const a = await p.agents.agents.get(tenant, opts.id);
        await p.agents.agents.delete(tenant, opts.id, String(a.etag));
      });
      print(opts, { deleted: opts.id }, () => `agent ${opts.id} deleted`);
    });

  registerSimulate(agent);
}
