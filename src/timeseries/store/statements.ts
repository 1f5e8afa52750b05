/**
 * The SQL of the SQLite time series store (sqlite.ts), prepared once per connection: series rows and roll-ups (per
 * series, level and bucket start; `upto` marks an open hour or day row, rollup-rows.ts). The chunk table's SQL is
 * chunks.ts'.
 */
import type Database from 'better-sqlite3';

export function prepareStatements(db: Database.Database): Record<string, Database.Statement> {
  return {
    seriesGet: db.prepare('SELECT id, zone FROM series WHERE tenant = ? AND asset_id = ? AND aspect = ?'),
    seriesAdd: db.prepare('INSERT INTO series (tenant, asset_id, aspect, zone) VALUES (?, ?, ?, ?)'),
    seriesZone: db.prepare('UPDATE series SET zone = ? WHERE id = ?'),
    seriesOfAsset: db.prepare('SELECT id FROM series WHERE tenant = ? AND asset_id = ?'),
    seriesOfAspect: db.prepare('SELECT asset_id FROM series WHERE tenant = ? AND aspect = ?'),
    seriesDel: db.prepare('DELETE FROM series WHERE id = ?'),
    rollGet: db.prepare('SELECT data, upto FROM rollups WHERE series = ? AND level = ? AND start = ?'),
    rollUpdate: db.prepare('UPDATE rollups SET data = ?, upto = ? WHERE series = ? AND level = ? AND start = ?'),
    rollPut: db.prepare('INSERT OR REPLACE INTO rollups (series, level, start, data, upto) VALUES (?, ?, ?, ?, ?)'),
    rollDel: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start = ?'),
    rollDelRange: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start <= ?'),
    rollDelSeries: db.prepare('DELETE FROM rollups WHERE series = ?'),
    rollRange: db.prepare('SELECT start, data, upto FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start < ? ORDER BY start'),
    // the open (partial) hour and day rows of a series, through the partial index rollups_open
    rollOpen: db.prepare('SELECT level, start FROM rollups WHERE series = ? AND upto IS NOT NULL'),
  };
}
