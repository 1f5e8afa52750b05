/**
 * Storage port of Asset Management files: one row per file (its metadata and the object store key of its
 * current content). The bytes are in the platform's object store. Async so a PostgreSQL implementation can follow.
 */
export interface FileRow {
  tenant: string;
  id: string;
  name: string;
  originalFileName: string;
  description: string;
  scope: 'PRIVATE' | 'PUBLIC';
  mediaType: string;
  size: number;
  sha256: string | null;
  contentKey: string;
  etag: number;
  uploaded: number;
  lastModified: number;
}

export interface FileListQuery {
  where: { sql: string; params: (string | number)[] };
  orderBy: string;
  offset: number;
  limit: number;
}

export interface AssetFileStore {
  create(row: FileRow): Promise<void>;
  get(tenant: string, id: string): Promise<FileRow | undefined>;
  /** Replaces the row if its etag is still `etag`; false when it changed meanwhile. */
  update(row: FileRow, etag: number): Promise<boolean>;
  delete(tenant: string, id: string, etag: number): Promise<boolean>;
  list(tenant: string, q: FileListQuery): Promise<{ rows: FileRow[]; total: number }>;
  /** The ids among `ids` that name no file of the tenant. */
  missing(tenant: string, ids: readonly string[]): Promise<string[]>;
  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
