import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { dl, FakeClock, putObject } from './helpers.js';

interface Received { body: string; signature: string }

/** A webhook receiver on loopback that answers with the statuses it is given, then 200. */
async function webhook(statuses: number[]) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['x-ironbridge-signature']) });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('delete objects jobs', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  it('deletes in the background with progress and per-object errors', async () => {
    for (const p of ['del/a', 'del/b', 'del/c']) await putObject(s, p, p);
    const created = await dl(s, 'POST', '/deleteObjectsJobs', { objects: [{ path: 'del/a' }, { path: 'del/missing' }, { path: 'del/c' }] });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'IN_PROGRESS');
    assert.deepEqual(created.body.progressDetails, { totalObjects: 3, inProgressObjects: 3, deletedObjects: 0, failedObjects: 0 });
    await s.platform.datalake.jobs.idle();
    const job = await dl(s, 'GET', `/deleteObjectsJobs/${created.body.id}`);
    assert.equal(job.body.status, 'COMPLETED_WITH_ERRORS');
    assert.deepEqual(job.body.progressDetails, { totalObjects: 3, inProgressObjects: 0, deletedObjects: 2, failedObjects: 1 });
    const errors = await dl(s, 'GET', `/deleteObjectsJobs/${created.body.id}/errorDetails`);
    assert.deepEqual(errors.body.objects, [{ path: 'del/missing', status: 'NOTFOUND' }]);
    const left = await dl(s, 'GET', '/objects?path=del/');
    assert.deepEqual(left.body.objects.map((o: { path: string }) => o.path), ['del/b']);
    const clean = await dl(s, 'POST', '/deleteObjectsJobs', { objects: [{ path: 'del/b' }] });
    await s.platform.datalake.jobs.idle();
    assert.equal((await dl(s, 'GET', `/deleteObjectsJobs/${clean.body.id}`)).body.status, 'COMPLETED');
    const list = await dl(s, 'GET', '/deleteObjectsJobs');
    assert.equal(list.body.deleteObjectsJobs.length, 2);
    assert.equal((await dl(s, 'GET', '/deleteObjectsJobs/nope')).status, 404);
    const bad = await dl(s, 'POST', '/deleteObjectsJobs', { objects: [{ path: 'ok' }, { path: '../x' }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0].message, /objects\[1\]\.path/);
    assert.equal((await dl(s, 'POST', '/deleteObjectsJobs', { objects: [] })).status, 400);
  });
});

