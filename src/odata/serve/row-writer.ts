/**
 * Byte rows: rows whose JSON text is written as ASCII bytes into a buffer while they are read (aggregate rows,
 * aggregate-bytes.ts), and the page of such rows written from those bytes (pageBytes of raw-rows.ts asks here
 * first). A 2000-row aggregate page is 574 KB of text made of a few pieces per interval and variable; writing the
 * pieces as bytes once per interval and copying them per row costs a fraction of building a string per row and
 * encoding it (issue 14: an OData page at most 1.5× the REST read of the same rows).
 *
 * Invariants: a byte row's bytes `buf[at, end)` are exactly the UTF-8 (= latin1, as every byte is below 0x80)
 * bytes of its JSON text; a writer puts a `,` at `buf[end]` so the rows of one buffer written in order are one
 * run `row,row,…,row` that the page copies at once. Nothing else may be written between two rows of a run.
 */
import { writeNumber } from '../../core/number-bytes.js';

/** The buffer of a byte row's text, its start and its end (exclusive). */
export const BUF = Symbol('odata.byteRowBuffer');
export const AT = Symbol('odata.byteRowStart');
export const END = Symbol('odata.byteRowEnd');

export interface ByteRow { [BUF]: Buffer; [AT]: number; [END]: number }

const isByteRow = (r: unknown): r is ByteRow => typeof r === 'object' && r !== null && (r as ByteRow)[BUF] !== undefined;

/** Whether a string is all ASCII (one byte per UTF-16 unit), so byte offsets equal string offsets. */
export const isAscii = (s: string) => Buffer.byteLength(s) === s.length;

/** Bytes left free before the first row of a sink. */
const HEADROOM = 1024;

export type Latin1 = Buffer & { latin1Write: (s: string, offset: number, length: number) => number };

/**
 * Bytes of rows as they are written: `begin()` before a row, `end()` after it (which writes the run's `,`);
 * the writer puts the row's bytes at `buf[o…]` and advances `o`.
 * A full buffer is not copied into a larger one: the next rows go into a new buffer (rows keep theirs).
 */
export class RowSink {
  buf: Buffer;
  o = 0;
  constructor(private size: number) {
    // room before the first row for a page's head, so a page of one run needs no copy (byteRowsPage)
    this.buf = Buffer.allocUnsafe(HEADROOM + size);
    this.o = HEADROOM;
  }

  /** Room for a row of at most `max` bytes and its `,`; returns the row's start. */
  begin(max: number): number {
    if (this.o + max + 1 > this.buf.length) {
      this.size = Math.max(this.size * 2, max + 1);
      this.buf = Buffer.allocUnsafe(this.size);
      this.o = 0;
    }
    return this.o;
  }

  /** Ends the row begun last: its end, after which the run's `,` is written. */
  end(): number {
    const end = this.o;
    this.buf[this.o++] = 0x2c;
    return end;
  }

  /** A text the caller knows is ASCII, char by char (cheaper than a native call for the few characters of a number). */
  ascii(s: string): void {
    const buf = this.buf;
    let o = this.o;
    for (let i = 0; i < s.length; i++) buf[o++] = s.charCodeAt(i);
    this.o = o;
  }

  /**
   * A finite number as JSON writes it (String(v)): from its digits where writeNumber is exact (integers of 32 bits,
   * decimals of up to 6 places), any other from String(v). Needs 24 bytes of the row's room.
   */
  number(v: number): void {
    const o = writeNumber(this.buf, this.o, v);
    if (o >= 0) this.o = o;
    else this.ascii(String(v));
  }
}

/**
 * The bytes of a page whose rows are all byte rows: `before`, `[`, the rows separated by `,`, `]`, `after`
 * (envelope() of raw-rows.ts: the body's JSON text around its `value`); undefined when a row is not a byte row
 * or the envelope is not ASCII (the caller writes the page from the rows' text then).
 */
export function byteRowsPage(rows: unknown, envelope: () => [string, string]): Buffer | undefined {
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  let n = 1;
  for (const r of rows) {
    if (!isByteRow(r)) return undefined;
    n += r[END] - r[AT] + 1;
  }
  const [before, after] = envelope();
  if (!isAscii(before) || !isAscii(after)) return undefined;
  const inPlace = inPlacePage(rows as ByteRow[], before, after);
  if (inPlace) return inPlace;
  const out = Buffer.allocUnsafe(before.length + n + after.length) as Latin1;
  let o = out.latin1Write(before, 0, before.length);
  out[o++] = 0x5b;
  for (let i = 0; i < rows.length;) {
    const r = rows[i] as ByteRow;
    const buf = r[BUF];
    let end = r[END];
    let j = i + 1;
    // rows written one after the other into one buffer are copied as one run (their commas are in it)
    for (; j < rows.length; j++) {
      const s = rows[j] as ByteRow;
      if (s[BUF] !== buf || s[AT] !== end + 1) break;
      end = s[END];
    }
    if (i > 0) out[o++] = 0x2c;
    o += buf.copy(out, o, r[AT], end);
    i = j;
  }
  out[o++] = 0x5d;
  o += out.latin1Write(after, o, after.length);
  return out.subarray(0, o);
}

/**
 * A page whose rows are one run of one buffer, written around that run in its buffer: the head into the bytes
 * before the first row (a sink's headroom), `]` and the tail over what follows the last row (rows past the page,
 * which are not sent, or free space). Undefined when the rows are not one run or the room is short.
 * So the rows of a page are written into a page once (the service does: one page per read of rows).
 */
function inPlacePage(rows: ByteRow[], before: string, after: string): Buffer | undefined {
  const first = rows[0]!;
  const buf = first[BUF] as Latin1;
  let end = first[END];
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i]!;
    if (r[BUF] !== buf || r[AT] !== end + 1) return undefined;
    end = r[END];
  }
  const start = first[AT] - before.length - 1;
  if (start < 0 || end + 1 + after.length > buf.length) return undefined;
  buf.latin1Write(before, start, before.length);
  buf[first[AT] - 1] = 0x5b;
  buf[end] = 0x5d;
  buf.latin1Write(after, end + 1, after.length);
  return buf.subarray(start, end + 1 + after.length);
}
