/** SQLite implementation of the Event Management store (events.db): event types and events of every tenant. */
import type { SqliteSync } from '../../core/config.js';
import { deleteTenantRows, type Db, type Migration, openDatabase } from '../../core/db.js';
import type { DeleteJobRow, EventListQuery, EventRow, EventStore, EventTypeRow } from '../store.js';

export const EVENT_MIGRATIONS: readonly Migration[] = [{
  version: 1,
  description: 'event types and events',
  up: `CREATE TABLE event_types (
    tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, parent_id TEXT NOT NULL, ttl INTEGER NOT NULL,
    scope TEXT NOT NULL, fields TEXT NOT NULL, etag INTEGER NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;
  CREATE TABLE events (
    tenant TEXT NOT NULL, id TEXT NOT NULL, type_id TEXT NOT NULL, entity_id TEXT NOT NULL, correlation_id TEXT,
    timestamp INTEGER NOT NULL, severity INTEGER, description TEXT, code TEXT, source TEXT, source_type TEXT,
    source_id TEXT, acknowledged INTEGER, custom TEXT NOT NULL, etag INTEGER NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;
  CREATE INDEX events_time ON events (tenant, timestamp);
  CREATE INDEX events_entity ON events (tenant, entity_id, timestamp);
  CREATE INDEX events_type ON events (tenant, type_id);`,
}, {
  version: 2,
  description: 'delete jobs',
  up: `CREATE TABLE delete_jobs (tenant TEXT NOT NULL, id TEXT NOT NULL, filter TEXT NOT NULL, state TEXT NOT NULL,
    deleted INTEGER NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;`,
}];

interface TypeDb { tenant: string; id: string; name: string; parent_id: string; ttl: number; scope: string; fields: string; etag: number }
interface EventDb {
  tenant: string; id: string; type_id: string; entity_id: string; correlation_id: string | null; timestamp: number;
  severity: number | null; description: string | null; code: string | null; source: string | null; source_type: string | null;
  source_id: string | null; acknowledged: number | null; custom: string; etag: number;
}

const typeOf = (r: TypeDb): EventTypeRow => ({ tenant: r.tenant, id: r.id, name: r.name, parentId: r.parent_id, ttl: r.ttl,
  scope: r.scope as EventTypeRow['scope'], fields: JSON.parse(r.fields) as EventTypeRow['fields'], etag: r.etag });
const typeParams = (t: EventTypeRow) => ({ ...t, fields: JSON.stringify(t.fields) });

const eventOf = (r: EventDb): EventRow => ({
  tenant: r.tenant, id: r.id, typeId: r.type_id, entityId: r.entity_id, correlationId: r.correlation_id, timestamp: r.timestamp,
  severity: r.severity, description: r.description, code: r.code, source: r.source, sourceType: r.source_type, sourceId: r.source_id,
  acknowledged: r.acknowledged === null ? null : r.acknowledged === 1, custom: JSON.parse(r.custom) as Record<string, unknown>, etag: r.etag,
});
const eventParams = (e: EventRow) => ({ ...e, acknowledged: e.acknowledged === null ? null : e.acknowledged ? 1 : 0, custom: JSON.stringify(e.custom) });

export class SqliteEventStore implements EventStore {
  private readonly db: Db;

  constructor(options: { dataDir: string; sync: SqliteSync }) {
    this.db = openDatabase({ dataDir: options.dataDir, name: 'events', migrations: EVENT_MIGRATIONS, sync: options.sync });
  }

  async createType(row: EventTypeRow): Promise<boolean> {
    return this.db.prepare(`INSERT OR IGNORE INTO event_types (tenant, id, name, parent_id, ttl, scope, fields, etag)
      VALUES (@tenant, @id, @name, @parentId, @ttl, @scope, @fields, @etag)`).run(typeParams(row)).changes === 1;
  }

  async getType(tenant: string, id: string): Promise<EventTypeRow | undefined> {
    const r = this.db.prepare('SELECT * FROM event_types WHERE tenant = ? AND id = ?').get(tenant, id) as TypeDb | undefined;
    return r && typeOf(r);
  }

