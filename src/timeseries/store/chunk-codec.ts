/**
 * The columnar chunk codec of the time series store (issue 17, "Compressed storage"): a run of one series' records
 * as one compressed buffer, and the hot read path that renders the records' stored JSON text straight from it.
 * Pure: no I/O, no state; the chunked store (sqlite.ts) decides what goes into a chunk.
 *
 * Layout (all integers LEB128 varints unless said; see chunk-codec-ints.ts for integer sequences):
 *   version byte (1) · n · lo (zigzag) · hi (zigzag)                       header, read by chunkInfo
 *   timestamps: an integer sequence (delta-of-delta when smallest: 1 Hz costs 2 bytes for the whole chunk)
 *   keys: count, then each key's text                                      columns, in order of first use
 *   patterns: count, then each as (length, column indices)                 the key orders that occur
 *   pattern runs: count, then (pattern index, run length) pairs            which records have which keys, in order
 *   columns: per key, its kind and encoding (chunk-codec-columns.ts) over the records that carry it
 *   CRC-32 (uint32 LE) of everything before it
 * A record's missing keys and its exact key order are thus kept in ~0 bytes while they stay the same.
 * Every read checks the CRC and the bounds first, so a corrupt or truncated buffer throws a CorruptChunk Error.
 */
import { crc32 } from 'node:zlib';
import { CorruptChunk, INT_LIMIT, Reader, Writer } from './chunk-codec-bits.js';
import { IntArena, readInts, writeInts } from './chunk-codec-ints.js';
import { type Column, readColumn, setOwn, writeColumn } from './chunk-codec-columns.js';
import { renderJson, renderRecords } from './chunk-codec-text.js';
import { type ChunkJson, upperBound } from './chunk-json.js';

export { CorruptChunk } from './chunk-codec-bits.js';

/** One record: epoch ms, and its values (variables and `<var>_qc`; no `_time`, no nulls), key order as given. */
export interface ChunkRecord { t: number; values: Readonly<Record<string, unknown>> }

const VERSION = 2; // 1: the first draft of 2026-12-03 (orders 0..2, no zero-block runs), never stored
/** The layout version written (chunk-codec-open.ts writes the same layout). */
export const CHUNK_VERSION = VERSION;
/** Most records a chunk may hold (guards allocations when reading). */
const MAX_RECORDS = 1 << 24;

/** Records strictly ascending by t (caller guarantees). Returns the encoded chunk. */
export function encodeChunk(records: readonly ChunkRecord[]): Buffer {
  const n = records.length;
  if (n > MAX_RECORDS) throw new RangeError(`a chunk holds at most ${MAX_RECORDS} records, not ${n}`);
  const times = new Float64Array(n);
  const colOf = new Map<string, number>();
  const keys: string[] = [];
  const cols: unknown[][] = [];
  const patternOf = new Map<string, number>();
  const patterns: number[][] = [];
  const runs: number[] = [];
  let prevKeys: string[] = [];
  let prevPattern = -1;
  for (let i = 0; i < n; i++) {
    const { t, values } = records[i]!;
    if (!Number.isSafeInteger(t) || Math.abs(t) > INT_LIMIT) throw new RangeError(`record ${i}: time ${t} is not an epoch millisecond`);
    if (i > 0 && !(t > times[i - 1]!)) throw new RangeError(`record ${i}: time ${t} does not follow ${times[i - 1]}`);
    times[i] = t;
    let ks = Object.keys(values);
    for (const k of ks) if (values[k] === undefined) { ks = ks.filter((x) => values[x] !== undefined); break; }
    let same = ks.length === prevKeys.length && prevPattern >= 0;
    for (let j = 0; same && j < ks.length; j++) same = ks[j] === prevKeys[j];
    if (!same) {
      const ids = ks.map((k) => {
        let c = colOf.get(k);
        if (c === undefined) {
          colOf.set(k, (c = keys.length));
          keys.push(k);
          cols.push([]);
        }
        return c;
      });
      const sig = ids.join(',');
      let p = patternOf.get(sig);
      if (p === undefined) {
        patternOf.set(sig, (p = patterns.length));
        patterns.push(ids);
      }
      prevKeys = ks;
      if (p === prevPattern) runs[runs.length - 1]!++;
      else runs.push(p, 1);
      prevPattern = p;
    } else {
      runs[runs.length - 1]!++;
    }
    const ids = patterns[prevPattern]!;
    for (let j = 0; j < ks.length; j++) cols[ids[j]!]!.push(values[ks[j]!]);
  }
  const w = new Writer(256 + n * 4);
  w.byte(VERSION);
  w.uvar(n);
  w.svar(n > 0 ? times[0]! : 0);
  w.svar(n > 0 ? times[n - 1]! : 0);
  writeInts(w, times, [1, 2, 3]);
  w.uvar(keys.length);
  for (const k of keys) w.str(k);
  w.uvar(patterns.length);
  for (const p of patterns) {
    w.uvar(p.length);
    for (const c of p) w.uvar(c);
  }
  w.uvar(runs.length / 2);
  for (const x of runs) w.uvar(x);
  for (const vals of cols) writeColumn(w, vals);
  w.ensure(4);
  w.buf.writeUInt32LE(crc32(w.buf.subarray(0, w.pos)), w.pos);
  w.pos += 4;
  // A copy sized to the chunk, so the store does not keep the writer's slack alive.
  return Buffer.from(w.finish());
}

