/**
 * Stored form of a roll-up row of the SQLite time series store (issue 17, plant-scale ingest): the partial
 * aggregates of rollup.ts as a compact binary row when every first and last value is a number, otherwise (a string
 * or boolean variable) JSON text. No float is rounded through text.
 * Binary row (version 2): the u32 0xFFFFFFFF, a varint length and the JSON array of variable names, then per
 * variable the four counts as varints, sum, mean, m2, min, max, first and last as float64 (LE), the first time as
 * a zigzag varint and the min, max and last times as zigzag varints relative to it: ~80 bytes a variable, where
 * version 1 took 120. Version 1 (a u32 length of the names, then the 15 fields of each variable as float64), as
 * written by earlier versions, and JSON rows are read as they were.
 */
import type { AggMap, VarAgg } from '../rollup.js';

const FIELDS = 15;
const CG = 0, CU = 1, CB = 2, N = 3, SUM = 4, MEAN = 5, M2 = 6, MIN = 7, MINT = 8, MAX = 9, MAXT = 10,
  FIRST = 11, FIRSTT = 12, LAST = 13, LASTT = 14;
const V2 = 0xffffffff;
/** Most bytes of a variable in version 2: 4 counts + 3 deltas + 1 time, varints of up to 8 bytes, 7 floats. */
const V2_MAX_VAR = 8 * 8 + 7 * 8;

const okCount = (x: number) => Number.isSafeInteger(x) && x >= 0;
/** Integers whose zigzag form stays a safe integer (times up to year ±142,000; other rows stay version 1). */
const okSigned = (x: number) => Number.isInteger(x) && Math.abs(x) < 2 ** 52;

/** Version 2 can hold it: numeric first and last, integer counts, times and time differences. */
function compact(a: VarAgg): boolean {
  return typeof a[FIRST] === 'number' && typeof a[LAST] === 'number'
    && okCount(a[CG]) && okCount(a[CU]) && okCount(a[CB]) && okCount(a[N])
    && okSigned(a[FIRSTT]) && okSigned(a[MINT] - a[FIRSTT]) && okSigned(a[MAXT] - a[FIRSTT]) && okSigned(a[LASTT] - a[FIRSTT]);
}

export function encodeAggs(aggs: AggMap): Buffer | string {
  const names = Object.keys(aggs);
  let binary = true;
  for (const n of names) {
    const a = aggs[n]!;
    if (typeof a[FIRST] !== 'number' || typeof a[LAST] !== 'number') return JSON.stringify(aggs);
    if (!compact(a)) binary = false;
  }
  return binary ? encodeV2(names, aggs) : encodeV1(names, aggs);
}

/**
 * The JSON of the last names encoded: a series' rows (and a commit's, mostly of one aspect) repeat them, so the
 * text is made again only when the names differ.
 */
let headNames: readonly string[] = [];
let headBytes: Buffer = Buffer.from('[]');

function namesHead(names: readonly string[]): Buffer {
  let same = names.length === headNames.length;
  for (let i = 0; same && i < names.length; i++) same = names[i] === headNames[i];
  if (!same) {
    headBytes = Buffer.from(JSON.stringify(names));
    headNames = names;
  }
  return headBytes;
}

/**
 * Writes a float64 little-endian, every NaN as the one quiet NaN (0x7ff8000000000000): a NaN's sign and payload
 * depend on the path that made it (the CPU's default NaN of Inf - Inf is negative; V8 rewrites NaNs it stores in
 * JS arrays), and a row's bytes must not depend on the path (records or columns, test/timeseries/wire-blocks).
 */
function f64(dv: DataView, p: number, v: number): void {
  if (v === v) dv.setFloat64(p, v, true);
  else {
    dv.setUint32(p, 0, true);
    dv.setUint32(p + 4, 0x7ff80000, true);
  }
}

/** Reused: a row is written here and copied out at its length. */
let scratch = Buffer.allocUnsafe(4096);
let scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);

function encodeV2(names: string[], aggs: AggMap): Buffer {
  const head = namesHead(names);
  const most = 4 + 8 + head.length + names.length * V2_MAX_VAR;
  if (most > scratch.length) {
    scratch = Buffer.allocUnsafe(most);
    scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  }
  const buf = scratch;
  const dv = scratchView;
  buf.writeUInt32LE(V2, 0);
  let p = uvarint(buf, 4, head.length);
  p += head.copy(buf, p);
  for (const n of names) {
    const a = aggs[n]!;
    p = uvarint(buf, p, a[CG]);
    p = uvarint(buf, p, a[CU]);
    p = uvarint(buf, p, a[CB]);
    p = uvarint(buf, p, a[N]);
    f64(dv, p, a[SUM]);
    f64(dv, p + 8, a[MEAN]);
    f64(dv, p + 16, a[M2]);
    f64(dv, p + 24, a[MIN]);
    f64(dv, p + 32, a[MAX]);
    f64(dv, p + 40, a[FIRST] as number);
    f64(dv, p + 48, a[LAST] as number);
    p += 56;
    const first = a[FIRSTT];
    p = uvarint(buf, p, zigzag(first));
    p = uvarint(buf, p, zigzag(a[MINT] - first));
    p = uvarint(buf, p, zigzag(a[MAXT] - first));
    p = uvarint(buf, p, zigzag(a[LASTT] - first));
  }
  return Buffer.from(buf.subarray(0, p));
}

