/**
 * Data commands over HTTP through @ironbridge/sdk, with the IRONBRIDGE_* binding-key variables ("Insights Hub IIoT for Makers", binding keys):
 * `ironbridge token`, `ironbridge ts export` and `ironbridge ts import` (CSV and JSON Lines, with progress bars).
 * They work against any platform speaking the Insights Hub APIs (the admin `assets` commands work on the data dir).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { Authenticator, IronbridgeClient } from '@ironbridge/sdk';
import { bold, jsonOption, note, printJson, Progress, urlOption, UsageError } from './output.js';
import { batches, type ColumnType, csvCell, csvRecords, formatOf, jsonLinesRecords, writeLines } from './tsfiles.js';

/** Records per write call of an import: bounded memory however large the file; the SDK splits them into PUTs under 1 MB. */
const IMPORT_BATCH = 10_000;

interface HttpOptions {
  url?: string;
  json?: boolean;
}

export const CREDENTIALS = 'credentials: IRONBRIDGE_TOKEN_URL, IRONBRIDGE_CLIENT_ID, IRONBRIDGE_CLIENT_SECRET';

/** The API client of the binding key in the environment; says on standard error which platform it talks to. */
function clientOf(opts: HttpOptions): IronbridgeClient {
  const auth = Authenticator.fromEnv();
  const baseUrl = opts.url ?? process.env['IRONBRIDGE_API_URL'] ?? new URL(auth.tokenUrl).origin;
  note(`platform ${baseUrl} (token from ${auth.tokenUrl})`);
  return new IronbridgeClient({ baseUrl, auth });
}

/** Variables of an asset's aspect (with `_qc` columns), from the asset model; the CSV columns and value types. */
async function aspectVariables(client: IronbridgeClient, assetId: string, aspect: string): Promise<Map<string, ColumnType>> {
  const asset = await client.assets.getAsset(assetId);
  const type = await client.assets.getAssetType(asset.typeId, { exploded: true });
  const member = type.aspects.find((a) => a.name === aspect);
  if (!member) throw new Error(`asset ${assetId} has no aspect "${aspect}" (it has ${type.aspects.map((a) => a.name).join(', ') || 'none'})`);
  const vars = new Map<string, ColumnType>();
  for (const v of member.aspectType.variables) {
    vars.set(v.name, v.dataType);
    if (v.qualityCode) vars.set(`${v.name}_qc`, 'QC');
  }
  return vars;
}

/** `assets list` over the Asset Management API with the binding key in the environment (every page). */
export async function listAssetsOverApi(opts: HttpOptions & { filter?: string }): Promise<void> {
  let filter: Record<string, unknown> | undefined;
  if (opts.filter) {
    try { filter = JSON.parse(opts.filter) as Record<string, unknown>; } catch { throw new Error('--filter must be JSON, e.g. {"name":{"startsWith":"Pump"}}'); }
  }
  const list = [];
  for await (const a of clientOf(opts).assets.assets({ size: 200, filter })) list.push(a);
  if (opts.json) return printJson(list.map((a) => ({ assetId: a.assetId, name: a.name, typeId: a.typeId, parentId: a.parentId ?? null })));
  const w = Math.max(4, ...list.map((a) => a.name.length));
  process.stdout.write(`${bold(`${'name'.padEnd(w)}  assetId                           typeId`)}\n`);
  for (const a of list) process.stdout.write(`${a.name.padEnd(w)}  ${a.assetId}  ${a.typeId}\n`);
}

