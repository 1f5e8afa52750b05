/** Structured logs: every request line carries its logref, error bodies quote it, secrets never appear. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { startServer } from '../helpers/server.js';

it('the logref of an error body appears in the log lines of that request, and no secret is logged', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
  const s = await startServer({}, { logger: createLogger('info', sink) });
  try {
    const token = await s.token();
    const res = await s.api('/api/tenantmanagement/v4/nothing');
    const { errors } = await res.json() as { errors: { logref: string }[] };
    const logref = errors[0]!.logref;
    const mine = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['logref'] === logref);
    assert.ok(mine.length >= 2, 'request and response lines');
    assert.ok(mine.some((l) => l['code'] === 'mdsp.core.generic.routeNotFound'));
    const all = lines.join('\n');
    assert.ok(!all.includes(s.key.clientSecret), 'client secret in log');
    assert.ok(!all.includes(token), 'token in log');
  } finally {
    await s.close();
  }
});
