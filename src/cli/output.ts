/**
 * Terminal output and the shared options of the CLI: colour only on a TTY (NO_COLOR turns it off, FORCE_COLOR on),
 * progress bars on standard error only when it is a TTY, JSON printing for --json, tables, the usage error, and the
 * --data-dir / --tenant / --json / --url options every command group shares.
 */
import type { WriteStream } from 'node:tty';
import { Option } from 'commander';

type Stream = NodeJS.WriteStream | WriteStream;

/** Whether to colour a stream: FORCE_COLOR wins, then NO_COLOR, then whether it is a TTY. */
function colourOn(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return Boolean(stream.isTTY) && env['TERM'] !== 'dumb';
}

const paint = (code: number) => (text: string, stream: Stream = process.stdout): string =>
  (colourOn(stream) ? `\x1b[${code}m${text}\x1b[0m` : text);

export const red = paint(31);
export const bold = paint(1);

/** A mistake in how a command was called (a missing file, a bad flag value): one line, exit code 1. */
export class UsageError extends Error {}

export interface CommonOptions {
  dataDir?: string;
  json?: boolean;
  tenant?: string;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints `value` as JSON with --json, else the human form. */
export function print(options: { json?: boolean }, value: unknown, human: () => string): void {
  if (options.json) printJson(value);
  else process.stdout.write(`${human()}\n`);
}

/** A plain table of `columns`, or "(none)". */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** A note on standard error (which data directory or URL a command used); never mixed into --json output. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

export const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (IRONBRIDGE_DATA_DIR, default ./data); must exist');
export const tenantOption = () => new Option('--tenant <name>', 'tenant (IRONBRIDGE_TENANT, default local)');
export const jsonOption = () => new Option('--json', 'print JSON');
export const urlOption = () => new Option('--url <url>', 'API base URL (IRONBRIDGE_API_URL, else the origin of IRONBRIDGE_TOKEN_URL)');

/** A progress bar on standard error; silent when it is not a TTY or when quiet (e.g. --json). */
export class Progress {
  private readonly on: boolean;
  private last = 0;
  private done = 0;

  constructor(private readonly label: string, private total: number | undefined, quiet = false,
    private readonly stream: Stream = process.stderr) {
    this.on = !quiet && Boolean(stream.isTTY);
  }

  update(done: number, total = this.total): void {
    this.done = done;
    this.total = total;
    const now = Date.now();
    if (!this.on || now - this.last < 100) return;
    this.last = now;
    this.draw();
  }

  private draw(): void {
    const width = 30;
    let line: string;
    if (this.total) {
      const ratio = Math.min(1, this.done / this.total);
      const filled = Math.round(ratio * width);
      line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total} ${Math.round(ratio * 100)}%`;
    } else {
      line = `${this.label} ${this.done}`;
    }
    this.stream.write(`\r${line}\x1b[K`);
  }

  finish(): void {
    if (!this.on) return;
    this.draw();
    this.stream.write('\n');
  }
}
