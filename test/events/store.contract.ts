/**
 * The EventStore contract: every implementation runs this suite through runEventStoreContract(name, open);
 * `open(dir)` gives a store on an empty location. Tenants are apart, updates are etag-guarded, lists filter,
 * order and page in the store, what was written survives a reopen, and deleteTenant removes one tenant's rows only.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { toSql, parseFilter } from '../../src/core/filter.js';
import type { EventRow, EventStore, EventTypeRow } from '../../src/events/store.js';

export function runEventStoreContract(name: string, open: (at: string) => Promise<EventStore>, newLocation: () => string): void {
  describe(`EventStore contract: ${name}`, () => {
    const opened: EventStore[] = [];
    const fresh = async (at = newLocation()) => { const s = await open(at); opened.push(s); return { s, at }; };
    after(() => { for (const s of opened) s.close(); });

    const type = (tenant: string, id: string, over: Partial<EventTypeRow> = {}): EventTypeRow => ({ tenant, id, name: id.split('.').pop()!,
      parentId: 'core.basicevent', ttl: 35, scope: 'LOCAL', fields: [{ name: 'temp', type: 'DOUBLE', filterable: true, required: false, updatable: true }],
      etag: 0, ...over });
    let serial = 0;
    const event = (tenant: string, over: Partial<EventRow> = {}): EventRow => ({ tenant, id: `00000000-0000-4000-8000-${(++serial).toString().padStart(12, '0')}`,
      typeId: `${tenant}.Alarm`, entityId: 'a'.repeat(32), correlationId: null, timestamp: 1_700_000_000_000 + serial, severity: 20,
      description: `event ${serial}`, code: null, source: null, sourceType: null, sourceId: null, acknowledged: null, custom: { temp: serial }, etag: 0, ...over });
    const all = { where: { sql: '1', params: [] }, orderBy: 'timestamp asc, id', offset: 0, limit: 100 };

    it('keeps types per tenant, refuses a second create, guards updates and deletes by etag', async () => {
      const { s } = await fresh();
      assert.equal(await s.createType(type('t1', 't1.Alarm')), true);
      assert.equal(await s.createType(type('t1', 't1.Alarm')), false);
      assert.equal(await s.createType(type('t2', 't1.Alarm')), true);
      assert.deepEqual((await s.getType('t1', 't1.Alarm'))?.fields.map((f) => f.name), ['temp']);
      assert.equal(await s.getType('t3', 't1.Alarm'), undefined);
      assert.equal(await s.updateType({ ...type('t1', 't1.Alarm', { ttl: 9 }), etag: 1 }, 5), false);
      assert.equal(await s.updateType({ ...type('t1', 't1.Alarm', { ttl: 9 }), etag: 1 }, 0), true);
      assert.deepEqual([(await s.getType('t1', 't1.Alarm'))?.ttl, (await s.getType('t2', 't1.Alarm'))?.ttl], [9, 35]);
      assert.equal(await s.deleteType('t1', 't1.Alarm', 0), false);
      assert.equal(await s.deleteType('t1', 't1.Alarm', 1), true);
      assert.deepEqual((await s.listTypes('t2')).map((t) => t.id), ['t1.Alarm']);
    });

    it('stores events with their typed fields, guards updates by etag, filters, orders and pages in the store', async () => {
      const { s, at } = await fresh();
      const e1 = event('t1', { acknowledged: true, correlationId: 'c' });
      const e2 = event('t1', { entityId: 'b'.repeat(32) });
      const e3 = event('t2');
      for (const e of [e1, e2, e3]) await s.createEvent(e);
      assert.deepEqual(await s.getEvent('t1', e1.id), e1);
      assert.equal(await s.getEvent('t2', e1.id), undefined);
      assert.equal(await s.countEvents('t1', 't1.Alarm'), 2);
      const filtered = async (filter: unknown) => {
        const node = parseFilter(JSON.stringify(filter), { entityId: 'string', temp: 'number', acknowledged: 'boolean' });
        const where = toSql(node, (f) => (f === 'temp' ? "json_extract(custom, '$.temp')" : f === 'entityId' ? 'entity_id' : f));
        return (await s.listEvents('t1', { ...all, where })).rows.map((r) => r.id);
      };
      assert.deepEqual(await filtered({ entityId: 'b'.repeat(32) }), [e2.id]);
      assert.deepEqual(await filtered({ temp: e1.custom['temp'] }), [e1.id]);
      assert.deepEqual(await filtered({ acknowledged: true }), [e1.id]);
      const page = await s.listEvents('t1', { ...all, orderBy: 'timestamp desc, id', offset: 1, limit: 1 });
      assert.deepEqual([page.rows.map((r) => r.id), page.total], [[e1.id], 2]);
      assert.equal(await s.updateEvent({ ...e1, acknowledged: false, etag: 1 }, 3), false);
      assert.equal(await s.updateEvent({ ...e1, acknowledged: false, etag: 1 }, 0), true);
      s.close();
      opened.splice(opened.indexOf(s), 1);
      const { s: again } = await fresh(at);
      assert.deepEqual([(await again.getEvent('t1', e1.id))?.acknowledged, (await again.getEvent('t1', e1.id))?.etag], [false, 1]);
      const job = { tenant: 't1', id: 'job-1', filter: { entityId: 'a' }, state: 'FINISHED' as const, deleted: 0, created: 5 };
      assert.equal(await again.deleteEvents('t1', { sql: 'entity_id = ?', params: ['a'.repeat(32)] }, job), 1);
      assert.deepEqual([await again.getEvent('t1', e1.id), (await again.getEvent('t2', e3.id))?.id], [undefined, e3.id]);
      assert.deepEqual(await again.getDeleteJob('t1', 'job-1'), { ...job, deleted: 1 });
      assert.equal(await again.getDeleteJob('t2', 'job-1'), undefined);
    });

    it('deleteTenant drops the tenant\'s types, events and delete jobs and nothing of another tenant', async () => {
      const { s } = await fresh();
      for (const t of ['t1', 't2']) {
        await s.createType(type(t, `${t}.Alarm`));
        await s.createEvent(event(t));
        await s.deleteEvents(t, { sql: '0', params: [] }, { tenant: t, id: 'job', filter: {}, state: 'FINISHED', deleted: 0, created: 1 });
      }
      assert.ok((await s.deleteTenant('t1')) >= 3);
      assert.deepEqual([await s.listTypes('t1'), (await s.listEvents('t1', all)).rows, await s.getDeleteJob('t1', 'job')], [[], [], undefined]);
      assert.deepEqual([(await s.listTypes('t2')).length, (await s.listEvents('t2', all)).rows.length, (await s.getDeleteJob('t2', 'job'))?.id],
        [1, 1, 'job']);
      assert.equal(await s.deleteTenant('t1'), 0);
    });
  });
}
