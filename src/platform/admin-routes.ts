/**
 * The platform's admin REST API under /api/ironbridge/v1 that spans every context (the identity context serves the
 * user routes): `DELETE /api/ironbridge/v1/tenant?confirm=<name>` deletes the caller's own tenant with all of its data
 * (assets, time series, events, files, data lake, agents, OData contracts, gateway apps and sessions, users and keys),
 * after the caller repeats the tenant's name. Needs the tenant write scope (tm.ti.w, administrators only); a token
 * can only ever delete its own tenant, so the route keeps tenant isolation. Its tokens stop at once.
 */
import type { FastifyInstance } from 'fastify';
import { principal } from '../core/auth.js';
import { SCOPES } from '../core/scopes.js';
import { ADMIN_BASE } from '../identity/admin-routes.js';
import { IdentityErrors } from '../identity/errors.js';

export async function platformAdminRoutes(app: FastifyInstance, deleteTenant: (name: string) => Promise<void>): Promise<void> {
  app.delete<{ Querystring: { confirm?: string | string[] } }>(`${ADMIN_BASE}/tenant`, { config: { scope: SCOPES.tenantWrite } },
    async (req, reply) => {
      const tenant = principal(req).tenant;
      const confirm = req.query.confirm;
      if (confirm !== tenant) throw IdentityErrors.tenantDeleteUnconfirmed({ name: tenant });
      await deleteTenant(tenant);
      return reply.code(204).send();
    });
}
