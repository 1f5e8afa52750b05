/**
 * Data commands over HTTP through @ironbridge/sdk, with the IRONBRIDGE_* binding-key variables (seed 000 §6):
 * `ironbridge token`, `ironbridge assets list`, `ironbridge ts export` and `ironbridge ts import` (CSV and JSON
 * Lines, with progress bars). They work against any platform speaking the Insights Hub APIs.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { Option } from 'commander';
import { Authenticator, IronbridgeClient, type TimeSeriesRecord, type Variable } from '@ironbridge/sdk';
import { bold, printJson, Progress } from './output.js';

interface HttpOptions {
  url?: string;
  json?: boolean;
}

const urlOption = () => new Option('--url <url>', 'API base URL (IRONBRIDGE_API_URL, else the origin of IRONBRIDGE_TOKEN_URL)');
const jsonOption = () => new Option('--json', 'print JSON');
const CREDENTIALS = 'credentials: IRONBRIDGE_TOKEN_URL, IRONBRIDGE_CLIENT_ID, IRONBRIDGE_CLIENT_SECRET';

function clientOf(opts: HttpOptions): IronbridgeClient {
  return IronbridgeClient.fromEnv(opts.url ? { baseUrl: opts.url } : {});
}

type Format = 'csv' | 'jsonl';

function formatOf(file: string | undefined, given: string | undefined): Format {
  const f = given ?? (file && /\.csv$/i.test(file) ? 'csv' : 'jsonl');
  if (f !== 'csv' && f !== 'jsonl') throw new Error(`--format must be csv or jsonl (got "${f}")`);
  return f;
}

/** Variables of an asset's aspect (with `_qc` columns), from the asset model; the CSV columns and value types. */
async function aspectVariables(client: IronbridgeClient, assetId: string, aspect: string): Promise<Map<string, Variable['dataType'] | 'QC'>> {
  const asset = await client.assets.getAsset(assetId);
  const type = await client.assets.getAssetType(asset.typeId, { exploded: true });
  const member = type.aspects.find((a) => a.name === aspect);
  if (!member) throw new Error(`asset ${assetId} has no aspect "${aspect}" (it has ${type.aspects.map((a) => a.name).join(', ') || 'none'})`);
  const vars = new Map<string, Variable['dataType'] | 'QC'>();
  for (const v of member.aspectType.variables) {
    vars.set(v.name, v.dataType);
    if (v.qualityCode) vars.set(`${v.name}_qc`, 'QC');
  }
  return vars;
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Splits CSV text into rows of cells (RFC 4180: quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (quoted) throw new Error('the CSV ends inside a quoted cell');
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function typed(type: Variable['dataType'] | 'QC' | undefined, raw: string, where: string): string | number | boolean {
  switch (type) {
    case 'INT': case 'LONG': case 'QC': {
      if (!/^-?\d+$/.test(raw)) throw new Error(`${where}: "${raw}" is not a whole number`);
      return Number(raw);
    }
    case 'DOUBLE': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`${where}: "${raw}" is not a number`);
      return n;
    }
    case 'BOOLEAN':
      if (raw !== 'true' && raw !== 'false') throw new Error(`${where}: "${raw}" is not true or false`);
      return raw === 'true';
    default:
      return raw;
  }
}

async function readRecords(file: string, format: Format, vars: Map<string, Variable['dataType'] | 'QC'>): Promise<TimeSeriesRecord[]> {
  if (!fs.existsSync(file)) throw new Error(`--file ${file} does not exist`);
  const records: TimeSeriesRecord[] = [];
  if (format === 'jsonl') {
    const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as TimeSeriesRecord);
      } catch (err) {
        throw new Error(`${file} line ${n}: not JSON (${(err as Error).message})`);
      }
    }
    return records;
  }
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  const header = rows.shift();
  if (!header || header[0] !== '_time') throw new Error(`${file}: the first CSV column must be _time`);
  for (const name of header.slice(1)) {
    if (!vars.has(name)) throw new Error(`${file}: column "${name}" is not a variable of the aspect (${[...vars.keys()].join(', ')})`);
  }
  rows.forEach((cells, r) => {
    const record: TimeSeriesRecord = { _time: cells[0] ?? '' };
    header.slice(1).forEach((name, c) => {
      const raw = cells[c + 1];
      if (raw !== undefined && raw !== '') record[name] = typed(vars.get(name), raw, `${file} row ${r + 2} column ${name}`);
    });
    records.push(record);
  });
  return records;
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

export { urlOption, CREDENTIALS };

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
    .option('--out <file>', 'output file (default standard output)')
    .addOption(new Option('--format <format>', 'csv or jsonl (default by --out extension, else jsonl)'))
    .addOption(urlOption()).addOption(jsonOption())
    .action(async (opts: HttpOptions & { asset: string; aspect: string; from: string; to: string; out?: string; format?: string }) => {
      const format = formatOf(opts.out, opts.format);
      const client = clientOf(opts);
      const columns = format === 'csv' ? [...(await aspectVariables(client, opts.asset, opts.aspect)).keys()] : [];
      const out = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
      const write = (s: string) => new Promise<void>((resolve, reject) => {
        if (out.write(s)) resolve(); else out.once('drain', resolve);
        out.once('error', reject);
      });
      const progress = new Progress('exporting', undefined, opts.json || !opts.out);
      if (format === 'csv') await write(`${['_time', ...columns].join(',')}\n`);
      let n = 0;
      for await (const r of client.timeSeries.read(opts.asset, opts.aspect, { from: opts.from, to: opts.to })) {
        await write(format === 'csv' ? `${[r._time, ...columns.map((c) => r[c])].map(csvCell).join(',')}\n` : `${JSON.stringify(r)}\n`);
        progress.update(++n);
      }
      progress.finish();
      if (opts.out) await new Promise<void>((resolve) => (out as fs.WriteStream).end(resolve));
      if (opts.json && opts.out) printJson({ records: n, file: opts.out, format });
      else if (opts.out) process.stderr.write(`${n} records written to ${opts.out}\n`);
    });
  ts.command('import')
    .description('write the records of a CSV (first column _time) or JSON Lines file, in PUTs under the 1 MB limit\n'
      + `example: ironbridge ts import --asset 0123…ef --aspect env --file env.csv (${CREDENTIALS})`)
    .requiredOption('--asset <id>', 'asset id (entityId)')
    .requiredOption('--aspect <name>', 'aspect name (propertySetName)')
    .requiredOption('--file <file>', 'CSV or JSON Lines file')
    .addOption(new Option('--format <format>', 'csv or jsonl (default by extension)'))
    .addOption(urlOption()).addOption(jsonOption())
    .action(async (opts: HttpOptions & { asset: string; aspect: string; file: string; format?: string }) => {
      const format = formatOf(opts.file, opts.format);
      const client = clientOf(opts);
      const vars = format === 'csv' ? await aspectVariables(client, opts.asset, opts.aspect) : new Map();
      const records = await readRecords(opts.file, format, vars);
      const progress = new Progress('importing', records.length, opts.json);
      await client.timeSeries.write(opts.asset, opts.aspect, records, (done, total) => progress.update(done, total));
      progress.finish();
      if (opts.json) printJson({ records: records.length, asset: opts.asset, aspect: opts.aspect });
      else process.stdout.write(`${records.length} records imported into ${opts.asset}/${opts.aspect}\n`);
    });
}
