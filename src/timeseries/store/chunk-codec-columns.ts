/**
 * Column encodings of the time series chunk codec (chunk-codec.ts, issue 17 "Compressed storage"). A column holds
 * the values of one key in the records that carry it, in record order, and is stored in the smallest fitting kind:
 * - DECIMAL: every value is exactly m / 10^k for one k in 0..6 (bit-exact; -0 never qualifies), the integers m
 *   stored as an integer sequence (delta-of-delta when smaller) — fixed-decimal sensor data takes ~1 byte a value;
 * - GORILLA: XOR of consecutive float64 bit patterns with leading/trailing zero windows (Pelkonen et al., 2015);
 * - F64: raw little-endian float64, when XOR does not pay;
 * - STRING: a dictionary in order of first use, and the indices as an integer sequence;
 * - BOOL: a bitmap;
 * - ANY: a type-tagged value per record (numbers as float64, so -0 and NaN survive; arrays and objects recursively,
 *   in key order), the total fallback for mixed or nested columns.
 */
import { CorruptChunk, INT_LIMIT, Reader, type Writer } from './chunk-codec-bits.js';
import { type IntArena, readInts, writeInts } from './chunk-codec-ints.js';
import { readGorilla, writeGorilla } from './chunk-codec-gorilla.js';

export const enum Kind { DECIMAL = 0, GORILLA = 1, F64 = 2, STRING = 3, BOOL = 4, ANY = 5 }

export const P10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000] as const;

/** A decoded column: numbers (with their scaled integers for DECIMAL) or arbitrary values. */
export interface Column {
  kind: Kind;
  /** DECIMAL, GORILLA, F64: the values. */
  nums?: Float64Array;
  /** DECIMAL: the integers m (value = m / 10^k). */
  ints?: Float64Array;
  k?: number;
  /** STRING, BOOL, ANY: the values. */
  vals?: unknown[];
  /** STRING: the dictionary and each value's index in it. */
  dict?: string[];
  idx?: Float64Array;
}

const isNegZero = (v: number): boolean => v === 0 && 1 / v < 0;

/** The scaled integers of a numeric column, if some k in 0..6 represents every value bit-exactly. */
function decimalScale(vals: readonly number[]): { k: number; ints: Float64Array } | undefined {
  let k = 0;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i]!;
    if (isNegZero(v)) return undefined;
    for (;;) {
      const p = P10[k]!;
      const m = Math.round(v * p);
      if (Math.abs(m) <= INT_LIMIT && m / p === v) break;
      if (++k > 6) return undefined;
    }
  }
  // A value exact at a smaller k is exact at this one too (the same rational, correctly rounded), but check anyway.
  const p = P10[k]!;
  const ints = new Float64Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    const m = Math.round(vals[i]! * p);
    // At the column's k a value's integer can outgrow the sequence coding's range (1e9 at k 6): no DECIMAL then.
    if (Math.abs(m) > INT_LIMIT || m / p !== vals[i]) return undefined;
    ints[i] = m;
  }
  return { k, ints };
}

export function writeColumn(w: Writer, vals: readonly unknown[]): void {
  let nNum = 0;
  let nStr = 0;
  let nBool = 0;
  for (let i = 0; i < vals.length; i++) {
    const t = typeof vals[i];
    if (t === 'number') nNum++;
    else if (t === 'string') nStr++;
    else if (t === 'boolean') nBool++;
  }
  const n = vals.length;
  if (nNum === n) {
    const nums = vals as readonly number[];
    const dec = decimalScale(nums);
    if (dec) {
      w.byte(Kind.DECIMAL);
      w.byte(dec.k);
      writeInts(w, dec.ints);
      return;
    }
    const start = w.pos;
    w.byte(Kind.GORILLA);
    writeGorilla(w, nums);
    if (w.pos - start > 1 + 8 * n) {
      // XOR did not pay (noise-like data): raw float64 instead.
      w.pos = start;
      w.byte(Kind.F64);
      for (let i = 0; i < n; i++) w.f64(nums[i]!);
    }
    return;
  }
  if (nStr === n) {
    const dict = new Map<string, number>();
    const idx = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = vals[i] as string;
      let j = dict.get(s);
      if (j === undefined) dict.set(s, (j = dict.size));
      idx[i] = j;
    }
    w.byte(Kind.STRING);
    w.uvar(dict.size);
    for (const s of dict.keys()) w.str(s);
    writeInts(w, idx);
    return;
  }
  if (nBool === n) {
    w.byte(Kind.BOOL);
    for (let i = 0; i < n; i++) w.bits(vals[i] ? 1 : 0, 1);
    w.align();
    return;
  }
  w.byte(Kind.ANY);
  for (let i = 0; i < n; i++) writeAny(w, vals[i]);
}

