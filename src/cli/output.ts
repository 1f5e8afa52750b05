/**
 * Terminal output of the CLI: colour only on a TTY (NO_COLOR turns it off, FORCE_COLOR on), progress bars on
 * standard error only when it is a TTY, and JSON printing for --json.
 */
import type { WriteStream } from 'node:tty';

type Stream = NodeJS.WriteStream | WriteStream;

/** Whether to colour a stream: FORCE_COLOR wins, then NO_COLOR, then whether it is a TTY. */
export function colourOn(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return Boolean(stream.isTTY) && env['TERM'] !== 'dumb';
}

const paint = (code: number) => (text: string, stream: Stream = process.stdout): string =>
  (colourOn(stream) ? `\x1b[${code}m${text}\x1b[0m` : text);

export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);
export const bold = paint(1);
export const dim = paint(2);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

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
