/**
 * Agents (Agent Management API v3 "agents", "boarding"): create with SHARED_SECRET or RSA_3072 for an existing
 * asset (the agent id is the asset id; creating it leaves the asset as it was), list (Spring page, sort, JSON
 * filter), read, update and delete with If-Match, online status, the boarding configuration (an initial access
 * token valid --agent-initial-token-ttl; a fresh one once it expired or after offboarding), boarding status and
 * offboarding (the agent's credentials and tokens stop at once).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { evaluate, parseFilter, type Scalar } from '../core/filter.js';
import { iso } from '../core/instant.js';
import { pageNumber } from '../core/paging.js';
import type { AssetLookup } from '../core/model.js';
import { AgentErrors } from './errors.js';
import { AgentDuplicateError, type AgentRecord, type AgentStore, type SecurityProfile } from './store.js';

export const PROFILES: readonly SecurityProfile[] = ['SHARED_SECRET', 'RSA_3072'];
const ASSET_ID = /^[a-f0-9]{32}$/i;
const FILTER_FIELDS = { id: 'string', name: 'string', entityId: 'string', securityProfile: 'string', eTag: 'string' } as const;

export interface AgentView {
  id: string;
  eTag: string;
  name: string;
  securityProfile: SecurityProfile;
  entityId: string;
}

export interface SpringPage<T> {
  content: T[];
  last: boolean;
  totalPages: number;
  totalElements: number;
  numberOfElements: number;
  first: boolean;
  sort: { direction: 'ASC' | 'DESC'; property: string; ignoreCase: boolean; nullHandling: 'NATIVE'; descending: boolean; ascending: boolean }[];
  size: number;
  number: number;
}

export interface AgentServiceOptions {
  store: AgentStore;
  assets: AssetLookup;
  now: () => number;
  publicUrl: () => string;
  initialTokenTtlMs: number;
  /** An agent counts as ONLINE while it was seen (token, exchange) within this window. */
  onlineMs: number;
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
export const opaqueToken = (): string => randomBytes(32).toString('base64url');
export const newRevSig = (): string => randomUUID().replace(/-/g, '');

export const viewOf = (a: AgentRecord): AgentView =>
  ({ id: a.id, eTag: String(a.etag), name: a.name, securityProfile: a.securityProfile, entityId: a.id });

/**
 * Parses page/size (Spring: page from 0 with the one page rule of every list, src/core/paging.ts; size default 10,
 * 0 meaning the default, a larger one than `max` served as `max`).
 */
export function pageParams(q: { page?: string; size?: string }, max: number): { page: number; size: number } {
  let size = 10;
  if (q.size !== undefined && q.size !== '') {
    if (!/^\d{1,9}$/.test(q.size)) throw AgentErrors.invalidParameter('size', 'must be a non-negative integer');
    size = Number(q.size);
  }
  return { page: pageNumber(q.page), size: size === 0 ? 10 : Math.min(size, max) };
}

export function springPage<T>(all: T[], page: number, size: number, sort: SpringPage<T>['sort'] = []): SpringPage<T> {
  const content = all.slice(page * size, page * size + size);
  const totalPages = Math.ceil(all.length / size);
  return { content, last: page >= totalPages - 1, totalPages, totalElements: all.length, numberOfElements: content.length,
    first: page === 0, sort, size, number: page };
}

export function ifMatchOf(raw: string | undefined, what: string, current: number): void {
  if (raw === undefined || raw.trim() === '') throw AgentErrors.etagRequired();
  const m = /^(?:W\/)?"?(-?\d{1,15})"?$/.exec(raw.trim());
  if (raw.trim() !== '*' && (!m || Number(m[1]) !== current)) throw AgentErrors.etagMismatch(what, current);
}

export class AgentService {
  constructor(private readonly o: AgentServiceOptions) {}

  async create(tenant: string, body: unknown): Promise<AgentView> {
    const b = objectBody(body);
    const name = b['name'];
    const entityId = b['entityId'];
    const profile = b['securityProfile'];
    if (typeof name !== 'string' || name.trim() === '' || name.length > 128) throw AgentErrors.invalid('name', 'must be a string of 1 to 128 characters');
    if (typeof entityId !== 'string' || !ASSET_ID.test(entityId)) throw AgentErrors.invalid('entityId', 'must be the 32 hex character id of an asset');
    if (typeof profile !== 'string' || !PROFILES.includes(profile as SecurityProfile)) {
      throw AgentErrors.invalid('securityProfile', `must be one of ${PROFILES.join(', ')}`);
    }
    if (!(await this.o.assets.getAsset(tenant, entityId))) throw AgentErrors.assetNotFound('entityId', entityId);
    const record: AgentRecord = {
      tenant, id: entityId.toLowerCase(), name, securityProfile: profile as SecurityProfile, etag: 0, rev: 0, createdAt: this.o.now(),
      boarding: 'NOT_ONBOARDED', iat: null, iatHash: null, iatExpiresAt: null, secret: null, jwk: null, secretExpiresAt: null,
      registrationTokenHash: null, firstRegistrationTokenHash: null, revSig: newRevSig(), lastSeen: null, configuration: null, configurationEtag: 0,
    };
    try {
      await this.o.store.create(record);
    } catch (err) {
      if (err instanceof AgentDuplicateError) throw err.field === 'id' ? AgentErrors.agentExists(record.id) : AgentErrors.nameTaken(name);
      throw err;
    }
    return viewOf(record);
  }

  async get(tenant: string, id: string): Promise<AgentRecord> {
    const a = await this.o.store.get(tenant, id.toLowerCase());
    if (!a) throw AgentErrors.agentNotFound(id);
    return a;
  }

