/**
 * The column reader of time series PUT bodies (issue 17; the form it gives: record-columns.ts): one pass over the
 * body's bytes, with no UTF-8 decode, no JSON.parse objects and no string per canonical `_time` (its instant is
 * read from the bytes). It is narrow on purpose: it takes only what JSON.parse takes the same way and gives
 * undefined ("not mine") for anything else, which then goes the general way (fastify's parser, validateRecords)
 * with every error as before. Taken: an array of flat objects whose members are ASCII strings without escapes or
 * control characters, numbers, true, false and null; for the multi-entity PUT the envelope
 * `{"timeseries":[{…,"data":[…]}]}` with scalar members beside. Not taken: escapes, other bytes above 0x7F,
 * duplicate keys, array-index and `__proto__` keys, empty records, nested values, other shapes. Invariant
 * (test/timeseries/record-columns.property.test.ts): where the reader gives a value, plainValue of it deep-equals
 * JSON.parse of the decoded bytes, key order and -0 included.
 */
import { parseInstant } from '../core/instant.js';
import { type ColumnSegment, latin1, RecordColumns } from './record-columns.js';

const QUOTE = 34; const COMMA = 44; const COLON = 58; const LBRACE = 123; const RBRACE = 125; const LBRACK = 91;
const RBRACK = 93; const MINUS = 45; const DOT = 46; const ZERO = 48; const NINE = 57; const BSLASH = 92;
const LOWER_E = 101; const UPPER_E = 69; const PLUS = 43;
/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Mantissas below this are exact, and so is one multiplication or division by an exact power of ten. */
const MANTISSA_MAX = 2 ** 53;

/** Not mine: the general parser decides. */
class NotMine extends Error {}
const NOT_MINE = new NotMine();

/** Scratch cells of the records of a body, row by row (reused between bodies). */
let cellNum = new Float64Array(1 << 14);
let cellKind = new Uint8Array(1 << 14);
/** The instant of a TIME cell (a string of the canonical form; cellNum holds where it starts). */
let cellTime = new Float64Array(1 << 14);
const NUM = 0; const OTHER = 1; const TIME = 2;

/** Keys JSON.parse does not keep in text order (array indices come first), or that an assignment would not own. */
const notPlain = (k: string): boolean => k === '__proto__' || (/^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1);

interface RawSeg { start: number; n: number; keys: string[]; cells: number }

class Reader {
  p = 0;
  /** Cells used in the scratch. */
  cells = 0;
  /** Non-number values of the cells, in cell order. */
  others: unknown[] = [];
  /** Every array of records read, with its segments, in text order (their columns are laid out at the end). */
  arrays: { segs: RawSeg[]; n: number; out?: RecordColumns }[] = [];
  /** The keys of the last segment read, and the last key list found plain and without duplicates. */
  keys: string[] = [];
  checked: string[] | undefined;
  constructor(readonly s: Buffer) {}

  ws(): number {
    const s = this.s;
    let c = s[this.p]!;
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s[++this.p]!;
    return c;
  }

  /** A string without escapes or control characters, at p (a quote). */
  str(): string {
    const s = this.s;
    const start = this.p + 1;
    let q = start;
    for (;;) {
      const c = s[q]!;
      if (c === QUOTE) break;
      // not ASCII (left to the UTF-8 decoder), an escape, a control character, the end
      if (c === BSLASH || !(c >= 0x20 && c < 0x80)) throw NOT_MINE;
      q++;
    }
    this.p = q + 1;
    return latin1(s, start, q);
  }

  /** A JSON number at p, as JSON.parse reads it. */
  num(): number {
    const v = readNumber(this.s, this.p);
    this.p = numberEnd;
    return v;
  }

  /** A scalar member value (string, number, true, false, null) at p. */
  scalar(c: number): unknown {
    const s = this.s;
    if (c === QUOTE) return this.str();
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.num();
    if (word(s, this.p, 'true')) { this.p += 4; return true; }
    if (word(s, this.p, 'false')) { this.p += 5; return false; }
    if (word(s, this.p, 'null')) { this.p += 4; return null; }
    throw NOT_MINE;
  }

