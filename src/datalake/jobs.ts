/**
 * Delete objects jobs (Integrated Data Lake API v3 /deleteObjectsJobs): a list of object paths deleted in the
 * background, one at a time, each ending DELETED, NOTFOUND or FAILED (with the reason kept for errorDetails);
 * progress counts come from those states. A job runs in the process that accepted it; if that process stops
 * midway, the rest stays PENDING (resuming such jobs is not built yet).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.js';
import { iso } from '../core/instant.js';
import { DatalakeErrors } from './errors.js';
import { checkPath, type Scope } from './paths.js';
import { keyOf, pageInfo, paging, type DatalakeService } from './service.js';
import type { DatalakeStore, JobRow } from './store.js';

export const MAX_JOB_OBJECTS = 1000;

export class DeleteJobs {
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly store: DatalakeStore, private readonly service: DatalakeService,
    private readonly now: () => number, private readonly warn: (msg: string, err: unknown) => void) {}

  view(j: JobRow) {
    const pending = j.total - j.deleted - j.failed - j.notFound;
    const status = pending > 0 ? 'IN_PROGRESS' : j.failed + j.notFound > 0 ? 'COMPLETED_WITH_ERRORS' : 'COMPLETED';
    return {
      id: j.id, status, created: iso(j.created), ...(j.sub ? { subtenantId: j.sub } : {}),
      progressDetails: { totalObjects: j.total, inProgressObjects: pending, deletedObjects: j.deleted, failedObjects: j.failed + j.notFound },
    };
  }

  async create(caller: { tenant: string; subtenant?: string | undefined }, body: unknown) {
    const b = (body ?? {}) as { objects?: unknown; subtenantId?: unknown };
    const scope = this.service.scope(caller, b.subtenantId);
    if (!Array.isArray(b.objects) || b.objects.length === 0) {
      throw DatalakeErrors.invalidPath({ field: 'objects', path: '', rule: 'objects must be a non-empty array of {"path": "folder/file.ext"}' });
    }
    if (b.objects.length > MAX_JOB_OBJECTS) throw DatalakeErrors.tooManyPaths({ count: b.objects.length, max: MAX_JOB_OBJECTS });
    const paths = b.objects.map((o: unknown, i: number) => checkPath((o as { path?: unknown } | null)?.path, 'object', `objects[${i}].path`));
    const job: JobRow = { ...keyOf(scope), id: randomUUID(), created: this.now(), total: paths.length, deleted: 0, failed: 0, notFound: 0 };
    await this.store.createJob(job, paths);
    this.kick(scope, job.id);
    return this.view(job);
  }

  private kick(scope: Scope, id: string): void {
    this.running = this.running.then(() => this.run(scope, id)).catch((err: unknown) => this.warn('delete job failed', err));
  }

  private async run(scope: Scope, id: string): Promise<void> {
    for (const o of await this.store.jobObjects(keyOf(scope), id, ['PENDING'])) {
      try {
        await this.store.setJobObject(keyOf(scope), id, o.idx, (await this.service.delete(scope, o.path)) ? 'DELETED' : 'NOTFOUND');
      } catch (err) {
        if (!(err instanceof AppError)) this.warn(`delete job ${id}: ${o.path} failed`, err);
        await this.store.setJobObject(keyOf(scope), id, o.idx, 'FAILED');
      }
    }
  }

  /** Resolves when every job handed to this process so far has run. */
  idle(): Promise<void> {
    return this.running;
  }

  async get(scope: Scope, id: string) {
    const j = await this.store.getJob(keyOf(scope), id);
    if (!j) throw DatalakeErrors.jobNotFound({ id });
    return this.view(j);
  }

  async list(scope: Scope, q: { size?: unknown; page?: unknown }) {
    const { offset, size, page } = paging(q, 10, 100);
    const { rows, total } = await this.store.listJobs(keyOf(scope), offset, size);
    return { deleteObjectsJobs: rows.map((j) => this.view(j)), page: pageInfo(size, total, page) };
  }

  async errorDetails(scope: Scope, id: string) {
    if (!(await this.store.getJob(keyOf(scope), id))) throw DatalakeErrors.jobNotFound({ id });
    const objects = await this.store.jobObjects(keyOf(scope), id, ['FAILED', 'NOTFOUND']);
    return { objects: objects.map((o) => ({ path: o.path, status: o.status })) };
  }
}
