/**
 * The OData Contract Registry and the catalog ("Insights Hub IIoT for Makers" §2.3.3, §2.4.3): contracts are
 * validated when they are saved (every problem named, with a valid alias offered, instead of the original's
 * HTTP 500 at publish time, §9.2), can be downloaded as CSDL, published and unpublished. The model of a
 * contract is built from the asset types as they are now, so a published service follows type changes; a
 * problem that appears later (a deleted type, a new name that is not a valid identifier) is shown as the
 * contract's state and leaves only that part out of the service. Catalog visibility: the tenant's company is
 * the e-mail domain of whoever published first; users of other domains see none of its contracts, the
 * tenant's binding keys see all of them; other tenants never do. Folder contracts (Integrated Data Lake folders)
 * have their folders checked by the data lake's path rules; a tenant has at most `maxFolderContracts` of them.
 * The published contract behind a service root is looked up on every OData request: it is kept (frozen, with its
 * model for the asset types it was built from) until the store's changeStamp() moves, so a publish, update,
 * unpublish or delete, through this process or another one, is seen by the very next request.
 */
import { randomBytes } from 'node:crypto';
import { Generic } from '../core/errors.js';
import { type ContractRecord, parseContract } from './contract.js';
import { ContractErrors } from './errors.js';
import { renderCsdl } from './model/csdl.js';
import { buildModel, type EdmModel, type Problem } from './model/edm.js';
import type { ODataPort, PortAssetType } from './ports.js';
import { ContractConflict, type ContractStore } from './store.js';

export interface RegistryCaller {
  tenant: string;
  /** E-mail of a user token; absent for binding keys (client credentials). */
  email?: string;
  clientId: string;
}

export interface Preconditions {
  ifMatch?: string;
}

export interface ContractView extends Omit<ContractRecord, 'publishedAt' | 'createdAt' | 'updatedAt'> {
  publishedAt: string | null;
  createdAt: string;
  updatedAt: string;
  state: 'valid' | 'degraded';
  problems: Problem[];
  entitySets: string[];
  /** Path of the service root and of $metadata (the routes prefix the caller's origin). */
  servicePath: string;
}

export const servicePath = (c: { name: string; version: string }) =>
  `/api/odata/v4/${encodeURIComponent(c.name)}/${encodeURIComponent(c.version)}/`;

const domainOf = (email: string | undefined) => (email && email.includes('@') ? email.slice(email.lastIndexOf('@') + 1).toLowerCase() : undefined);

function etagOf(pre: Preconditions): number | undefined {
  const raw = pre.ifMatch?.trim();
  if (raw === undefined || raw === '') return undefined;
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw);
  if (!m) throw Generic.invalidParameter({ name: 'If-Match', rule: 'must be the contract\'s etag, e.g. "3"' });
  return Number(m[1]);
}

function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `${p.item} ${p.rule}${p.alias ? ` — keep it with "aliases": {${JSON.stringify(p.alias.for)}: ${JSON.stringify(p.alias.suggestion)}}` : ''}`).join('; ');
}

/** Service roots (tenant, name, version) whose published contract, or its absence, is kept. */
const MAX_SERVICES = 1000;

/** Whether two lists of asset types have the same ids and versions in the same order (the model's inputs). */
function sameTypes(x: readonly PortAssetType[], y: readonly PortAssetType[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i]!.id !== y[i]!.id || x[i]!.version !== y[i]!.version) return false;
  return true;
}

const frozen = (c: ContractRecord): ContractRecord => {
  Object.freeze(c.assetTypes);
  Object.freeze(c.folders);
  Object.freeze(c.aliases);
  return Object.freeze(c);
};

export class ContractRegistry {
  private readonly models = new Map<string, EdmModel>();
  /** The model of each kept published contract and the types it was built from (no key text per request). */
  private readonly modelOf = new WeakMap<ContractRecord, { types: readonly PortAssetType[]; model: EdmModel }>();
  /** Published contracts by service root (null: none there), valid while the store's changeStamp() is `servicesStamp`. */
  private readonly services = new Map<string, ContractRecord | null>();
  private servicesStamp = NaN;

  constructor(private readonly store: ContractStore, private readonly port: ODataPort,
    private readonly opts: { maxContracts: number; maxFolderContracts: number }, private readonly now: () => number = Date.now) {}

  /** The model of a contract against the asset types as they are now (cached per contract and type versions). */
  async model(c: ContractRecord): Promise<EdmModel> {
    const types = await this.port.assetTypes(c.tenant);
    const last = this.modelOf.get(c);
    if (last !== undefined && sameTypes(last.types, types)) return last.model;
    const key = `${c.tenant}\u0000${c.id}\u0000${c.etag}\u0000${types.map((t) => `${t.id}:${t.version}`).join(',')}`;
    let m = this.models.get(key);
    if (!m) {
      m = buildModel(c, types);
      if (this.models.size > 500) this.models.clear();
      this.models.set(key, m);
    }
    // the kept published contracts (frozen) get their model by identity
    if (Object.isFrozen(c)) this.modelOf.set(c, { types, model: m });
    return m;
  }

