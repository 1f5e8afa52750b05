/**
 * Event Management v3 (/api/eventmanagement/v3) through the public SDK's EventManagementClient and over the wire:
 * the tenant's event types derived from core.basicevent with typed fields (create, list, read, patch as the SDK
 * sends it, delete with If-Match), events (create as `mc create-event` and typed, list with filter and HAL paging,
 * read, update with If-Match), and the refusals naming field and rule: bad type, bad field values, 412, 428.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventManagementClient } from '@mindconnect/mindconnect-nodejs';
import { fetchToken, startServer, type TestServer } from '../helpers/server.js';
import { call, makeAsset, sdkOf } from './helpers.js';

const EM = '/api/eventmanagement/v3';
const T0 = '2026-01-01T10:00:00.000Z';

describe('Event Management', () => {
  let s: TestServer;
  let em: EventManagementClient;
  let asset: string;
  let typeId: string;
  before(async () => {
    s = await startServer();
    em = sdkOf(s).GetEventManagementClient();
    asset = await makeAsset(s);
    typeId = `${s.tenant}.PumpAlarm`;
  });
  after(() => s.close());

  const body = (init: unknown) => ({ method: 'POST', body: JSON.stringify(init) });

  it('creates, reads, lists, patches and deletes event types with the public SDK', async () => {
    const made = await em.PostEventType({ name: 'PumpAlarm', parentId: 'core.basicevent', ttl: 7, scope: 'LOCAL' as never, fields: [
      { name: 'temperature', type: 'DOUBLE' as never, filterable: true, required: true, updatable: true },
      { name: 'level', type: 'ENUM' as never, values: ['LOW', 'HIGH'], filterable: true, required: false, updatable: false },
    ] });
    assert.deepEqual([made.id, made.parentId, made.ttl, made.fields?.length, (made as { etag?: number }).etag], [typeId, 'core.basicevent', 7, 2, 0]);
    assert.equal((await em.GetEventType(typeId)).name, 'PumpAlarm');
    const listed = await em.GetEventTypes({ filter: JSON.stringify({ id: { startsWith: s.tenant } }) });
    assert.deepEqual(listed._embedded?.eventTypes?.map((t) => t.id), [typeId]);
    const all = await em.GetEventTypes({ size: 50 });
    assert.ok(all._embedded?.eventTypes?.some((t) => t.id === 'core.basicevent'), 'the shared base type is listed');
    const patched = await em.PatchEventType(typeId, { op: 'add' as never, path: '/fields', value: { name: 'note', type: 'STRING', filterable: false, required: false, updatable: true } as never }, { ifMatch: 0 });
    assert.deepEqual([patched.fields?.map((f) => f.name), (patched as { etag?: number }).etag], [['temperature', 'level', 'note'], 1]);
    await assert.rejects(em.PatchEventType(typeId, { op: 'replace' as never, path: '/ttl', value: 9 as never }, { ifMatch: 0 }), /412|does not match/);
    const over = await call(s, `${EM}/eventTypes/${typeId}`, { method: 'PATCH', headers: { 'if-match': '1' },
      body: JSON.stringify([{ op: 'replace', path: '/ttl', value: 9 }]) });
    assert.deepEqual([over.status, over.body.ttl, over.etag], [200, 9, '"2"']);

    const spare = await em.PostEventType({ name: 'Spare', fields: [] });
    await assert.rejects(em.DeleteEventType(spare.id!, { ifMatch: 3 }), /412|does not match/);
    await em.DeleteEventType(spare.id!, { ifMatch: 0 });
    assert.equal((await call(s, `${EM}/eventTypes/${spare.id}`)).status, 404);
  });

  it('takes the CLI default event and a typed event, lists them by filter and page, updates with If-Match', async () => {
    const cli = await em.PostEvent({ entityId: asset, sourceType: 'MindConnect-Agent', sourceId: 'host', source: 'MindConnect-NodeJs CLI',
      severity: 20, timestamp: T0, description: 'CLI created event' } as never);
    assert.equal(cli.typeId, 'com.siemens.mindsphere.eventmgmt.event.type.MindSphereStandardEvent');
    const typed = await em.PostEvent({ entityId: asset, typeId, timestamp: '2026-01-01T11:00:00.000Z', temperature: 23.7, level: 'HIGH',
      correlationId: 'c-1' } as never);
    assert.deepEqual([(typed as unknown as Record<string, unknown>)['temperature'], typed.etag, typed.entityId], [23.7, 0, asset]);
    assert.equal((await em.GetEvent(typed.id!) as unknown as Record<string, unknown>)['description'], null);

    const byEntity = await em.GetEvents({ filter: JSON.stringify({ entityId: asset }), sort: 'timestamp,desc' });
    assert.deepEqual(byEntity._embedded?.events?.map((e) => e.id), [typed.id, cli.id]);
    const byField = await em.GetEvents({ filter: JSON.stringify({ temperature: 23.7, typeId }) });
    assert.deepEqual(byField._embedded?.events?.map((e) => e.id), [typed.id]);
    const byTime = await em.GetEvents({ filter: JSON.stringify({ timestamp: { before: '2026-01-01T10:30:00Z' } }) });
    assert.deepEqual(byTime._embedded?.events?.map((e) => e.id), [cli.id]);
    const page = await em.GetEvents({ size: 1, page: 1, sort: 'timestamp,asc' });
    assert.deepEqual([page._embedded?.events?.[0]?.id, page.page?.totalElements, page.page?.totalPages, page.page?.number], [typed.id, 2, 2, 1]);
    assert.ok(page._links?.prev && !page._links?.next);

    const updated = await em.PutEvent(typed.id!, { ...typed, acknowledged: true, temperature: 30 } as never, { ifMatch: 0 }) as unknown as Record<string, unknown>;
    assert.deepEqual([updated['acknowledged'], updated['temperature'], updated['etag']], [true, 30, 1]);
    const stale = await call(s, `${EM}/events/${typed.id}`, { method: 'PUT', headers: { 'if-match': '0' }, body: JSON.stringify({ acknowledged: false }) });
    assert.equal(stale.status, 412);
    assert.match(stale.body.errors[0].message, /If-Match 0 does not match the current etag 1/);
    const none = await call(s, `${EM}/events/${typed.id}`, { method: 'PUT', body: JSON.stringify({ acknowledged: false }) });
    assert.equal(none.status, 428);
    const fixed = await call(s, `${EM}/events/${typed.id}`, { method: 'PUT', headers: { 'if-match': '1' }, body: JSON.stringify({ level: 'LOW' }) });
    assert.deepEqual([fixed.status, fixed.body.errors?.[0]?.messageParameters], [400, [{ name: 'name', value: 'level' }, { name: 'rule', value: `is not updatable in event type ${typeId}` }]]);

    const held = await call(s, `${EM}/eventTypes/${typeId}`, { method: 'DELETE', headers: { 'if-match': '2' } });
    assert.deepEqual([held.status, held.body.errors[0].code], [409, 'mdsp.core.eventmanagement.eventTypeInUse']);
  });

  it('refuses bad events naming the field and the rule', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ entityId: asset, timestamp: T0, typeId: `${s.tenant}.Nope` }, 400, /typeId is invalid: must name an event type/],
      [{ entityId: asset, timestamp: T0, typeId, temperature: 'hot' }, 400, /temperature is invalid: must be a number \(DOUBLE\)/],
      [{ entityId: asset, timestamp: T0, typeId }, 400, /property temperature is missing/],
      [{ entityId: asset, timestamp: T0, typeId, temperature: 1, level: 'MID' }, 400, /level is invalid: must be one of LOW, HIGH/],
      [{ entityId: asset, timestamp: T0, colour: 'red' }, 400, /colour is invalid: is not a field of event type/],
      [{ entityId: asset, timestamp: 'yesterday' }, 400, /timestamp is invalid: must be an ISO-8601/],
      [{ entityId: asset, timestamp: T0, severity: 2.5 }, 400, /severity is invalid: must be a whole number/],
      [{ timestamp: T0 }, 400, /property entityId is missing/],
      [{ entityId: 'f'.repeat(32), timestamp: T0 }, 400, /entityId is invalid: must name an asset of the tenant/],
      [[1, 2], 400, /must be a JSON object/],
    ];
    for (const [event, status, message] of cases) {
      const r = await call(s, `${EM}/events`, body(event));
      assert.equal(r.status, status, JSON.stringify(event));
      assert.match(r.body.errors[0].message, message, JSON.stringify(event));
    }
    const types: [unknown, RegExp][] = [
      [{ name: 'Bad', fields: [{ name: 'x', type: 'FLOAT' }] }, /fields\[0\]\.type is invalid: must be one of STRING/],
      [{ name: 'Bad', fields: [{ name: 'x', type: 'ENUM' }] }, /fields\[0\]\.values is invalid/],
      [{ name: 'Bad', fields: [{ name: 'entityId', type: 'STRING' }] }, /fields\[0\]\.name is invalid: "entityId" is a field every event has/],
      [{ name: 'Bad', id: 'othertenant.Bad', fields: [] }, /id is invalid: must start with the tenant prefix/],
      [{ name: 'Bad', parentId: 'nope', fields: [] }, /parentId is invalid/],
      [{ name: 'Bad', ttl: 0, fields: [] }, /ttl is invalid: must be a whole number of days/],
      [{ name: 'PumpAlarm', fields: [] }, /exists already/],
    ];
    for (const [type, message] of types) {
      const r = await call(s, `${EM}/eventTypes`, body(type));
      assert.match(r.body.errors[0].message, message, JSON.stringify(type));
    }
    assert.equal((await call(s, `${EM}/events?size=0&page=-1`)).status, 400);
    assert.match((await call(s, `${EM}/events?sort=colour,asc`)).body.errors[0].message, /sort is invalid/);
    assert.match((await call(s, `${EM}/events?filter=${encodeURIComponent('{"severity":"x"}')}`)).body.errors[0].message, /filter/);
    const shared = await call(s, `${EM}/eventTypes/core.basicevent`, { method: 'DELETE', headers: { 'if-match': '0' } });
    assert.equal(shared.status, 403);
  });

  it('deletes events by a delete job, as `mc events --mode delete` does', async () => {
    const doomed = await em.PostEvent({ entityId: asset, timestamp: T0, source: 'doomed' } as never);
    const job = await em.PostDeleteEventsJob({ filter: { id: doomed.id, typeId: doomed.typeId } });
    assert.equal(job.state, 'FINISHED');
    const checked = await em.GetDeleteEventsJob(job.id!);
    assert.deepEqual([checked.state, checked.details?.resultDescription], ['FINISHED', '1 events deleted']);
    assert.equal((await call(s, `${EM}/events/${doomed.id}`)).status, 404);
    const everything = await call(s, `${EM}/deleteEventsJobs`, body({ filter: { colour: 'red' } }));
    assert.match(everything.body.errors[0].message, /filter is invalid: names none of the event fields/);
    assert.equal((await call(s, `${EM}/deleteEventsJobs`, body({}))).status, 400);
  });

  it('keeps tenants apart: another tenant sees none of the events or types', async () => {
    await s.platform.provisionTenant('other', 'other.com');
    const other = await fetchToken(s.url, await s.platform.identity.service.createKey('other', 'k'));
    const list = await call(s, `${EM}/events`, { token: other });
    assert.deepEqual(list.body._embedded.events, []);
    const types = await call(s, `${EM}/eventTypes?size=100`, { token: other });
    assert.ok(!JSON.stringify(types.body).includes(s.tenant));
    const mine = (await em.GetEvents({}))._embedded!.events![0]!.id;
    assert.equal((await call(s, `${EM}/events/${mine}`, { token: other })).status, 404);
    const forged = await call(s, `${EM}/events`, { token: other, ...body({ entityId: asset, timestamp: T0 }) });
    assert.equal(forged.status, 400);
    assert.equal((await call(s, `${EM}/`)).status, 200);
  });
});