  /**
   * An array of records at p (a `[`): RecordColumns, or [] for an empty one. The hot loop of the reader: position
   * and characters in locals, keys compared with the previous record's at
   * the same position.
   */
  records(): RecordColumns | never[] {
    const s = this.s;
    let p = this.p + 1;
    let c = s[p]!;
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s[++p]!;
    if (c === RBRACK) { this.p = p + 1; return []; }
    const segs: RawSeg[] = [];
    // the previous array's keys: the pairs of a multi-entity PUT mostly share them
    let keys = this.keys;
    let seg: RawSeg | undefined;
    let total = 0;
    let num = cellNum;
    let kind = cellKind;
    const others = this.others;
    let t: number;
    for (;;) {
      if (c !== LBRACE) throw NOT_MINE;
      c = s[++p]!;
      while (c === 32 || c === 10 || c === 13 || c === 9) c = s[++p]!;
      if (c === RBRACE) throw NOT_MINE;
      const base = this.cells;
      let j = 0;
      let own: string[] | undefined; // the record's keys once they leave the pattern
      for (;;) {
        if (c !== QUOTE) throw NOT_MINE;
        const k = own ? undefined : keys[j];
        if (k !== undefined && word(s, p + 1, k) && s[p + 1 + k.length] === QUOTE) {
          p += k.length + 2;
        } else {
          this.p = p;
          const key = this.str();
          p = this.p;
          own ??= keys.slice(0, j);
          own.push(key);
        }
        c = s[p]!;
        while (c === 32 || c === 10 || c === 13 || c === 9) c = s[++p]!;
        if (c !== COLON) throw NOT_MINE;
        c = s[++p]!;
        while (c === 32 || c === 10 || c === 13 || c === 9) c = s[++p]!;
        const cell = base + j;
        if (cell >= num.length) { grow(); num = cellNum; kind = cellKind; }
        if (c === MINUS || (c >= ZERO && c <= NINE)) {
          num[cell] = readNumber(s, p);
          p = numberEnd;
          c = s[p]!;
          kind[cell] = NUM;
        } else if (c === QUOTE && s[p + 25] === QUOTE && (t = canonicalTime(s, p + 1)) === t) {
          // a time of 24 characters (the canonical form): only digits and separators, so no escape; its instant kept,
          // its string made only if asked for (columnValues)
          num[cell] = p + 1;
          kind[cell] = TIME;
          cellTime[cell] = t;
          p += 26;
          c = s[p]!;
        } else {
          num[cell] = others.length;
          kind[cell] = OTHER;
          this.p = p;
          others.push(this.scalar(c));
          p = this.p;
          c = s[p]!;
        }
        j++;
        p = skipSpace(s, p);
        c = s[p]!;
        if (c === COMMA) { p = skipSpace(s, p + 1); c = s[p]!; continue; }
        if (c === RBRACE) { c = s[++p]!; break; }
        throw NOT_MINE;
      }
      this.cells = base + j;
      if (own || j !== keys.length || !seg) {
        const list = own ?? (j === keys.length ? keys : keys.slice(0, j));
        if (list !== this.checked) {
          if (new Set(list).size !== list.length || list.some(notPlain)) throw NOT_MINE;
          this.checked = list;
        }
        keys = list;
        seg = { start: base, n: 0, keys, cells: j };
        segs.push(seg);
      }
      seg.n++;
      total++;
      p = skipSpace(s, p);
      c = s[p]!;
      if (c === COMMA) { p = skipSpace(s, p + 1); c = s[p]!; continue; }
      if (c === RBRACK) { this.p = p + 1; break; }
      throw NOT_MINE;
    }
    this.keys = keys;
    const out = { segs, n: total } as { segs: RawSeg[]; n: number; out?: RecordColumns };
    this.arrays.push(out);
    // a placeholder, swapped for the laid-out columns after finish()
    return out as unknown as RecordColumns;
  }

