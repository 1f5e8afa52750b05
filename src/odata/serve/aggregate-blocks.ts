/**
 * Row blocks of aggregate byte rows (aggregate-text.ts AggregateBytes): the bytes of one interval's rows of one
 * variable (up to ten rows, ~2.9 KB) as they were written, kept with everything they were written from, so a read
 * of the same intervals copies each block once instead of writing its rows again (issue 14: an OData aggregate page
 * is 8× the bytes of the REST answer for the same intervals, and its rows were most of its OData-only cost).
 *
 * Invariant: a block is used only when every input of its bytes is equal (===) to the one it was written from:
 * the lane's pieces by the lane key (asset id, variables, types, interval unit, value and count as JSON), the
 * interval's start and end texts, and per type its value and its value timestamp field. Equal inputs give equal
 * bytes, so a block never holds anything but what writing the rows would give; the property test
 * test/odata/aggregate-bytes.property.test.ts reads each query several times over the same and changed values.
 * A read of intervals seen for the first time only notes their inputs (a small array per block); their bytes are
 * kept when a read sees them again, so reading history once costs little more than writing its rows.
 * Blocks of all lanes together hold at most MAX_BYTES; past that all are dropped.
 */

/**
 * The rows of one interval and variable: row i is `bytes[offs[i], offs[i + 1] - 1)`, each followed by its `,`. A block is first kept without bytes (`bytes` undefined: its inputs were seen once); the read that sees the
 * same inputs again writes the rows and gives the block their bytes (a page's blocks share one buffer); later reads
 * copy them.
 */
export interface RowBlock {
  timestamp: string;
  endTimestamp: string;
  /** Per type (the lane's order) its value and its value timestamp field, as the rows were written from them. */
  from: unknown[];
  /** A view of the buffer the blocks of one read share. */
  bytes: Buffer | undefined;
  offs: number[];
  /** The lane's type index of each row. */
  types: number[];
}

/** The blocks of one lane key: per interval start, per variable index. */
export interface LaneBlocks {
  key: string;
  byStart: Map<number, (RowBlock | undefined)[]>;
}

/** Bytes of all blocks kept (a few pages of 2000 rows), counting a block's inputs as BLOCK_COST. */
const MAX_BYTES = 8 << 20;
const BLOCK_COST = 256;
const lanes = new Map<string, LaneBlocks>();
let held = 0;

/** The blocks of a lane key (new ones when there are none: kept by holdBlocks once a read gave them any). */
export function laneBlocks(key: string): LaneBlocks {
  return lanes.get(key) ?? { key, byStart: new Map() };
}

/**
 * Counts what a read gave a lane's blocks: `blocks` new blocks and `bytes` bytes of rows. Past MAX_BYTES every
 * lane's blocks are dropped (those of this read too: the next read notes them again).
 */
export function holdBlocks(lane: LaneBlocks, blocks: number, bytes: number): void {
  const n = blocks * BLOCK_COST + bytes;
  if (held + n > MAX_BYTES) {
    for (const l of lanes.values()) l.byStart.clear();
    lanes.clear();
    held = 0;
    return;
  }
  // a new lane, or one dropped by another read, is kept (again), so its blocks are counted
  lanes.set(lane.key, lane);
  held += n;
}

/** Whether `agg` holds, per type, the value and value timestamp field the block was written from. */
export function sameInputs(from: readonly unknown[], agg: Record<string, unknown>, types: readonly string[],
  timeField: readonly (string | undefined)[]): boolean {
  // a lane's types are AGGREGATION_TYPES or one of them (aggregate-rows.ts laneRange): ten are all, in that order
  if (types.length === 10) return sameAllTypes(from, agg);
  for (let ti = 0; ti < types.length; ti++) {
    if (agg[types[ti]!] !== from[2 * ti]) return false;
    const f = timeField[ti];
    if (f !== undefined && agg[f] !== from[2 * ti + 1]) return false;
  }
  return true;
}

/**
 * sameInputs for a lane of every type in AGGREGATION_TYPES order (average, countbad, countgood, countuncertain,
 * firstvalue, lastvalue, maxvalue, minvalue, sd, sum; the value timestamps of first, last, max and min), by named
 * loads: the rendered aggregates share one shape, so these are monomorphic where `agg[types[ti]]` was a keyed load
 * of ten names (a third of a repeated page's build in the profile).
 */
function sameAllTypes(from: readonly unknown[], a: Record<string, unknown>): boolean {
  return a['average'] === from[0] && a['countbad'] === from[2] && a['countgood'] === from[4] && a['countuncertain'] === from[6]
    && a['firstvalue'] === from[8] && a['firsttime'] === from[9] && a['lastvalue'] === from[10] && a['lasttime'] === from[11]
    && a['maxvalue'] === from[12] && a['maxtime'] === from[13] && a['minvalue'] === from[14] && a['mintime'] === from[15]
    && a['sd'] === from[16] && a['sum'] === from[18];
}

/** What a block is written from (sameInputs' `from`). */
export function inputsOf(agg: Record<string, unknown>, types: readonly string[], timeField: readonly (string | undefined)[]): unknown[] {
  const from = new Array<unknown>(2 * types.length);
  for (let ti = 0; ti < types.length; ti++) {
    from[2 * ti] = agg[types[ti]!];
    const f = timeField[ti];
    from[2 * ti + 1] = f === undefined ? undefined : agg[f];
  }
  return from;
}