export function registerDataCommands(program: Command): void {
  program.command('token')
    .description(`print an access token for the binding key in the environment (${CREDENTIALS})\n`
      + 'example: curl -H "Authorization: Bearer $(ironbridge token)" http://localhost:8080/api/tenantmanagement/v4/tenantInfo')
    .addOption(jsonOption())
    .action(async (opts: HttpOptions) => {
      const a = Authenticator.fromEnv();
      const token = await a.getAccessToken();
      if (opts.json) printJson({ access_token: token, expires_in: a.expiresIn, token_url: a.tokenUrl });
      else process.stdout.write(`${token}\n`);
    });

  const ts = program.command('ts').description('export and import time series over the IoT Time Series API');
  ts.command('export')
    .description('write the records of a range to a CSV or JSON Lines file or standard output, following every page\n'
      + `example: ironbridge ts export --asset 0123…ef --aspect env --from 2024-01-01T00:00:00Z --to 2024-02-01T00:00:00Z --out env.csv (${CREDENTIALS})`)
    .requiredOption('--asset <id>', 'asset id (entityId)')
    .requiredOption('--aspect <name>', 'aspect name (propertySetName)')
    .requiredOption('--from <time>', 'exclusive start, ISO-8601')
    .requiredOption('--to <time>', 'inclusive end, ISO-8601')
    .option('--out <file>', 'output file: .csv, .jsonl or .ndjson (default standard output, JSON Lines)')
    .addOption(new Option('--format <format>', 'csv or jsonl (default by --out extension)'))
    .addOption(urlOption()).addOption(jsonOption())
    .action(async (opts: HttpOptions & { asset: string; aspect: string; from: string; to: string; out?: string; format?: string }) => {
      const format = formatOf(opts.out, opts.format, '--out');
      const client = clientOf(opts);
      const columns = format === 'csv' ? [...(await aspectVariables(client, opts.asset, opts.aspect)).keys()] : [];
      const progress = new Progress('exporting', undefined, opts.json || !opts.out);
      let n = 0;
      async function* lines(): AsyncGenerator<string> {
        if (format === 'csv') yield `${['_time', ...columns].join(',')}\n`;
        for await (const r of client.timeSeries.read(opts.asset, opts.aspect, { from: opts.from, to: opts.to })) {
          yield format === 'csv' ? `${[r._time, ...columns.map((c) => r[c])].map(csvCell).join(',')}\n` : `${JSON.stringify(r)}\n`;
          progress.update(++n);
        }
      }
      const out = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
      const complete = await writeLines(out, lines());
      progress.finish();
      if (!complete) return; // the reader closed the pipe (e.g. `| head`): nothing more to say
      if (opts.out) await new Promise<void>((resolve, reject) => (out as fs.WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
      if (opts.json && opts.out) printJson({ records: n, file: opts.out, format });
      else if (opts.out) process.stderr.write(`${n} records written to ${opts.out}\n`);
    });
  ts.command('import')
    .description('write the records of a CSV (first column _time) or JSON Lines file, in PUTs under the 1 MB limit; '
      + 'CSV may start with a BOM, use another --delimiter, decimal commas and zone-less times (--timezone)\n'
      + `example: ironbridge ts import --asset 0123…ef --aspect env --file env.csv --delimiter ";" --decimal-comma --timezone Europe/Berlin (${CREDENTIALS})`)
    .requiredOption('--asset <id>', 'asset id (entityId)')
    .requiredOption('--aspect <name>', 'aspect name (propertySetName)')
    .requiredOption('--file <file>', 'CSV (.csv) or JSON Lines (.jsonl, .ndjson) file')
    .addOption(new Option('--format <format>', 'csv or jsonl (default by extension)'))
    .option('--delimiter <char>', 'CSV field delimiter', ',')
    .option('--decimal-comma', 'CSV numbers use a decimal comma (1,5)')
    .option('--timezone <zone>', 'time zone of CSV times written without one, e.g. Europe/Berlin for 2026-12-02 17:40:00')
    .addOption(urlOption()).addOption(jsonOption())
    .action(async (opts: HttpOptions & { asset: string; aspect: string; file: string; format?: string; delimiter: string;
      decimalComma?: boolean; timezone?: string }) => {
      const format = formatOf(opts.file, opts.format, '--file');
      if (!fs.existsSync(opts.file)) throw new UsageError(`--file ${opts.file} does not exist`);
      const client = clientOf(opts);
      const vars = format === 'csv' ? await aspectVariables(client, opts.asset, opts.aspect) : new Map<string, ColumnType>();
      const records = () => (format === 'csv'
        ? csvRecords(opts.file, vars, { delimiter: opts.delimiter, decimalComma: opts.decimalComma ?? false, timezone: opts.timezone })
        : jsonLinesRecords(opts.file));
      // Two streamed passes: the first checks every value, so a bad one at the end writes nothing; the second writes.
      let total = 0;
      for await (const _ of records()) total++;
      const progress = new Progress('importing', total, opts.json);
      let done = 0;
      for await (const batch of batches(records(), IMPORT_BATCH)) {
        await client.timeSeries.write(opts.asset, opts.aspect, batch, (d) => progress.update(done + d, total));
        done += batch.length;
      }
      progress.finish();
      if (opts.json) printJson({ records: total, asset: opts.asset, aspect: opts.aspect });
      else process.stdout.write(`${total} records imported into ${opts.asset}/${opts.aspect}\n`);
    });
}