  /** Lays the segments' columns out in one buffer, and gives each array of records its RecordColumns. */
  finish(): void {
    let size = 0;
    for (const a of this.arrays) {
      for (const g of a.segs) {
        size += g.n; // times
        for (let j = 0; j < g.cells; j++) if (allNumbers(g, j)) size += g.n;
      }
    }
    const data = new Float64Array(size);
    let p = 0;
    const others = this.others;
    for (const a of this.arrays) {
      const segs: ColumnSegment[] = [];
      for (const g of a.segs) {
        const { n, cells: m, start } = g;
        const timeAt = p;
        p += n;
        const at: number[] = [];
        const vals: (unknown[] | undefined)[] = [];
        let timePos: Int32Array | undefined;
        for (let j = 0; j < m; j++) {
          if (g.keys[j] === '_time' && allTimes(g, j)) {
            timePos = new Int32Array(n);
            for (let i = 0, c = start + j; i < n; i++, c += m) { data[timeAt + i] = cellTime[c]!; timePos[i] = cellNum[c]!; }
            at.push(-1);
            vals.push(undefined);
          } else if (allNumbers(g, j)) {
            at.push(p);
            for (let i = 0, c = start + j; i < n; i++, c += m) data[p++] = cellNum[c]!;
            vals.push(undefined);
          } else {
            const col = new Array<unknown>(n);
            for (let i = 0, c = start + j; i < n; i++, c += m) {
              const k = cellKind[c];
              col[i] = k === NUM ? cellNum[c] : k === OTHER ? others[cellNum[c]!] : latin1(this.s, cellNum[c]!, cellNum[c]! + 24);
            }
            at.push(-1);
            vals.push(col);
          }
        }
        segs.push(timePos ? { n, keys: g.keys, at, vals, timeAt, timed: true, timePos } : { n, keys: g.keys, at, vals, timeAt, timed: false });
      }
      a.out = new RecordColumns(a.n, segs, data, this.s);
    }
    this.others = [];
  }
}

/** The first position from p that is not JSON whitespace. */
function skipSpace(s: Buffer, p: number): number {
  let c = s[p];
  while (c === 32 || c === 10 || c === 13 || c === 9) c = s[++p];
  return p;
}

/** Where the last number readNumber read ends. */
let numberEnd = 0;

/** The JSON number at `start`, as JSON.parse reads it; where it ends goes to numberEnd. */
function readNumber(s: Buffer, start: number): number {
  let q = start;
  let c = s[q]!;
  const neg = c === MINUS;
  if (neg) c = s[++q]!;
  let m = 0;
  let exact = true;
  if (c === ZERO) c = s[++q]!;
  else if (c > ZERO && c <= NINE) {
    do { m = m * 10 + (c - ZERO); c = s[++q]!; } while (c >= ZERO && c <= NINE);
  } else throw NOT_MINE;
  let scale = 0;
  if (c === DOT) {
    c = s[++q]!;
    if (!(c >= ZERO && c <= NINE)) throw NOT_MINE;
    do { m = m * 10 + (c - ZERO); scale++; c = s[++q]!; } while (c >= ZERO && c <= NINE);
  }
  if (c === LOWER_E || c === UPPER_E) {
    exact = false;
    c = s[++q]!;
    if (c === PLUS || c === MINUS) c = s[++q]!;
    if (!(c >= ZERO && c <= NINE)) throw NOT_MINE;
    do c = s[++q]!; while (c >= ZERO && c <= NINE);
  }
  numberEnd = q;
  // m is exact while below 2^53 (every step of the sum was), and then so is m / 10^scale rounded once
  if (exact && m < MANTISSA_MAX && scale <= 22) {
    const v = scale === 0 ? m : m / POW10[scale]!;
    return neg ? -v : v;
  }
  return Number(latin1(s, start, q));
}