  async view(c: ContractRecord): Promise<ContractView> {
    const m = await this.model(c);
    return {
      ...c, publishedAt: c.publishedAt === null ? null : new Date(c.publishedAt).toISOString(),
      createdAt: new Date(c.createdAt).toISOString(), updatedAt: new Date(c.updatedAt).toISOString(),
      state: m.problems.length === 0 ? 'valid' : 'degraded', problems: m.problems,
      entitySets: m.sets.map((s) => s.name), servicePath: servicePath(c),
    };
  }

  private async validate(c: ContractRecord): Promise<void> {
    c.folders.forEach((f, i) => {
      const rule = this.port.folderRule(f);
      if (rule) throw Generic.invalidRequestBodyProperty({ name: `folders[${i}]`, rule });
    });
    const m = buildModel(c, await this.port.assetTypes(c.tenant));
    if (m.problems.length > 0) throw ContractErrors.invalid({ count: m.problems.length, problems: formatProblems(m.problems) });
  }

  /**
   * The entity sets and problems a contract body would have, without saving it: the Asset Manager's wizard shows
   * them as the user picks asset types, and a problem (a too-long `AGGR_…` name) on its alias field before submit.
   * A missing name previews as `Preview`; the body is otherwise parsed as create parses it, and an asset type the
   * tenant does not have is a 400 naming it.
   */
  async preview(caller: RegistryCaller, body: unknown): Promise<{ entitySets: { name: string; kind: string; typeId: string; generated: string; properties: string[] }[]; problems: Problem[] }> {
    const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
    const named = isObject && (body as Record<string, unknown>)['name'] === undefined ? { ...(body as Record<string, unknown>), name: 'Preview' } : body;
    const fields = parseContract(named, caller.tenant);
    const types = await this.port.assetTypes(caller.tenant);
    // a type the caller cannot see is a wrong request, not a problem to preview (as create refuses it)
    const known = new Set(types.map((t) => t.id));
    fields.assetTypes.forEach((id, i) => {
      if (!known.has(id)) throw Generic.invalidRequestBodyProperty({ name: `assetTypes[${i}]`, rule: `"${id}" is not an asset type of this tenant (unknown or deleted)` });
    });
    const m = buildModel(fields, types);
    return {
      entitySets: m.sets.map((s) => ({ name: s.name, kind: s.kind, typeId: s.typeId, generated: s.generated, properties: s.properties.map((p) => p.name) })),
      problems: m.problems,
    };
  }

  async list(caller: RegistryCaller): Promise<ContractRecord[]> {
    return this.store.list(caller.tenant);
  }