interface Head { r: Reader; n: number; lo: number; hi: number }

function head(buf: Buffer): Head {
  if (!Buffer.isBuffer(buf) && !((buf as unknown) instanceof Uint8Array)) throw new CorruptChunk('not a buffer');
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from((buf as Uint8Array).buffer, (buf as Uint8Array).byteOffset, (buf as Uint8Array).byteLength);
  if (b.length < 8) throw new CorruptChunk(`${b.length} bytes are too short for a chunk`);
  const end = b.length - 4;
  if (crc32(b.subarray(0, end)) !== b.readUInt32LE(end)) throw new CorruptChunk('checksum mismatch');
  const r = new Reader(b, 0, end);
  const version = r.byte();
  if (version !== VERSION) throw new CorruptChunk(`unknown version ${version}`);
  const n = r.count(MAX_RECORDS);
  const lo = r.svar();
  const hi = r.svar();
  return { r, n, lo, hi };
}

/** Header facts without decoding values: count, first and last t. */
export function chunkInfo(buf: Buffer): { n: number; lo: number; hi: number } {
  const { n, lo, hi } = head(buf);
  return { n, lo, hi };
}

function readTimes(h: Head, arena?: IntArena): Float64Array {
  const times = readInts(h.r, h.n, arena);
  for (let i = 1; i < h.n; i++) if (!(times[i]! > times[i - 1]!)) throw new CorruptChunk('timestamps not ascending');
  if (h.n > 0 && (times[0] !== h.lo || times[h.n - 1] !== h.hi)) throw new CorruptChunk('timestamps disagree with the header');
  return times;
}

/** Timestamps only (cheaper than decodeChunk). */
export function chunkTimes(buf: Buffer): number[] {
  return Array.from(readTimes(head(buf)));
}

interface Body {
  times: Float64Array;
  keys: string[];
  patterns: number[][];
  /** (pattern, run length) pairs. */
  runs: number[];
  cols: Column[];
}

/** Arrays of the text paths' decodes (chunkText, chunkJson), which render and copy out before the next one. */
const TEXT_ARENA = new IntArena();

/**
 * The decoded chunk; `nums` false leaves the doubles of DECIMAL columns out (text needs their integers only) and
 * decodes the integer sequences into TEXT_ARENA's arrays: such a body lasts until the next decode only.
 */
