/**
 * The isolation matrix (ARCHITECTURE.md "How quality is shown"): every route of the server's route table — so a
 * new route cannot be forgotten — is called, with tenant A's objects made by the route's fixture, as four callers
 * that must be refused: tenant B, A with a key lacking the route's scope, A with an expired token, and nobody.
 * Then A makes the same call (the positive control: the request is right, so the refusals were about the caller,
 * and it carries the etags the fixture read, so none of the refused calls changed A's objects).
 * Refusals are those of Industrial IoT Gateway "Required claims" and the Insights Hub API references: 401 with
 * WWW-Authenticate: Bearer without a valid token, 403 naming the missing scope, 404 for another tenant's object
 * ("not found or not visible", Asset Management API v3), each in the error shape of its path prefix; and no
 * answer but A's own holds any of A's names, values or ids.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RouteEntry } from '../../src/platform/platform.js';
import { actorOf, FIXTURES, fixtureOf, PUBLIC, publicReason, requestOf, SAMPLES, type Actor, type RouteCase } from './fixtures/index.js';
import {
  type Answer, errorShapeProblem, header, leaksIn, paramsOf, routeKey, type SecurityEnv, securityEnv, send,
} from './harness.js';

describe('isolation matrix: every route refuses another tenant, a missing scope, an expired token and no token', () => {
  let env: SecurityEnv;
  let actor: Actor;
  const counts = { routes: 0, publicRoutes: 0, cases: 0, requests: 0 };
  before(async () => {
    env = await securityEnv();
    actor = actorOf(env);
  });
  after(async () => {
    console.log(`# isolation matrix: ${counts.routes} routes (${counts.publicRoutes} public), ${counts.cases} cases, ${counts.requests} requests`);
    await env.close();
  });

  it('lists every public route with its reason and gives every other route a fixture; no entry names a missing route', () => {
    const keys = new Set(env.routes.map(routeKey));
    const stale = [...Object.keys(FIXTURES), ...Object.keys(PUBLIC), ...Object.keys(SAMPLES)].filter((k) => !keys.has(k));
    assert.deepEqual(stale, [], 'entries for routes the server does not register (remove or rename them)');
    const undeclared = env.routes.filter((r) => r.public && !publicReason(r.method, r.url)).map(routeKey);
    assert.deepEqual(undeclared, [], 'routes marked public (config.public) without a reason in test/security/fixtures/index.ts PUBLIC');
    const open = env.routes.filter((r) => !r.public && r.url.startsWith('/api/') && publicReason(r.method, r.url)).map(routeKey);
    assert.deepEqual(open, [], 'routes listed in PUBLIC that verify tokens after all (remove them from PUBLIC, give them a fixture)');
    const both = env.routes.filter((r) => publicReason(r.method, r.url) && FIXTURES[routeKey(r)]).map(routeKey);
    assert.deepEqual(both, [], 'routes both public and in the matrix');
  });

  it('every protected /api route names the scope it requires', () => {
    const unscoped = env.routes.filter((r) => !r.public && r.url.startsWith('/api/') && !r.scope).map(routeKey);
    assert.deepEqual(unscoped, [], 'a protected route without config.scope cannot be refused for a missing scope');
  });

  it('refuses each caller with the documented answer, shows none of A\'s data, and leaves A\'s objects as they were', async (t) => {
    for (const route of env.routes) {
      counts.routes++;
      if (publicReason(route.method, route.url)) { counts.publicRoutes++; continue; }
      const fixture = fixtureOf(FIXTURES, route.method, route.url);
      if (!fixture) {
        await t.test(routeKey(route), () => {
          assert.fail(`no isolation fixture for ${routeKey(route)}: add one to test/security/fixtures/<context>.ts ` +
            '(or list the route in PUBLIC with the reason it takes no token)');
        });
        continue;
      }
      const known = new Set(env.secrets);
      const c = await fixture(actor);
      await t.test(routeKey(route), c.todo ? { todo: c.todo } : {}, async () => {
        const problems = await matrix(route, c, known);
        assert.deepEqual(problems, [], `${routeKey(route)}:\n  ${problems.join('\n  ')}`);
      });
    }
  });

  /** `known`: A's data from before this route's fixture ran (objects of earlier routes, the tenant's name). */
  async function matrix(route: RouteEntry, c: RouteCase, known: ReadonlySet<string>): Promise<string[]> {
    const req = requestOf(route, c);
    const requestText = `${req.path}\n${JSON.stringify(req.headers)}\n${req.body ?? ''}`;
    const head = route.method === 'HEAD';
    const problems: string[] = [];
    const as = async (token: string | undefined): Promise<Answer> => {
      counts.requests++;
      return send(env.url, { ...req, headers: { ...req.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    };
    const expect = (who: string, a: Answer, ok: (status: number) => boolean, wanted: string, message?: RegExp) => {
      counts.cases++;
      if (!ok(a.status)) problems.push(`${who}: ${a.status} where ${wanted} is documented: ${a.text.slice(0, 300)}`);
      else if (a.status >= 400) {
        const shape = errorShapeProblem(a, req.path, route.method);
        if (shape) problems.push(`${who}: ${shape}`);
        if (message && !head && !message.test(a.text)) problems.push(`${who}: the message does not match ${message}: ${a.text.slice(0, 300)}`);
      }
      const leaked = leaksIn(a, env.secrets, requestText);
      if (leaked.length > 0) problems.push(`${who}: the answer holds A's data ${leaked.join(', ')}: ${a.text.slice(0, 300)}`);
    };
    const challenge = (who: string, a: Answer) => {
      if (a.status === 401 && !/^Bearer\b/.test(header(a, 'www-authenticate') ?? '')) {
        problems.push(`${who}: 401 without WWW-Authenticate: Bearer (RFC 6750 §3)`);
      }
    };
    const status = (n: number) => (s: number) => s === n;
    const success = (s: number) => s >= 200 && s < 300;

    const none = await as(undefined);
    expect('no token', none, status(401), '401');
    challenge('no token', none);
    const expired = await as(await env.expired());
    expect('expired token', expired, status(401), '401', /expired/);
    challenge('expired token', expired);
    if (route.scope) {
      expect(`a token without ${route.scope}`, await as(await env.lacking(route.scope)), status(403), '403', new RegExp(route.scope.replace(/\./g, '\\.')));
    }
    const foreign = await as(env.B.token);
    const objectRoute = paramsOf(route.url).length > 0;
    if (c.foreign) {
      expect(`tenant B (${c.foreign.reason})`, foreign, status(c.foreign.status), String(c.foreign.status));
      if (c.foreign.shows && !head && !c.foreign.shows.test(foreign.text)) problems.push(`tenant B: the answer does not show ${c.foreign.shows}: ${foreign.text.slice(0, 300)}`);
    } else if (objectRoute) expect('tenant B', foreign, status(404), '404 (another tenant\'s object)');
    else expect('tenant B (its own view)', foreign, success, 'its own 2xx view');
    // B may have made its own object with the names this fixture made for the request (a create): they are B's
    // data now too, so they leave the set. A's data from before the fixture stays in it, so later routes still
    // see it leak; and B's write must not have succeeded with a reference to it (another tenant's object).
    if (success(foreign.status) && !['GET', 'HEAD'].includes(route.method)) {
      for (const s of [...env.secrets]) {
        if (!requestText.includes(s)) continue;
        if (known.has(s) && s !== env.A.name) problems.push(`tenant B's ${route.method} succeeded (${foreign.status}) with A's ${s} in the request`);
        else if (!known.has(s)) env.secrets.delete(s);
      }
    }

    const own = await as(env.A.token);
    if (!(c.own !== undefined ? own.status === c.own : success(own.status))) {
      problems.push(`tenant A's own call (the positive control) got ${own.status} instead of ${c.own ?? '2xx'}: ${own.text.slice(0, 300)}`);
    } else if ((c.reveals ?? route.method === 'GET') && leaksIn(own, env.secrets, requestText).length === 0) {
      problems.push('tenant A\'s own answer holds none of A\'s data, so a leak on this route would go unseen: make the fixture show data or set reveals: false');
    }
    return problems;
  }
});
