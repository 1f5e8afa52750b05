/**
 * Stored form of a roll-up row of the SQLite time series store (issue 17, plant-scale ingest): the partial
 * aggregates of rollup.ts as a compact binary row — a little-endian u32 length, the JSON array of variable names,
 * then the 15 fields of each variable as float64 — when every first and last value is a number. Otherwise (a
 * string or boolean variable) the row stays JSON text. Rows of 10 numeric variables take ~1.3 KB instead of
 * ~2.4 KB of JSON, so a write dirties about half the roll-up pages, and no float is rounded through text.
 * Both forms are read, so rows written as JSON by earlier versions stay valid.
 */
import type { AggMap, VarAgg } from '../rollup.js';

const FIELDS = 15;
const FIRST = 11;
const LAST = 13;

export function encodeAggs(aggs: AggMap): Buffer | string {
  const names = Object.keys(aggs);
  for (const n of names) {
    const a = aggs[n]!;
    if (typeof a[FIRST] !== 'number' || typeof a[LAST] !== 'number') return JSON.stringify(aggs);
  }
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