  async listTypes(tenant: string): Promise<EventTypeRow[]> {
    return (this.db.prepare('SELECT * FROM event_types WHERE tenant = ? ORDER BY id').all(tenant) as TypeDb[]).map(typeOf);
  }

  async updateType(row: EventTypeRow, etag: number): Promise<boolean> {
    return this.db.prepare(`UPDATE event_types SET name = @name, parent_id = @parentId, ttl = @ttl, scope = @scope, fields = @fields,
      etag = @etag WHERE tenant = @tenant AND id = @id AND etag = @old`).run({ ...typeParams(row), old: etag }).changes === 1;
  }

  async deleteType(tenant: string, id: string, etag: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM event_types WHERE tenant = ? AND id = ? AND etag = ?').run(tenant, id, etag).changes === 1;
  }

  async countEvents(tenant: string, typeId: string): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM events WHERE tenant = ? AND type_id = ?').get(tenant, typeId) as { n: number }).n;
  }

  async createEvent(row: EventRow): Promise<void> {
    this.db.prepare(`INSERT INTO events (tenant, id, type_id, entity_id, correlation_id, timestamp, severity, description, code, source,
      source_type, source_id, acknowledged, custom, etag) VALUES (@tenant, @id, @typeId, @entityId, @correlationId, @timestamp, @severity,
      @description, @code, @source, @sourceType, @sourceId, @acknowledged, @custom, @etag)`).run(eventParams(row));
  }

  async getEvent(tenant: string, id: string): Promise<EventRow | undefined> {
    const r = this.db.prepare('SELECT * FROM events WHERE tenant = ? AND id = ?').get(tenant, id) as EventDb | undefined;
    return r && eventOf(r);
  }

  async updateEvent(row: EventRow, etag: number): Promise<boolean> {
    return this.db.prepare(`UPDATE events SET correlation_id = @correlationId, timestamp = @timestamp, severity = @severity,
      description = @description, code = @code, source = @source, source_type = @sourceType, source_id = @sourceId,
      acknowledged = @acknowledged, custom = @custom, etag = @etag WHERE tenant = @tenant AND id = @id AND etag = @old`)
      .run({ ...eventParams(row), old: etag }).changes === 1;
  }

  async listEvents(tenant: string, q: EventListQuery): Promise<{ rows: EventRow[]; total: number }> {
    const base = `FROM events WHERE tenant = ? AND (${q.where.sql})`;
    const total = (this.db.prepare(`SELECT count(*) AS n ${base}`).get(tenant, ...q.where.params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * ${base} ORDER BY ${q.orderBy} LIMIT ? OFFSET ?`)
      .all(tenant, ...q.where.params, q.limit, q.offset) as EventDb[];
    return { rows: rows.map(eventOf), total };
  }

  async deleteEvents(tenant: string, where: EventListQuery['where'], job: DeleteJobRow): Promise<number> {
    return this.db.transaction(() => {
      const n = this.db.prepare(`DELETE FROM events WHERE tenant = ? AND (${where.sql})`).run(tenant, ...where.params).changes;
      this.db.prepare(`INSERT INTO delete_jobs (tenant, id, filter, state, deleted, created) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(tenant, job.id, JSON.stringify(job.filter), job.state, n, job.created);
      return n;
    })();
  }

  async getDeleteJob(tenant: string, id: string): Promise<DeleteJobRow | undefined> {
    const r = this.db.prepare('SELECT * FROM delete_jobs WHERE tenant = ? AND id = ?').get(tenant, id) as
      { tenant: string; id: string; filter: string; state: DeleteJobRow['state']; deleted: number; created: number } | undefined;
    return r && { ...r, filter: JSON.parse(r.filter) as unknown };
  }

  async deleteTenant(tenant: string): Promise<number> {
    return deleteTenantRows(this.db, tenant, ['event_types', 'events', 'delete_jobs'].map((t) => `DELETE FROM ${t} WHERE tenant = ?`));
  }
  close(): void {
    this.db.close();
  }
}
