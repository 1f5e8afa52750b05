/**
 * `ironbridge aspect-types | asset-types | assets` admin commands: list, show, create (from a JSON file in the
 * Insights Hub request shape), delete, and the asset tree. They call the assets service on the data directory
 * directly, as the tenant's administrator, with the same rules as the HTTP API.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { AssetService, Caller } from '../assets/service.js';
import type { AssetRecord } from '../assets/records.js';
import { CREDENTIALS, listAssetsOverApi } from './data.js';
import { withPlatform } from './datadir.js';
import { type CommonOptions, dataDirOption, jsonOption, print, table, tenantOption, urlOption, UsageError } from './output.js';

interface ListOptions extends CommonOptions {
  filter?: string;
  sort?: string;
  url?: string;
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --file ${file}: ${(err as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('the file must hold a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Every page of a list. */
async function allPages<T>(fetch: (page: number) => Promise<{ items: T[]; total: number; size: number }>): Promise<T[]> {
  const out: T[] = [];
  for (let page = 0; ; page++) {
    const r = await fetch(page);
    out.push(...r.items);
    if ((page + 1) * r.size >= r.total) return out;
  }
}

const admin = (tenant: string): Caller => ({ tenant, admin: true });
const idFor = (tenant: string, body: Record<string, unknown>, explicit?: string): string => {
  if (explicit) return explicit;
  if (typeof body['id'] === 'string') return body['id'];
  if (typeof body['name'] !== 'string') throw new UsageError('the file needs a "name" (or pass --id)');
  return `${tenant}.${body['name']}`;
};

/** Runs fn with the assets service; `size` is the page size lists use (200, or the configured maximum if lower). */
function withService<T>(opts: CommonOptions, fn: (svc: AssetService, tenant: string, size: number) => Promise<T>): Promise<T> {
  return withPlatform(opts, (p, tenant) => fn(p.assets.service, tenant, Math.min(200, p.config.assetMaxPageSize)));
}

function common(cmd: Command): Command {
  return cmd.addOption(tenantOption()).addOption(dataDirOption()).addOption(jsonOption());
}

