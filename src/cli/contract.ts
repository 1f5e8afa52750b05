/**
 * `ironbridge contract create|list|show|download|publish|unpublish|delete`: the OData Contract Registry and the
 * catalog over their REST API (`/api/odatacontracts/v1`, docs/odata.md) with the binding key in the environment,
 * like the other data commands. A contract is named by its id, or by its name (and `--version` when the name has
 * several versions). Errors of the platform are printed as it words them (they name the field and the rule).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { IronbridgeClient } from '@ironbridge/sdk';
import { CREDENTIALS } from './data.js';
import { printJson, table, urlOption, UsageError } from './output.js';

const API = '/api/odatacontracts/v1';

interface HttpOptions {
  url?: string;
  json?: boolean;
}

interface RefOptions extends HttpOptions {
  version?: string;
}

interface Contract {
  id: string;
  name: string;
  version: string;
  description: string;
  published: boolean;
  state: string;
  problems: { item: string; rule: string }[];
  entitySets: string[];
  serviceRoot: string;
  metadataUrl: string;
  etag: number;
  [k: string]: unknown;
}

const clientOf = (opts: HttpOptions) => IronbridgeClient.fromEnv(opts.url ? { baseUrl: opts.url } : {});
const versionOption = () => new Option('--version <version>', 'the version, when the name has several');
const jsonOption = () => new Option('--json', 'print JSON');
const enc = encodeURIComponent;

/** The contract a reference names: its id, or its name (and version). */
async function resolve(client: IronbridgeClient, ref: string, version: string | undefined): Promise<Contract> {
  const { contracts } = await client.api.json<{ contracts: Contract[] }>('GET', `${API}/contracts`);
  const byId = contracts.find((c) => c.id === ref && (version === undefined || c.version === version));
  if (byId) return byId;
  const named = contracts.filter((c) => c.name === ref);
  const hit = named.filter((c) => version === undefined || c.version === version);
  if (hit.length === 1) return hit[0]!;
  if (hit.length > 1) {
    throw new UsageError(`contract ${ref} has several versions (${hit.map((c) => c.version).join(', ')}); name one with --version`);
  }
  if (named.length > 0) {
    throw new UsageError(`contract ${ref} has no version ${version} (it has ${named.map((c) => c.version).join(', ')})`);
  }
  const known = contracts.map((c) => `${c.name} ${c.version}`).join(', ') || 'none';
  throw new UsageError(`no contract with the id or name ${ref} in this tenant (contracts: ${known})`);
}

