/**
 * Access token permissions (Integrated Data Lake API v3 /accessTokenPermissions): folders on which WRITE is
 * enabled for STS tokens. The permissions are kept and listed as Insights Hub does; the STS tokens themselves
 * (generateAccessToken) are not issued (no route), since this platform offers no direct bucket access.
 */
import { randomUUID } from 'node:crypto';
import { Generic } from '../core/errors.js';
import { iso } from '../core/instant.js';
import { DatalakeErrors } from './errors.js';
import { checkPath, type Scope } from './paths.js';
import { keyOf, pageInfo, paging, type Caller, type DatalakeService } from './service.js';
import type { DatalakeStore, PermissionRow } from './store.js';

export class AccessPermissions {
  constructor(private readonly store: DatalakeStore, private readonly service: DatalakeService, private readonly now: () => number) {}

  view(p: PermissionRow) {
    return { id: p.id, path: p.path || '/', permission: p.permission, created: iso(p.created), ...(p.sub ? { subtenantId: p.sub } : {}) };
  }

  async create(caller: Caller, body: unknown) {
    const b = (body ?? {}) as { path?: unknown; permission?: unknown; subtenantId?: unknown };
    const scope = this.service.scope(caller, b.subtenantId);
    if (b.permission !== 'WRITE') throw Generic.invalidRequestBodyProperty({ name: 'permission', rule: 'must be WRITE' });
    const path = checkPath(b.path ?? '/', 'folder');
    const row: PermissionRow = { ...keyOf(scope), id: randomUUID(), path, permission: 'WRITE', created: this.now() };
    if (!(await this.store.createPermission(row))) throw DatalakeErrors.permissionExists({ path: path || '/' });
    return this.view(row);
  }

  async get(scope: Scope, id: string) {
    const p = await this.store.getPermission(keyOf(scope), id);
    if (!p) throw DatalakeErrors.permissionNotFound({ id });
    return this.view(p);
  }

  async list(scope: Scope, q: { size?: unknown; page?: unknown }) {
    const { offset, size, page } = paging(q, 10, 1000);
    const { rows, total } = await this.store.listPermissions(keyOf(scope), offset, size);
    return { accessTokenPermissions: rows.map((r) => this.view(r)), page: pageInfo(size, total, page) };
  }

  async delete(scope: Scope, id: string): Promise<void> {
    if (!(await this.store.deletePermission(keyOf(scope), id))) throw DatalakeErrors.permissionNotFound({ id });
  }
}
