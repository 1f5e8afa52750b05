/**
 * The cheap encoding of the time series store's open (tail) chunks (issue 17, time-major writes): the small chunks
 * a write of a few records per series makes, which the tail compaction (chunks.ts) merges into a chunk of FULL
 * records later and encodes properly then. It writes the same layout as encodeChunk (chunk-codec.ts, version 2),
 * so every reader takes it unchanged, but without choosing the smallest coding: the timestamps in one
 * integer-sequence order (delta-of-delta), every numeric column as raw float64, one key pattern. Records with
 * other values (strings, booleans, nested) or keys that vary go to encodeChunk.
 * Invariant (property-tested against encodeChunk): decodeChunk, chunkText and chunkJson of encodeOpenChunk(r) give
 * what they give for encodeChunk(r), for any records; only the bytes differ (~8 a value instead of ~1).
 */
import { crc32 } from 'node:zlib';
import { endianness } from 'node:os';
import { INT_LIMIT, Writer, writeInts } from './chunk-codec-bits.js';
import { Kind } from './chunk-codec-columns.js';
import { CHUNK_VERSION, type ChunkRecord, encodeChunk } from './chunk-codec.js';

const LE = endianness() === 'LE';
/** Records at most taken by the open form (a bigger write is encoded properly at once). */
export const OPEN_MAX = 4096;
let scratch = new Float64Array(1024);
const ORDER = [2] as const;

/** The records (strictly ascending by t, as encodeChunk takes them) as a chunk, cheaply (see the header). */
export function encodeOpenChunk(records: readonly ChunkRecord[]): Buffer {
  const n = records.length;
  if (n === 0 || n > OPEN_MAX || !LE) return encodeChunk(records);
  // The key pattern of the first record (keys with an undefined value are left out, as encodeChunk does).
  const first = records[0]!.values;
  const keys: string[] = [];
  for (const k of Object.keys(first)) if (first[k] !== undefined) keys.push(k);
  const nk = keys.length;
  if (nk === 0) return encodeChunk(records);
  if (scratch.length < (nk + 1) * n) scratch = new Float64Array(Math.max((nk + 1) * n, scratch.length * 2));
  // column-major: times at [0, n), key j's values at [(j + 1) n, (j + 2) n)
  const f = scratch;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const { t, values } = records[i]!;
    if (!Number.isSafeInteger(t) || Math.abs(t) > INT_LIMIT || !(t > prev)) return encodeChunk(records);
    prev = t;
    f[i] = t;
    let j = 0;
    const ks = Object.keys(values);
    for (let x = 0; x < ks.length; x++) {
      const k = ks[x]!;
      const v = values[k];
      if (v === undefined) continue;
      if (j >= nk || k !== keys[j] || typeof v !== 'number') return encodeChunk(records);
      f[(j + 1) * n + i] = v;
      j++;
    }
    if (j !== nk) return encodeChunk(records);
  }
  const w = new Writer(64 + nk * (16 + 8 * n));
  w.byte(CHUNK_VERSION);
  w.uvar(n);
  w.svar(f[0]!);
  w.svar(f[n - 1]!);
  writeInts(w, f.subarray(0, n), ORDER);
  w.uvar(nk);
  for (const k of keys) w.str(k);
  // one pattern (every column, in order), one run of it over all n records
  w.uvar(1);
  w.uvar(nk);
  for (let j = 0; j < nk; j++) w.uvar(j);
  w.uvar(1);
  w.uvar(0);
  w.uvar(n);
  w.ensure(nk * (1 + 8 * n) + 4);
  const bytes = new Uint8Array(f.buffer, f.byteOffset, (nk + 1) * n * 8);
  for (let j = 0; j < nk; j++) {
    w.buf[w.pos++] = Kind.F64;
    w.buf.set(bytes.subarray((j + 1) * n * 8, (j + 2) * n * 8), w.pos);
    w.pos += 8 * n;
  }
  w.buf.writeUInt32LE(crc32(w.buf.subarray(0, w.pos)), w.pos);
  w.pos += 4;
  return Buffer.from(w.finish());
}
