/**
 * The data part of schema version 4 of timeseries.db (migrations.ts): the JSON records rows of earlier versions
 * become compressed chunks (chunks.ts) when the store opens, before it serves. Resumable: one series per IMMEDIATE
 * transaction (its chunks written and its records rows removed together), so a process killed mid-way leaves
 * whole series converted or untouched and the next open goes on; several processes opening at once share the work.
 * The records table is dropped once empty. Progress goes to the log, flushed line by line: the conversion blocks the
 * event loop, so an asynchronous destination would otherwise print every line only at the end.
 */
import type Database from 'better-sqlite3';
import { flushLogSync } from '../../core/log.js';
import { CHUNK_MAX, type ChunkRecord, Chunks } from './chunks.js';

export interface ConvertLog { info(fields: object, message: string): void }

function progress(log: ConvertLog | undefined, fields: object, message: string): void {
  if (!log) return;
  log.info(fields, message);
  flushLogSync(log);
}

export interface ConvertOptions {
  log?: ConvertLog;
  /** Stops after this many series (what an interrupted conversion leaves; for tests). */
  maxSeries?: number;
}

/** Converts every remaining records row into chunks; returns the number of series converted by this call. */
export function convertRecords(db: Database.Database, chunks: Chunks, options: ConvertOptions = {}): number {
  const hasRecords = () => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'").get() !== undefined;
  if (!hasRecords()) return 0;
  const next = db.prepare<[], number>('SELECT series FROM records LIMIT 1').pluck();
  const page = db.prepare<[number, number, number], { t: number; data: string }>(
    'SELECT t, data FROM records WHERE series = ? AND t > ? ORDER BY t LIMIT ?');
  const remove = db.prepare('DELETE FROM records WHERE series = ?');
  const left = db.prepare<[], number>('SELECT count(DISTINCT series) FROM records').pluck();
  const total = left.get() ?? 0;
  if (total > 0) progress(options.log, { series: total }, 'time series: converting records to compressed chunks');
  let converted = 0;
  const step = db.transaction((): boolean => {
    const sid = next.get();
    if (sid === undefined) {
      db.exec('DROP TABLE IF EXISTS records');
      return false;
    }
    let after = -Infinity;
    let n = 0;
    for (;;) {
      const rows = page.all(sid, after, CHUNK_MAX);
      if (rows.length === 0) break;
      const recs: ChunkRecord[] = rows.map((r) => {
        const { _time: _, ...values } = JSON.parse(r.data) as Record<string, unknown>;
        return { t: r.t, values };
      });
      // Pages arrive ascending and each starts after the last: the chunks stay disjoint and ordered.
      chunks.write(sid, recs);
      n += rows.length;
      after = rows[rows.length - 1]!.t;
    }
    remove.run(sid);
    converted++;
    progress(options.log, { series: sid, records: n, done: converted, of: total }, 'time series: series converted to chunks');
    return true;
  });
  while ((options.maxSeries === undefined || converted < options.maxSeries) && step.immediate()) { /* next series */ }
  if (!hasRecords() && converted > 0) progress(options.log, { series: converted }, 'time series: conversion to chunks done');
  return converted;
}
