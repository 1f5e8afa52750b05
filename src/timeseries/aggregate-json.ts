/**
 * The aggregate answer as bytes (issue 17, daily aggregate of 10 variables): the intervals of compute() in
 * aggregates.ts written straight into one buffer, byte-identical to JSON.stringify of the objects renderAgg()
 * builds (same keys in the same order, numbers as String(v), non-finite ones null, undefined values left out,
 * instants as Date#toISOString prints them). Per 90-day answer of 10 variables this replaces 900 objects, their
 * 3,600 ISO strings, JSON.stringify and the string's encoding; numbers that are integers are written digit by
 * digit, decimals of up to 6 places from their scaled integers (writeNumber of src/core/number-bytes.ts, exact for
 * up to 15 digits), other doubles through String() (what JSON.stringify prints).
 */
import { iso } from '../core/instant.js';
import { PAIRS, writeNumber } from '../core/number-bytes.js';
import type { AggMap } from './rollup.js';
import { P10 } from './store/chunk-codec-columns.js';


const CG = 0, CU = 1, CB = 2, N = 3, SUM = 4, MEAN = 5, M2 = 6, MIN = 7, MINT = 8, MAX = 9, MAXT = 10,
  FIRST = 11, FIRSTT = 12, LAST = 13, LASTT = 14;
const DAY = 86_400_000;
/** 9999-12-31T23:59:59.999Z: up to here an instant's text is `YYYY-MM-DDThh:mm:ss.mmmZ`. */
const ISO_FAST_MAX = 253_402_300_799_999;

const pair = (b: Buffer, w: number, x: number): void => {
  b[w] = PAIRS[2 * x]!;
  b[w + 1] = PAIRS[2 * x + 1]!;
};

/** One interval of an answer: its bounds and the merged partial aggregates of its roll-ups. */
export interface IntervalAggs { lo: number; hi: number; acc: AggMap }

/** A variable as the answer lists it: name, whether numeric, and the fields asked for (undefined: all). */
export interface AnswerVariable { name: string; numeric: boolean; fields: ReadonlySet<string> | undefined }

const bytesOf = (s: string) => Buffer.from(s, 'utf8');
const K = {
  countgood: bytesOf('"countgood":'), countuncertain: bytesOf('"countuncertain":'), countbad: bytesOf('"countbad":'),
  firstvalue: bytesOf('"firstvalue":'), firsttime: bytesOf('"firsttime":"'), lastvalue: bytesOf('"lastvalue":'),
  lasttime: bytesOf('"lasttime":"'), sum: bytesOf('"sum":'), average: bytesOf('"average":'), minvalue: bytesOf('"minvalue":'),
  mintime: bytesOf('"mintime":"'), maxvalue: bytesOf('"maxvalue":'), maxtime: bytesOf('"maxtime":"'), sd: bytesOf('"sd":'),
  start: bytesOf('{"starttime":"'), end: bytesOf('","endtime":"'),
};
type Field = keyof typeof K;

/** The buffer answers are written into, kept from call to call (writeIntervals copies its answer out), up to 16 MB. */
let scratch: Buffer = Buffer.allocUnsafeSlow(1 << 16);
const SCRATCH_MAX = 1 << 24;

/** A growing byte buffer written through `b` and `w` (the scratch buffer, or a bigger copy of it). */
class Out {
  b = scratch;
  w = 0;

  /** No field written yet in the object being written. */
  private fresh = false;

  open(): void {
    this.fresh = true;
  }

  /** Starts field f (its `,` or `{`, its key) unless `fields` leaves it out; whether it did. */
  key(f: Field, fields: ReadonlySet<string> | undefined): boolean {
    if (fields && !fields.has(f)) return false;
    this.byte(this.fresh ? 123 : 44);
    this.fresh = false;
    this.bytes(K[f]);
    return true;
  }

  close(): void {
    if (this.fresh) this.byte(123);
    this.byte(125);
  }

  /** An instant's text and its closing quote (the key wrote the opening one). */
  time(t: number): void {
    this.instant(t);
    this.byte(34);
  }

