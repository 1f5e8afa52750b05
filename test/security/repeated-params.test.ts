/**
 * A query parameter named twice, on every GET route of the route table: fastify's parser hands the route an array
 * for it, which reached services expecting a string (`?sort=&sort=` was an HTTP 500 on the Asset Management
 * files, Event Management and Agent Management lists; found by the fuzz suite at 200 runs per route). Each route
 * gets its valid request (its isolation fixture) with one of the common parameters given twice, empty and not:
 * the answer is no 5xx and any error is in the shape of its path (Insights Hub API error responses). And where a
 * parameter is single-valued, its last value counts, as a single one would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { actorOf, FIXTURES, fixtureOf, requestOf, type Actor } from './fixtures/index.js';
import { errorShapeProblem, routeKey, type SecurityEnv, securityEnv, send } from './harness.js';

const NAMES = ['sort', 'filter', 'page', 'size', 'search', 'select', 'from', 'to', 'limit', 'count', 'subtenantId', 'path'];
const PAIRS = [['', ''], ['x', 'y'], ['name,asc', 'name,desc']] as const;

describe('a query parameter given twice', () => {
  let env: SecurityEnv;
  let actor: Actor;
  before(async () => { env = await securityEnv(); actor = actorOf(env); });
  after(() => env.close());

  it('is never a 5xx on any GET route, and any error is in the shape of its path', async () => {
    const problems: string[] = [];
    let routes = 0;
    for (const route of env.routes) {
      const fixture = fixtureOf(FIXTURES, route.method, route.url);
      if (route.method !== 'GET' || route.public || !fixture) continue;
      routes++;
      const base = requestOf(route, await fixture(actor));
      for (const name of NAMES) {
        for (const [a, b] of PAIRS) {
          const path = `${base.path}${base.path.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(a)}&${name}=${encodeURIComponent(b)}`;
          const answer = await send(env.url, { ...base, path, headers: { ...base.headers, authorization: `Bearer ${env.A.token}` } });
          const problem = answer.status >= 500 ? `${answer.status}: ${answer.text.slice(0, 200)}`
            : answer.status >= 400 ? errorShapeProblem(answer, path) : undefined;
          if (problem) problems.push(`${routeKey(route)} ${path.slice(0, 160)} → ${problem}`);
        }
      }
    }
    assert.ok(routes > 50, `only ${routes} GET routes with fixtures`);
    assert.deepEqual(problems, []);
  });

  it('counts by its last value where the parameter is single-valued', async () => {
    // tenant B, which holds no fixture files: the list is these two
    for (const name of ['b-file', 'a-file']) {
      const form = new FormData();
      form.set('file', new Blob([name]), `${name}.txt`);
      form.set('name', `${name}.txt`);
      const up = await fetch(`${env.url}/api/assetmanagement/v3/files`, { method: 'POST', body: form, headers: { authorization: `Bearer ${env.B.token}` } });
      assert.equal(up.status, 201, await up.text());
    }
    const names = async (query: string) => {
      const r = await fetch(`${env.url}/api/assetmanagement/v3/files?${query}`, { headers: { authorization: `Bearer ${env.B.token}` } });
      assert.equal(r.status, 200);
      return ((await r.json()) as { _embedded: { files: { name: string }[] } })._embedded.files.map((f) => f.name);
    };
    const desc = await names('sort=name,desc');
    assert.deepEqual(await names('sort=name,asc&sort=name,desc'), desc);
    assert.deepEqual(await names('sort=name,desc&sort=name,asc'), [...desc].reverse());
  });
});
