/**
 * Object event subscriptions (Integrated Data Lake API v3 /objectEventSubscriptions): at most 15 per tenant or
 * subtenant, each a folder and a destination. Insights Hub publishes to AWS SNS or Azure Service Bus; this platform
 * POSTs the same notification `{path, storageAccount, storagePath, tenantId, subtenantId?, eventType, timestamp}`
 * to an http(s) webhook, signed with the subscription's secret (HMAC-SHA256 of the body, header
 * x-ironbridge-signature), retried with exponential back-off until delivered or the attempts run out. Events are
 * queued in the transaction that changed the object; every delivery's state stays visible through the API.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Generic } from '../core/errors.js';
import { iso } from '../core/instant.js';
import { DatalakeErrors } from './errors.js';
import { checkPath, storageKey, type Scope } from './paths.js';
import { keyOf, pageInfo, paging, type Caller, type DatalakeService } from './service.js';
import type { DatalakeStore, DeliveryRow, ObjectEvent, SubscriptionRow } from './store.js';

export const MAX_SUBSCRIPTIONS = 15;
const MAX_BACKOFF_MS = 3_600_000;
const DELIVERY_TIMEOUT_MS = 10_000;

export interface EventDeps {
  store: DatalakeStore;
  service: DatalakeService;
  now: () => number;
  storageAccount: string;
  attempts: number;
  backoffMs: number;
  warn: (msg: string, err: unknown) => void;
}

function destinationOf(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw DatalakeErrors.invalidDestination({ rule: 'destination is required' });
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'http' && scheme !== 'https') {
    throw DatalakeErrors.invalidDestination({
      rule: `${scheme}:// destinations (AWS SNS, Azure Service Bus) are not reachable from this platform; give an http(s) webhook URL`,
    });
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw DatalakeErrors.invalidDestination({ rule: `"${raw.slice(0, 100)}" is not a URL` });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw DatalakeErrors.invalidDestination({ rule: 'give an http(s) webhook URL' });
  if (u.username || u.password) throw DatalakeErrors.invalidDestination({ rule: 'the URL must not carry credentials' });
  return u.toString();
}

export class ObjectEvents {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly d: EventDeps) {}

  view(s: SubscriptionRow) {
    return {
      id: s.id, path: s.path || '/', destination: s.destination, status: s.status, eTag: s.etag,
      storageAccount: this.d.storageAccount, storagePath: storageKey({ tenant: s.tenant, subtenant: s.sub || undefined }, s.path),
      ...(s.sub ? { subtenantId: s.sub } : {}),
    };
  }

  async create(caller: Caller, body: unknown) {
    const b = (body ?? {}) as { path?: unknown; destination?: unknown; subtenantId?: unknown };
    const scope = this.d.service.scope(caller, b.subtenantId);
    const path = checkPath(b.path, 'folder');
    const destination = destinationOf(b.destination);
    const row: SubscriptionRow = { ...keyOf(scope), id: randomUUID(), path, destination, secret: randomBytes(32).toString('base64url'),
      status: 'ACTIVE', etag: 0, created: this.d.now() };
    const r = await this.d.store.createSubscription(row, MAX_SUBSCRIPTIONS);
    if (r === 'full') throw DatalakeErrors.tooManySubscriptions({ max: MAX_SUBSCRIPTIONS });
    if (r === 'exists') throw DatalakeErrors.subscriptionExists({ path: path || '/', destination });
    // The secret is shown once, here: receivers check x-ironbridge-signature with it.
    return { ...this.view(row), signingSecret: row.secret };
  }

  private async find(scope: Scope, id: string): Promise<SubscriptionRow> {
    const s = await this.d.store.getSubscription(keyOf(scope), id);
    if (!s) throw DatalakeErrors.subscriptionNotFound({ id });
    return s;
  }

  async get(scope: Scope, id: string) {
    const s = await this.find(scope, id);
    const recent = await this.d.store.deliveries(s, s.id, 1000);
    const count = (state: string) => recent.filter((r) => r.state === state).length;
    return { ...this.view(s), delivery: { pending: count('PENDING'), delivered: count('DELIVERED'), failed: count('FAILED'),
      last: recent[0] ? this.deliveryView(recent[0]) : null } };
  }

  /** GET list; filter `{"subtenantId":"…"}` (eq only) as in Insights Hub. */
  async list(caller: Caller, q: { filter?: unknown; size?: unknown; page?: unknown }) {
    let sub: string | undefined = caller.subtenant;
    if (typeof q.filter === 'string' && q.filter !== '') {
      let f: unknown;
      try {
        f = JSON.parse(q.filter);
      } catch {
        throw DatalakeErrors.invalidFilter({ rule: 'it is not JSON, like {"subtenantId":"…"}' });
      }
      const keys = f && typeof f === 'object' ? Object.keys(f) : [];
      if (keys.length !== 1 || keys[0] !== 'subtenantId') throw DatalakeErrors.invalidFilter({ rule: 'only {"subtenantId":"…"} is supported' });
      sub = keyOf(this.d.service.scope(caller, (f as { subtenantId: unknown }).subtenantId)).sub;
    }
    const { offset, size, page } = paging(q, 10, 100);
    const { rows, total } = await this.d.store.listSubscriptions(caller.tenant, sub, offset, size);
    return { subscriptions: rows.map((r) => this.view(r)), page: pageInfo(size, total, page) };
  }

  private checkEtag(s: SubscriptionRow, ifMatch: string | undefined): void {
    if (ifMatch === undefined) throw Generic.preconditionRequired({ header: 'If-Match' });
    if (ifMatch.replace(/"/g, '').trim() !== String(s.etag)) {
      throw Generic.preconditionFailed({ reason: `If-Match ${ifMatch} does not match the subscription's eTag ${s.etag}` });
    }
  }

  async update(scope: Scope, id: string, body: unknown, ifMatch: string | undefined) {
    const s = await this.find(scope, id);
    this.checkEtag(s, ifMatch);
    const b = (body ?? {}) as { path?: unknown; destination?: unknown; status?: unknown };
    if (b.status !== undefined && b.status !== 'ACTIVE' && b.status !== 'INACTIVE') {
      throw Generic.invalidRequestBodyProperty({ name: 'status', rule: 'must be ACTIVE or INACTIVE' });
    }
    const next: SubscriptionRow = { ...s, etag: s.etag + 1,
      ...(b.path !== undefined ? { path: checkPath(b.path, 'folder') } : {}),
      ...(b.destination !== undefined ? { destination: destinationOf(b.destination) } : {}),
      ...(b.status !== undefined ? { status: b.status as SubscriptionRow['status'] } : {}) };
    if (!(await this.d.store.updateSubscription(next))) throw DatalakeErrors.subscriptionNotFound({ id }); // deleted meanwhile
    return this.view(next);
  }

  async delete(scope: Scope, id: string, ifMatch: string | undefined): Promise<void> {
    const s = await this.find(scope, id);
    this.checkEtag(s, ifMatch);
    await this.d.store.deleteSubscription(s, s.id);
  }

  deliveryView(r: DeliveryRow) {
    const e = JSON.parse(r.event) as ObjectEvent;
    return { id: r.id, eventType: e.type, path: e.path, state: r.state, attempts: r.attempts, created: iso(r.created),
      nextAttempt: r.state === 'PENDING' ? iso(r.nextAt) : null, lastStatus: r.lastStatus, lastError: r.lastError,
      delivered: r.deliveredAt === null ? null : iso(r.deliveredAt) };
  }

  async deliveries(scope: Scope, id: string) {
    const s = await this.find(scope, id);
    return { deliveries: (await this.d.store.deliveries(s, s.id, 100)).map((r) => this.deliveryView(r)) };
  }

  /** Runs the due deliveries soon; a run already going picks up the new ones before it ends. */
  kick(): void {
    if (this.running) { this.again = true; return; }
    this.running = (async () => {
      do {
        this.again = false;
        await this.runDue().catch((err: unknown) => this.d.warn('object event delivery failed', err));
      } while (this.again);
    })().finally(() => { this.running = undefined; });
  }

  /** Resolves when no delivery run is going. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One pass over the deliveries due now (by the injected clock). */
  async runDue(): Promise<number> {
    let n = 0;
    for (;;) {
      const due = await this.d.store.dueDeliveries(this.d.now(), 50);
      if (due.length === 0) return n;
      await Promise.all(due.map((d) => this.deliver(d)));
      n += due.length;
    }
  }

  private async deliver(row: DeliveryRow & { subscription: SubscriptionRow }): Promise<void> {
    // Another worker of the same data directory may have taken it meanwhile.
    if (!(await this.d.store.claimDelivery(row.subscription, row.id, row.nextAt, this.d.now() + 2 * DELIVERY_TIMEOUT_MS))) return;
    const s = row.subscription;
    const e = JSON.parse(row.event) as ObjectEvent;
    const body = JSON.stringify({
      path: e.path, storageAccount: this.d.storageAccount,
      storagePath: storageKey({ tenant: s.tenant, subtenant: s.sub || undefined }, e.path), tenantId: s.tenant,
      ...(s.sub ? { subtenantId: s.sub } : {}), eventType: e.type, timestamp: iso(e.at),
    });
    const signature = createHmac('sha256', s.secret).update(body).digest('hex');
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(s.destination, {
        method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        headers: { 'content-type': 'application/json', 'x-ironbridge-signature': `sha256=${signature}`,
          'x-ironbridge-delivery': String(row.id), 'x-ironbridge-subscription': s.id },
      });
      status = res.status;
      await res.body?.cancel();
      if (status < 200 || status >= 300) error = `the destination answered ${status}`;
    } catch (err) {
      error = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    }
    const attempts = row.attempts + 1;
    const now = this.d.now();
    if (error === null) {
      await this.d.store.recordAttempt(s, row.id, { state: 'DELIVERED', attempts, nextAt: now, lastStatus: status, lastError: null, deliveredAt: now });
      return;
    }
    const failed = attempts >= this.d.attempts;
    const wait = Math.min(MAX_BACKOFF_MS, this.d.backoffMs * 2 ** (attempts - 1));
    await this.d.store.recordAttempt(s, row.id, { state: failed ? 'FAILED' : 'PENDING', attempts, nextAt: failed ? now : now + wait,
      lastStatus: status, lastError: error.slice(0, 500), deliveredAt: null });
  }
}
