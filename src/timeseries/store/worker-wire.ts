/**
 * What the time series writer thread (worker-thread.ts) and its main-thread side (worker-store.ts) post to each
 * other: the messages, the compact form of a write's records, and errors as data.
 * A structured clone of 1,000 records of 10 doubles as objects costs ~0.7 ms to serialize and ~1.6 ms to
 * deserialize (v8.serialize/deserialize, in-process loop): as much as a third of what the server spent per
 * record. So records travel as columns: runs of records with the same keys in the same order (a segment) become
 * a Float64Array of their times and of each all-numeric column, one buffer per message and transferred; other
 * columns (strings, booleans, mixed) travel as arrays. The worker rebuilds the records with the same keys in the
 * same order (the stored text follows the key order). Variable maps are interned per thread: a map's entries
 * are posted once, then only its number. A write of a PUT body read into columns (record-reader.ts, checked by
 * records.ts checkColumns) is already in this form: its body's buffer is posted as it is, with each segment's
 * offsets in it, so its records are neither made nor copied on the main thread. In the thread, a write whose
 * segments are all numbers of one key list is handed to the store as one column block (a view of its buffer, or
 * the segments joined): the chunk store encodes it and sums its roll-ups column by column, and its record objects
 * are made only if something reads them (a write that overlaps stored records).
 */
import Database from 'better-sqlite3';
import { recordJson, writeColumns } from '../records.js';
import { type SeriesKey, SeriesZoneError, type SeriesWrite, type WriteRecord } from '../store.js';
import type { ColumnBlock } from './chunk-codec-open.js';
import { blockTimesFit, setWriteBlock } from './write-blocks.js';

/** The values of a column of a segment: all numbers (in the buffer), all undefined (`_time`), or an array. */
const NUM = 0;
const UNDEF = 1;
const ARR = 2;

/** A series write: key, zone id, interned variable map, and its segments. */
export type WireWrite = [tenant: string, assetId: string, aspect: string, zone: string, vars: number, segs: WireSeg[]];
/**
 * A segment: n records of one key list, in buffer `buf`: their times at offs[0], then each numeric (NUM) column at
 * the next offset, in key order.
 */
type WireSeg = [n: number, list: number, kinds: number[], buf: number, offs: number[]];

/** The records of one or more writes (see WireSeg). */
export interface WireWrites {
  /** The buffers of numbers: one of the writes made of records, and each body's columns (records.ts columnWrite). */
  bufs: Float64Array[];
  /** Key lists the segments name. */
  lists: string[][];
  /** Columns that are not all numbers, in order of appearance. */
  x: unknown[][];
  w: WireWrite[];
  /** Variable maps posted for the first time: [number, entries]. */
  defs: [number, [string, unknown][]][];
}

export type Request =
  | { id: number; op: 'put'; data: WireWrites }
  | { id: number; op: 'patch'; data: WireWrites }
  | { id: number; op: 'deleteRange'; data: WireWrites; from: number; to: number }
  | { id: number; op: 'rebuild'; data: WireWrites }
  | { id: number; op: 'dropAsset'; tenant: string; assetId: string }
  | { id: number; op: 'dropSeries'; key: SeriesKey }
  | { id: number; op: 'deleteTenant'; tenant: string }
  | { id: number; op: 'close'; signal: Int32Array };

/** A metric update made in the thread, replayed on the main thread's registry: [name, method, arguments]. */
export type MetricEvent = [string, 'inc' | 'observe', unknown[]];

export type Reply =
  | { id: number; ok: true; value: unknown; m?: MetricEvent[] }
  | { id: number; ok: false; error: WireError; m?: MetricEvent[] };

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  zone?: { key: SeriesKey; stored: string; given: string };
}

/** Interns variable maps for one thread: a map's number, and whether its entries still have to be posted. */
export class VarTable {
  private readonly ids = new WeakMap<ReadonlyMap<string, unknown>, number>();
  private next = 0;

  idOf(vars: ReadonlyMap<string, unknown>, defs: WireWrites['defs']): number {
    let id = this.ids.get(vars);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(vars, id);
      defs.push([id, [...vars]]);
    }
    return id;
  }
}

/** Key lists of a message, each posted once (the lists of a body's columns are mostly one array). */
class Lists {
  readonly lists: string[][] = [];
  private readonly ids = new Map<string, number>();
  private readonly byArray = new Map<readonly string[], number>();

  idOf(keys: readonly string[]): number {
    let id = this.byArray.get(keys);
    if (id !== undefined) return id;
    const sig = keys.join('\u0000');
    id = this.ids.get(sig);
    if (id === undefined) { id = this.lists.length; this.lists.push([...keys]); this.ids.set(sig, id); }
    this.byArray.set(keys, id);
    return id;
  }
}

/**
 * The records of the writes in their compact form (see the header); `transfer` is what postMessage moves. A write
 * of checked columns (records.ts columnWrite) is posted as it is: its body's buffer, transferred, and the
 * segments' offsets in it; its records are never made on this thread. The other writes' numbers are copied into
 * one buffer of their own.
 */
