/**
 * Storage port of IoT File: one row per file of an entity (its metadata and the object store key of its current
 * content; the bytes are in the platform's object store), and the multipart uploads in progress with their parts.
 * Async so a PostgreSQL implementation can follow; the contract suite test/iotfile/store.contract.ts runs on it.
 */
export interface IotFileRow {
  tenant: string;
  entityId: string;
  /** The directory: '' at the top, else ending with '/'. */
  path: string;
  name: string;
  type: string;
  size: number;
  description: string;
  /** Epoch ms: the file's own timestamp (the `timestamp` header), its creation and its last update. */
  timestamp: number;
  created: number;
  updated: number;
  createdBy: string;
  updatedBy: string;
  etag: number;
  contentKey: string;
}

export interface UploadRow {
  tenant: string;
  entityId: string;
  path: string;
  name: string;
  uploadId: string;
  contentKey: string;
  type: string;
  description: string;
  timestamp: number;
  /** The If-Match of the start request, checked again at completion. */
  ifMatch: string | null;
  started: number;
}

export interface PartRow { partNumber: number; etag: string; size: number }

export interface IotFileStore {
  get(tenant: string, entityId: string, path: string, name: string): Promise<IotFileRow | undefined>;
  /** Inserts when `etag` is undefined (false if the file exists), else replaces the row whose etag is still `etag`. */
  put(row: IotFileRow, etag: number | undefined): Promise<boolean>;
  delete(tenant: string, entityId: string, path: string, name: string, etag: number): Promise<boolean>;
  /** All files of an entity (the search filters and orders them). */
  list(tenant: string, entityId: string): Promise<IotFileRow[]>;
  /** Starts an upload; returns the one it replaced, if any. */
  startUpload(row: UploadRow): Promise<UploadRow | undefined>;
  getUpload(tenant: string, entityId: string, path: string, name: string): Promise<UploadRow | undefined>;
  addPart(upload: UploadRow, part: PartRow): Promise<boolean>;
  parts(upload: UploadRow): Promise<PartRow[]>;
  /** Removes the upload and its parts; false when it was not (or no longer) in progress. */
  endUpload(upload: UploadRow): Promise<boolean>;
  /** Removes every row of the tenant (the tenant delete); returns the multipart uploads it had open, to abort. */
  deleteTenant(tenant: string): Promise<{ contentKey: string; uploadId: string }[]>;
  close(): void;
}