/** Prints the subtree below `id` with two spaces per level. */
function treeLines(all: AssetRecord[], rootId: string): string[] {
  const children = new Map<string, AssetRecord[]>();
  for (const a of all) {
    if (a.parentId) children.set(a.parentId, [...(children.get(a.parentId) ?? []), a]);
  }
  const root = all.find((a) => a.assetId === rootId);
  const lines: string[] = [];
  const walk = (a: AssetRecord, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${a.name}  [${a.typeId}]  ${a.assetId}`);
    for (const c of children.get(a.assetId) ?? []) walk(c, depth + 1);
  };
  if (root) walk(root, 0);
  return lines;
}

export function registerAssetCommands(program: Command): void {
  const aspects = program.command('aspect-types').description('manage aspect types of a tenant (Asset Management)');
  common(aspects.command('list').description('list aspect types, core ones included (example: ironbridge aspect-types list --filter \'{"name":{"startsWith":"Env"}}\')')
    .option('--filter <json>', 'filter in the Insights Hub JSON filter language').option('--sort <sort>', 'e.g. name,desc'))
    .action(async (opts: ListOptions) => {
      const list = await withService(opts, (svc, t, size) => allPages((page) => svc.listAspectTypes(t, { page, size, filter: opts.filter, sort: opts.sort })));
      print(opts, list, () => table(list.map((a) => ({ ...a, variables: a.variables.length })), ['id', 'category', 'variables', 'etag', 'description']));
    });
  common(aspects.command('show <id>').description('show one aspect type (example: ironbridge aspect-types show local.Environment --json)'))
    .action(async (id: string, opts: CommonOptions) => {
      const a = await withService(opts, (svc, t) => svc.getAspectType(t, id));
      print(opts, a, () => [`${a.id}  (${a.category}, etag ${a.etag})  ${a.description}`,
        table(a.variables as unknown as Record<string, unknown>[], ['name', 'dataType', 'unit', 'length', 'qualityCode', 'searchable', 'defaultValue'])].join('\n'));
    });
  common(aspects.command('create').description('create an aspect type from a JSON file (example: ironbridge aspect-types create --file env.json)')
    .requiredOption('--file <file>', 'JSON body as for PUT /aspecttypes/{id}').option('--id <id>', 'id (default <tenant>.<name>)'))
    .action(async (opts: CommonOptions & { file: string; id?: string }) => {
      const body = readJson(opts.file);
      const a = await withService(opts, async (svc, t) => (await svc.putAspectType(t, idFor(t, body, opts.id), body, { ifNoneMatch: '*' })).record);
      print(opts, a, () => `aspect type ${a.id} created`);
    });
  common(aspects.command('delete <id>').description('delete an unused aspect type (example: ironbridge aspect-types delete local.Environment)'))
    .action(async (id: string, opts: CommonOptions) => {
      await withService(opts, async (svc, t) => svc.deleteAspectType(t, id, { ifMatch: String((await svc.getAspectType(t, id)).etag) }));
      print(opts, { deleted: id }, () => `aspect type ${id} deleted`);
    });

  const types = program.command('asset-types').description('manage asset types of a tenant (Asset Management)');
  common(types.command('list').description('list asset types, core ones included (example: ironbridge asset-types list --filter \'{"hasType":"core.basicdevice"}\')')
    .option('--filter <json>', 'filter in the Insights Hub JSON filter language').option('--sort <sort>', 'e.g. name,desc'))
    .action(async (opts: ListOptions) => {
      const list = (await withService(opts, (svc, t, size) => allPages((page) => svc.listAssetTypes(t, { page, size, filter: opts.filter, sort: opts.sort })))).map((v) => v.type);
      print(opts, list, () => table(list as unknown as Record<string, unknown>[], ['id', 'parentTypeId', 'instantiable', 'etag', 'description']));
    });
  common(types.command('show <id>').description('show an asset type with inherited members (example: ironbridge asset-types show local.Pump)'))
    .action(async (id: string, opts: CommonOptions) => {
      const view = await withService(opts, (svc, t) => svc.getAssetType(t, id, true));
      const type = view.type;
      const members = [
        ...view.aspects.map((m) => ({ kind: 'aspect', name: m.member.name, detail: m.member.aspectType.id, origin: m.origin })),
        ...view.variables.map((m) => ({ kind: 'variable', name: m.member.name, detail: m.member.dataType, origin: m.origin })),
      ];
      print(opts, { ...type, exploded: members }, () =>
        [`${type.id}  (parent ${type.parentTypeId ?? '-'}, etag ${type.etag})`, table(members, ['kind', 'name', 'detail', 'origin'])].join('\n'));
    });
  common(types.command('create').description('create an asset type from a JSON file (example: ironbridge asset-types create --file pump.json)')
    .requiredOption('--file <file>', 'JSON body as for PUT /assettypes/{id}').option('--id <id>', 'id (default <tenant>.<name>)'))
    .action(async (opts: CommonOptions & { file: string; id?: string }) => {
      const body = readJson(opts.file);
      const a = await withService(opts, async (svc, t) => (await svc.putAssetType(t, idFor(t, body, opts.id), body, { ifNoneMatch: '*' })).record.type);
      print(opts, a, () => `asset type ${a.id} created`);
    });
  common(types.command('delete <id>').description('delete an asset type without child types or assets (example: ironbridge asset-types delete local.Pump)'))
    .action(async (id: string, opts: CommonOptions) => {
      await withService(opts, async (svc, t) => svc.deleteAssetType(t, id, { ifMatch: String((await svc.getAssetType(t, id)).type.etag) }));
      print(opts, { deleted: id }, () => `asset type ${id} deleted`);
    });

  const assets = program.command('assets').description('manage the assets of a tenant (Asset Management)');
  common(assets.command('list').description('list assets in the data directory, or over the API with --url or '
    + `IRONBRIDGE_TOKEN_URL (${CREDENTIALS}) (example: ironbridge assets list --filter '{"hasType":"core.basicsite"}')`)
    .option('--filter <json>', 'filter in the Insights Hub JSON filter language').option('--sort <sort>', 'e.g. name,desc')
    .addOption(urlOption()))
    .action(async (opts: ListOptions) => {
      if (opts.url || process.env['IRONBRIDGE_TOKEN_URL']) return listAssetsOverApi(opts);
      const list = await withService(opts, (svc, t, size) => allPages((page) => svc.listAssetRecords(admin(t), { page, size, filter: opts.filter, sort: opts.sort })));
      print(opts, list, () => table(list as unknown as Record<string, unknown>[], ['assetId', 'name', 'typeId', 'parentId', 'etag']));
    });
  common(assets.command('show <assetId>').description('show one asset (example: ironbridge assets show 0123…cdef --json)'))
    .action(async (id: string, opts: CommonOptions) => {
      const a = (await withService(opts, (svc, t) => svc.getAsset(admin(t), id))).record;
      print(opts, a, () => table([a as unknown as Record<string, unknown>], ['assetId', 'name', 'typeId', 'parentId', 'timezone', 'etag']));
    });
  common(assets.command('create').description('create an asset from a JSON file (example: ironbridge assets create --file pump1.json)')
    .requiredOption('--file <file>', 'JSON body as for POST /assets; parentId defaults to the root asset'))
    .action(async (opts: CommonOptions & { file: string }) => {
      const body = readJson(opts.file);
      const a = (await withService(opts, async (svc, t) =>
        svc.createAsset(admin(t), { parentId: (await svc.root(t)).record.assetId, ...body }))).record;
      print(opts, a, () => `asset ${a.name} created with id ${a.assetId}`);
    });
  common(assets.command('delete <assetId>').description('delete an asset without children (example: ironbridge assets delete 0123…cdef)'))
    .action(async (id: string, opts: CommonOptions) => {
      await withService(opts, async (svc, t) => svc.deleteAsset(admin(t), id, { ifMatch: String((await svc.getAsset(admin(t), id)).record.etag) }));
      print(opts, { deleted: id }, () => `asset ${id} deleted`);
    });
  common(assets.command('tree').description('print the asset hierarchy of a tenant (example: ironbridge assets tree)'))
    .action(async (opts: CommonOptions) => {
      const { all, rootId } = await withService(opts, async (svc, t, size) => ({
        rootId: (await svc.root(t)).record.assetId,
        all: await allPages((page) => svc.listAssetRecords(admin(t), { page, size })),
      }));
      const lines = treeLines(all, rootId);
      print(opts, all.map((a) => ({ assetId: a.assetId, name: a.name, typeId: a.typeId, parentId: a.parentId })), () => lines.join('\n'));
    });
}
