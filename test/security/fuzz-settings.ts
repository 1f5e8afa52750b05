/**
 * What both fuzz suites share: the seed (IRONBRIDGE_FUZZ_SEED replays a run; it is printed, and fast-check prints
 * it with any counterexample), the runs (IRONBRIDGE_FUZZ_RUNS per route, default 40), the holes still open, and
 * the health check after fuzzing.
 */
import assert from 'node:assert/strict';
import { type SecurityEnv, send } from './harness.js';

export const SEED = Number(process.env['IRONBRIDGE_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
export const RUNS = Number(process.env['IRONBRIDGE_FUZZ_RUNS'] ?? 40);
/**
 * fast-check options of every fuzz property: the seed, and the failing check's own message in the report (by
 * default fast-check 4 keeps it only as the error's cause, which node's test reporters do not print, so a CI log
 * showed the counterexample without what was wrong with its answer).
 */
export const fuzzRun = (numRuns: number) => ({ seed: SEED, numRuns, includeErrorInReport: true });

/**
 * Holes other work is closing (issue 12 "Holes found"). Each names the exact input class it takes out of one
 * check; the generators keep producing it. Set an entry to false once its fix has landed.
 */
export const OPEN_HOLES = {
  /** issue 12 "Deep JSON": a merge-patch body nested ~10,000 levels overflowed the stack → 500 (closed by the assets reshape). */
  deepJson: false,
  /**
   * issue 12 "HTTP edge answers outside our shapes" (closed by the edge's clientErrorHandler): a request node's HTTP parser refuses
   * (here: a method it does not know, a byte from 0x7F up in the request target) gets fastify's
   * {"error":"Bad Request","message":"Client Error"} body.
   */
  parserErrors: false,
  /**
   * Found by this suite, same bullet and fix: a request head over the header limit gets 431 from the gateway's
   * clientError handler, rendered for "/" — the errors shape in JSON whatever the path's shape and the Accept (closed).
   */
  headOverflow: false,
};
export const skipped = { deepJson: 0, parserErrors: 0, headOverflow: 0 };

/** The server still answers /health and an authenticated request. */
export async function healthy(env: SecurityEnv): Promise<void> {
  assert.equal((await send(env.url, { method: 'GET', path: '/health' })).status, 200, 'GET /health after fuzzing');
  const info = await send(env.url, { method: 'GET', path: '/api/tenantmanagement/v4/tenantInfo', headers: { authorization: `Bearer ${env.A.token}` } });
  assert.equal(info.status, 200, `an authenticated request after fuzzing: ${info.text}`);
}
