/**
 * Time series files of `ironbridge ts export|import`: the format chosen by extension (csv, or JSON Lines as .jsonl
 * or .ndjson), CSV read as a stream through csv-parse (a UTF-8 BOM as Excel's "CSV UTF-8" writes it, another
 * delimiter, decimal commas, zone-less times in a given zone), values checked against the aspect's variables with
 * the line and column of the first bad one, and output written with backpressure and one error listener, ending
 * quietly when the reader goes away (`| head`).
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Writable } from 'node:stream';
import { parse } from 'csv-parse';
import type { TimeSeriesRecord, Variable } from '@ironbridge/sdk';
import { parseInstant } from '../core/instant.js';
import { instantOfWallClock, isKnownZone } from '../core/zone.js';
import { UsageError } from './output.js';

type Format = 'csv' | 'jsonl';
export type ColumnType = Variable['dataType'] | 'QC';

const EXTENSIONS: Record<string, Format> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/**
 * The format of a file: --format when given (and not contradicted by a known extension), else by extension;
 * standard output (no file) defaults to JSON Lines. An unknown extension without --format is refused.
 */
export function formatOf(file: string | undefined, given: string | undefined, flag: '--out' | '--file'): Format {
  if (given !== undefined && given !== 'csv' && given !== 'jsonl') throw new UsageError(`--format must be csv or jsonl (got "${given}")`);
  const ext = file ? path.extname(file).toLowerCase() : '';
  const byExt = EXTENSIONS[ext];
  if (given && byExt && given !== byExt) throw new UsageError(`${flag} ${file} has the extension ${ext}, which contradicts --format ${given}`);
  if (given) return given;
  if (!file) return 'jsonl';
  if (!byExt) {
    throw new UsageError(`${flag} ${file}: unknown extension "${ext || '(none)'}"; use .csv, .jsonl or .ndjson, or pass --format csv|jsonl`);
  }
  return byExt;
}

export const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

interface CsvOptions {
  delimiter: string;
  decimalComma: boolean;
  /** Zone of timestamps written without one (e.g. 2026-12-02 17:40:00). */
  timezone?: string;
}

const ZONELESS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/;

/** The _time cell as the ISO-8601 instant the API takes; zone-less times are read in `timezone`. */
function timeOf(raw: string, timezone: string | undefined): string | Error {
  const zoned = parseInstant(raw, 'strict');
  if (typeof zoned === 'number') return raw;
  const m = ZONELESS.exec(raw.trim());
  if (!m) return new Error(`"${raw}" ${zoned}`);
  if (!timezone) return new Error(`"${raw}" has no zone: add one (Z or +01:00) or pass --timezone, e.g. --timezone Europe/Berlin`);
  const wall = parseInstant(`${m[1]}T${m[2]}${m[2]!.length === 5 ? ':00' : ''}Z`, 'strict');
  if (typeof wall !== 'number') return new Error(`"${raw}" ${wall}`);
  return new Date(instantOfWallClock(timezone, wall)).toISOString();
}

function typed(type: ColumnType | undefined, raw: string, decimalComma: boolean): string | number | boolean | Error {
  switch (type) {
    case 'INT': case 'LONG': case 'QC':
      return /^-?\d+$/.test(raw) ? Number(raw) : new Error(`"${raw}" is not a whole number`);
    case 'DOUBLE': {
      const text = decimalComma ? raw.replace(',', '.') : raw;
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? n : new Error(`"${raw}" is not a number${decimalComma ? '' : ' (decimal commas need --decimal-comma)'}`);
    }
    case 'BOOLEAN':
      return raw === 'true' || raw === 'false' ? raw === 'true' : new Error(`"${raw}" is not true or false`);
    default:
      return raw;
  }
}

/** The records of a CSV file whose header starts with _time, streamed; throws naming the line and column of a bad cell. */
export async function* csvRecords(file: string, vars: Map<string, ColumnType>, options: CsvOptions): AsyncGenerator<TimeSeriesRecord> {
  if (options.timezone && !isKnownZone(options.timezone)) throw new UsageError(`--timezone "${options.timezone}" is not a known time zone id (e.g. Europe/Berlin)`);
  if (options.delimiter.length !== 1) throw new UsageError(`--delimiter must be one character (got "${options.delimiter}")`);
  const parser = fs.createReadStream(file).pipe(parse({ bom: true, delimiter: options.delimiter, skip_empty_lines: true, info: true }));
  let header: string[] | undefined;
  try {
    for await (const { record: cells, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = cells.map((c) => c.trim());
        if (header[0] !== '_time') throw new UsageError(`${file} line ${info.lines}: the first column must be _time (found "${header[0]}")`);
        for (const name of header.slice(1)) {
          if (!vars.has(name)) throw new UsageError(`${file} line ${info.lines}: column "${name}" is not a variable of the aspect (${[...vars.keys()].join(', ')})`);
        }
        continue;
      }
      const where = (c: number) => `${file} line ${info.lines}, column ${c + 1} (${header![c]})`;
      const time = timeOf(cells[0] ?? '', options.timezone);
      if (time instanceof Error) throw new UsageError(`${where(0)}: ${time.message}`);
      const record: TimeSeriesRecord = { _time: time };
      for (let c = 1; c < header.length; c++) {
        const raw = cells[c];
        if (raw === undefined || raw === '') continue;
        const value = typed(vars.get(header[c]!), raw, options.decimalComma);
        if (value instanceof Error) throw new UsageError(`${where(c)}: ${value.message}`);
        record[header[c]!] = value;
      }
      yield record;
    }
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    if (e.code?.startsWith('CSV_')) throw new UsageError(`${file} line ${e.lines ?? '?'}: ${e.message}`);
    throw err;
  }
  if (!header) throw new UsageError(`${file} is empty: the first line must name the columns, starting with _time`);
}

/** The records of a JSON Lines file, streamed, naming the line of one that is not a JSON object. */
export async function* jsonLinesRecords(file: string): AsyncGenerator<TimeSeriesRecord> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(n === 1 ? line.replace(/^\uFEFF/, '') : line);
    } catch (err) {
      throw new UsageError(`${file} line ${n}: not JSON (${(err as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${file} line ${n}: not a JSON object`);
    const time = parseInstant((value as { _time?: unknown })._time, 'strict');
    if (typeof time !== 'number') throw new UsageError(`${file} line ${n}: _time ${time}`);
    yield value as TimeSeriesRecord;
  }
}

/** Groups a stream of records into arrays of at most `size`. */
export async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Writes every line to `out` with backpressure and a single error listener. Resolves with false when the reader
 * closed the pipe (EPIPE: `ironbridge ts export | head`), so the caller ends quietly; other errors reject.
 */
export async function writeLines(out: Writable, lines: AsyncIterable<string>): Promise<boolean> {
  let failure: Error | undefined;
  const onError = (err: Error) => { failure ??= err; };
  out.on('error', onError);
  try {
    for await (const line of lines) {
      if (failure) break;
      if (!out.write(line)) await once(out, 'drain');
    }
  } catch (err) {
    failure ??= err as Error;
  } finally {
    // A closed pipe may report more failed writes later: keep a listener so they are not uncaught.
    out.off('error', onError);
    out.on('error', () => undefined);
  }
  if (!failure) return true;
  if ((failure as NodeJS.ErrnoException).code === 'EPIPE') return false;
  throw failure;
}