function encodeV1(names: string[], aggs: AggMap): Buffer {
  const head = Buffer.from(JSON.stringify(names));
  const buf = Buffer.allocUnsafe(4 + head.length + names.length * FIELDS * 8);
  buf.writeUInt32LE(head.length, 0);
  head.copy(buf, 4);
  let p = 4 + head.length;
  for (const n of names) {
    const a = aggs[n]!;
    for (let i = 0; i < FIELDS; i++, p += 8) buf.writeDoubleLE(a[i] as number, p);
  }
  return buf;
}

export function decodeAggs(data: string | Buffer): AggMap {
  if (typeof data === 'string') return JSON.parse(data) as AggMap;
  const headLength = data.readUInt32LE(0);
  return headLength === V2 ? decodeV2(data) : decodeV1(data, headLength);
}

function decodeV1(data: Buffer, headLength: number): AggMap {
  const names = JSON.parse(data.toString('utf8', 4, 4 + headLength)) as string[];
  const out: AggMap = {};
  let p = 4 + headLength;
  for (const n of names) {
    const a = new Array<number>(FIELDS);
    for (let i = 0; i < FIELDS; i++, p += 8) a[i] = data.readDoubleLE(p);
    out[n] = a as unknown as VarAgg;
  }
  return out;
}

/** The names of the last version 2 row decoded: the rows of a series repeat them (compared as bytes, not parsed). */
let lastHead: Buffer = Buffer.alloc(0);
let lastNames: readonly string[] = [];

function decodeV2(data: Buffer): AggMap {
  const at = { p: 4 };
  const headLength = readUvarint(data, at);
  let p = at.p;
  const head = data.subarray(p, p + headLength);
  if (!head.equals(lastHead)) {
    lastNames = JSON.parse(head.toString('utf8')) as string[];
    lastHead = Buffer.from(head);
  }
  const names = lastNames;
  p += headLength;
  const out: AggMap = {};
  for (let v = 0; v < names.length; v++) {
    const a = new Array<number>(FIELDS);
    at.p = p;
    a[CG] = readUvarint(data, at); a[CU] = readUvarint(data, at); a[CB] = readUvarint(data, at); a[N] = readUvarint(data, at);
    p = at.p;
    if (p + 56 > data.length) throw new Error('roll-up row: truncated');
    a[SUM] = data.readDoubleLE(p); a[MEAN] = data.readDoubleLE(p + 8); a[M2] = data.readDoubleLE(p + 16);
    a[MIN] = data.readDoubleLE(p + 24); a[MAX] = data.readDoubleLE(p + 32); a[FIRST] = data.readDoubleLE(p + 40);
    a[LAST] = data.readDoubleLE(p + 48);
    at.p = p + 56;
    const first = unzigzag(readUvarint(data, at));
    a[FIRSTT] = first;
    a[MINT] = first + unzigzag(readUvarint(data, at));
    a[MAXT] = first + unzigzag(readUvarint(data, at));
    a[LASTT] = first + unzigzag(readUvarint(data, at));
    p = at.p;
    out[names[v]!] = a as unknown as VarAgg;
  }
  if (p !== data.length) throw new Error(`roll-up row: ${data.length - p} bytes left after its variables`);
  return out;
}

// Safe integers only (below 2^53): arithmetic, not 32-bit operators.
const zigzag = (x: number) => (x >= 0 ? x * 2 : -x * 2 - 1);
const unzigzag = (u: number) => (u % 2 === 0 ? u / 2 : -(u + 1) / 2);

function uvarint(buf: Buffer, p: number, x: number): number {
  if (x < 0x80) {
    buf[p] = x;
    return p + 1;
  }
  while (x >= 0x80) {
    buf[p++] = (x % 0x80) | 0x80;
    x = Math.floor(x / 0x80);
  }
  buf[p++] = x;
  return p;
}

function readUvarint(buf: Buffer, at: { p: number }): number {
  let x = 0;
  let scale = 1;
  for (;;) {
    if (at.p >= buf.length) throw new Error('roll-up row: truncated');
    const b = buf[at.p++]!;
    x += (b & 0x7f) * scale;
    if (b < 0x80) return x;
    scale *= 0x80;
    if (scale > 2 ** 56) throw new Error('roll-up row: varint too long');
  }
}
