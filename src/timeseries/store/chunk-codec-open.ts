/**
 * Column blocks and the cheap encoding of the time series store's open (tail) chunks (issue 17, time-major writes).
 * A write of a few records per series makes a small chunk that the tail compaction (chunks.ts) merges into a chunk
 * of FULL records later: the small chunk is written in the open form, and only the merged one is fully encoded, so
 * each record pays the full columnar encode once.
 * - A ColumnBlock is a run of records of one key pattern whose values are all numbers, by column (what the
 *   bench's and the agents' DOUBLE records are); the tail keeps these instead of record objects.
 * - The open form (encodeOpenColumns) is encodeChunk's layout (chunk-codec.ts, version 2), so every reader takes
 *   it unchanged, without choosing the smallest coding: timestamps in one integer-sequence order
 *   (delta-of-delta), every column as raw float64 (~8 bytes a value instead of ~1).
 * - encodeColumns is the full encode of a block, byte-identical to encodeChunk of its records.
 * Records of other shapes (strings, booleans, nested values, keys that vary) have no block: callers use
 * encodeChunk. Invariants (property-tested): recordsOf(columnsOf(r)) equals r; encodeColumns(b) equals
 * encodeChunk(recordsOf(b)) byte for byte; every read of encodeOpenColumns(b) equals that of encodeChunk.
 */
import { crc32 } from 'node:zlib';
import { endianness } from 'node:os';
import { INT_LIMIT, Writer } from './chunk-codec-bits.js';
import { writeInts } from './chunk-codec-ints.js';
import { Kind, setOwn, writeColumn } from './chunk-codec-columns.js';
import { CHUNK_VERSION, type ChunkRecord } from './chunk-codec.js';

const LE = endianness() === 'LE';

/** n records: `data` holds the times at [0, n), then key j's values at [(j + 1) n, (j + 2) n). */
export interface ColumnBlock { n: number; keys: readonly string[]; data: Float64Array }

/** The records (strictly ascending safe-integer times) as a block, or undefined when they are not of that shape. */
export function columnsOf(records: readonly ChunkRecord[]): ColumnBlock | undefined {
  const n = records.length;
  if (n === 0) return undefined;
  // The key pattern of the first record (keys with an undefined value are left out, as encodeChunk does).
  const first = records[0]!.values;
  const keys: string[] = [];
  for (const k of Object.keys(first)) if (first[k] !== undefined) keys.push(k);
  const nk = keys.length;
  if (nk === 0) return undefined;
  const data = new Float64Array((nk + 1) * n);
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const { t, values } = records[i]!;
    if (!Number.isSafeInteger(t) || Math.abs(t) > INT_LIMIT || !(t > prev)) return undefined;
    prev = t;
    data[i] = t;
    let j = 0;
    // for-in visits the own keys in Object.keys order, then inherited enumerable ones: those are not in the
    // first record's Object.keys, so they end the fast path like any other key out of the pattern
    for (const k in values) {
      const v = values[k];
      if (v === undefined) continue;
      if (j >= nk || k !== keys[j] || typeof v !== 'number') return undefined;
      data[(j + 1) * n + i] = v;
      j++;
    }
    if (j !== nk) return undefined;
  }
  return { n, keys, data };
}

/** The block's records, as decodeChunk would give them. */
export function recordsOf(b: ColumnBlock): ChunkRecord[] {
  const { n, keys, data } = b;
  const proto = keys.includes('__proto__');
  const out: ChunkRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const values: Record<string, unknown> = {};
    for (let j = 0; j < keys.length; j++) {
      if (proto) setOwn(values, keys[j]!, data[(j + 1) * n + i]);
      else values[keys[j]!] = data[(j + 1) * n + i];
    }
    out[i] = { t: data[i]!, values };
  }
  return out;
}

const sameKeys = (a: readonly string[], b: readonly string[]): boolean =>
  a === b || (a.length === b.length && a.every((k, i) => k === b[i]));

/** The blocks one after the other (their times ascending across them), or undefined when their keys differ. */
export function concatColumns(blocks: readonly ColumnBlock[]): ColumnBlock | undefined {
  const keys = blocks[0]!.keys;
  let n = 0;
  for (const b of blocks) {
    if (!sameKeys(b.keys, keys)) return undefined;
    n += b.n;
  }
  const data = new Float64Array((keys.length + 1) * n);
  let at = 0;
  for (const b of blocks) {
    for (let j = 0; j <= keys.length; j++) data.set(b.data.subarray(j * b.n, (j + 1) * b.n), j * n + at);
    at += b.n;
  }
  return { n, keys, data };
}

/** Records [s, e) of a block. */
export function sliceColumns(b: ColumnBlock, s: number, e: number): ColumnBlock {
  const n = e - s;
  const data = new Float64Array((b.keys.length + 1) * n);
  for (let j = 0; j <= b.keys.length; j++) data.set(b.data.subarray(j * b.n + s, j * b.n + e), j * n);
  return { n, keys: b.keys, data };
}

/** Reused: only the finished chunk is copied out (the writer's growth stays for the next call). */
const writer = new Writer(4096);

/** Everything before the columns, as encodeChunk writes it for records of one key pattern. */
function writeHead(w: Writer, b: ColumnBlock, orders: readonly number[]): void {
  const { n, keys, data } = b;
  w.byte(CHUNK_VERSION);
  w.uvar(n);
  w.svar(data[0]!);
  w.svar(data[n - 1]!);
  writeInts(w, data.subarray(0, n), orders);
  w.uvar(keys.length);
  for (const k of keys) w.str(k);
  // one pattern (every column, in order), one run of it over all n records
  w.uvar(1);
  w.uvar(keys.length);
  for (let j = 0; j < keys.length; j++) w.uvar(j);
  w.uvar(1);
  w.uvar(0);
  w.uvar(n);
}

function finish(w: Writer): Buffer {
  w.ensure(4);
  w.buf.writeUInt32LE(crc32(w.buf.subarray(0, w.pos)), w.pos);
  w.pos += 4;
  return Buffer.from(w.finish());
}

const DOD = [2] as const;
/** The orders encodeChunk tries for timestamps. */
const TIME_ORDERS = [1, 2, 3] as const;

/** The open form of a block (see the header): cheap to write, ~8 bytes a value. */
export function encodeOpenColumns(b: ColumnBlock): Buffer {
  const w = writer;
  w.pos = 0;
  writeHead(w, b, DOD);
  const { n, keys, data } = b;
  w.ensure(keys.length * (1 + 8 * n));
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let j = 0; j < keys.length; j++) {
    w.buf[w.pos++] = Kind.F64;
    if (LE) w.buf.set(bytes.subarray((j + 1) * n * 8, (j + 2) * n * 8), w.pos);
    else for (let i = 0; i < n; i++) w.buf.writeDoubleLE(data[(j + 1) * n + i]!, w.pos + 8 * i);
    w.pos += 8 * n;
  }
  return finish(w);
}

/** The full encode of a block: byte-identical to encodeChunk(recordsOf(b)). */
export function encodeColumns(b: ColumnBlock): Buffer {
  const w = writer;
  w.pos = 0;
  writeHead(w, b, TIME_ORDERS);
  for (let j = 0; j < b.keys.length; j++) {
    // a column of numbers only: writeColumn reads it by index (as readonly number[])
    writeColumn(w, b.data.subarray((j + 1) * b.n, (j + 2) * b.n) as unknown as readonly unknown[]);
  }
  return finish(w);
}