function readBody(buf: Buffer, nums = true): Body {
  const h = head(buf);
  const { r, n } = h;
  const arena = nums ? undefined : TEXT_ARENA;
  arena?.reset();
  const times = readTimes(h, arena);
  const nKeys = r.count(r.end - r.pos);
  const keys: string[] = new Array(nKeys);
  for (let i = 0; i < nKeys; i++) keys[i] = r.str();
  const nPat = r.count(r.end - r.pos);
  const patterns: number[][] = new Array(nPat);
  for (let i = 0; i < nPat; i++) {
    const len = r.count(nKeys);
    const p: number[] = new Array(len);
    for (let j = 0; j < len; j++) p[j] = r.count(nKeys - 1);
    patterns[i] = p;
  }
  const nRuns = r.count(n);
  const runs: number[] = new Array(nRuns * 2);
  const counts = new Float64Array(nKeys);
  let total = 0;
  for (let i = 0; i < nRuns; i++) {
    const p = r.count(nPat - 1);
    const len = r.count(n - total);
    runs[2 * i] = p;
    runs[2 * i + 1] = len;
    total += len;
    for (const c of patterns[p]!) counts[c]! += len;
  }
  if (total !== n) throw new CorruptChunk(`pattern runs cover ${total} of ${n} records`);
  const cols: Column[] = new Array(nKeys);
  for (let c = 0; c < nKeys; c++) cols[c] = readColumn(r, counts[c]!, nums, arena);
  if (r.pos !== r.end) throw new CorruptChunk(`${r.end - r.pos} bytes left over`);
  return { times, keys, patterns, runs, cols };
}

const valueAt = (c: Column, j: number): unknown => (c.nums ? c.nums[j] : c.vals![j]);

/** Exact inverse of encodeChunk: same t, same values (Object.is-equal numbers incl. -0), same key order. */
export function decodeChunk(buf: Buffer): ChunkRecord[] {
  const { times, keys, patterns, runs, cols } = readBody(buf);
  const out: ChunkRecord[] = new Array(times.length);
  const cursor = new Uint32Array(keys.length);
  let i = 0;
  for (let q = 0; q < runs.length; q += 2) {
    const p = patterns[runs[q]!]!;
    const pk = p.map((c) => keys[c]!);
    const proto = pk.includes('__proto__');
    for (let e = i + runs[q + 1]!; i < e; i++) {
      const values: Record<string, unknown> = {};
      for (let j = 0; j < p.length; j++) {
        const c = p[j]!;
        const v = valueAt(cols[c]!, cursor[c]!++);
        if (proto) setOwn(values, pk[j]!, v);
        else values[pk[j]!] = v;
      }
      out[i] = { t: times[i]!, values };
    }
  }
  return out;
}

/** Stored text of the records with from < t <= to, ascending (or descending when desc), at most limit:
 *  each `{"_time":"<new Date(t).toISOString()>",<"key":value in the record's key order>}` where numbers are
 *  String(v) and strings/booleans JSON.stringify(v) -- byte-identical to recordJson()/validateRecords() in
 *  src/timeseries/records.ts. This is the hot read path: 2,000 records of 10 doubles must render fast. */
export function chunkText(buf: Buffer, from: number, to: number, limit: number, desc: boolean): string[] {
  const { times, keys, patterns, runs, cols } = readBody(buf, false);
  const a = upperBound(times, from);
  const b = Math.max(a, upperBound(times, to));
  const count = limit >= 1 ? Math.min(b - a, Math.floor(limit)) : 0; // NaN or below 1: none
  if (count === 0) return [];
  const s = desc ? b - count : a;
  const e = s + count;
  const out = renderRecords({ times, keys, patterns, runs, cols }, s, s + count);
  if (desc) out.reverse();
  return out;
}

/**
 * The same records as chunkText, as the bytes of JSON array items in ascending order (chunk-json.ts): what the GET
 * reply copies out without a string in between. With `whole`, every record of the chunk is rendered instead
 * when whole(records in the chunk, records asked) says so (`whole` of the result tells which was done).
 */
export function chunkJson(buf: Buffer, from: number, to: number, limit: number, desc: boolean,
  whole?: (n: number, count: number) => boolean): { json: ChunkJson; whole: boolean } {
  const src = readBody(buf, false);
  const a = upperBound(src.times, from);
  const b = Math.max(a, upperBound(src.times, to));
  const count = limit >= 1 ? Math.min(b - a, Math.floor(limit)) : 0;
  const n = src.times.length;
  if (whole?.(n, count)) return { json: renderJson(src, 0, n), whole: true };
  const s = desc ? b - count : a;
  return { json: renderJson(src, s, s + count), whole: false };
}
