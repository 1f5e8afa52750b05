/**
 * Writes whose records come as one column block (chunk-codec-open.ts ColumnBlock: the writer thread's wire,
 * worker-wire.ts, has them so): the block a write carries, the check that the chunk store can take it as it is
 * (chunks.ts putColumns), and the 2-minute partial aggregates of its records for sqlite.ts. blockPartials gives
 * what sqlite.ts's loop of rollup.ts addRecord over the block's records gives, equal to the last bit, column by
 * column over each bucket's run of records instead of record by record: each variable sees its values in the
 * same order (times ascending), so every addValue is the same, and a bucket's map has its variables in the same
 * order (the aspect's, as addRecord creates them). Property-tested (test/timeseries/wire-blocks.property.test.ts).
 */
import { bucketOf, type Zone } from '../buckets.js';
import { addValue, type AggMap, newAgg, type VariableKeys } from '../rollup.js';
import { INT_LIMIT } from './chunk-codec-bits.js';
import type { ColumnBlock } from './chunk-codec-open.js';

/**
 * Writes whose records the writer thread's wire (worker-wire.ts) has as one column block: putColumns takes the
 * block, and the records (equal to recordsOf(block) with `_time` undefined in its place) are made only if read.
 */
const blocks = new WeakMap<object, ColumnBlock>();

/** The block of records of a write (see `blocks`): their times strictly ascending safe integers, n > 0. */
export function setWriteBlock(write: object, b: ColumnBlock): void {
  blocks.set(write, b);
}

export const writeBlock = (write: object): ColumnBlock | undefined => blocks.get(write);

/** Whether a block's times are what putColumns takes: ascending strictly, safe integers within the codec's range. */
export function blockTimesFit(b: ColumnBlock): boolean {
  const { n, data } = b;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = data[i]!;
    if (!Number.isSafeInteger(t) || Math.abs(t) > INT_LIMIT || !(t > prev)) return false;
    prev = t;
  }
  return n > 0 && b.keys.length > 0;
}

/** A block of arrays of its own: the caller's may be a view of a buffer it reuses (a tail keeps what it is given). */
export function ownBlock(b: ColumnBlock): ColumnBlock {
  const { data } = b;
  if (!(data.buffer instanceof SharedArrayBuffer) && data.byteLength === data.buffer.byteLength) return b;
  return { n: b.n, keys: b.keys, data: data.slice() };
}

/** Length of a 2-minute bucket (level 0). */
const BUCKET_MS = 120_000;

/** Partial aggregates by 2-minute bucket start of a block's records (times strictly ascending). */
export function blockPartials(zone: Zone, b: ColumnBlock, keys: VariableKeys): Map<number, AggMap> {
  const { n, data } = b;
  const { names, qcNames } = keys;
  // where each variable's values and its quality codes start in data (-1: not in the block)
  const at: number[] = [];
  const qcAt: number[] = [];
  for (let v = 0; v < names.length; v++) {
    const j = b.keys.indexOf(names[v]!);
    const q = b.keys.indexOf(qcNames[v]!);
    at.push(j < 0 ? -1 : (j + 1) * n);
    qcAt.push(q < 0 ? -1 : (q + 1) * n);
  }
  const partial = new Map<number, AggMap>();
  let s = 0;
  while (s < n) {
    // the bucket of t is the 2-minute [start, start + 2 min) holding t - 1
    const start = bucketOf(zone, 0, data[s]!);
    const end = start + BUCKET_MS;
    let e = s + 1;
    while (e < n && data[e]! - 1 < end) e++;
    let agg = partial.get(start);
    if (!agg) partial.set(start, agg = {});
    for (let v = 0; v < names.length; v++) {
      const a0 = at[v]!;
      if (a0 < 0) continue;
      const q0 = qcAt[v]!;
      const name = names[v]!;
      let i = s;
      let a = agg[name];
      if (!a) { a = agg[name] = newAgg(data[a0 + i], data[i]!, q0 < 0 ? undefined : data[q0 + i]); i++; }
      if (q0 < 0) for (; i < e; i++) addValue(a, data[a0 + i], data[i]!, undefined);
      else for (; i < e; i++) addValue(a, data[a0 + i], data[i]!, data[q0 + i]);
    }
    s = e;
  }
  return partial;
}
