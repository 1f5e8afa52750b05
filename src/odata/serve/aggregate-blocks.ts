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
 * Blocks of all lanes together hold at most MAX_BYTES; past that all are dropped.
 */

/** The rows of one interval and variable: row i is `bytes[offs[i], offs[i + 1] - 1)`, each followed by its `,`. */
export interface RowBlock {
  timestamp: string;
  endTimestamp: string;
  /** Per type (the lane's order) its value and its value timestamp field, as the rows were written from them. */
  from: unknown[];
  bytes: Buffer;
  offs: Int32Array;
  /** The lane's type index of each row. */
  types: Uint8Array;
}

/** The blocks of one lane key: per interval start, per variable index. */
export interface LaneBlocks {
  key: string;
  byStart: Map<number, (RowBlock | undefined)[]>;
}

/** Bytes of all blocks kept (a few pages of 2000 rows). */
const MAX_BYTES = 8 << 20;
const lanes = new Map<string, LaneBlocks>();
let held = 0;

/** The blocks of a lane key (made when there are none). */
export function laneBlocks(key: string): LaneBlocks {
  let lane = lanes.get(key);
  if (!lane) {
    lane = { key, byStart: new Map() };
    lanes.set(key, lane);
  }
  return lane;
}

/** Keeps a block for interval `start` and variable `vi` of a lane (replacing the one it had). */
export function keepBlock(lane: LaneBlocks, start: number, vi: number, block: RowBlock): void {
  if (held + block.bytes.length > MAX_BYTES) {
    for (const l of lanes.values()) l.byStart.clear();
    lanes.clear();
    held = 0;
  }
  // a lane dropped above (or by another call) is kept again, so its blocks are counted
  lanes.set(lane.key, lane);
  let list = lane.byStart.get(start);
  if (!list) lane.byStart.set(start, list = []);
  held += block.bytes.length - (list[vi]?.bytes.length ?? 0);
  list[vi] = block;
}

/** Whether `agg` holds, per type, the value and value timestamp field the block was written from. */
export function sameInputs(from: readonly unknown[], agg: Record<string, unknown>, types: readonly string[],
  timeField: readonly (string | undefined)[]): boolean {
  for (let ti = 0; ti < types.length; ti++) {
    if (agg[types[ti]!] !== from[2 * ti]) return false;
    const f = timeField[ti];
    if (f !== undefined && agg[f] !== from[2 * ti + 1]) return false;
  }
  return true;
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
