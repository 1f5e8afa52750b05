/**
 * The OData Contract Registry store: contracts per tenant (unique name + version) and each tenant's catalog
 * company (the e-mail domain of whoever published first, "Insights Hub IIoT for Makers" §2.4.3 note).
 * Implementation: store/sqlite.ts. Every method takes the tenant and touches only that tenant's rows;
 * conditional writes take the etag the service read and return false when it no longer matches. `changeStamp()`
 * tells a reader that keeps what it read (the registry's published contracts) when to read again.
 */
import type { ContractRecord } from './contract.js';

export class ContractConflict extends Error {}

export interface ContractStore {
  list(tenant: string): Promise<ContractRecord[]>;
  /** Published contracts of a tenant. */
  listPublished(tenant: string): Promise<ContractRecord[]>;
  get(tenant: string, id: string): Promise<ContractRecord | undefined>;
  getByName(tenant: string, name: string, version: string): Promise<ContractRecord | undefined>;
  /**
   * Inserts; throws ContractConflict('exists') when the tenant has the name + version already, ('limit') when it has
   * `max` contracts, ('folderLimit') when rec is a folder contract and the tenant has `maxFolders` of them.
   */
  create(rec: ContractRecord, max: number, maxFolders: number): Promise<void>;
  /** Replaces when the stored etag equals `expectedEtag` (rec.etag is the new one); throws ContractConflict on a name clash. */
  update(rec: ContractRecord, expectedEtag: number): Promise<boolean>;
  delete(tenant: string, id: string, expectedEtag: number): Promise<boolean>;
  /** The tenant's catalog company; `proposed` is stored first if there is none yet. */
  catalogCompany(tenant: string, proposed?: string): Promise<string | undefined>;
  /**
   * A number that differs from every earlier answer once the rows may have changed: a write through this store,
   * or a commit of another connection to the same data (another process: a second worker, the CLI), seen at once.
   */
  changeStamp(): number;
  /** Removes every row of the tenant (the tenant delete of the admin API and CLI). Returns the rows removed. */
  deleteTenant(tenant: string): Promise<number>;
  close(): void;
}