export function encodeWrites(writes: readonly SeriesWrite[], vars: VarTable): { data: WireWrites; transfer: ArrayBuffer[] } {
  const lists = new Lists();
  const bufs: Float64Array[] = [];
  const bufIds = new Map<Float64Array, number>();
  const x: unknown[][] = [];
  const w: WireWrite[] = [];
  const defs: WireWrites['defs'] = [];
  // Pass 1: segments and the kind of each of their columns; the size of the buffer of the writes of records.
  let size = 0;
  const segsOf: ({ start: number; keys: string[]; seg: WireSeg }[] | undefined)[] = [];
  for (const write of writes) {
    const { key, shape } = write;
    const checked = writeColumns(write);
    const segs: WireSeg[] = [];
    if (checked) {
      const { data } = checked.cols;
      let buf = bufIds.get(data);
      if (buf === undefined) { buf = bufs.length + 1; bufIds.set(data, buf); bufs.push(data); }
      for (const { n, keys, at, vals, timeAt } of checked.cols.segs) {
        const kinds = new Array<number>(keys.length);
        const offs = [timeAt];
        for (let j = 0; j < keys.length; j++) {
          if (keys[j] === '_time') kinds[j] = UNDEF;
          else if (at[j]! >= 0) { kinds[j] = NUM; offs.push(at[j]!); }
          else { kinds[j] = ARR; x.push(vals[j]!); }
        }
        segs.push([n, lists.idOf(keys), kinds, buf, offs]);
      }
      segsOf.push(undefined);
      w.push([key.tenant, key.assetId, key.aspect, shape.zone.id, vars.idOf(shape.variables, defs), segs]);
      continue;
    }
    const { records } = write;
    const runs: { start: number; keys: string[]; seg: WireSeg }[] = [];
    let i = 0;
    while (i < records.length) {
      const keys = Object.keys(records[i]!.values);
      const kinds = new Array<number>(keys.length);
      const first = records[i]!.values;
      for (let j = 0; j < keys.length; j++) {
        const v = first[keys[j]!];
        kinds[j] = typeof v === 'number' ? NUM : v === undefined ? UNDEF : ARR;
      }
      const start = i++;
      run: for (; i < records.length; i++) {
        const v = records[i]!.values;
        let j = 0;
        for (const k in v) {
          if (k !== keys[j]) break run;
          const value = v[k];
          const kind = typeof value === 'number' ? NUM : value === undefined ? UNDEF : ARR;
          if (kind !== kinds[j]) kinds[j] = ARR;
          j++;
        }
        if (j !== keys.length) break;
      }
      const n = i - start;
      const offs = [size];
      size += n;
      for (const kind of kinds) if (kind === NUM) { offs.push(size); size += n; }
      const seg: WireSeg = [n, lists.idOf(keys), kinds, 0, offs];
      segs.push(seg);
      runs.push({ start, keys, seg });
    }
    segsOf.push(runs);
    w.push([key.tenant, key.assetId, key.aspect, shape.zone.id, vars.idOf(shape.variables, defs), segs]);
  }
  // Pass 2: the numbers of the writes of records into their buffer (number 0), column by column; the other
  // columns as arrays, in the order pass 1 took the columns' arrays (x holds columns of both, by write).
  const f = new Float64Array(size);
  const xs: unknown[][] = [];
  let xi = 0;
  writes.forEach((write, wi) => {
    const runs = segsOf[wi];
    if (!runs) {
      for (const [, , kinds] of w[wi]![5]) for (const kind of kinds) if (kind === ARR) xs.push(x[xi++]!);
      return;
    }
    const { records } = write;
    for (const { start, keys, seg: [n, , kinds, , offs] } of runs) {
      const end = start + n;
      let p = offs[0]!;
      for (let i = start; i < end; i++) f[p++] = records[i]!.t;
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j]!;
        if (kinds[j] === NUM) for (let i = start; i < end; i++) f[p++] = records[i]!.values[k] as number;
        else if (kinds[j] === ARR) {
          const col = new Array<unknown>(n);
          for (let i = start; i < end; i++) col[i - start] = records[i]!.values[k];
          xs.push(col);
        }
      }
    }
  });
  bufs.unshift(f);
  const transfer: ArrayBuffer[] = bufs.map((b) => b.buffer as ArrayBuffer);
  return { data: { bufs, lists: lists.lists, x: xs, w, defs }, transfer };
}

/** A record rebuilt in the thread; its text is made only if the store asks for it (the SQLite store does not). */
class ThreadRecord implements WriteRecord {
  constructor(readonly t: number, readonly values: Record<string, unknown>) {}
  get json(): string {
    return recordJson(this.t, this.values);
  }
}