/** The number the n decimal digits at q write, or NaN. */
function digits(b: Buffer, q: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = b[q + i]! - ZERO;
    if (!(d >= 0 && d <= 9)) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/** The date (YYYYMMDD) of the last canonical time read, and its midnight (parseInstant's; NaN when not a date). */
let lastDay = -1;
let lastMidnight = NaN;

/**
 * The instant of the 24 characters at q when they are the canonical form `YYYY-MM-DDTHH:MM:SS.sssZ`, as
 * parseInstant reads it (its midnight of the date, plus the time of day in range), else NaN (the string's
 * general path decides).
 */
function canonicalTime(b: Buffer, q: number): number {
  if (b[q + 4] !== MINUS || b[q + 7] !== MINUS || b[q + 10] !== 84 || b[q + 13] !== COLON || b[q + 16] !== COLON
    || b[q + 19] !== DOT || b[q + 23] !== 90) return NaN;
  const hour = digits(b, q + 11, 2); const minute = digits(b, q + 14, 2); const second = digits(b, q + 17, 2);
  const ms = digits(b, q + 20, 3);
  if (!(hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) return NaN;
  const day = digits(b, q, 4) * 10_000 + digits(b, q + 5, 2) * 100 + digits(b, q + 8, 2);
  if (day !== lastDay) {
    if (day !== day) return NaN;
    const midnight = parseInstant(`${latin1(b, q, q + 10)}T00:00:00.000Z`);
    lastMidnight = typeof midnight === 'number' ? midnight : NaN;
    lastDay = day;
  }
  return lastMidnight + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

/** Whether the bytes at p are the characters of `w` (ASCII). */
function word(b: Buffer, p: number, w: string): boolean {
  for (let i = 0; i < w.length; i++) if (b[p + i] !== w.charCodeAt(i)) return false;
  return true;
}

function allTimes(g: RawSeg, j: number): boolean {
  for (let i = 0, c = g.start + j; i < g.n; i++, c += g.cells) if (cellKind[c] !== TIME) return false;
  return true;
}

function allNumbers(g: RawSeg, j: number): boolean {
  for (let i = 0, c = g.start + j; i < g.n; i++, c += g.cells) if (cellKind[c] !== NUM) return false;
  return true;
}

function grow(): void {
  const num = new Float64Array(cellNum.length * 2);
  num.set(cellNum);
  const kind = new Uint8Array(cellKind.length * 2);
  kind.set(cellKind);
  const time = new Float64Array(cellTime.length * 2);
  time.set(cellTime);
  cellNum = num;
  cellKind = kind;
  cellTime = time;
}

/** Swaps the placeholders the reader returned for the laid-out RecordColumns. */
function placed(v: unknown, r: Reader): unknown {
  const a = v as { out?: RecordColumns };
  return a && typeof a === 'object' && 'segs' in a && !(a instanceof RecordColumns) ? a.out : v;
}

/** The body of `PUT /timeseries/{entity}/{aspect}` (an array of records) in columns, or undefined: not mine. */
export function readRecordsBody(text: Buffer): RecordColumns | never[] | undefined {
  const r = new Reader(text);
  try {
    if (r.ws() !== LBRACK) return undefined;
    const v = r.records();
    r.ws();
    if (r.p !== text.length) return undefined;
    r.finish();
    return placed(v, r) as RecordColumns | never[];
  } catch (err) {
    if (err === NOT_MINE) return undefined;
    throw err;
  }
}

/**
 * An object of scalar members and, under `arrayKey`, an array (`item` reads it); duplicate and array-index keys
 * are not mine.
 */
function object(r: Reader, arrayKey: string, item: (r: Reader) => unknown): Record<string, unknown> {
  if (r.ws() !== LBRACE) throw NOT_MINE;
  r.p++;
  const out: Record<string, unknown> = {};
  let c = r.ws();
  if (c === RBRACE) { r.p++; return out; }
  for (;;) {
    if (c !== QUOTE) throw NOT_MINE;
    const key = r.str();
    if (Object.hasOwn(out, key) || notPlain(key)) throw NOT_MINE;
    if (r.ws() !== COLON) throw NOT_MINE;
    r.p++;
    c = r.ws();
    out[key] = key === arrayKey && c === LBRACK ? item(r) : r.scalar(c);
    c = r.ws();
    if (c === COMMA) { r.p++; c = r.ws(); continue; }
    if (c === RBRACE) { r.p++; return out; }
    throw NOT_MINE;
  }
}

/** The multi-entity PUT's envelope with each pair's `data` in columns, or undefined: not mine. */
export function readBatchBody(text: Buffer): Record<string, unknown> | undefined {
  const r = new Reader(text);
  try {
    const pairs: Record<string, unknown>[] = [];
    const body = object(r, 'timeseries', () => {
      r.p++;
      const list: Record<string, unknown>[] = [];
      let c = r.ws();
      if (c === RBRACK) { r.p++; return list; }
      for (;;) {
        const pair = object(r, 'data', () => r.records());
        list.push(pair);
        pairs.push(pair);
        c = r.ws();
        if (c === COMMA) { r.p++; continue; }
        if (c === RBRACK) { r.p++; return list; }
        throw NOT_MINE;
      }
    });
    r.ws();
    if (r.p !== text.length) return undefined;
    r.finish();
    for (const pair of pairs) if (Object.hasOwn(pair, 'data')) pair['data'] = placed(pair['data'], r);
    return body;
  } catch (err) {
    if (err === NOT_MINE) return undefined;
    throw err;
  }
}
