/**
 * Structured logs: one line per request with its logref, route pattern, status, and the tenant and client id of its
 * token; error bodies quote the logref; each key once per line (log stores refuse duplicate keys); ISO-8601 times;
 * secrets never appear; a terminal gets readable lines instead of JSON.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { createLogger } from '../../src/core/log.js';
import { startServer } from '../helpers/server.js';

const sinkOf = (lines: string[]) => new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });

it('the logref of an error body appears in the log lines of that request, each key once, and no secret is logged', async () => {
  const lines: string[] = [];
  const s = await startServer({}, { logger: createLogger('info', sinkOf(lines)) });
  try {
    const token = await s.token();
    const res = await s.api('/api/tenantmanagement/v4/nothing');
    const { errors } = await res.json() as { errors: { logref: string }[] };
    const logref = errors[0]!.logref;
    assert.equal((await s.api('/api/tenantmanagement/v4/tenantInfo')).status, 200);
    const raw = lines.filter((l) => l.includes(logref));
    assert.ok(raw.length >= 2, 'the error line and the request line');
    for (const line of lines) {
      const keys = [...line.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]);
      // top-level and nested keys together: a key may repeat only in different objects, never "logref"
      assert.equal(keys.filter((k) => k === 'logref').length <= 1, true, `logref twice in ${line}`);
      const parsed = JSON.parse(line) as { time: string };
      assert.match(parsed.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'ISO-8601 time');
    }
    const mine = raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(mine.some((l) => l['code'] === 'mdsp.core.generic.routeNotFound'));
    const requestLine = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'request completed' && l['route'] === '/api/tenantmanagement/v4/tenantInfo');
    assert.ok(requestLine, 'a line for the request');
    assert.equal(requestLine['tenant'], s.tenant);
    assert.equal(requestLine['clientId'], s.key.clientId);
    assert.equal(requestLine['status'], 200);
    assert.equal(typeof requestLine['ms'], 'number');
    const all = lines.join('\n');
    assert.ok(!all.includes(s.key.clientSecret), 'client secret in log');
    assert.ok(!all.includes(token), 'token in log');
  } finally {
    await s.close();
  }
});

it('pretty format: readable single lines without JSON braces, still without secrets', () => {
  const lines: string[] = [];
  const log = createLogger('info', sinkOf(lines), 'pretty');
  log.info({ tenant: 'acme', clientSecret: 'very-secret' }, 'hello there');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /INFO.*hello there/);
  assert.ok(!lines[0]!.startsWith('{'));
  assert.ok(!lines[0]!.includes('very-secret'));
  const json: string[] = [];
  createLogger('info', sinkOf(json), 'json').info('plain');
  assert.equal((JSON.parse(json[0]!) as { msg: string }).msg, 'plain');
});
