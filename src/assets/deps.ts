/** What the modules of the assets service share: the store, the change events, the settings and the catalog load. */
import { TypeCatalog } from './catalog.js';
import { AssetErrors } from './errors.js';
import type { ModelEventBus } from './events.js';
import type { AssetStore } from './store.js';

export interface ServiceOptions {
  defaultTimezone: string;
  /** Largest page of every list (`--asset-max-page-size`). */
  maxPageSize: number;
  /** The clock (epoch ms) of creation and deletion times. */
  now?: () => number;
  /** Which file ids exist (Asset Management files); without it file assignments are not checked. */
  files?: FileDirectory;
}

/** The part of Asset Management files the asset model needs: the ids among `ids` that name no file of the tenant. */
export interface FileDirectory {
  missing(tenant: string, ids: readonly string[]): Promise<string[]>;
}

/** Refuses file assignments naming files the tenant does not have (400 naming the field and the id). */
export async function checkFileIds(opts: ServiceOptions, tenant: string, assignments: ReadonlyArray<{ key: string; fileId: string }>,
  field = 'fileAssignments'): Promise<void> {
  if (!opts.files || assignments.length === 0) return;
  const missing = new Set(await opts.files.missing(tenant, assignments.map((a) => a.fileId)));
  const bad = assignments.find((a) => missing.has(a.fileId));
  if (bad) throw AssetErrors.referenceNotFound({ field: field === 'fileId' ? 'fileId' : `${field}[key=${bad.key}].fileId`, id: bad.fileId });
}

export interface ServiceDeps {
  store: AssetStore;
  events: ModelEventBus;
  opts: ServiceOptions;
}

/** The aspect and asset types the tenant sees, read once per operation. */
export async function loadCatalog(store: AssetStore, tenant: string): Promise<TypeCatalog> {
  const [aspects, assets] = await Promise.all([store.listAspectTypes(tenant), store.listAssetTypes(tenant)]);
  return new TypeCatalog(aspects, assets);
}
