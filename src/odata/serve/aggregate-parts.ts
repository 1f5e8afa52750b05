/**
 * The rows of one aggregate page (aggregate-page.ts) as runs of bytes where they already are: a row block's bytes
 * (aggregate-blocks.ts) are not copied into the page but referred to, and the page is sent as views of them
 * (WrittenRows.parts, sent by the route as one corked write). Issue 14: a 2000-row aggregate page is ~570 KB; copied
 * into a buffer allocated per page, the first touch of its memory (page faults, ~140 of 4 KB) cost the server
 * 150–400 µs per page, more than the copy itself. The blocks one read gives bytes share one buffer in page order, so
 * on repeated reads the page is one run: `[`, the run, `]`.
 *
 * Invariant: the runs, one after the other, are the rows' bytes in page order, each row followed by its `,`;
 * runs are appended only (a run's bytes never change once referred to: block bytes are immutable, rows written
 * here go to a buffer of this page that is only appended to). Rows written here (not from a block) go into one
 * buffer allocated when the first such row is written.
 */

const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');
/** Past this many runs a page's rows are copied into one buffer (each part is a write call of the route). */
const MAX_RUNS = 64;

/** The rows of one page: row k ends at `ends[k]` (its `,`) of run `runOf[k]`; its variable and type in subs[k]. */
export class PageRows {
  /** The buffer rows written here go to (allocated by room()), and the next free offset in it. */
  buf: Buffer | undefined;
  o = 0;
  /** The runs: bytes [runA[i], runB[i]) of the ArrayBuffer runAb[i]. */
  private readonly runAb: ArrayBufferLike[] = [];
  private readonly runA: number[] = [];
  private readonly runB: number[] = [];
  /** Per row its run and the offset of its `,` in that run's ArrayBuffer. */
  readonly runOf: number[] = [];
  readonly ends: number[] = [];
  /** vi * 16 + ti (a lane has at most 10 types). */
  readonly subs: number[] = [];
  /** The interval of each row, an index into `times`. */
  readonly ivs: number[] = [];
  readonly times: string[] = [];

  /** `size`: the bytes of every row at its longest (what buf is allocated with). */
  constructor(private readonly size: number) {}

  get rows(): number { return this.ends.length; }

  /** Room in buf for n more bytes (a larger buffer holds the rows at the same offsets; runs keep the old one). */
  room(n: number): void {
    const b = this.buf;
    if (b !== undefined && this.o + n <= b.length) return;
    const grown = Buffer.allocUnsafe(Math.max(b === undefined ? this.size : b.length * 2, this.o + n));
    if (b !== undefined) b.copy(grown, 0, 0, this.o);
    this.buf = grown;
  }

  /** Ends a row written into buf: its `,` at `comma`, written by the caller; the next row starts after it. */
  endRow(comma: number, sub: number, iv: number): void {
    const b = this.buf!;
    this.extend(b.buffer, b.byteOffset + this.o, b.byteOffset + comma + 1);
    this.ends.push(b.byteOffset + comma);
    this.runOf.push(this.runAb.length - 1);
    this.subs.push(sub);
    this.ivs.push(iv);
    this.o = comma + 1;
  }

  /** Appends a block's rows as they are (`bytes`: rows each followed by its `,`; row i ends at offs[i + 1] - 1). */
  block(bytes: Buffer, offs: readonly number[], types: readonly number[], base: number, iv: number): void {
    const at = bytes.byteOffset;
    this.extend(bytes.buffer, at, at + bytes.length);
    const run = this.runAb.length - 1;
    for (let i = 0; i < types.length; i++) {
      this.ends.push(at + offs[i + 1]! - 1);
      this.runOf.push(run);
      this.subs.push(base + types[i]!);
      this.ivs.push(iv);
    }
  }

  /** The bytes [a, b) of an ArrayBuffer after the last run: the last run grows when they follow it. */
  private extend(ab: ArrayBufferLike, a: number, b: number): void {
    const last = this.runAb.length - 1;
    if (last >= 0 && this.runAb[last] === ab && this.runB[last] === a) {
      this.runB[last] = b;
      return;
    }
    this.runAb.push(ab);
    this.runA.push(a);
    this.runB.push(b);
  }

  /** The bytes of rows first..first+n-1, which follow one another in one run (written here), copied into `to` at `o`. */
  copyRows(first: number, n: number, to: Buffer, o: number): number {
    const run = this.runOf[first]!;
    const a = first === 0 || this.runOf[first - 1] !== run ? this.runA[run]! : this.ends[first - 1]! + 1;
    const b = this.ends[first + n - 1]! + 1;
    to.set(new Uint8Array(this.runAb[run]!, a, b - a), o);
    return b - a;
  }

  /** Where row k starts in its run's ArrayBuffer. */
  startOf(k: number): number {
    const run = this.runOf[k]!;
    return k === 0 || this.runOf[k - 1] !== run ? this.runA[run]! : this.ends[k - 1]! + 1;
  }

  /** The JSON array of the first `count` rows (count >= 1) as buffers to send one after the other. */
  parts(count: number): Buffer[] {
    const lastRun = this.runOf[count - 1]!;
    const views: Buffer[] = [];
    for (let r = 0; r <= lastRun; r++) {
      // the last row's `,` is left out: `]` follows it
      const b = r === lastRun ? this.ends[count - 1]! : this.runB[r]!;
      views.push(Buffer.from(this.runAb[r]! as ArrayBuffer, this.runA[r]!, b - this.runA[r]!));
    }
    return views.length > MAX_RUNS ? [OPEN, Buffer.concat(views), CLOSE] : [OPEN, ...views, CLOSE];
  }
}