/** `--alias generated=alias` pairs as the contract's aliases object. */
function aliasesOf(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.lastIndexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw new UsageError(`--alias ${p} must be generated-name=alias, e.g. --alias AGGR_Long_Name=AggrShort`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

function readBody(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --file ${file}: ${(err as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`--file ${file} must hold a JSON object (a contract)`);
  return v as Record<string, unknown>;
}

function describe(c: Contract): string {
  const lines = [
    `${c.name} ${c.version} (${c.id})`,
    `  published    ${c.published ? 'yes' : 'no'}`,
    `  state        ${c.state}`,
    `  description  ${c.description || '-'}`,
    `  entity sets  ${c.entitySets.join(', ') || '-'}`,
    `  service root ${c.serviceRoot}`,
    `  $metadata    ${c.metadataUrl}`,
  ];
  for (const p of c.problems) lines.push(`  problem      ${p.item} ${p.rule}`);
  return lines.join('\n');
}

const show = (opts: HttpOptions, c: Contract) => (opts.json ? printJson(c) : process.stdout.write(`${describe(c)}\n`));

interface CreateOptions extends HttpOptions {
  name?: string;
  version?: string;
  assetType?: string[];
  folder?: string[];
  description?: string;
  environmentName?: string;
  environmentType?: string;
  applicationName?: string;
  alias?: string[];
  file?: string;
  publish?: boolean;
}

export function registerContractCommands(program: Command): void {
  const contract = program.command('contract')
    .description(`OData contracts: the contract registry, the catalog and the services they publish (${CREDENTIALS})`);

  contract.command('create')
    .description('save a contract of asset types, or of data lake folders (validated now: every problem is named, with an alias to keep)\n'
      + 'example: ironbridge contract create --name Pumps --version 1.0.0 --asset-type acme.Pump --description "pumps and their flow"\n'
      + 'example: ironbridge contract create --name Lake --folder plant/line1/ --folder lab/ --publish')
    .option('--name <name>', 'contract name: letters, digits, underscores (part of the service URL)')
    .option('--version <version>', 'contract version (default 1.0.0)')
    .option('--asset-type <id...>', 'asset type ids; each also serves the types derived from it')
    .option('--folder <path...>', 'data lake folders (a folder contract, at most 20): each an entity set of the objects below it')
    .option('--description <text>', 'description shown in the catalog')
    .option('--environment-name <name>', 'environment name (default "default")')
    .addOption(new Option('--environment-type <type>', 'environment type').choices(['sandbox', 'production', 'non-production']))
    .option('--application-name <name>', 'application name (default mdsp_{tenant})')
    .option('--alias <generated=alias...>', 'a name to use instead of a generated one that is not a valid OData identifier')
    .option('--file <file>', 'a contract as JSON (the REST API body); flags override its fields')
    .option('--publish', 'publish it to the catalog at once')
    .addOption(urlOption()).addOption(jsonOption())
    .action(async (opts: CreateOptions) => {
      const body: Record<string, unknown> = opts.file ? readBody(opts.file) : {};
      const set = (k: string, v: unknown) => { if (v !== undefined) body[k] = v; };
      set('name', opts.name);
      set('version', opts.version);
      set('assetTypes', opts.assetType);
      if (opts.folder) {
        body['kind'] = 'folders';
        body['folders'] = opts.folder;
      }
      set('description', opts.description);
      set('environmentName', opts.environmentName);
      set('environmentType', opts.environmentType);
      set('applicationName', opts.applicationName);
      const aliases = aliasesOf(opts.alias);
      if (aliases) body['aliases'] = { ...(body['aliases'] as Record<string, string> | undefined), ...aliases };
      if (opts.publish) body['publish'] = true;
      if (body['name'] === undefined) throw new UsageError('--name is required (or a "name" in --file)');
      if (body['kind'] === 'folders' ? body['folders'] === undefined : body['assetTypes'] === undefined) {
        throw new UsageError('--asset-type is required (or --folder for a folder contract; or "assetTypes" / "kind": "folders" with "folders" in --file)');
      }
      const c = await clientOf(opts).api.json<Contract>('POST', `${API}/contracts`, { body });
      if (opts.json) printJson(c);
      else process.stdout.write(`contract ${c.name} ${c.version} created${c.published ? ' and published' : ''} (id ${c.id})\n  service root ${c.serviceRoot}\n`);
    });

  contract.command('list')
    .description('list the tenant\'s contracts, or with --catalog the published ones the caller may see\n'
      + 'example: ironbridge contract list --catalog --search pump --json')
    .option('--catalog', 'the catalog (Data Hub): published contracts visible to the caller')
    .option('--search <text>', 'only contracts whose name, version, description (catalog: also entity names) contain the text')
    .addOption(urlOption()).addOption(jsonOption())
    .action(async (opts: HttpOptions & { catalog?: boolean; search?: string }) => {
      const { contracts } = await clientOf(opts).api.json<{ contracts: Contract[] }>('GET', `${API}/${opts.catalog ? 'catalog' : 'contracts'}`,
        { query: { search: opts.search } });
      if (opts.json) return printJson(contracts);
      const rows = contracts.map((c) => ({ ...c, published: c.published ? 'yes' : 'no' }));
      process.stdout.write(`${table(rows, ['name', 'version', 'published', 'state', 'id', 'serviceRoot'])}\n`);
    });

  contract.command('show <contract>')
    .description('show a contract (by id, or by name) with its state, entity sets and service URLs\n'
      + 'example: ironbridge contract show Pumps --json')
    .addOption(versionOption()).addOption(urlOption()).addOption(jsonOption())
    .action(async (ref: string, opts: RefOptions) => {
      show(opts, await resolve(clientOf(opts), ref, opts.version));
    });

  contract.command('download <contract>')
    .description('write the contract\'s CSDL XML (the document its service serves as $metadata) to a file or standard output\n'
      + 'example: ironbridge contract download Pumps --out Pumps.xml')
    .option('--out <file>', 'output file (default standard output)')
    .addOption(versionOption()).addOption(urlOption()).addOption(jsonOption())
    .action(async (ref: string, opts: RefOptions & { out?: string }) => {
      const client = clientOf(opts);
      const c = await resolve(client, ref, opts.version);
      const xml = await (await client.api.send('GET', `${API}/contracts/${enc(c.id)}/csdl`, { headers: { accept: 'application/xml' } })).text();
      if (opts.out) {
        fs.writeFileSync(opts.out, xml);
        if (opts.json) printJson({ id: c.id, name: c.name, version: c.version, file: opts.out, bytes: Buffer.byteLength(xml) });
        else process.stderr.write(`CSDL of ${c.name} ${c.version} written to ${opts.out}\n`);
      } else if (opts.json) printJson({ id: c.id, name: c.name, version: c.version, csdl: xml });
      else process.stdout.write(xml);
    });

  for (const [verb, text] of [['publish', 'publish a contract to the catalog: its OData service starts answering'],
    ['unpublish', 'take a contract out of the catalog: its OData service answers 404']] as const) {
    contract.command(`${verb} <contract>`)
      .description(`${text}\nexample: ironbridge contract ${verb} Pumps`)
      .addOption(versionOption()).addOption(urlOption()).addOption(jsonOption())
      .action(async (ref: string, opts: RefOptions) => {
        const client = clientOf(opts);
        const c = await resolve(client, ref, opts.version);
        const after = await client.api.json<Contract>('POST', `${API}/contracts/${enc(c.id)}/${verb}`, { headers: { 'if-match': `"${c.etag}"` } });
        if (opts.json) printJson(after);
        else process.stdout.write(`contract ${after.name} ${after.version} ${verb}ed${verb === 'publish' ? `: ${after.serviceRoot}` : ''}\n`);
      });
  }

  contract.command('delete <contract>')
    .description('delete a contract (its service goes with it)\nexample: ironbridge contract delete Pumps --version 1.0.0')
    .addOption(versionOption()).addOption(urlOption()).addOption(jsonOption())
    .action(async (ref: string, opts: RefOptions) => {
      const client = clientOf(opts);
      const c = await resolve(client, ref, opts.version);
      await client.api.send('DELETE', `${API}/contracts/${enc(c.id)}`, { headers: { 'if-match': `"${c.etag}"` } });
      if (opts.json) printJson({ deleted: c.id, name: c.name, version: c.version });
      else process.stdout.write(`contract ${c.name} ${c.version} deleted\n`);
    });
}
