/**
 * The SQL of the SQLite time series store (sqlite.ts), prepared once per connection: series rows, records (one row
 * per record, clustered by series and time) and roll-ups (per series, level and bucket start).
 */
import type Database from 'better-sqlite3';

/** Timestamps per `t IN (…)` probe of which records a put overwrites. */
export const IN_CHUNK = 500;

export function prepareStatements(db: Database.Database): Record<string, Database.Statement> {
  return {
    seriesGet: db.prepare('SELECT id, zone FROM series WHERE tenant = ? AND asset_id = ? AND aspect = ?'),
    seriesAdd: db.prepare('INSERT INTO series (tenant, asset_id, aspect, zone) VALUES (?, ?, ?, ?)'),
    seriesZone: db.prepare('UPDATE series SET zone = ? WHERE id = ?'),
    seriesOfAsset: db.prepare('SELECT id FROM series WHERE tenant = ? AND asset_id = ?'),
    seriesOfAspect: db.prepare('SELECT asset_id FROM series WHERE tenant = ? AND aspect = ?'),
    seriesDel: db.prepare('DELETE FROM series WHERE id = ?'),
    recInsert: db.prepare('INSERT OR IGNORE INTO records (series, t, data) VALUES (?, ?, ?)'),
    recTimes: db.prepare('SELECT t FROM records WHERE series = ? AND t >= ? AND t <= ? LIMIT ?').pluck(),
    recTimesIn: db.prepare(`SELECT t FROM records WHERE series = ? AND t IN (${Array(IN_CHUNK).fill('?').join(',')})`).pluck(),
    recUpdate: db.prepare('UPDATE records SET data = ? WHERE series = ? AND t = ?'),
    recGet: db.prepare('SELECT data FROM records WHERE series = ? AND t = ?').pluck(),
    recAsc: db.prepare('SELECT t, data AS json FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?'),
    recDesc: db.prepare('SELECT t, data AS json FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t DESC LIMIT ?'),
    textAsc: db.prepare('SELECT data FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t LIMIT ?').pluck(),
    textDesc: db.prepare('SELECT data FROM records WHERE series = ? AND t > ? AND t <= ? ORDER BY t DESC LIMIT ?').pluck(),
    recDelRange: db.prepare('DELETE FROM records WHERE series = ? AND t > ? AND t <= ?'),
    recCount: db.prepare('SELECT count(*) AS n FROM records WHERE series = ? AND t > ? AND t <= ?'),
    recSpan: db.prepare('SELECT min(t) AS lo, max(t) AS hi FROM records WHERE series = ? AND t > ? AND t <= ?'),
    recDelSeries: db.prepare('DELETE FROM records WHERE series = ?'),
    rollGet: db.prepare('SELECT data FROM rollups WHERE series = ? AND level = ? AND start = ?').pluck(),
    rollUpdate: db.prepare('UPDATE rollups SET data = ? WHERE series = ? AND level = ? AND start = ?'),
    rollPut: db.prepare('INSERT OR REPLACE INTO rollups (series, level, start, data) VALUES (?, ?, ?, ?)'),
    rollDel: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start = ?'),
    rollDelRange: db.prepare('DELETE FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start <= ?'),
    rollDelSeries: db.prepare('DELETE FROM rollups WHERE series = ?'),
    rollRange: db.prepare('SELECT start, data FROM rollups WHERE series = ? AND level = ? AND start >= ? AND start < ? ORDER BY start'),
  };
}
