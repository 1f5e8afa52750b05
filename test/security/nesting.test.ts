/**
 * Deep JSON on every context's JSON bodies (issue 12 "Deep JSON"): an application/json body nested deeper than
 * --json-max-nesting is a 400 naming the field and the limit, in the shape of the route's path, before a validator or
 * any other walk over the body sees it; Asset Management keeps its own tighter bound for merge-patch bodies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorShapeProblem, type SecurityEnv, securityEnv, send } from './harness.js';

const nested = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);

describe('deep JSON bodies outside Asset Management (limit 64 levels)', () => {
  let env: SecurityEnv;
  before(async () => { env = await securityEnv(); });
  after(() => env.close());

  const call = (method: string, path: string, body: string) => send(env.url, {
    method, path, body, headers: { authorization: `Bearer ${env.A.token}`, 'content-type': 'application/json' },
  });

  const routes: [string, string, (deep: string) => string][] = [
    ['PUT', '/api/iottimeseries/v3/timeseries/e1/ps', (d) => `[{"_time":"2026-01-01T00:00:00Z","v":${d}}]`],
    ['POST', '/api/datalake/v3/generateUploadObjectUrls', (d) => `{"paths":${d}}`],
    ['POST', '/api/odatacontracts/v1/contracts', (d) => `{"name":${d}}`],
    ['POST', '/api/gatewayregistry/v1/apps', (d) => `{"name":${d}}`],
  ];

  it('a body nested 10,000 levels is a 400 naming the field and the limit, in the shape of the path', async () => {
    for (const [method, path, body] of routes) {
      const a = await call(method, path, body(nested(10_000)));
      assert.equal(a.status, 400, `${method} ${path}: ${a.text.slice(0, 300)}`);
      assert.match(a.text, /nests deeper than 64 levels/, `${method} ${path}`);
      assert.equal(errorShapeProblem(a, path), undefined, a.text);
    }
  });

  it('64 levels pass the parser (the route answers for itself), 65 do not', async () => {
    for (const [method, path, body] of routes) {
      // the wrapper of each body adds one or two levels; 60 inside stays within 64
      const within = await call(method, path, body(nested(60)));
      assert.doesNotMatch(within.text, /nests deeper than/, `${method} ${path}`);
      assert.ok(within.status < 500, `${method} ${path}: ${within.status}`);
    }
    const [method, path] = ['POST', '/api/odatacontracts/v1/contracts'];
    const edge = await call(method, path, `{"name":${nested(63)}}`);
    assert.doesNotMatch(edge.text, /nests deeper than/);
    const over = await call(method, path, `{"name":${nested(64)}}`);
    assert.equal(over.status, 400);
    assert.match(over.text, /name.*nests deeper than 64 levels|nests deeper than 64 levels.*name/s);
  });

  it('a body with __proto__ is still refused as fastify refuses it, and the server stays healthy', async () => {
    const a = await call('POST', '/api/odatacontracts/v1/contracts', '{"__proto__":{"x":1}}');
    assert.equal(a.status, 400, a.text);
    assert.equal((await send(env.url, { method: 'GET', path: '/health' })).status, 200);
  });

  it('the parsers of Asset Management and Agent Management refuse __proto__ and constructor.prototype keys too', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/api/assetmanagement/v3/assets', '{"name":"x","typeId":"core.basicasset","location":{"__proto__":{"polluted":true}}}'],
      ['PATCH', '/api/assetmanagement/v3/assets/0123456789abcdef0123456789abcdef', '{"description":"x","constructor":{"prototype":{"a":1}}}'],
      ['POST', '/api/agentmanagement/v3/agents', '{"name":"a","securityProfile":"SHARED_SECRET","entityId":"e","__proto__":{"x":1}}'],
    ];
    for (const [method, path, body] of cases) {
      const a = await call(method, path, body);
      assert.equal(a.status, 400, `${method} ${path}: ${a.text}`);
      assert.match(a.text, /the key \\?"(__proto__|constructor\.prototype)\\?" is not allowed/, `${method} ${path}`);
      assert.equal(errorShapeProblem(a, path), undefined, a.text);
    }
    // the words themselves inside values stay allowed
    const ok = await call('POST', '/api/assetmanagement/v3/assets', '{"name":"proto","typeId":"core.basicasset","description":"\\"__proto__\\": is fine here"}');
    assert.doesNotMatch(ok.text, /is not allowed/);
  });
});