describe('object event subscriptions', () => {
  let s: TestServer;
  const clock = new FakeClock();
  before(async () => { s = await startServer({ datalakeWebhookAttempts: 3, datalakeWebhookBackoffMs: 1000 }, { now: clock.now }); });
  after(() => s.close());

  it('POSTs a signed notification on MODIFY and DELETE under the folder only', async () => {
    const hook = await webhook([]);
    try {
      const sub = await dl(s, 'POST', '/objectEventSubscriptions', { path: 'watched/', destination: hook.url });
      assert.equal(sub.status, 201, sub.text);
      assert.equal(sub.body.status, 'ACTIVE');
      assert.equal(sub.body.storagePath, 'data/ten=local/watched/');
      const secret = sub.body.signingSecret as string;
      assert.equal((await dl(s, 'GET', `/objectEventSubscriptions/${sub.body.id}`)).body.signingSecret, undefined, 'shown once');
      await putObject(s, 'watched/x.csv', 'x');
      await putObject(s, 'elsewhere/y.csv', 'y');
      await dl(s, 'DELETE', '/objects/watched/x.csv');
      await s.platform.datalake.events.idle();
      await s.platform.datalake.events.runDue();
      const events = hook.received.map((r) => JSON.parse(r.body));
      assert.deepEqual(events.map((e) => [e.eventType, e.path]), [['MODIFY', 'watched/x.csv'], ['DELETE', 'watched/x.csv']]);
      assert.deepEqual(Object.keys(events[0]).sort(), ['eventType', 'path', 'storageAccount', 'storagePath', 'tenantId', 'timestamp']);
      assert.equal(events[0].tenantId, 'local');
      assert.equal(events[0].timestamp, new Date(clock.t).toISOString());
      for (const r of hook.received) {
        assert.equal(r.signature, `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
      }
      const state = await dl(s, 'GET', `/objectEventSubscriptions/${sub.body.id}/deliveries`);
      assert.deepEqual(state.body.deliveries.map((d: { state: string; attempts: number }) => [d.state, d.attempts]), [['DELIVERED', 1], ['DELIVERED', 1]]);
      await dl(s, 'DELETE', `/objectEventSubscriptions/${sub.body.id}`, undefined, { 'if-match': '0' });
    } finally {
      await hook.close();
    }
  });

  it('retries with doubling back-off by the clock and gives up after the configured attempts', async () => {
    const hook = await webhook([500, 503, 500, 500, 500]);
    try {
      const sub = (await dl(s, 'POST', '/objectEventSubscriptions', { path: 'retry/', destination: hook.url })).body;
      await putObject(s, 'retry/a', 'a');
      await s.platform.datalake.events.idle();
      const deliveries = async () => (await dl(s, 'GET', `/objectEventSubscriptions/${sub.id}/deliveries`)).body.deliveries;
      let [d] = await deliveries();
      assert.deepEqual([d.state, d.attempts, d.lastStatus, d.nextAttempt], ['PENDING', 1, 500, new Date(clock.t + 1000).toISOString()]);
      clock.advance(999);
      assert.equal(await s.platform.datalake.events.runDue(), 0, 'not due before the back-off');
      clock.advance(1);
      await s.platform.datalake.events.runDue();
      [d] = await deliveries();
      assert.deepEqual([d.state, d.attempts, d.lastStatus, d.nextAttempt], ['PENDING', 2, 503, new Date(clock.t + 2000).toISOString()]);
      clock.advance(2000);
      await s.platform.datalake.events.runDue();
      [d] = await deliveries();
      assert.deepEqual([d.state, d.attempts, d.lastError], ['FAILED', 3, 'the destination answered 500']);
      assert.equal(hook.received.length, 3);
      const summary = (await dl(s, 'GET', `/objectEventSubscriptions/${sub.id}`)).body.delivery;
      assert.deepEqual([summary.pending, summary.delivered, summary.failed], [0, 0, 1]);

      // A later event is delivered once the destination recovers; an unreachable one is retried too.
      hook.received.length = 0;
      await putObject(s, 'retry/b', 'b');
      await s.platform.datalake.events.idle();
      assert.equal(hook.received.length, 1);
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const gone = (await dl(s, 'POST', '/objectEventSubscriptions', { path: 'retry/', destination: `http://127.0.0.1:${port}/none` })).body;
      await putObject(s, 'retry/c', 'c');
      await s.platform.datalake.events.idle();
      const [g] = (await dl(s, 'GET', `/objectEventSubscriptions/${gone.id}/deliveries`)).body.deliveries;
      assert.equal(g.state, 'PENDING');
      assert.match(g.lastError, /ECONNREFUSED|connect/);
    } finally {
      await hook.close();
    }
  });

  it('at most 15 per tenant; destinations must be http(s); If-Match guards PATCH and DELETE', async () => {
    const existing = (await dl(s, 'GET', '/objectEventSubscriptions?size=100')).body.subscriptions.length as number;
    for (let i = existing; i < 15; i++) {
      assert.equal((await dl(s, 'POST', '/objectEventSubscriptions', { path: `f${i}/`, destination: 'http://127.0.0.1:9/x' })).status, 201);
    }
    const sixteenth = await dl(s, 'POST', '/objectEventSubscriptions', { path: 'f99/', destination: 'http://127.0.0.1:9/x' });
    assert.equal(sixteenth.status, 400);
    assert.match(sixteenth.body.errors[0].message, /At most 15/);
    const sns = await dl(s, 'POST', '/objectEventSubscriptions', { path: 'a/', destination: 'aws-sns://arn:aws:sns:eu-central-1:1:t' });
    assert.equal(sns.status, 400);
    assert.match(sns.body.errors[0].message, /http\(s\) webhook/);
    const one = (await dl(s, 'GET', '/objectEventSubscriptions?size=1')).body;
    assert.equal(one.page.totalElements, 15);
    const id = one.subscriptions[0].id as string;
    assert.equal((await dl(s, 'PATCH', `/objectEventSubscriptions/${id}`, { status: 'INACTIVE' })).status, 428);
    assert.equal((await dl(s, 'PATCH', `/objectEventSubscriptions/${id}`, { status: 'INACTIVE' }, { 'if-match': '7' })).status, 412);
    const patched = await dl(s, 'PATCH', `/objectEventSubscriptions/${id}`, { status: 'INACTIVE' }, { 'if-match': '0' });
    assert.deepEqual([patched.status, patched.body.status, patched.body.eTag], [200, 'INACTIVE', 1]);
    assert.equal((await dl(s, 'DELETE', `/objectEventSubscriptions/${id}`, undefined, { 'if-match': '0' })).status, 412);
    assert.equal((await dl(s, 'DELETE', `/objectEventSubscriptions/${id}`, undefined, { 'if-match': '1' })).status, 204);
    assert.equal((await dl(s, 'GET', `/objectEventSubscriptions/${id}`)).status, 404);
  });
});
