/**
 * What the time series writer thread (worker-thread.ts) and its main-thread side (worker-store.ts) post to each
 * other: the messages, the compact form of a write's records, and errors as data.
 * A structured clone of 1,000 records of 10 doubles as objects costs ~0.7 ms to serialize and ~1.6 ms to
 * deserialize (v8.serialize/deserialize, in-process loop): as much as a third of what the server spent per
 * record. So records travel as columns: runs of records with the same keys in the same order (a segment) become
 * a Float64Array of their times and of each all-numeric column, one buffer per message and transferred; other
 * columns (strings, booleans, mixed) travel as arrays. The worker rebuilds the records with the same keys in the
 * same order (the stored text follows the key order). Variable maps are interned per thread: a map's entries
 * are posted once, then only its number.
 */
import Database from 'better-sqlite3';
import { recordJson } from '../records.js';
import { type SeriesKey, SeriesZoneError, type SeriesWrite, type WriteRecord } from '../store.js';

/** The values of a column of a segment: all numbers (in the buffer), all undefined (`_time`), or an array. */
const NUM = 0;
const UNDEF = 1;
const ARR = 2;

/** A series write: key, zone id, interned variable map, and its segments as [records, key list, kinds]. */
export type WireWrite = [tenant: string, assetId: string, aspect: string, zone: string, vars: number, segs: WireSeg[]];
type WireSeg = [n: number, list: number, kinds: number[]];

/** The records of one or more writes: numbers in `f` (times of a segment, then its numeric columns, in order). */
export interface WireWrites {
  f: Float64Array;
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

/** The records of the writes in their compact form (see the header); `transfer` is what postMessage moves. */
export function encodeWrites(writes: readonly SeriesWrite[], vars: VarTable): { data: WireWrites; transfer: ArrayBuffer[] } {
  const lists: string[][] = [];
  const listIds = new Map<string, number>();
  const x: unknown[][] = [];
  const w: WireWrite[] = [];
  const defs: WireWrites['defs'] = [];
  // Pass 1: segments and the kind of each of their columns; the size of the buffer.
  let size = 0;
  const segsOf: { start: number; keys: string[]; seg: WireSeg }[][] = [];
  for (const { key, shape, records } of writes) {
    const segs: { start: number; keys: string[]; seg: WireSeg }[] = [];
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
      const sig = keys.join('\u0000');
      let list = listIds.get(sig);
      if (list === undefined) { list = lists.length; lists.push(keys); listIds.set(sig, list); }
      const n = i - start;
      size += n;
      for (const kind of kinds) if (kind === NUM) size += n;
      segs.push({ start, keys, seg: [n, list, kinds] });
    }
    segsOf.push(segs);
    w.push([key.tenant, key.assetId, key.aspect, shape.zone.id, vars.idOf(shape.variables, defs), segs.map((s) => s.seg)]);
  }
  // Pass 2: the numbers into the buffer, column by column; the other columns as arrays.
  const f = new Float64Array(size);
  let p = 0;
  writes.forEach(({ records }, wi) => {
    for (const { start, keys, seg: [n, , kinds] } of segsOf[wi]!) {
      const end = start + n;
      for (let i = start; i < end; i++) f[p++] = records[i]!.t;
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j]!;
        if (kinds[j] === NUM) for (let i = start; i < end; i++) f[p++] = records[i]!.values[k] as number;
        else if (kinds[j] === ARR) {
          const col = new Array<unknown>(n);
          for (let i = start; i < end; i++) col[i - start] = records[i]!.values[k];
          x.push(col);
        }
      }
    }
  });
  return { data: { f, lists, x, w, defs }, transfer: [f.buffer as ArrayBuffer] };
}

/** A record rebuilt in the thread; its text is made only if the store asks for it (the SQLite store does not). */
class ThreadRecord implements WriteRecord {
  constructor(readonly t: number, readonly values: Record<string, unknown>) {}
  get json(): string {
    return recordJson(this.t, this.values);
  }
}

/**
 * The writes of a message, as the main thread had them (keys in their order, the records' text from recordJson).
 * `shapeOf` makes the shape of a zone id and a variable map (the thread's cache of zones and interned maps).
 */
export function decodeWrites(data: WireWrites, shapeOf: (zone: string, vars: number) => SeriesWrite['shape']): SeriesWrite[] {
  const { f, lists, x } = data;
  let p = 0;
  let xi = 0;
  return data.w.map(([tenant, assetId, aspect, zone, vars, segs]) => {
    const records: WriteRecord[] = [];
    for (const [n, list, kinds] of segs) {
      const keys = lists[list]!;
      const base = records.length;
      const times = p;
      p += n;
      const cols: { at: number; arr?: unknown[] }[] = kinds.map((kind) => {
        if (kind === NUM) { const at = p; p += n; return { at }; }
        if (kind === ARR) return { at: -1, arr: x[xi++]! };
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
    return { key: { tenant, assetId, aspect }, shape: shapeOf(zone, vars), records };
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
