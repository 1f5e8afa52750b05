/**
 * Text of stored records for the chunk codec's read path (chunkText and chunkJson in chunk-codec.ts):
 * `{"_time":…,"k":v…}` written as bytes into one buffer, then cut into one string per record or copied out as the
 * bytes of a JSON array's items (chunk-json.ts), byte-identical to recordJson() and
 * validateRecords() in src/timeseries/records.ts (`new Date(t).toISOString()`, numbers as String(v), strings,
 * booleans and nested values as JSON.stringify(v), null values left out). Fixed decimals are written from their
 * scaled integers, digit by digit, which is several times cheaper than String() of a double.
 */
import type { ChunkJson } from './chunk-json.js';
import { FRAC_L, FRAC_W, FULL_W, LEAD_L, LEAD_W, writeDecimal, writeDecimalWords } from '../../core/number-bytes.js';
import { type Column, Kind } from './chunk-codec-columns.js';

const DAY = 86_400_000;

/** JSON text of a number as recordJson() writes it (String(v); non-finite numbers are null in JSON). */
export const numberText = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');

/**
 * String(m / 10^k) for an integer |m| <= 2^50 and k in 0..6, built from the digits of m. Exact because a decimal
 * of at most 15 significant digits is the shortest text of the double nearest to it (doubles tell 15-digit
 * decimals apart), and |v| lies in [1e-6, 1e21) where String() writes fixed notation; longer m use String().
 */
export function decimalText(m: number, k: number, p: number): string {
  const b = Buffer.allocUnsafe(24);
  const end = writeDecimal(b, 0, m, k, p);
  return b.toString('latin1', 0, end);
}

/** A piece of text as UTF-8 bytes, and how many more bytes than UTF-16 units it has (0 for ASCII). */
interface Piece { bytes: Buffer; extra: number; words: Uint32Array }
const piece = (s: string): Piece => {
  const bytes = Buffer.from(s, 'utf8');
  // Also as little-endian 32-bit words (zero-padded), written 4 bytes a store; up to 3 bytes past the end are
  // scribbled, which the room ensured per record allows for and the next write overwrites.
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const dv = new DataView(padded.buffer);
  const words = new Uint32Array(padded.length / 4);
  for (let i = 0; i < words.length; i++) words[i] = dv.getUint32(4 * i, true);
  return { bytes, extra: bytes.length - s.length, words };
};
const NO_INTS = new Float64Array(0);
const TRUE = piece('true');
const FALSE = piece('false');
/** Longest String() of a double: "-1.7976931348623157e+308" and the like. */
const NUMBER_ROOM = 25;

/** The decoded parts of a chunk that text is made from. */
export interface TextSource {
  times: Float64Array;
  keys: string[];
  patterns: number[][];
  /** (pattern, run length) pairs. */
  runs: number[];
  cols: Column[];
}

/** The text buffer, kept from call to call (renderRecords is synchronous and copies its text out), up to 16 MB. */
let scratch: Buffer = Buffer.allocUnsafeSlow(1 << 16);
const SCRATCH_MAX = 1 << 24;

/** `b`, or a copy of its first `w` bytes with room for `n` more. */
function grown(b: Buffer, w: number, n: number): Buffer {
  if (w + n <= b.length) return b;
  const next = Buffer.allocUnsafeSlow(Math.max(b.length * 2, w + n));
  b.copy(next, 0, 0, w);
  return next;
}

/** Writes two pieces at `w`, keeping `room` bytes free after them; returns the (maybe new) buffer. */
function put(b: Buffer, w: number, x: Piece, y: Piece, room: number): Buffer {
  b = grown(b, w, x.bytes.length + y.bytes.length + room);
  x.bytes.copy(b, w);
  y.bytes.copy(b, w + x.bytes.length);
  return b;
}

/** Texts of records s..e-1 (ascending), one string each. */
export function renderRecords(src: TextSource, s: number, e: number): string[] {
  const { b, w, starts, extra } = render(src, s, e);
  const n = e - s;
  // One decode (without the last comma), then slices of it (cheap: V8 keeps them as views of the one string).
  const all = b.toString(extra === 0 ? 'latin1' : 'utf8', 0, w - 1);
  const out: string[] = new Array(n);
  for (let r = 0; r < n; r++) out[r] = all.slice(starts[r], starts[r + 1]! - 1);
  return out;
}

/** Records s..e-1 (ascending) as the bytes of JSON array items, comma-separated, with their offsets and times. */
export function renderJson(src: TextSource, s: number, e: number): ChunkJson {
  const { b, w, offs, extra } = render(src, s, e);
  const bytes = Buffer.allocUnsafe(Math.max(0, w - 1));
  b.copy(bytes, 0, 0, bytes.length);
  return { bytes, offs, times: src.times.slice(s, e), ascii: extra === 0 };
}