  async list(tenant: string, q: { page?: string; size?: string; sort?: string; filter?: string }): Promise<SpringPage<AgentView>> {
    const { page, size } = pageParams(q, 2000);
    const filter = parseFilter(q.filter, FILTER_FIELDS);
    let items = (await this.o.store.list(tenant)).map(viewOf)
      .filter((v) => evaluate(filter, (f) => (v as unknown as Record<string, Scalar>)[f] ?? null));
    const sort: SpringPage<AgentView>['sort'] = [];
    if (q.sort) {
      const [field = '', dir = 'ASC'] = q.sort.split(',');
      if (!(field in FILTER_FIELDS)) throw AgentErrors.invalidParameter('sort', `field must be one of ${Object.keys(FILTER_FIELDS).join(', ')}`);
      const direction = dir.toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
      const key = field as keyof AgentView;
      items = items.sort((x, y) => (direction === 'DESC' ? -1 : 1) * String(x[key]).localeCompare(String(y[key])));
      sort.push({ direction, property: field, ignoreCase: false, nullHandling: 'NATIVE', descending: direction === 'DESC', ascending: direction === 'ASC' });
    }
    return springPage(items, page, size, sort);
  }

  async update(tenant: string, id: string, ifMatch: string | undefined, body: unknown): Promise<AgentView> {
    const a = await this.get(tenant, id);
    ifMatchOf(ifMatch, `agent ${a.id}`, a.etag);
    const b = objectBody(body);
    const name = b['name'] ?? a.name;
    const profile = b['securityProfile'] ?? a.securityProfile;
    if (typeof name !== 'string' || name.trim() === '' || name.length > 128) throw AgentErrors.invalid('name', 'must be a string of 1 to 128 characters');
    if (typeof profile !== 'string' || !PROFILES.includes(profile as SecurityProfile)) {
      throw AgentErrors.invalid('securityProfile', `must be one of ${PROFILES.join(', ')}`);
    }
    if (profile !== a.securityProfile && a.boarding === 'ONBOARDED') {
      throw AgentErrors.invalid('securityProfile', 'cannot change while the agent is onboarded; offboard it first');
    }
    const next = { ...a, name, securityProfile: profile as SecurityProfile, etag: a.etag + 1, rev: a.rev + 1 };
    if (profile !== a.securityProfile) Object.assign(next, { iat: null, iatHash: null, iatExpiresAt: null });
    await this.save(next, a.rev, name);
    return viewOf(next);
  }

  async delete(tenant: string, id: string, ifMatch: string | undefined): Promise<void> {
    const a = await this.get(tenant, id);
    ifMatchOf(ifMatch, `agent ${a.id}`, a.etag);
    if (!(await this.o.store.delete(tenant, a.id))) throw AgentErrors.agentNotFound(id);
  }

  async status(tenant: string, id: string): Promise<{ status: 'ONLINE' | 'OFFLINE'; since: string }> {
    const a = await this.get(tenant, id);
    const online = a.lastSeen !== null && this.o.now() - a.lastSeen < this.o.onlineMs && a.boarding === 'ONBOARDED';
    return { status: online ? 'ONLINE' : 'OFFLINE', since: iso(online ? a.lastSeen! : (a.lastSeen ?? a.createdAt)) };
  }

  /** The boarding configuration; an agent without a valid initial access token (new, expired, offboarded) gets one. */
  async boardingConfiguration(tenant: string, id: string): Promise<{ content: Record<string, unknown>; expiration: string }> {
    let a = await this.get(tenant, id);
    const now = this.o.now();
    if (a.boarding !== 'ONBOARDED' && (a.iat === null || (a.iatExpiresAt ?? 0) <= now)) {
      const iat = opaqueToken();
      const next: AgentRecord = { ...a, iat, iatHash: sha256(iat), iatExpiresAt: now + this.o.initialTokenTtlMs, rev: a.rev + 1,
        boarding: 'ONBOARDING' };
      await this.save(next, a.rev, a.name);
      a = next;
    }
    return {
      content: { baseUrl: this.o.publicUrl(), iat: a.iat ?? '', clientCredentialProfile: [a.securityProfile], clientId: a.id, tenant },
      expiration: iso(a.iatExpiresAt ?? now),
    };
  }

  async boardingStatus(tenant: string, id: string): Promise<{ status: AgentRecord['boarding'] }> {
    return { status: (await this.get(tenant, id)).boarding };
  }

  /** Offboarding: credentials and initial token gone, every token of the agent refused from now on. */
  async offboard(tenant: string, id: string): Promise<{ status: AgentRecord['boarding'] }> {
    const a = await this.get(tenant, id);
    const next: AgentRecord = { ...a, boarding: 'NOT_ONBOARDED', iat: null, iatHash: null, iatExpiresAt: null, secret: null, jwk: null,
      secretExpiresAt: null, registrationTokenHash: null, firstRegistrationTokenHash: null, revSig: newRevSig(), lastSeen: null, rev: a.rev + 1 };
    await this.save(next, a.rev, a.name);
    return { status: next.boarding };
  }

  /** Stores `next` when nothing changed the agent since it was read as `rev`; a concurrent change gets 412. */
  async save(next: AgentRecord, rev: number, name: string): Promise<void> {
    try {
      if (!(await this.o.store.update(next, rev))) throw AgentErrors.etagMismatch(`agent ${next.id} (changed concurrently)`, next.etag);
    } catch (err) {
      if (err instanceof AgentDuplicateError) throw AgentErrors.nameTaken(name);
      throw err;
    }
  }
}

export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw AgentErrors.malformed('the body must be a JSON object');
  return body as Record<string, unknown>;
}