  room(n: number): void {
    if (this.w + n <= this.b.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.b.length * 2, this.w + n));
    this.b.copy(next, 0, 0, this.w);
    this.b = next;
  }

  byte(x: number): void {
    this.room(1);
    this.b[this.w++] = x;
  }

  /** A short piece (a key), a byte at a time: cheaper than a copy call at these lengths. */
  bytes(x: Buffer): void {
    this.room(x.length);
    const b = this.b;
    let w = this.w;
    for (let i = 0; i < x.length; i++) b[w++] = x[i]!;
    this.w = w;
  }

  text(s: string): void {
    this.room(s.length * 3);
    this.w += this.b.write(s, this.w, 'utf8');
  }

  /** An ASCII string (a number's text), a byte a character. */
  ascii(s: string): void {
    this.room(s.length);
    const b = this.b;
    let w = this.w;
    for (let i = 0; i < s.length; i++) b[w++] = s.charCodeAt(i);
    this.w = w;
  }

  /** JSON text of a number: String(v), null when not finite. */
  num(v: number): void {
    this.room(24);
    const end = writeNumber(this.b, this.w, v);
    if (end >= 0) this.w = end;
    else this.ascii(Number.isFinite(v) ? String(v) : 'null');
  }

  /** A value as JSON.stringify writes it (the caller leaves undefined ones out). */
  value(v: unknown): void {
    if (typeof v === 'number') this.num(v);
    else this.text(JSON.stringify(v));
  }

  /** Date#toISOString of t (without quotes), its date from the day number (civil-from-days), digit by digit. */
  instant(t: number): void {
    if (!(t >= 0 && t <= ISO_FAST_MAX && Number.isInteger(t))) { this.text(iso(t)); return; }
    const d = Math.floor(t / DAY);
    this.room(24);
    // Days since 1970-01-01 to year, month, day (H. Hinnant's civil_from_days; years 1970..9999 here).
    const z = d + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const ofDay = t - d * DAY;
    const secs = (ofDay / 1000) | 0;
    const mins = (secs / 60) | 0;
    const hh = (mins / 60) | 0;
    const mm = mins - hh * 60;
    const ss = secs - mins * 60;
    const ms = ofDay - secs * 1000;
    const y100 = (year / 100) | 0;
    const ms100 = (ms / 100) | 0;
    const b = this.b;
    const w = this.w;
    // YYYY-MM-DDThh:mm:ss.mmmZ, two digits a table look-up
    pair(b, w, y100); pair(b, w + 2, year - y100 * 100); b[w + 4] = 45; pair(b, w + 5, month); b[w + 7] = 45;
    pair(b, w + 8, day); b[w + 10] = 84; pair(b, w + 11, hh); b[w + 13] = 58; pair(b, w + 14, mm); b[w + 16] = 58;
    pair(b, w + 17, ss); b[w + 19] = 46; b[w + 20] = 48 + ms100; pair(b, w + 21, ms - ms100 * 100); b[w + 23] = 90;
    this.w = w + 24;
  }
}

/**
 * Writes one variable's aggregate as renderAgg() and the selection's field filter make it, then JSON.stringify:
 * only the fields asked for, in renderAgg's order, a field whose value is undefined left out.
 */
function writeAgg(o: Out, a: readonly unknown[], numeric: boolean, fields: ReadonlySet<string> | undefined): void {
  o.open();
  if (o.key('countgood', fields)) o.num(a[CG] as number);
  if (o.key('countuncertain', fields)) o.num(a[CU] as number);
  if (o.key('countbad', fields)) o.num(a[CB] as number);
  if (a[FIRST] !== undefined && o.key('firstvalue', fields)) o.value(a[FIRST]);
  if (o.key('firsttime', fields)) o.time(a[FIRSTT] as number);
  if (a[LAST] !== undefined && o.key('lastvalue', fields)) o.value(a[LAST]);
  if (o.key('lasttime', fields)) o.time(a[LASTT] as number);
  const n = a[N] as number;
  if (numeric && n > 0) {
    if (o.key('sum', fields)) o.num(a[SUM] as number);
    if (o.key('average', fields)) o.num(a[MEAN] as number);
    if (o.key('minvalue', fields)) o.num(a[MIN] as number);
    if (o.key('mintime', fields)) o.time(a[MINT] as number);
    if (o.key('maxvalue', fields)) o.num(a[MAX] as number);
    if (o.key('maxtime', fields)) o.time(a[MAXT] as number);
    if (o.key('sd', fields)) {
      const sd = Math.sqrt(Math.max(0, (a[M2] as number) / n));
      o.num(Number.isFinite(sd) ? sd : NaN);
    }
  }
  o.close();
}

/**
 * The intervals as JSON text of the answer's array (`[{"starttime":…,"endtime":…,"<var>":{…}},…]`), inside
 * `open` and `close` (v4: `{"aggregates":` and `}`).
 */
export function writeIntervals(intervals: readonly IntervalAggs[], variables: readonly AnswerVariable[],
  open = '', close = ''): Buffer {
  const o = new Out();
  const names = variables.map((v) => bytesOf(`,${JSON.stringify(v.name)}:`));
  o.text(open);
  o.byte(91);
  for (let i = 0; i < intervals.length; i++) {
    const { lo, hi, acc } = intervals[i]!;
    if (i > 0) o.byte(44);
    o.bytes(K.start);
    o.instant(lo);
    o.bytes(K.end);
    o.instant(hi);
    o.byte(34);
    for (let j = 0; j < variables.length; j++) {
      const v = variables[j]!;
      const a = acc[v.name];
      if (!a) continue;
      o.bytes(names[j]!);
      writeAgg(o, a, v.numeric, v.fields);
    }
    o.byte(125);
  }
  o.byte(93);
  o.text(close);
  if (o.b.length <= SCRATCH_MAX) scratch = o.b;
  return Buffer.from(o.b.subarray(0, o.w));
}