interface Rendered {
  /** The scratch buffer: records s..e-1, each followed by a comma, in bytes 0..w-1. */
  b: Buffer;
  w: number;
  /** Where each record starts (and, at n, the end of the last one's comma): in bytes, and in UTF-16 units. */
  offs: Int32Array;
  starts: Int32Array;
  /** UTF-8 bytes beyond UTF-16 units in the whole text (0: ASCII). */
  extra: number;
}

/** Prefixes `,"key":` of up to this many bytes are written as three unconditional 32-bit stores. */
const SHORT_PREFIX = 12;

/**
 * Renders records s..e-1 (ascending). All text goes into one byte buffer, written through locals (`b`, `w`) with
 * room for a whole record of numbers ensured once per record; strings and nested values, of unbounded length,
 * ensure their own room. Offsets are kept in bytes and in UTF-16 units (bytes minus `extra`), the latter for the
 * slices of the decoded text. The buffer is the module's scratch: use it before the next call.
 * Per value the loop reads flat per-column arrays (kind, prefix words and length, scaled integers), and a record's
 * UTF-8 excess of the prefixes that are always written is added once per record (`patExtra`).
 */
function render(src: TextSource, s: number, e: number): Rendered {
  const { times, keys, patterns, runs, cols } = src;
  const nk = keys.length;
  const prefix = keys.map((k) => (k === '_time' ? undefined : piece(`,${JSON.stringify(k)}:`)));
  const dicts = cols.map((c) => (c.kind === Kind.STRING ? new Array<Piece | undefined>(c.dict!.length) : undefined));
  // Per column: kind (-1: not written, the `_time` key), prefix length and first three words, scale, integers.
  const kinds = new Int32Array(nk);
  const preLen = new Int32Array(nk);
  const preW = new Uint32Array(3 * nk);
  const scale = new Int32Array(nk);
  const ints: Float64Array[] = new Array(nk);
  for (let c = 0; c < nk; c++) {
    const pre = prefix[c];
    const col = cols[c]!;
    kinds[c] = pre === undefined ? -1 : col.kind;
    preLen[c] = pre?.bytes.length ?? 0;
    for (let x = 0; x < 3; x++) preW[3 * c + x] = pre?.words[x] ?? 0;
    scale[c] = col.k ?? 0;
    ints[c] = col.ints ?? NO_INTS;
  }
  // Room a record of each pattern needs, beyond its strings and nested values; UTF-8 excess of its fixed prefixes.
  const room = patterns.map((p) => p.reduce((sum, c) => sum + preLen[c]! + 3 + NUMBER_ROOM, 32));
  const patExtra = patterns.map((p) => p.reduce((sum, c) => {
    const k = kinds[c]!;
    return sum + (k === Kind.DECIMAL || k === Kind.GORILLA || k === Kind.F64 || k === Kind.BOOL ? prefix[c]!.extra : 0);
  }, 0));
  const cursor = new Int32Array(nk);
  const starts = new Int32Array(e - s + 1);
  const offs = new Int32Array(e - s + 1);
  let b: Buffer = grown(scratch, 0, (e - s) * ((room[0] ?? 0) + 16));
  let w = 0;
  let extra = 0;
  let day = NaN;
  let dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let dayHead = piece('');
  let i = 0;
  for (let q = 0; q < runs.length && i < e; q += 2) {
    const pid = runs[q]!;
    const p = patterns[pid]!;
    const plen = p.length;
    const runEnd = i + runs[q + 1]!;
    if (runEnd <= s) {
      for (const c of p) cursor[c]! += runEnd - i; // records before the range: only move the cursors
      i = runEnd;
      continue;
    }
    if (i < s) {
      for (const c of p) cursor[c]! += s - i;
      i = s;
    }
    const need = room[pid]!;
    const recExtra = patExtra[pid]!;
    for (const stop = Math.min(runEnd, e); i < stop; i++) {
      starts[i - s] = w - extra;
      offs[i - s] = w;
      extra += recExtra;
      const t = times[i]!;
      const d = Math.floor(t / DAY);
      if (d !== day) {
        // `{"_time":"YYYY-MM-DDT` of this day (years beyond 9999 have a longer head).
        const iso = new Date(d * DAY).toISOString();
        dayHead = piece(`{"_time":"${iso.slice(0, iso.length - 13)}`);
        day = d;
      }
      const head = dayHead.words;
      if (w + need + 4 * head.length > b.length) {
        b = grown(b, w, need + 4 * head.length);
        dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      }
      for (let x = 0; x < head.length; x++) dv.setUint32(w + 4 * x, head[x]!, true);
      w += dayHead.bytes.length;
      // int32 arithmetic from here (ms of the day < 2^27).
      let ms = (t - d * DAY) | 0;
      const hh = (ms / 3_600_000) | 0;
      ms -= hh * 3_600_000;
      const mm = (ms / 60_000) | 0;
      ms -= mm * 60_000;
      const ss = (ms / 1000) | 0;
      ms -= ss * 1000;
      const h10 = (hh / 10) | 0;
      const m10 = (mm / 10) | 0;
      const s10 = (ss / 10) | 0;
      const ms100 = (ms / 100) | 0;
      const ms10 = ((ms - ms100 * 100) / 10) | 0;
      b[w] = 48 + h10; b[w + 1] = 48 + hh - h10 * 10; b[w + 2] = 58;
      b[w + 3] = 48 + m10; b[w + 4] = 48 + mm - m10 * 10; b[w + 5] = 58;
      b[w + 6] = 48 + s10; b[w + 7] = 48 + ss - s10 * 10; b[w + 8] = 46;
      b[w + 9] = 48 + ms100; b[w + 10] = 48 + ms10; b[w + 11] = 48 + ms - ms100 * 100 - ms10 * 10;
      b[w + 12] = 90; b[w + 13] = 34;
      w += 14;
      for (let j = 0; j < plen; j++) {
        const c = p[j]!;
        const at = cursor[c]!++;
        const kind = kinds[c]!;
        if (kind === Kind.STRING) {
          const pre = prefix[c]!;
          const col = cols[c]!;
          const x = col.idx![at]!;
          const v = dicts[c]![x] ?? (dicts[c]![x] = piece(JSON.stringify(col.dict![x])));
          const nb = put(b, w, pre, v, need);
          // A new buffer may come from the same pool ArrayBuffer as the old one: compare buffers, not ArrayBuffers.
          if (nb !== b) { b = nb; dv = new DataView(b.buffer, b.byteOffset, b.byteLength); }
          w += pre.bytes.length + v.bytes.length;
          extra += pre.extra + v.extra;
          continue;
        }
        if (kind === Kind.ANY) {
          const v = cols[c]!.vals![at];
          if (v === null || v === undefined) continue;
          const pre = prefix[c]!;
          const x = piece(JSON.stringify(v));
          const nb = put(b, w, pre, x, need);
          if (nb !== b) { b = nb; dv = new DataView(b.buffer, b.byteOffset, b.byteLength); }
          w += pre.bytes.length + x.bytes.length;
          extra += pre.extra + x.extra;
          continue;
        }
        if (kind < 0) continue;
        // DECIMAL, GORILLA, F64, BOOL: the prefix, then the value, within the record's room.
        const len = preLen[c]!;
        if (len <= SHORT_PREFIX) {
          dv.setUint32(w, preW[3 * c]!, true);
          dv.setUint32(w + 4, preW[3 * c + 1]!, true);
          dv.setUint32(w + 8, preW[3 * c + 2]!, true);
        } else {
          const pw = prefix[c]!.words;
          for (let x = 0; x < pw.length; x++) dv.setUint32(w + 4 * x, pw[x]!, true);
        }
        w += len;
        if (kind === Kind.DECIMAL) {
          const m = ints[c]![at]!;
          const k = scale[c]!;
          const a = m < 0 ? -m : m;
          if (a < 1_000_000 && k <= 3) {
            // writeDecimalWords' case of up to six digits, inline: at most two groups of three, then the fraction.
            if (m < 0) b[w++] = 45;
            const x = a | 0;
            // Constant divisors (a multiply each, where a division by a variable is many cycles).
            const ip = k === 3 ? (x / 1000) | 0 : k === 2 ? (x / 100) | 0 : k === 1 ? (x / 10) | 0 : x;
            const f = k === 3 ? x - ip * 1000 : k === 2 ? (x - ip * 100) * 10 : k === 1 ? (x - ip * 10) * 100 : 0;
            if (ip < 1000) {
              dv.setUint32(w, LEAD_W[ip]!, true);
              w += LEAD_L[ip]!;
            } else {
              const hi = (ip / 1000) | 0;
              dv.setUint32(w, LEAD_W[hi]!, true);
              w += LEAD_L[hi]!;
              dv.setUint32(w, FULL_W[ip - hi * 1000]!, true);
              w += 3;
            }
            dv.setUint32(w, FRAC_W[f]!, true);
            w += FRAC_L[f]!;
          } else {
            w = writeDecimalWords(b, dv, w, m, k);
          }
        } else if (kind === Kind.BOOL) {
          const v = cols[c]!.vals![at] ? TRUE.bytes : FALSE.bytes;
          for (let x = 0; x < v.length; x++) b[w++] = v[x]!;
        } else {
          w += b.write(numberText(cols[c]!.nums![at]!), w, 'latin1');
        }
      }
      b[w++] = 125;
      b[w++] = 44;
    }
  }
  const n = e - s;
  starts[n] = w - extra;
  offs[n] = w;
  if (b.length <= SCRATCH_MAX) scratch = b;
  return { b, w, offs, starts, extra };
}
