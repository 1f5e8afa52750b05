/**
 * The side tables of the SQLite data lake index: delete jobs with their per-object states, event subscriptions
 * with their delivery queue, and WRITE permissions. Base class of SqliteDatalakeStore (same connection).
 */
import type { Db } from '../../core/db.js';
import type {
  DeliveryRow, DeliveryState, JobObjectStatus, JobRow, PermissionRow, ScopeKey, SubscriptionRow,
} from '../store.js';

interface SubDbRow {
  id: string; tenant: string; sub: string; path: string; destination: string; secret: string; status: string;
  etag: number; created: number;
}

const subOf = (r: SubDbRow): SubscriptionRow => ({
  id: r.id, tenant: r.tenant, sub: r.sub, path: r.path, destination: r.destination, secret: r.secret,
  status: r.status as SubscriptionRow['status'], etag: r.etag, created: r.created,
});

interface DeliveryDbRow {
  id: number; subscription_id: string; event: string; state: string; attempts: number; next_at: number;
  last_status: number | null; last_error: string | null; created: number; delivered_at: number | null;
}

const deliveryOf = (r: DeliveryDbRow): DeliveryRow => ({
  id: r.id, subscriptionId: r.subscription_id, event: r.event, state: r.state as DeliveryState, attempts: r.attempts,
  nextAt: r.next_at, lastStatus: r.last_status, lastError: r.last_error, created: r.created, deliveredAt: r.delivered_at,
});

export class SqliteDatalakeSide {
  constructor(readonly db: Db) {}

  close(): void {
    this.db.close();
  }

