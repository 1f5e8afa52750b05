/**
 * The admin REST API of users and binding keys, under /api/ironbridge/v1 (Insights Hub has no public user API a
 * self-hosted server could follow; the CLI's `user` and `keys` commands and the Service Management app share this
 * one): list and add (iam.user.r / iam.user.w), change password or role, and remove (iam.user.w), always in the
 * caller's own tenant. Each change replaces the user's revocation signature, so the user's earlier tokens stop at
 * once. Binding keys ("Insights Hub IIoT for Makers" §3): create by naming the app connection (the secret is in
 * that one answer only), list, revoke; a key never gets a scope its creator's token lacks.
 * `POST /keys/{name}/rotate` (iam.user.w) gives a key a new secret; the old one works for the keyRotationGraceSeconds setting.
 */
import type { FastifyInstance } from 'fastify';
import { principal } from '../core/auth.js';
import { AppError } from '../core/errors.js';
import { ALL_SCOPES, ROLES, SCOPES, type Role } from '../core/scopes.js';
import { IdentityErrors } from './errors.js';
import type { IdentityService } from './service.js';

export const ADMIN_BASE = '/api/ironbridge/v1';

/** A body field that must be a string when present (required ones must be present). */
function text(body: unknown, field: string, required: boolean): string | undefined {
  const v = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') throw IdentityErrors.invalidField({ field, value: String(v), rule: 'must be a string' });
  return v;
}

const roleOf = (role: string | undefined): Role => {
  if (role === undefined) return 'user';
  if (!(ROLES as readonly string[]).includes(role)) {
    throw IdentityErrors.invalidField({ field: 'role', value: role, rule: `must be one of ${ROLES.join(', ')}` });
  }
  return role as Role;
};

/** A user the caller's tenant does not have gets the REST 404, which does not repeat the address. */
async function visible<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AppError && err.code === 'ironbridge.identity.userNotFound') throw IdentityErrors.userNotVisible({});
    throw err;
  }
}

export async function adminUserRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const R = { config: { scope: SCOPES.identityRead } };
  const W = { config: { scope: SCOPES.identityWrite } };
  app.get(`${ADMIN_BASE}/users`, R, async (req) => identity.listUsers(principal(req).tenant));
  app.post(`${ADMIN_BASE}/users`, W, async (req, reply) => {
    const [email, password, role] = [text(req.body, 'email', true)!, text(req.body, 'password', true)!, text(req.body, 'role', false)];
    return reply.code(201).send(await identity.addUser(principal(req).tenant, email, password, roleOf(role)));
  });
  app.patch<{ Params: { email: string } }>(`${ADMIN_BASE}/users/:email`, W, async (req) => {
      const tenant = principal(req).tenant;
      const [password, role] = [text(req.body, 'password', false), text(req.body, 'role', false)];
      if (password === undefined && role === undefined) {
        throw IdentityErrors.invalidField({ field: 'body', value: '{}', rule: 'must change password or role' });
      }
      // the role is checked before the password is hashed, so a bad request changes nothing
      const newRole = role === undefined ? undefined : roleOf(role);
      let user = password === undefined ? undefined : await visible(identity.setPassword(tenant, req.params.email, password));
      if (newRole !== undefined) user = await visible(identity.setRole(tenant, req.params.email, newRole));
      return user;
    });
  app.delete<{ Params: { email: string } }>(`${ADMIN_BASE}/users/:email`, W, async (req, reply) => {
    await visible(identity.removeUser(principal(req).tenant, req.params.email));
    return reply.code(204).send();
  });
}

/** The scopes of a new key: those asked for (a list of strings, each held by the caller), else all the caller holds. */
function keyScopes(body: unknown, held: ReadonlySet<string>): string[] {
  const raw = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['scopes'] : undefined;
  if (raw === undefined) return ALL_SCOPES.filter((s) => held.has(s));
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((s) => typeof s !== 'string')) {
    throw IdentityErrors.invalidField({ field: 'scopes', value: Array.isArray(raw) ? `${raw.length} entries` : String(raw).slice(0, 80), rule: 'must be a non-empty array of scope names' });
  }
  const foreign = (raw as string[]).filter((s) => !held.has(s));
  if (foreign.length > 0) {
    throw IdentityErrors.invalidField({ field: 'scopes', value: foreign.join(' ').slice(0, 200), rule: 'a key may only have scopes your own token has' });
  }
  return raw as string[];
}

export async function adminKeyRoutes(app: FastifyInstance, identity: IdentityService): Promise<void> {
  const R = { config: { scope: SCOPES.identityRead } };
  const W = { config: { scope: SCOPES.identityWrite } };
  app.get(`${ADMIN_BASE}/keys`, R, async (req) => identity.listKeys(principal(req).tenant));
  app.post(`${ADMIN_BASE}/keys`, W, async (req, reply) => {
    const p = principal(req);
    const name = text(req.body, 'name', true)!;
    const key = await identity.createKey(p.tenant, name, { scopes: keyScopes(req.body, p.scopes) });
    return reply.code(201).header('cache-control', 'no-store').send({ name, ...key });
  });
  app.delete<{ Params: { name: string } }>(`${ADMIN_BASE}/keys/:name`, W, async (req, reply) => {
    await identity.revokeKey(principal(req).tenant, req.params.name);
    return reply.code(204).send();
  });
  app.post<{ Params: { name: string } }>(`${ADMIN_BASE}/keys/:name/rotate`, W, async (req) => identity.rotateKey(principal(req).tenant, req.params.name));
}
