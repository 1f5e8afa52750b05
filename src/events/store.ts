/**
 * Storage port of Event Management: the tenant's event types (with their typed fields) and its events. The
 * standard fields of an event are columns (so the list filter compiles to SQL); a typed event's own fields are
 * kept as one JSON object. Async so a PostgreSQL implementation can follow; one contract suite
 * (test/events/store.contract.ts) runs against every implementation.
 */
export type FieldType = 'STRING' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'LINK' | 'TIMESTAMP' | 'UUID' | 'ENUM';

export interface FieldDef {
  name: string;
  type: FieldType;
  filterable: boolean;
  required: boolean;
  updatable: boolean;
  values?: string[];
}

export interface EventTypeRow {
  tenant: string;
  id: string;
  name: string;
  parentId: string;
  ttl: number;
  scope: 'LOCAL' | 'GLOBAL';
  fields: FieldDef[];
  etag: number;
}

export interface EventRow {
  tenant: string;
  id: string;
  typeId: string;
  entityId: string;
  correlationId: string | null;
  /** Epoch milliseconds. */
  timestamp: number;
  severity: number | null;
  description: string | null;
  code: string | null;
  source: string | null;
  sourceType: string | null;
  sourceId: string | null;
  acknowledged: boolean | null;
  /** The event type's own fields. */
  custom: Record<string, unknown>;
  etag: number;
}

export interface EventListQuery {
  /** A WHERE fragment over the store's columns (trusted text; the values are parameters). */
  where: { sql: string; params: (string | number)[] };
  /** ORDER BY text over the store's columns (trusted). */
  orderBy: string;
  offset: number;
  limit: number;
}

/** The columns a filter or sort may name, by event field. */
export const EVENT_COLUMNS: Readonly<Record<string, string>> = {
  id: 'id', typeId: 'type_id', entityId: 'entity_id', correlationId: 'correlation_id', timestamp: 'timestamp',
  severity: 'severity', description: 'description', code: 'code', source: 'source', sourceType: 'source_type',
  sourceId: 'source_id', acknowledged: 'acknowledged',
};

/** A bulk deletion (`/deleteEventsJobs`): done when it is recorded, its outcome kept for GET. */
export interface DeleteJobRow {
  tenant: string;
  id: string;
  filter: unknown;
  state: 'ACCEPTED' | 'IN_PROGRESS' | 'FINISHED' | 'FINISHED_WITH_ERROR';
  deleted: number;
  created: number;
}

export interface EventStore {
  /** False when the tenant has a type with that id already. */
  createType(row: EventTypeRow): Promise<boolean>;
  getType(tenant: string, id: string): Promise<EventTypeRow | undefined>;
  listTypes(tenant: string): Promise<EventTypeRow[]>;
  /** Replaces the type if its etag is still `etag`. */
  updateType(row: EventTypeRow, etag: number): Promise<boolean>;
  deleteType(tenant: string, id: string, etag: number): Promise<boolean>;
  countEvents(tenant: string, typeId: string): Promise<number>;
  createEvent(row: EventRow): Promise<void>;
  getEvent(tenant: string, id: string): Promise<EventRow | undefined>;
  /** Replaces the event if its etag is still `etag`. */
  updateEvent(row: EventRow, etag: number): Promise<boolean>;
  listEvents(tenant: string, q: EventListQuery): Promise<{ rows: EventRow[]; total: number }>;
  /** Deletes the tenant's events matching `where` and records the job, in one transaction; returns the count. */
  deleteEvents(tenant: string, where: EventListQuery['where'], job: DeleteJobRow): Promise<number>;
  getDeleteJob(tenant: string, id: string): Promise<DeleteJobRow | undefined>;
  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