  async createJob(job: JobRow, paths: string[]): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO jobs (id, tenant, sub, created, total) VALUES (?, ?, ?, ?, ?)')
        .run(job.id, job.tenant, job.sub, job.created, paths.length);
      const add = this.db.prepare(`INSERT INTO job_objects (job_id, idx, path, status) VALUES (?, ?, ?, 'PENDING')`);
      paths.forEach((p, i) => add.run(job.id, i, p));
    }).immediate();
  }

  private jobOf(r: { id: string; tenant: string; sub: string; created: number; total: number }): JobRow {
    const counts = this.db.prepare('SELECT status, count(*) AS n FROM job_objects WHERE job_id = ? GROUP BY status')
      .all(r.id) as Array<{ status: JobObjectStatus; n: number }>;
    const n = (s: JobObjectStatus) => counts.find((c) => c.status === s)?.n ?? 0;
    return { id: r.id, tenant: r.tenant, sub: r.sub, created: r.created, total: r.total, deleted: n('DELETED'), failed: n('FAILED'), notFound: n('NOTFOUND') };
  }

  async getJob(scope: ScopeKey, id: string): Promise<JobRow | undefined> {
    const r = this.db.prepare('SELECT * FROM jobs WHERE tenant = ? AND sub = ? AND id = ?').get(scope.tenant, scope.sub, id) as
      { id: string; tenant: string; sub: string; created: number; total: number } | undefined;
    return r && this.jobOf(r);
  }

  async listJobs(scope: ScopeKey, offset: number, limit: number): Promise<{ rows: JobRow[]; total: number }> {
    const total = (this.db.prepare('SELECT count(*) AS n FROM jobs WHERE tenant = ? AND sub = ?').get(scope.tenant, scope.sub) as { n: number }).n;
    const rows = this.db.prepare('SELECT * FROM jobs WHERE tenant = ? AND sub = ? ORDER BY created, id LIMIT ? OFFSET ?')
      .all(scope.tenant, scope.sub, limit, offset) as Array<{ id: string; tenant: string; sub: string; created: number; total: number }>;
    return { rows: rows.map((r) => this.jobOf(r)), total };
  }

  async jobObjects(scope: ScopeKey, id: string, statuses: JobObjectStatus[]): Promise<Array<{ idx: number; path: string; status: JobObjectStatus }>> {
    return this.db.prepare(`SELECT o.idx, o.path, o.status FROM job_objects o JOIN jobs j ON j.id = o.job_id
      WHERE j.tenant = ? AND j.sub = ? AND o.job_id = ? AND o.status IN (${statuses.map(() => '?').join(', ')})
      ORDER BY o.idx`).all(scope.tenant, scope.sub, id, ...statuses) as Array<{ idx: number; path: string; status: JobObjectStatus }>;
  }

  async setJobObject(scope: ScopeKey, id: string, idx: number, status: Exclude<JobObjectStatus, 'PENDING'>): Promise<void> {
    this.db.prepare(`UPDATE job_objects SET status = ? WHERE job_id = ? AND idx = ?
      AND job_id IN (SELECT id FROM jobs WHERE tenant = ? AND sub = ?)`).run(status, id, idx, scope.tenant, scope.sub);
  }

  async createSubscription(row: SubscriptionRow, max: number): Promise<'ok' | 'full' | 'exists'> {
    return this.db.transaction(() => {
      const n = (this.db.prepare('SELECT count(*) AS n FROM subscriptions WHERE tenant = ? AND sub = ?').get(row.tenant, row.sub) as { n: number }).n;
      if (n >= max) return 'full';
      const r = this.db.prepare(`INSERT INTO subscriptions (id, tenant, sub, path, destination, secret, status, etag, created)
        VALUES (@id, @tenant, @sub, @path, @destination, @secret, @status, @etag, @created)
        ON CONFLICT (tenant, sub, path, destination) DO NOTHING`).run(row);
      return r.changes === 1 ? 'ok' : 'exists';
    }).immediate();
  }

  async getSubscription(scope: ScopeKey, id: string): Promise<SubscriptionRow | undefined> {
    const r = this.db.prepare('SELECT * FROM subscriptions WHERE tenant = ? AND sub = ? AND id = ?').get(scope.tenant, scope.sub, id) as SubDbRow | undefined;
    return r && subOf(r);
  }

  async listSubscriptions(tenant: string, sub: string | undefined, offset: number, limit: number): Promise<{ rows: SubscriptionRow[]; total: number }> {
    const where = sub === undefined ? 'tenant = ?' : 'tenant = ? AND sub = ?';
    const params = sub === undefined ? [tenant] : [tenant, sub];
    const total = (this.db.prepare(`SELECT count(*) AS n FROM subscriptions WHERE ${where}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * FROM subscriptions WHERE ${where} ORDER BY created, id LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as SubDbRow[];
    return { rows: rows.map(subOf), total };
  }

  async updateSubscription(row: SubscriptionRow): Promise<boolean> {
    return this.db.prepare(`UPDATE subscriptions SET path = @path, destination = @destination, status = @status, etag = @etag
      WHERE tenant = @tenant AND sub = @sub AND id = @id`).run(row).changes === 1;
  }

  async deleteSubscription(scope: ScopeKey, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM subscriptions WHERE tenant = ? AND sub = ? AND id = ?').run(scope.tenant, scope.sub, id).changes === 1;
  }

  async dueDeliveries(now: number, limit: number): Promise<Array<DeliveryRow & { subscription: SubscriptionRow }>> {
    const rows = this.db.prepare(`SELECT d.*, s.id AS s_id, s.tenant, s.sub, s.path, s.destination, s.secret, s.status, s.etag, s.created AS s_created
      FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
      WHERE d.state = 'PENDING' AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?`).all(now, limit) as Array<DeliveryDbRow & SubDbRow & { s_id: string; s_created: number }>;
    return rows.map((r) => ({ ...deliveryOf(r), subscription: subOf({ ...r, id: r.s_id, created: r.s_created }) }));
  }

  async deliveries(scope: ScopeKey, subscriptionId: string, limit: number): Promise<DeliveryRow[]> {
    return (this.db.prepare(`SELECT d.* FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
      WHERE s.tenant = ? AND s.sub = ? AND d.subscription_id = ? ORDER BY d.id DESC LIMIT ?`)
      .all(scope.tenant, scope.sub, subscriptionId, limit) as DeliveryDbRow[]).map(deliveryOf);
  }

  async claimDelivery(scope: ScopeKey, id: number, dueAt: number, until: number): Promise<boolean> {
    return this.db.prepare(`UPDATE deliveries SET next_at = ? WHERE id = ? AND state = 'PENDING' AND next_at = ?
      AND subscription_id IN (SELECT id FROM subscriptions WHERE tenant = ? AND sub = ?)`)
      .run(until, id, dueAt, scope.tenant, scope.sub).changes === 1;
  }

  async recordAttempt(scope: ScopeKey, id: number, o: { state: DeliveryState; attempts: number; nextAt: number; lastStatus: number | null;
    lastError: string | null; deliveredAt: number | null }): Promise<void> {
    this.db.prepare(`UPDATE deliveries SET state = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, delivered_at = ?
      WHERE id = ? AND subscription_id IN (SELECT id FROM subscriptions WHERE tenant = ? AND sub = ?)`)
      .run(o.state, o.attempts, o.nextAt, o.lastStatus, o.lastError, o.deliveredAt, id, scope.tenant, scope.sub);
  }

  async createPermission(row: PermissionRow): Promise<boolean> {
    return this.db.prepare(`INSERT INTO permissions (id, tenant, sub, path, permission, created)
      VALUES (@id, @tenant, @sub, @path, @permission, @created) ON CONFLICT (tenant, sub, path, permission) DO NOTHING`).run(row).changes === 1;
  }

  async getPermission(scope: ScopeKey, id: string): Promise<PermissionRow | undefined> {
    return this.db.prepare('SELECT * FROM permissions WHERE tenant = ? AND sub = ? AND id = ?').get(scope.tenant, scope.sub, id) as PermissionRow | undefined;
  }

  async listPermissions(scope: ScopeKey, offset: number, limit: number): Promise<{ rows: PermissionRow[]; total: number }> {
    const total = (this.db.prepare('SELECT count(*) AS n FROM permissions WHERE tenant = ? AND sub = ?').get(scope.tenant, scope.sub) as { n: number }).n;
    const rows = this.db.prepare('SELECT * FROM permissions WHERE tenant = ? AND sub = ? ORDER BY created, id LIMIT ? OFFSET ?')
      .all(scope.tenant, scope.sub, limit, offset) as PermissionRow[];
    return { rows, total };
  }

  async deletePermission(scope: ScopeKey, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM permissions WHERE tenant = ? AND sub = ? AND id = ?').run(scope.tenant, scope.sub, id).changes === 1;
  }
}
