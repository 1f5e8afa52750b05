/**
 * The SQL of the SQLite time series store (sqlite.ts), prepared once per connection: series rows and roll-ups (per
 * series, level and bucket start). The chunk table's SQL is chunks.ts'.
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
    rollGet: db.prepare('SELECT data FROM rollups WHERE series = ? AND level = ? AND start = ?').pluck(),
    rollUpdate: db.prepare('UPDATE rollups SET data = ? WHERE series = ? AND level = ? AND start = ?'),
    rollPut: db.prepare('INSERT OR REPLACE INTO rollups (series, level, start, data) VALUES (?, ?, ?, ?)'),
    rollDel: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start = ?'),
    rollDelRange: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start <= ?'),
    rollDelSeries: db.prepare('DELETE FROM rollups WHERE series = ?'),
    rollRange: db.prepare('SELECT start, data FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start < ? ORDER BY start'),
  };
}