  /** By id, or by name (and version when the name has several). */
  async get(caller: RegistryCaller, ref: string, version?: string): Promise<ContractRecord> {
    const byId = await this.store.get(caller.tenant, ref);
    if (byId && (version === undefined || byId.version === version)) return byId;
    if (version !== undefined) {
      const c = await this.store.getByName(caller.tenant, ref, version);
      if (c) return c;
      throw ContractErrors.notFound(`${ref} version ${version}`);
    }
    const named = (await this.store.list(caller.tenant)).filter((c) => c.name === ref);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) throw ContractErrors.ambiguous({ name: ref, versions: named.map((c) => c.version).join(', ') });
    throw ContractErrors.notFound(ref);
  }

  async create(caller: RegistryCaller, body: unknown): Promise<ContractRecord> {
    const fields = parseContract(body, caller.tenant);
    const now = this.now();
    const publish = (body as Record<string, unknown>)['publish'];
    if (publish !== undefined && typeof publish !== 'boolean') throw Generic.invalidRequestBodyProperty({ name: 'publish', rule: 'must be true or false' });
    const rec: ContractRecord = {
      ...fields, id: randomBytes(16).toString('hex'), tenant: caller.tenant, published: false, publishedAt: null,
      publishedBy: null, etag: 0, createdAt: now, updatedAt: now,
    };
    await this.validate(rec);
    if (publish === true) Object.assign(rec, await this.publication(caller, now));
    try {
      await this.store.create(rec, this.opts.maxContracts, this.opts.maxFolderContracts);
    } catch (err) {
      if (err instanceof ContractConflict) {
        if (err.message === 'folderLimit') throw ContractErrors.tooManyFolderContracts({ limit: this.opts.maxFolderContracts });
        throw err.message === 'limit' ? ContractErrors.tooMany({ limit: this.opts.maxContracts }) : ContractErrors.exists({ name: rec.name, version: rec.version });
      }
      throw err;
    }
    return rec;
  }

  private async write(caller: RegistryCaller, current: ContractRecord, next: ContractRecord, pre: Preconditions, required: boolean): Promise<ContractRecord> {
    const expected = etagOf(pre);
    if (expected === undefined && required) throw Generic.preconditionRequired({ header: 'If-Match' });
    if (expected !== undefined && expected !== current.etag) {
      throw Generic.preconditionFailed({ reason: `the contract's etag is ${current.etag}, not ${expected}` });
    }
    const rec = { ...next, etag: current.etag + 1, updatedAt: this.now() };
    try {
      if (!(await this.store.update(rec, current.etag))) {
        throw Generic.preconditionFailed({ reason: `contract ${current.id} was changed concurrently; read it again` });
      }
    } catch (err) {
      if (err instanceof ContractConflict) throw ContractErrors.exists({ name: rec.name, version: rec.version });
      throw err;
    }
    return rec;
  }

  /** Replaces the contract's fields (If-Match required); the published state stays. */
  async update(caller: RegistryCaller, id: string, body: unknown, pre: Preconditions): Promise<ContractRecord> {
    const current = await this.get(caller, id);
    const next: ContractRecord = { ...current, ...parseContract(body, caller.tenant) };
    if ((current.kind ?? 'assets') !== next.kind) throw ContractErrors.kindChanged({ kind: current.kind ?? 'assets' });
    await this.validate(next);
    return this.write(caller, current, next, pre, true);
  }

  async delete(caller: RegistryCaller, id: string, pre: Preconditions): Promise<void> {
    const current = await this.get(caller, id);
    const expected = etagOf(pre);
    if (expected === undefined) throw Generic.preconditionRequired({ header: 'If-Match' });
    if (expected !== current.etag) throw Generic.preconditionFailed({ reason: `the contract's etag is ${current.etag}, not ${expected}` });
    if (!(await this.store.delete(caller.tenant, current.id, current.etag))) {
      throw Generic.preconditionFailed({ reason: `contract ${current.id} was changed concurrently; read it again` });
    }
  }

  private async publication(caller: RegistryCaller, now: number) {
    await this.store.catalogCompany(caller.tenant, domainOf(caller.email) ?? (await this.port.companyDomain(caller.tenant)) ?? '');
    return { published: true, publishedAt: now, publishedBy: caller.email ?? caller.clientId };
  }

  async publish(caller: RegistryCaller, id: string, pre: Preconditions): Promise<ContractRecord> {
    const current = await this.get(caller, id);
    await this.validate(current);
    return this.write(caller, current, { ...current, ...(await this.publication(caller, this.now())) }, pre, false);
  }

  async unpublish(caller: RegistryCaller, id: string, pre: Preconditions): Promise<ContractRecord> {
    const current = await this.get(caller, id);
    return this.write(caller, current, { ...current, published: false, publishedAt: null, publishedBy: null }, pre, false);
  }

  async csdl(caller: RegistryCaller, id: string): Promise<{ contract: ContractRecord; xml: string }> {
    const contract = await this.get(caller, id);
    return { contract, xml: renderCsdl(await this.model(contract)) };
  }

  /** The published contract behind a service root, or undefined; the answer is frozen (shared until the store changes). */
  async published(tenant: string, name: string, version: string): Promise<ContractRecord | undefined> {
    const stamp = this.store.changeStamp();
    if (stamp !== this.servicesStamp) {
      this.services.clear();
      this.servicesStamp = stamp;
    }
    const key = `${tenant}\u0000${name}\u0000${version}`;
    const hit = this.services.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const c = await this.store.getByName(tenant, name, version);
    const found = c?.published ? frozen(c) : undefined;
    // kept only when nothing changed while it was read (the store read is a separate turn of the event loop)
    if (this.store.changeStamp() === stamp && this.servicesStamp === stamp) {
      if (this.services.size >= MAX_SERVICES) this.services.clear();
      this.services.set(key, found ?? null);
    }
    return found;
  }

  /** The catalog as the caller sees it; `search` matches name, version, tenant, description and entity names. */
  async catalog(caller: RegistryCaller, search?: string): Promise<ContractView[]> {
    const company = await this.store.catalogCompany(caller.tenant);
    const domain = domainOf(caller.email);
    if (domain !== undefined && domain !== company) return [];
    const needle = search?.trim().toLowerCase();
    const out: ContractView[] = [];
    for (const c of await this.store.listPublished(caller.tenant)) {
      const v = await this.view(c);
      const hay = [c.name, c.version, c.tenant, c.description, c.applicationName, ...v.entitySets].join('\n').toLowerCase();
      if (!needle || hay.includes(needle)) out.push(v);
    }
    return out;
  }
}
