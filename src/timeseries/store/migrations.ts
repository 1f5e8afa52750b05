/**
 * Schema migrations of the SQLite time series store (timeseries.db): each version written out as it was, so a
 * database of any earlier version is brought up to date on open (core/db.ts runs them in order).
 */
import type { Migration } from '../../core/db.js';

export const TIMESERIES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'series, records, roll-ups',
    up: `
      CREATE TABLE series (
        id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, asset_id TEXT NOT NULL, aspect TEXT NOT NULL,
        zone TEXT NOT NULL, UNIQUE (tenant, asset_id, aspect));
      CREATE TABLE records (
        series INTEGER NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;
      CREATE TABLE rollups (
        series INTEGER NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (series, level, start)) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'stored record JSON starts with its canonical _time',
    up: (db) => {
      // The row format of version 2, written out here so that this migration stays what it was.
      const update = db.prepare('UPDATE records SET data = ? WHERE series = ? AND t = ?');
      const rows = db.prepare('SELECT series, t, data FROM records').all() as { series: number; t: number; data: string }[];
      for (const r of rows) {
        const values = JSON.parse(r.data) as Record<string, unknown>;
        if ('_time' in values) continue;
        const out: Record<string, unknown> = { _time: new Date(r.t).toISOString() };
        for (const k in values) if (values[k] !== null && values[k] !== undefined) out[k] = values[k];
        update.run(JSON.stringify(out), r.series, r.t);
      }
    },
  },
  {
    version: 3,
    // Nothing to convert (JSON rows stay readable); the version keeps older builds, which read JSON only, out.
    description: 'roll-up rows may be stored in the compact binary encoding (rollup-codec.ts)',
    up: () => {},
  },
  {
    version: 4,
    // The records rows are converted into chunks after this migration, series by series (convert.ts), and the
    // records table dropped once empty: a conversion cut short goes on at the next open.
    // Chunks and roll-ups are rowid tables: a row of up to ~4 KB stays on its page, where WITHOUT ROWID spills
    // everything past ~1 KB into an overflow page of its own (a 1.3 KB roll-up row took two pages).
    description: 'records stored in per-series compressed time chunks (chunks.ts, chunk-codec.ts); roll-ups rowid',
    up: `
      CREATE TABLE chunks (
        series INTEGER NOT NULL, hi INTEGER NOT NULL, lo INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (series, hi));
      CREATE TABLE rollups_v4 (
        series INTEGER NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (series, level, start));
      INSERT INTO rollups_v4 (series, level, start, data) SELECT series, level, start, data FROM rollups;
      DROP TABLE rollups;
      ALTER TABLE rollups_v4 RENAME TO rollups;
    `,
  },
  {
    version: 5,
    // Nothing to convert (version 1 binary rows and JSON rows stay readable); the version keeps older builds,
    // which read neither, out.
    description: 'roll-up rows may be stored in the binary version 2 (rollup-codec.ts)',
    up: () => {},
  },
  {
    version: 6,
    // Nothing to convert: a row without `upto` (every row written before) holds its whole bucket, as before. The
    // version keeps older builds, which would read an open row as its whole bucket, out.
    description: 'open hour and day roll-up rows: `upto` (rollup-rows.ts), the partial index of them',
    up: `
      ALTER TABLE rollups ADD COLUMN upto INTEGER;
      CREATE INDEX rollups_open ON rollups (series) WHERE upto IS NOT NULL;
    `,
  },
];
