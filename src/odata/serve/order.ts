/**
 * The total order of time series and aggregate rows — (timestamp, assetId, sub-key) ascending, descending its
 * exact reverse — the cursor that says where a page ends in it, and the k-way merge of per-asset lanes: each
 * lane reads one asset's rows after a position in chunks; rows up to the smallest last-read row of the lanes
 * still open are final, so the merge emits exactly the next rows in order while reading about as many rows as
 * it emits (not a full page from every asset).
 */
import { iso } from '../../core/instant.js';

export type Row = Record<string, unknown>;

/** Position after the last delivered row. */
export interface Cursor {
  /** Rows delivered so far (after $skip). */
  n: number;
  /** Order key of the last row: timestamp, assetId, sub-key (aggregates). */
  t?: number;
  a?: string;
  s?: string;
  /** The total, computed once for $count=true. */
  c?: number;
}

/**
 * One asset's rows strictly after `pos` in the order, sorted; contiguous (every row of the asset between `pos`
 * and the last one returned); fewer than `n` only when no more rows follow.
 */
export type Lane = (pos: Cursor | undefined, n: number) => Promise<Row[]>;

const subKey = (row: Row): string => (row['variableName'] === undefined ? '' : `${row['variableName']}\u0000${row['aggregationType']}`);

export function keyOf(row: Row): Cursor {
  return { n: 0, t: Date.parse(row['timestamp'] as string), a: row['assetId'] as string, s: subKey(row) };
}

/** Ascending (timestamp, assetId, sub-key); timestamps are canonical ISO text, so text order is time order. */
export function compareRows(x: Row, y: Row): number {
  const tx = x['timestamp'] as string;
  const ty = y['timestamp'] as string;
  if (tx !== ty) return tx < ty ? -1 : 1;
  const ax = x['assetId'] as string;
  const ay = y['assetId'] as string;
  if (ax !== ay) return ax < ay ? -1 : 1;
  const sx = subKey(x);
  const sy = subKey(y);
  return sx === sy ? 0 : sx < sy ? -1 : 1;
}

export const direction = (desc: boolean) => (x: Row, y: Row) => (desc ? -compareRows(x, y) : compareRows(x, y));

/** A test of whether a row comes after the cursor in the order. */
export function afterCursor(pos: Cursor, desc: boolean): (row: Row) => boolean {
  const [variableName, aggregationType] = pos.s ? pos.s.split('\u0000') : [];
  const ref: Row = { timestamp: iso(pos.t!), assetId: pos.a, ...(pos.s ? { variableName, aggregationType } : {}) };
  return (row) => {
    const c = compareRows(row, ref);
    return desc ? c < 0 : c > 0;
  };
}

interface LaneState { read: Lane; buf: Row[]; at: Cursor | undefined; done: boolean }

/** The first `n` rows after `pos` of the lanes merged in order (fewer when the lanes run out). */
export async function mergeLanes(lanes: Lane[], pos: Cursor | undefined, n: number, desc: boolean): Promise<Row[]> {
  if (lanes.length === 1) {
    // one lane is already the order: its first n rows (a lane may read more than asked)
    const rows = await lanes[0]!(pos, n);
    if (rows.length > n) rows.length = n;
    return rows;
  }
  const cmp = direction(desc);
  const state: LaneState[] = lanes.map((read) => ({ read, buf: [], at: pos, done: false }));
  const out: Row[] = [];
  // a little more than an even share per lane, so one round usually suffices when the lanes interleave
  const chunk = lanes.length === 1 ? n : Math.max(16, Math.ceil((n / lanes.length) * 1.25));
  while (out.length < n) {
    for (const l of state) {
      if (l.done || l.buf.length > 0) continue;
      const rows = await l.read(l.at, chunk);
      if (rows.length < chunk) l.done = true;
      if (rows.length > 0) {
        l.buf = rows;
        l.at = keyOf(rows[rows.length - 1]!);
      }
    }
    // every unread row of an open lane comes after its last read row, so rows up to the smallest of those are final
    let bound: Row | undefined;
    for (const l of state) {
      const last = l.buf[l.buf.length - 1];
      if (!l.done && last && (!bound || cmp(last, bound) < 0)) bound = last;
    }
    const ready: Row[] = [];
    for (const l of state) {
      let k = 0;
      while (k < l.buf.length && (!bound || cmp(l.buf[k]!, bound) <= 0)) k++;
      if (k > 0) ready.push(...l.buf.splice(0, k));
    }
    if (state.length > 1) ready.sort(cmp);
    for (const row of ready) {
      if (out.length >= n) break;
      out.push(row);
    }
    if (state.every((l) => l.done && l.buf.length === 0)) break;
  }
  return out;
}