/** Decodes a column of n values; integer sequences go into arrays of `arena` when given (see IntArena). */
export function readColumn(r: Reader, n: number, wantNums = true, arena?: IntArena): Column {
  const kind = r.byte();
  switch (kind) {
    case Kind.DECIMAL: {
      const k = r.byte();
      if (k > 6) throw new CorruptChunk(`decimal scale ${k}`);
      const ints = readInts(r, n, arena);
      if (!wantNums) return { kind, ints, k };
      const nums = new Float64Array(n);
      const p = P10[k]!;
      for (let i = 0; i < n; i++) nums[i] = ints[i]! / p;
      return { kind, nums, ints, k };
    }
    case Kind.GORILLA:
      return { kind, nums: readGorilla(r, n) };
    case Kind.F64: {
      r.need(8 * n);
      const nums = new Float64Array(n);
      for (let i = 0; i < n; i++) nums[i] = r.f64();
      return { kind, nums };
    }
    case Kind.STRING: {
      const size = r.count(n);
      const dict: string[] = new Array(size);
      for (let i = 0; i < size; i++) dict[i] = r.str();
      const idx = readInts(r, n, arena);
      const vals: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const s = dict[idx[i]!];
        if (s === undefined) throw new CorruptChunk(`string index ${idx[i]} outside a dictionary of ${size}`);
        vals[i] = s;
      }
      return { kind, vals, dict, idx };
    }
    case Kind.BOOL: {
      r.need(Math.ceil(n / 8));
      const vals: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) vals[i] = r.bits(1) === 1;
      r.align();
      return { kind, vals };
    }
    case Kind.ANY: {
      const vals: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) vals[i] = readAny(r, 0);
      return { kind, vals };
    }
    default:
      throw new CorruptChunk(`column kind ${kind}`);
  }
}

const enum Tag { NULL = 0, FALSE = 1, TRUE = 2, NUM = 3, STR = 4, ARR = 5, OBJ = 6 }
const MAX_DEPTH = 10_000;

/** A JSON value, tagged. As in JSON text, undefined items of arrays become null and undefined properties vanish. */
function writeAny(w: Writer, v: unknown): void {
  switch (typeof v) {
    case 'number': w.byte(Tag.NUM); w.f64(v); return;
    case 'string': w.byte(Tag.STR); w.str(v); return;
    case 'boolean': w.byte(v ? Tag.TRUE : Tag.FALSE); return;
    case 'undefined': w.byte(Tag.NULL); return;
    case 'object':
      if (v === null) { w.byte(Tag.NULL); return; }
      if (Array.isArray(v)) {
        w.byte(Tag.ARR);
        w.uvar(v.length);
        for (let i = 0; i < v.length; i++) writeAny(w, v[i]);
        return;
      } else {
        const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
        w.byte(Tag.OBJ);
        w.uvar(keys.length);
        for (const k of keys) {
          w.str(k);
          writeAny(w, (v as Record<string, unknown>)[k]);
        }
        return;
      }
    default:
      throw new TypeError(`a time series value must be a JSON value, not a ${typeof v}`);
  }
}

/** Sets a property, also one named `__proto__` (which plain assignment would take as the prototype). */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function readAny(r: Reader, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new CorruptChunk('values nested too deeply');
  const tag = r.byte();
  switch (tag) {
    case Tag.NULL: return null;
    case Tag.FALSE: return false;
    case Tag.TRUE: return true;
    case Tag.NUM: return r.f64();
    case Tag.STR: return r.str();
    case Tag.ARR: {
      const n = r.count(r.end - r.pos);
      const a: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) a[i] = readAny(r, depth + 1);
      return a;
    }
    case Tag.OBJ: {
      const n = r.count(r.end - r.pos);
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.str();
        setOwn(o, k, readAny(r, depth + 1));
      }
      return o;
    }
    default:
      throw new CorruptChunk(`value tag ${tag}`);
  }
}