/** The records of a wire write's segments, as the main thread had them (ARR columns from `x` at `xi`). */
function segRecords(data: WireWrites, segs: readonly WireSeg[], xi: { at: number }): WriteRecord[] {
  const { bufs, lists, x } = data;
  const records: WriteRecord[] = [];
  for (const [n, list, kinds, buf, offs] of segs) {
    const keys = lists[list]!;
    const f = bufs[buf]!;
    const base = records.length;
    const times = offs[0]!;
    let o = 1;
    const cols: { at: number; arr?: unknown[] }[] = kinds.map((kind) => {
      if (kind === NUM) return { at: offs[o++]! };
      if (kind === ARR) return { at: -1, arr: x[xi.at++]! };
      return { at: -1 };
    });
    for (let i = 0; i < n; i++) {
      const values: Record<string, unknown> = {};
      for (let j = 0; j < keys.length; j++) {
        const c = cols[j]!;
        values[keys[j]!] = c.at >= 0 ? f[c.at + i] : c.arr ? c.arr[i] : undefined;
      }
      records[base + i] = new ThreadRecord(f[times + i]!, values);
    }
  }
  return records;
}

/**
 * The segments of a wire write as one column block, when every column of theirs is all numbers or all undefined
 * (`_time`), of one key list, and their times fit (chunks.ts blockTimesFit). A single segment whose columns lie
 * one after the other (as the body reader and encodeWrites lay them) is a view of its buffer; others are copied.
 */
function segBlock(data: WireWrites, segs: readonly WireSeg[]): ColumnBlock | undefined {
  let keys: string[] | undefined;
  let n = 0;
  for (const [m, list, kinds] of segs) {
    const all = data.lists[list]!;
    const own: string[] = [];
    for (let j = 0; j < kinds.length; j++) {
      if (kinds[j] === ARR || all[j] === '__proto__') return undefined;
      if (kinds[j] === NUM) own.push(all[j]!);
    }
    if (keys && (own.length !== keys.length || own.some((k, j) => k !== keys![j]))) return undefined;
    keys ??= own;
    n += m;
  }
  if (!keys || keys.length === 0 || n === 0) return undefined;
  const width = keys.length + 1;
  let block: ColumnBlock;
  const [first] = segs;
  const [, , , buf0, offs0] = first!;
  if (segs.length === 1 && offs0.every((o, c) => o === offs0[0]! + c * n)) {
    block = { n, keys, data: data.bufs[buf0]!.subarray(offs0[0]!, offs0[0]! + width * n) };
  } else {
    const out = new Float64Array(width * n);
    let at = 0;
    for (const [m, , , buf, offs] of segs) {
      const f = data.bufs[buf]!;
      for (let c = 0; c < width; c++) out.set(f.subarray(offs[c]!, offs[c]! + m), c * n + at);
      at += m;
    }
    block = { n, keys, data: out };
  }
  return blockTimesFit(block) ? block : undefined;
}

/**
 * The writes of a message, as the main thread had them (keys in their order, the records' text from recordJson).
 * A write whose records are one column block (segBlock) carries it for the store (chunks.ts setWriteBlock), and its
 * records are made only if read, from the same buffers: before the reply, which may give the buffers back.
 * `shapeOf` makes the shape of a zone id and a variable map (the thread's cache of zones and interned maps).
 */
export function decodeWrites(data: WireWrites, shapeOf: (zone: string, vars: number) => SeriesWrite['shape']): SeriesWrite[] {
  const xi = { at: 0 };
  return data.w.map(([tenant, assetId, aspect, zone, vars, segs]) => {
    const key = { tenant, assetId, aspect };
    const shape = shapeOf(zone, vars);
    const block = segBlock(data, segs);
    if (!block) return { key, shape, records: segRecords(data, segs, xi) };
    // a block has no ARR column: its records take nothing of x, so the writes after it find theirs
    const at = { at: xi.at };
    let records: WriteRecord[] | undefined;
    const write: SeriesWrite = { key, shape, get records() { return records ??= segRecords(data, segs, at); } };
    setWriteBlock(write, block);
    return write;
  });
}

/** An error of the store as data (its class is made again by `errorOf`). */
export function wireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out: WireError = { name: err.name, message: err.message, stack: err.stack };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err instanceof SeriesZoneError) out.zone = { key: { ...err.key }, stored: err.stored, given: err.given };
  return out;
}

/** The error as the store in the thread threw it: SeriesZoneError and SqliteError as themselves, others as Error. */
export function errorOf(e: WireError): Error {
  let err: Error;
  if (e.zone) err = new SeriesZoneError(e.zone.key, e.zone.stored, e.zone.given);
  else if (e.name === 'SqliteError') err = new Database.SqliteError(e.message, String(e.code));
  else {
    err = new Error(e.message);
    err.name = e.name;
    if (e.code !== undefined) (err as { code?: unknown }).code = e.code;
  }
  if (e.stack) err.stack = `${e.stack}\n    at (time series writer thread)`;
  return err;
}
