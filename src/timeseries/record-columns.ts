/**
 * Records of a time series PUT body in columns (issue 17), as the column reader (record-reader.ts) leaves them: per
 * run of records with the same keys in the same order (a segment), a column of numbers in one Float64Array per
 * body, or an array of the values where a column holds anything else, and the records' times beside them. The
 * check (records.ts checkColumns) takes them as they are, and the writer thread's wire (worker-wire.ts) posts the
 * body's buffer as it is (transferred), so a record is never an object on the main thread. `plainValue` gives
 * what JSON.parse gives of the body, for the general path.
 */

/** A run of records with the same keys in the same order. */
export interface ColumnSegment {
  readonly n: number;
  readonly keys: readonly string[];
  /** Per key: where its column of numbers starts in the body's `data`, or -1 (then `vals` holds the column). */
  readonly at: readonly number[];
  readonly vals: readonly (unknown[] | undefined)[];
  /** Where the records' times are (n slots of `data`): the column before the numbers. */
  readonly timeAt: number;
  /**
   * Whether the reader put them there: every `_time` is a string of the canonical form, and these are their
   * instants (parseInstant's); otherwise the check reads the `_time` strings and writes them.
   */
  readonly timed: boolean;
  /** When timed: where each `_time` string starts in the body (its `vals` entry is undefined; columnValues makes it). */
  readonly timePos?: Int32Array;
}

/** The records of one array of a body, by segment; `data` is the body's, shared by all of its arrays. */
export class RecordColumns {
  constructor(readonly length: number, readonly segs: readonly ColumnSegment[], readonly data: Float64Array,
    private body: Buffer | undefined) {}

  /** The body's bytes (the timed `_time` strings are made from them). */
  get bytes(): Buffer {
    if (!this.body) throw new Error('the body of these record columns was released');
    return this.body;
  }

  /**
   * Lets the body's bytes go once the records are checked (records.ts columnWrite): kept, the ~170 KB buffer of a
   * 1,000-record body outlives young-generation collections while the write is on the thread, and such external
   * memory makes V8 run full collections.
   */
  release(): void {
    this.body = undefined;
  }
}

/** The values of a column that is not all numbers (key j of the segment), the `_time` strings of a timed one made. */
export function columnValues(c: RecordColumns, s: ColumnSegment, j: number): unknown[] {
  const col = s.vals[j];
  if (col) return col;
  const pos = s.timePos!;
  return Array.from(pos, (q) => latin1(c.bytes, q, q + 24));
}

/** The records as JSON.parse gives them (fresh objects: the general check normalises them in place). */
export function plainRecords(c: RecordColumns): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const { data } = c;
  let base = 0;
  for (const s of c.segs) {
    for (let i = 0; i < s.n; i++) {
      const rec: Record<string, unknown> = {};
      out.push(rec);
    }
    for (let j = 0; j < s.keys.length; j++) {
      const k = s.keys[j]!;
      const a = s.at[j]!;
      const col = a >= 0 ? undefined : columnValues(c, s, j);
      for (let i = 0; i < s.n; i++) out[base + i]![k] = col ? col[i] : data[a + i];
    }
    base += s.n;
  }
  return out;
}

/** A value of the reader with every RecordColumns made plain again: what JSON.parse gives of the text. */
export function plainValue(v: unknown): unknown {
  if (v instanceof RecordColumns) return plainRecords(v);
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = plainValue((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** The bytes [a, e) as a string of as many characters (ASCII here: the reader takes no other byte in a string). */
export const latin1 = (b: Buffer, a: number, e: number): string => (b as unknown as { latin1Slice(a: number, e: number): string }).latin1Slice(a, e);
