/**
 * Storage port of the Integrated Data Lake: the index of objects (the bytes are in the object store), their
 * folders, tags, open multipart uploads, delete jobs, event subscriptions with their pending deliveries, WRITE
 * permissions, and the URL signing key. An object row is written only after its bytes are in place and removed
 * before they go, so the index never lists what cannot be read. Async so a PostgreSQL implementation can follow.
 * Every method that reads or changes a tenant's rows takes its scope (or a row carrying it) and scopes its query by
 * it, so an id or path of another tenant finds nothing even if a caller forgot to check; only the process-wide
 * sweeps (expiredUploads, dueDeliveries) and deleteTenant cross tenants.
 */
export interface ScopeKey {
  tenant: string;
  /** '' for the tenant's own space. */
  sub: string;
}

export interface ObjectRow extends ScopeKey {
  path: string;
  size: number;
  etag: string;
  md5: string | null;
  sha256: string | null;
  lastModified: number;
  tags: string[];
}

export interface ChildRow {
  path: string;
  folder: boolean;
  size: number;
  lastModified: number;
  tags: string[];
}

export interface UploadRow extends ScopeKey {
  id: string;
  path: string;
  storeId: string;
  created: number;
  expires: number;
}

export interface PartRow {
  partNumber: number;
  etag: string;
  size: number;
  sha256: string;
}

export type EventType = 'MODIFY' | 'DELETE';

export interface SubscriptionRow extends ScopeKey {
  id: string;
  path: string;
  destination: string;
  secret: string;
  status: 'ACTIVE' | 'INACTIVE';
  etag: number;
  created: number;
}

export type DeliveryState = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface DeliveryRow {
  id: number;
  subscriptionId: string;
  event: string;
  state: DeliveryState;
  attempts: number;
  nextAt: number;
  lastStatus: number | null;
  lastError: string | null;
  created: number;
  deliveredAt: number | null;
}

export type JobObjectStatus = 'PENDING' | 'DELETED' | 'FAILED' | 'NOTFOUND';

export interface JobRow extends ScopeKey {
  id: string;
  created: number;
  total: number;
  deleted: number;
  failed: number;
  notFound: number;
}

export interface PermissionRow extends ScopeKey {
  id: string;
  path: string;
  permission: 'WRITE';
  created: number;
}

/** An event to queue for every matching active subscription, in the transaction that changed the object. */
export interface ObjectEvent {
  type: EventType;
  path: string;
  at: number;
}

export interface DatalakeStore {
  signingKey(): Promise<Buffer>;

  getObject(scope: ScopeKey, path: string): Promise<ObjectRow | undefined>;
  /** Inserts or replaces the row (keeping tags on replace), maintains folders, queues the MODIFY event. */
  putObject(row: Omit<ObjectRow, 'tags'>, event: ObjectEvent): Promise<ObjectRow>;
  /** Removes the row, maintains folders, queues the DELETE event; false when there was none. */
  deleteObject(scope: ScopeKey, path: string, event: ObjectEvent): Promise<boolean>;
  setTags(scope: ScopeKey, path: string, tags: string[]): Promise<ObjectRow | undefined>;
  /** Direct children of a folder ('' = root), folders and objects together in path order, after `after`. */
  listChildren(scope: ScopeKey, folder: string, after: string | undefined, limit: number): Promise<ChildRow[]>;
  /** Every object under a folder, recursively, in path order, after `after`. */
  listUnder(scope: ScopeKey, folder: string, after: string | undefined, limit: number): Promise<ObjectRow[]>;
  folderExists(scope: ScopeKey, folder: string): Promise<boolean>;
  /** Objects matching a compiled filter (SQL over the objects table), `subs` undefined = every subtenant too. */
  search(tenant: string, subs: string[] | undefined, where: { sql: string; params: unknown[] }, under: string,
    offset: number, limit: number): Promise<{ rows: ObjectRow[]; total: number }>;

  /** Creates the upload unless one is open on the path; undefined when one is. */
  createUpload(row: UploadRow): Promise<UploadRow | undefined>;
  getUpload(scope: ScopeKey, id: string): Promise<UploadRow | undefined>;
  openUploadOn(scope: ScopeKey, path: string, now: number): Promise<UploadRow | undefined>;
  /** Records a part of the scope's upload; false when the scope has no upload `uploadId`. */
  putPart(scope: ScopeKey, uploadId: string, part: PartRow): Promise<boolean>;
  parts(scope: ScopeKey, uploadId: string): Promise<PartRow[]>;
  /** Removes the upload and its parts; false when it was gone already (or is another scope's). */
  endUpload(scope: ScopeKey, id: string): Promise<boolean>;
  expiredUploads(now: number, limit: number): Promise<UploadRow[]>;

  createJob(job: JobRow, paths: string[]): Promise<void>;
  getJob(scope: ScopeKey, id: string): Promise<JobRow | undefined>;
  listJobs(scope: ScopeKey, offset: number, limit: number): Promise<{ rows: JobRow[]; total: number }>;
  jobObjects(scope: ScopeKey, id: string, statuses: JobObjectStatus[]): Promise<Array<{ idx: number; path: string; status: JobObjectStatus }>>;
  setJobObject(scope: ScopeKey, id: string, idx: number, status: Exclude<JobObjectStatus, 'PENDING'>): Promise<void>;

  createSubscription(row: SubscriptionRow, max: number): Promise<'ok' | 'full' | 'exists'>;
  getSubscription(scope: ScopeKey, id: string): Promise<SubscriptionRow | undefined>;
  listSubscriptions(tenant: string, sub: string | undefined, offset: number, limit: number): Promise<{ rows: SubscriptionRow[]; total: number }>;
  /** Replaces the subscription `row.id` of the row's scope; false when that scope has none with the id. */
  updateSubscription(row: SubscriptionRow): Promise<boolean>;
  deleteSubscription(scope: ScopeKey, id: string): Promise<boolean>;
  dueDeliveries(now: number, limit: number): Promise<Array<DeliveryRow & { subscription: SubscriptionRow }>>;
  deliveries(scope: ScopeKey, subscriptionId: string, limit: number): Promise<DeliveryRow[]>;
  /**
   * Takes a due delivery of a subscription of the scope for one attempt (moving its due time to `until`); false
   * when another process took it.
   */
  claimDelivery(scope: ScopeKey, id: number, dueAt: number, until: number): Promise<boolean>;
  recordAttempt(scope: ScopeKey, id: number, outcome: { state: DeliveryState; attempts: number; nextAt: number; lastStatus: number | null;
    lastError: string | null; deliveredAt: number | null }): Promise<void>;

  createPermission(row: PermissionRow): Promise<boolean>;
  getPermission(scope: ScopeKey, id: string): Promise<PermissionRow | undefined>;
  listPermissions(scope: ScopeKey, offset: number, limit: number): Promise<{ rows: PermissionRow[]; total: number }>;
  deletePermission(scope: ScopeKey, id: string): Promise<boolean>;

  /** Removes every row of the tenant (the tenant delete); returns the multipart uploads it had open, to abort. */
  deleteTenant(tenant: string): Promise<{ sub: string; path: string; storeId: string }[]>;
  close(): void;
}
