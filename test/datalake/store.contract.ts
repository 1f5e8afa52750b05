/**
 * The DatalakeStore contract (Integrated Data Lake index): every implementation runs this suite through
 * runDatalakeStoreContract(name, open, newLocation); `open(dir)` gives a store on an empty location. Scopes (tenant,
 * subtenant) are apart; objects keep their tags on replace and maintain their folders; listings order by path and
 * page after a key; one open upload per path; jobs count their objects' states; subscriptions are capped and unique,
 * and object changes queue deliveries for matching active ones; claims are conditional on the due time; what was
 * written survives a reopen; deleteTenant removes one tenant's rows only and returns its open uploads; a call in one
 * scope never reads or changes another scope's upload, part, job, subscription, delivery, permission or object.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DatalakeStore, ObjectRow, PermissionRow, ScopeKey, SubscriptionRow, UploadRow } from '../../src/datalake/store.js';

export function runDatalakeStoreContract(name: string, open: (at: string) => Promise<DatalakeStore>, newLocation: () => string): void {
  describe(`DatalakeStore contract: ${name}`, () => {
    const opened: DatalakeStore[] = [];
    const fresh = async (at = newLocation()) => { const s = await open(at); opened.push(s); return { s, at }; };
    after(() => { for (const s of opened) s.close(); });
    const T1: ScopeKey = { tenant: 't1', sub: '' };
    const T1S: ScopeKey = { tenant: 't1', sub: 'sub1' };
    const T2: ScopeKey = { tenant: 't2', sub: '' };
    const obj = (scope: ScopeKey, path: string, over: Partial<Omit<ObjectRow, 'tags'>> = {}): Omit<ObjectRow, 'tags'> => ({
      ...scope, path, size: 3, etag: `e-${path}`, md5: null, sha256: null, lastModified: 1, ...over });
    const ev = (path: string, type: 'MODIFY' | 'DELETE' = 'MODIFY', at = 1) => ({ type, path, at });
    const put = (s: DatalakeStore, scope: ScopeKey, path: string, over: Partial<Omit<ObjectRow, 'tags'>> = {}) =>
      s.putObject(obj(scope, path, over), ev(path));
    const upload = (id: string, scope: ScopeKey = T1, over: Partial<UploadRow> = {}): UploadRow => ({
      ...scope, id, path: 'big.bin', storeId: `store-${id}`, created: 10, expires: 100, ...over });
    const subscription = (id: string, scope: ScopeKey = T1, over: Partial<SubscriptionRow> = {}): SubscriptionRow => ({
      ...scope, id, path: '', destination: `https://example.test/${id}`, secret: 's', status: 'ACTIVE', etag: 0, created: 1, ...over });
    const permission = (id: string, scope: ScopeKey = T1, over: Partial<PermissionRow> = {}): PermissionRow => ({
      ...scope, id, path: `p-${id}/`, permission: 'WRITE', created: 1, ...over });

    it('keeps a stable signing key of at least 32 bytes, per location, across a reopen', async () => {
      const { s, at } = await fresh();
      const key = await s.signingKey();
      assert.ok(key.length >= 32);
      assert.deepEqual(await s.signingKey(), key);
      assert.notDeepEqual(await (await fresh()).s.signingKey(), key);
      s.close(); opened.splice(opened.indexOf(s), 1);
      assert.deepEqual(await (await fresh(at)).s.signingKey(), key);
    });

    it('puts, replaces (keeping tags), tags and deletes objects per scope', async () => {
      const { s } = await fresh();
      const row = await put(s, T1, 'a/b.txt', { md5: 'm', sha256: 'h', lastModified: 5 });
      assert.deepEqual(row, { ...obj(T1, 'a/b.txt', { md5: 'm', sha256: 'h', lastModified: 5 }), tags: [] });
      assert.deepEqual(await s.getObject(T1, 'a/b.txt'), row);
      await put(s, T2, 'a/b.txt', { size: 7 });
      assert.equal(await s.getObject(T1S, 'a/b.txt'), undefined);
      assert.equal(await s.getObject(T1, 'a/b'), undefined);
      assert.deepEqual((await s.setTags(T1, 'a/b.txt', ['x', 'y']))?.tags, ['x', 'y']);
      assert.equal(await s.setTags(T1, 'nope.txt', ['x']), undefined);
      assert.equal(await s.setTags(T1S, 'a/b.txt', ['x']), undefined);
      const replaced = await put(s, T1, 'a/b.txt', { size: 9, etag: 'e2', lastModified: 6 });
      assert.deepEqual([replaced.size, replaced.etag, replaced.lastModified, replaced.md5, replaced.tags], [9, 'e2', 6, null, ['x', 'y']]);
      assert.deepEqual((await s.getObject(T2, 'a/b.txt'))?.size, 7);
      assert.deepEqual((await s.getObject(T2, 'a/b.txt'))?.tags, []);
      assert.equal(await s.deleteObject(T1S, 'a/b.txt', ev('a/b.txt', 'DELETE')), false);
      assert.equal(await s.deleteObject(T1, 'a/b.txt', ev('a/b.txt', 'DELETE')), true);
      assert.equal(await s.deleteObject(T1, 'a/b.txt', ev('a/b.txt', 'DELETE')), false);
      assert.equal(await s.getObject(T1, 'a/b.txt'), undefined);
      assert.ok(await s.getObject(T2, 'a/b.txt'));
    });

    it('maintains folders as objects come and go, per scope', async () => {
      const { s } = await fresh();
      assert.equal(await s.folderExists(T1, ''), true);
      assert.equal(await s.folderExists(T1, 'a/'), false);
      await put(s, T1, 'a/b/c.txt');
      await put(s, T1, 'a/d.txt');
      await put(s, T1, 'a/d.txt', { size: 4 });
      assert.deepEqual(await Promise.all(['a/', 'a/b/', 'a/d.txt/', 'b/'].map((f) => s.folderExists(T1, f))), [true, true, false, false]);
      assert.deepEqual(await Promise.all([s.folderExists(T2, 'a/'), s.folderExists(T1S, 'a/')]), [false, false]);
      await s.deleteObject(T1, 'a/b/c.txt', ev('a/b/c.txt', 'DELETE'));
      assert.deepEqual([await s.folderExists(T1, 'a/'), await s.folderExists(T1, 'a/b/')], [true, false]);
      await s.deleteObject(T1, 'a/d.txt', ev('a/d.txt', 'DELETE'));
      assert.equal(await s.folderExists(T1, 'a/'), false);
      assert.deepEqual(await s.listChildren(T1, '', undefined, 10), []);
    });

    it('lists direct children, folders and objects together in path order, paging after a key', async () => {
      const { s } = await fresh();
      for (const p of ['b.txt', 'a/x.txt', 'a/y/z.txt', 'c/d/e.txt', 'a.txt']) await put(s, T1, p, { size: p.length, lastModified: 7 });
      await s.setTags(T1, 'b.txt', ['t']);
      await put(s, T2, 'a0.txt');
      await put(s, T1S, 'a0.txt');
      const root = await s.listChildren(T1, '', undefined, 10);
      assert.deepEqual(root.map((c) => [c.path, c.folder]), [['a.txt', false], ['a/', true], ['b.txt', false], ['c/', true]]);
      assert.deepEqual(root.find((c) => c.path === 'b.txt'), { path: 'b.txt', folder: false, size: 5, lastModified: 7, tags: ['t'] });
      assert.deepEqual((await s.listChildren(T1, '', undefined, 2)).map((c) => c.path), ['a.txt', 'a/']);
      assert.deepEqual((await s.listChildren(T1, '', 'a/', 2)).map((c) => c.path), ['b.txt', 'c/']);
      assert.deepEqual(await s.listChildren(T1, '', 'c/', 2), []);
      assert.deepEqual((await s.listChildren(T1, 'a/', undefined, 10)).map((c) => [c.path, c.folder]), [['a/x.txt', false], ['a/y/', true]]);
      assert.deepEqual((await s.listChildren(T1, 'c/', undefined, 10)).map((c) => c.path), ['c/d/']);
      assert.deepEqual(await s.listChildren(T1, 'zz/', undefined, 10), []);
      assert.deepEqual((await s.listChildren(T2, '', undefined, 10)).map((c) => c.path), ['a0.txt']);
      assert.deepEqual((await s.listChildren(T1S, '', undefined, 10)).map((c) => c.path), ['a0.txt']);
    });

    it('lists every object under a folder recursively in path order, paging after a key', async () => {
      const { s } = await fresh();
      for (const p of ['a/y/z.txt', 'a/x.txt', 'ab.txt', 'a/w/v/u.txt', 'b/c.txt']) await put(s, T1, p);
      await put(s, T2, 'a/t2.txt');
      await s.setTags(T1, 'a/x.txt', ['k']);
      const all = await s.listUnder(T1, 'a/', undefined, 10);
      assert.deepEqual(all.map((r) => r.path), ['a/w/v/u.txt', 'a/x.txt', 'a/y/z.txt']);
      assert.deepEqual(all[1], { ...obj(T1, 'a/x.txt'), tags: ['k'] });
      assert.deepEqual((await s.listUnder(T1, 'a/', undefined, 2)).map((r) => r.path), ['a/w/v/u.txt', 'a/x.txt']);
      assert.deepEqual((await s.listUnder(T1, 'a/', 'a/x.txt', 2)).map((r) => r.path), ['a/y/z.txt']);
      assert.deepEqual((await s.listUnder(T1, '', undefined, 10)).length, 5);
      assert.deepEqual((await s.listUnder(T2, 'a/', undefined, 10)).map((r) => r.path), ['a/t2.txt']);
      assert.deepEqual(await s.listUnder(T1S, '', undefined, 10), []);
    });

    it('searches one tenant, its chosen subtenants or all of them, under a prefix, ordered and paged with a total', async () => {
      const { s } = await fresh();
      for (const [scope, p, size] of [[T1, 'a/1.txt', 1], [T1, 'a/2.txt', 5], [T1, 'b/3.txt', 6], [T1S, 'a/4.txt', 7],
        [{ tenant: 't1', sub: 'sub2' }, 'a/5.txt', 8], [T2, 'a/6.txt', 9]] as Array<[ScopeKey, string, number]>) await put(s, scope, p, { size });
      const big = { sql: 'size > ?', params: [2] };
      const paths = (r: { rows: ObjectRow[] }) => r.rows.map((o) => `${o.sub}:${o.path}`);
      const every = await s.search('t1', undefined, big, '', 0, 10);
      assert.deepEqual([paths(every), every.total], [[':a/2.txt', ':b/3.txt', 'sub1:a/4.txt', 'sub2:a/5.txt'], 4]);
      assert.deepEqual(paths(await s.search('t1', [''], big, '', 0, 10)), [':a/2.txt', ':b/3.txt']);
      assert.deepEqual(paths(await s.search('t1', ['', 'sub2'], big, 'a/', 0, 10)), [':a/2.txt', 'sub2:a/5.txt']);
      assert.deepEqual(await s.search('t1', [], big, '', 0, 10), { rows: [], total: 0 }, 'no subtenant chosen matches nothing');
      const page = await s.search('t1', undefined, big, '', 1, 2);
      assert.deepEqual([paths(page), page.total], [[':b/3.txt', 'sub1:a/4.txt'], 4]);
      assert.deepEqual(await s.search('t1', undefined, big, '', 10, 2), { rows: [], total: 4 });
      assert.deepEqual(paths(await s.search('t2', undefined, { sql: '1 = 1', params: [] }, '', 0, 10)), [':a/6.txt']);
      assert.deepEqual(await s.search('t3', undefined, { sql: '1 = 1', params: [] }, '', 0, 10), { rows: [], total: 0 });
    });

    it('allows one open upload per path, keeps parts per upload in order, ends uploads and lists the expired', async () => {
      const { s } = await fresh();
      const u1 = upload('u1');
      assert.deepEqual(await s.createUpload(u1), u1);
      assert.equal(await s.createUpload(upload('u2')), undefined);
      assert.ok(await s.createUpload(upload('u3', T1S)));
      assert.ok(await s.createUpload(upload('u4', T2)));
      assert.ok(await s.createUpload(upload('u5', T1, { path: 'other.bin', expires: 50 })));
      assert.deepEqual(await s.getUpload(T1, 'u1'), u1);
      assert.equal(await s.getUpload(T2, 'u1'), undefined);
      assert.equal(await s.getUpload(T1S, 'u1'), undefined);
      assert.deepEqual((await s.openUploadOn(T1, 'big.bin', 99))?.id, 'u1');
      assert.equal(await s.openUploadOn(T1, 'big.bin', 100), undefined);
      assert.deepEqual((await s.openUploadOn(T1S, 'big.bin', 99))?.id, 'u3');
      assert.equal(await s.openUploadOn(T1, 'none.bin', 0), undefined);
      await s.putPart(T1, 'u1', { partNumber: 2, etag: 'b', size: 5, sha256: 'hb' });
      await s.putPart(T1, 'u1', { partNumber: 1, etag: 'a', size: 5, sha256: 'ha' });
      await s.putPart(T1, 'u1', { partNumber: 1, etag: 'a2', size: 6, sha256: 'ha2' });
      await s.putPart(T1S, 'u3', { partNumber: 1, etag: 'c', size: 1, sha256: 'hc' });
      assert.deepEqual(await s.parts(T1, 'u1'), [{ partNumber: 1, etag: 'a2', size: 6, sha256: 'ha2' }, { partNumber: 2, etag: 'b', size: 5, sha256: 'hb' }]);
      assert.deepEqual(await s.expiredUploads(49, 10), []);
      assert.deepEqual((await s.expiredUploads(50, 10)).map((u) => u.id), ['u5']);
      const expired = (await s.expiredUploads(100, 10)).map((u) => u.id);
      assert.deepEqual([expired[0], expired.slice(1).sort()], ['u5', ['u1', 'u3', 'u4']], 'soonest expiry first, every scope');
      assert.deepEqual((await s.expiredUploads(100, 1)).map((u) => u.id), ['u5']);
      assert.equal(await s.endUpload(T1, 'u1'), true);
      assert.equal(await s.endUpload(T1, 'u1'), false);
      assert.deepEqual([await s.getUpload(T1, 'u1'), await s.parts(T1, 'u1')], [undefined, []]);
      assert.equal((await s.parts(T1S, 'u3')).length, 1);
      assert.ok(await s.createUpload(upload('u6')), 'the path is free again once its upload ended');
    });

    it('lets a new upload take a path whose upload has expired', async () => {
      const { s } = await fresh();
      assert.ok(await s.createUpload(upload('old', T1, { expires: 20 })));
      assert.equal(await s.createUpload(upload('early', T1, { created: 19 })), undefined);
      assert.deepEqual((await s.createUpload(upload('new', T1, { created: 20, expires: 200 })))?.id, 'new');
      assert.equal((await s.openUploadOn(T1, 'big.bin', 21))?.id, 'new');
    });

    it('keeps delete jobs per scope with their objects, counts their states, and pages them in creation order', async () => {
      const { s } = await fresh();
      const job = (id: string, scope: ScopeKey, created: number) => ({ ...scope, id, created, total: 0, deleted: 0, failed: 0, notFound: 0 });
      await s.createJob(job('j2', T1, 2), ['a', 'b', 'c', 'd']);
      await s.createJob(job('j1', T1, 1), ['x']);
      await s.createJob(job('j3', T1, 3), []);
      await s.createJob(job('j4', T2, 1), ['y']);
      assert.deepEqual(await s.getJob(T1, 'j2'), { ...job('j2', T1, 2), total: 4 });
      assert.equal(await s.getJob(T2, 'j2'), undefined);
      assert.equal(await s.getJob(T1S, 'j2'), undefined);
      assert.deepEqual((await s.jobObjects(T1, 'j2', ['PENDING'])).map((o) => [o.idx, o.path, o.status]),
        [[0, 'a', 'PENDING'], [1, 'b', 'PENDING'], [2, 'c', 'PENDING'], [3, 'd', 'PENDING']]);
      await s.setJobObject(T1, 'j2', 0, 'DELETED');
      await s.setJobObject(T1, 'j2', 1, 'FAILED');
      await s.setJobObject(T1, 'j2', 2, 'NOTFOUND');
      assert.deepEqual(await s.getJob(T1, 'j2'), { ...job('j2', T1, 2), total: 4, deleted: 1, failed: 1, notFound: 1 });
      assert.deepEqual((await s.jobObjects(T1, 'j2', ['PENDING'])).map((o) => o.path), ['d']);
      assert.deepEqual((await s.jobObjects(T1, 'j2', ['FAILED', 'DELETED'])).map((o) => o.path), ['a', 'b']);
      assert.deepEqual(await s.jobObjects(T1, 'j1', ['DELETED']), []);
      const list = await s.listJobs(T1, 0, 10);
      assert.deepEqual([list.rows.map((j) => j.id), list.total], [['j1', 'j2', 'j3'], 3]);
      assert.deepEqual(list.rows[1]?.deleted, 1);
      const page = await s.listJobs(T1, 1, 1);
      assert.deepEqual([page.rows.map((j) => j.id), page.total], [['j2'], 3]);
      assert.deepEqual((await s.listJobs(T2, 0, 10)).rows.map((j) => j.id), ['j4']);
      assert.deepEqual(await s.listJobs(T1S, 0, 10), { rows: [], total: 0 });
    });

    it('creates subscriptions unique per scope, path and destination, capped per scope; gets, lists, updates and deletes', async () => {
      const { s } = await fresh();
      assert.equal(await s.createSubscription(subscription('s1', T1, { created: 2 }), 3), 'ok');
      assert.equal(await s.createSubscription(subscription('s1b', T1, { destination: 'https://example.test/s1', created: 2 }), 3), 'exists');
      assert.equal(await s.createSubscription(subscription('s2', T1, { path: 'a/', created: 1 }), 3), 'ok');
      assert.equal(await s.createSubscription(subscription('s3', T1, { created: 3 }), 3), 'ok');
      assert.equal(await s.createSubscription(subscription('s4', T1), 3), 'full');
      assert.equal(await s.createSubscription(subscription('s5', T1S, { destination: 'https://example.test/s1' }), 3), 'ok');
      assert.equal(await s.createSubscription(subscription('s6', T2, { destination: 'https://example.test/s1' }), 3), 'ok');
      assert.deepEqual(await s.getSubscription(T1, 's2'), subscription('s2', T1, { path: 'a/', created: 1 }));
      assert.equal(await s.getSubscription(T2, 's2'), undefined);
      assert.equal(await s.getSubscription(T1S, 's2'), undefined);
      const ids = (r: { rows: SubscriptionRow[] }) => r.rows.map((x) => x.id);
      const own = await s.listSubscriptions('t1', '', 0, 10);
      assert.deepEqual([ids(own), own.total], [['s2', 's1', 's3'], 3]);
      const every = await s.listSubscriptions('t1', undefined, 0, 10);
      assert.deepEqual([new Set(ids(every)), every.total], [new Set(['s1', 's2', 's3', 's5']), 4]);
      assert.deepEqual(await s.listSubscriptions('t1', '', 1, 1).then((r) => [ids(r), r.total]), [['s1'], 3]);
      assert.deepEqual(ids(await s.listSubscriptions('t1', 'sub1', 0, 10)), ['s5']);
      assert.deepEqual(ids(await s.listSubscriptions('t2', undefined, 0, 10)), ['s6']);
      const changed = subscription('s1', T1, { path: 'b/', destination: 'https://example.test/new', status: 'INACTIVE', etag: 1, created: 2 });
      await s.updateSubscription(changed);
      assert.deepEqual(await s.getSubscription(T1, 's1'), changed);
      await s.deleteSubscription(T1, 's1');
      assert.equal(await s.getSubscription(T1, 's1'), undefined);
      assert.equal(await s.createSubscription(subscription('s7', T1), 3), 'ok', 'a delete frees a place');
      assert.ok(await s.getSubscription(T2, 's6'));
    });

    it('queues deliveries for matching active subscriptions when objects change, and claims and records attempts', async () => {
      const { s } = await fresh();
      await s.createSubscription(subscription('all', T1), 10);
      await s.createSubscription(subscription('a', T1, { path: 'a/' }), 10);
      await s.createSubscription(subscription('off', T1, { status: 'INACTIVE' }), 10);
      await s.createSubscription(subscription('other', T2), 10);
      await s.createSubscription(subscription('subt', T1S), 10);
      await s.putObject(obj(T1, 'a/x.txt'), ev('a/x.txt', 'MODIFY', 5));
      await s.putObject(obj(T1, 'b.txt'), ev('b.txt', 'MODIFY', 6));
      assert.equal(await s.deleteObject(T1, 'a/x.txt', ev('a/x.txt', 'DELETE', 7)), true);
      assert.equal(await s.deleteObject(T1, 'a/x.txt', ev('a/x.txt', 'DELETE', 8)), false);
      const events = (ds: Array<{ event: string }>) => ds.map((d) => JSON.parse(d.event) as { type: string; path: string; at: number });
      const all = await s.deliveries(T1, 'all', 10);
      assert.deepEqual(events(all), [ev('a/x.txt', 'DELETE', 7), ev('b.txt', 'MODIFY', 6), ev('a/x.txt', 'MODIFY', 5)], 'newest first');
      assert.deepEqual(all.map((d) => [d.subscriptionId, d.state, d.attempts, d.nextAt, d.lastStatus, d.lastError, d.deliveredAt]),
        [['all', 'PENDING', 0, 7, null, null, null], ['all', 'PENDING', 0, 6, null, null, null], ['all', 'PENDING', 0, 5, null, null, null]]);
      assert.deepEqual(all.map((d) => d.created), [7, 6, 5]);
      assert.deepEqual(events(await s.deliveries(T1, 'a', 10)).map((e) => e.type), ['DELETE', 'MODIFY']);
      assert.deepEqual([await s.deliveries(T1, 'off', 10), await s.deliveries(T2, 'other', 10), await s.deliveries(T1S, 'subt', 10)], [[], [], []]);
      assert.equal((await s.deliveries(T1, 'all', 1)).length, 1);
      const due = await s.dueDeliveries(6, 10);
      assert.deepEqual(due.map((d) => [d.subscriptionId, d.nextAt]).sort(), [['a', 5], ['all', 5], ['all', 6]]);
      assert.deepEqual(due.map((d) => d.nextAt), [5, 5, 6], 'by due time');
      assert.deepEqual(due.find((d) => d.subscriptionId === 'a')?.subscription, subscription('a', T1, { path: 'a/' }));
      assert.equal((await s.dueDeliveries(6, 1)).length, 1);
      const d = due[0]!;
      assert.equal(await s.claimDelivery(T1, d.id, 4, 100), false, 'a stale due time does not claim');
      assert.equal(await s.claimDelivery(T1, d.id, d.nextAt, 100), true);
      assert.equal(await s.claimDelivery(T1, d.id, d.nextAt, 100), false, 'taken already');
      assert.equal((await s.dueDeliveries(6, 10)).some((x) => x.id === d.id), false);
      await s.recordAttempt(T1, d.id, { state: 'DELIVERED', attempts: 1, nextAt: 100, lastStatus: 200, lastError: null, deliveredAt: 9 });
      const after1 = (await s.deliveries(T1, d.subscriptionId, 10)).find((x) => x.id === d.id)!;
      assert.deepEqual([after1.state, after1.attempts, after1.lastStatus, after1.lastError, after1.deliveredAt], ['DELIVERED', 1, 200, null, 9]);
      assert.equal((await s.dueDeliveries(1000, 10)).some((x) => x.id === d.id), false, 'delivered is never due again');
      assert.equal(await s.claimDelivery(T1, d.id, 100, 200), false, 'only a pending delivery can be claimed');
      const e = due[1]!;
      await s.recordAttempt(T1, e.id, { state: 'PENDING', attempts: 1, nextAt: 50, lastStatus: 500, lastError: 'boom', deliveredAt: null });
      assert.equal((await s.dueDeliveries(49, 10)).some((x) => x.id === e.id), false);
      assert.equal((await s.dueDeliveries(50, 10)).some((x) => x.id === e.id), true);
      await s.recordAttempt(T1, e.id, { state: 'FAILED', attempts: 5, nextAt: 50, lastStatus: null, lastError: 'gave up', deliveredAt: null });
      assert.equal((await s.dueDeliveries(1000, 10)).some((x) => x.id === e.id), false);
      await s.deleteSubscription(T1, 'a');
      assert.deepEqual(await s.deliveries(T1, 'a', 10), [], 'deleting a subscription drops its deliveries');
      assert.equal((await s.dueDeliveries(1000, 10)).some((x) => x.subscriptionId === 'a'), false);
    });

    it('keeps WRITE permissions unique per scope and path, gets, pages and deletes them per scope', async () => {
      const { s } = await fresh();
      assert.equal(await s.createPermission(permission('p2', T1, { created: 2 })), true);
      assert.equal(await s.createPermission(permission('p1', T1, { created: 1 })), true);
      assert.equal(await s.createPermission(permission('dup', T1, { path: 'p-p1/' })), false);
      assert.equal(await s.createPermission(permission('p3', T1S, { path: 'p-p1/' })), true);
      assert.equal(await s.createPermission(permission('p4', T2, { path: 'p-p1/' })), true);
      assert.deepEqual(await s.getPermission(T1, 'p1'), permission('p1', T1, { created: 1 }));
      assert.equal(await s.getPermission(T1, 'dup'), undefined);
      assert.equal(await s.getPermission(T2, 'p1'), undefined);
      assert.equal(await s.getPermission(T1S, 'p1'), undefined);
      const list = await s.listPermissions(T1, 0, 10);
      assert.deepEqual([list.rows.map((p) => p.id), list.total], [['p1', 'p2'], 2]);
      assert.deepEqual(await s.listPermissions(T1, 1, 5).then((r) => [r.rows.map((p) => p.id), r.total]), [['p2'], 2]);
      assert.deepEqual((await s.listPermissions(T1S, 0, 10)).rows.map((p) => p.id), ['p3']);
      assert.equal(await s.deletePermission(T2, 'p1'), false);
      assert.equal(await s.deletePermission(T1, 'p1'), true);
      assert.equal(await s.deletePermission(T1, 'p1'), false);
      assert.equal(await s.createPermission(permission('p5', T1, { path: 'p-p1/' })), true, 'the path is free again');
      assert.ok(await s.getPermission(T2, 'p4'));
    });

    it('never lets a call in tenant B read or change a row of tenant A, even with A\'s ids and paths', async () => {
      const { s } = await fresh();
      await put(s, T1, 'secret/a.txt');
      await s.createUpload(upload('ua', T1));
      assert.equal(await s.putPart(T1, 'ua', { partNumber: 1, etag: 'a', size: 5, sha256: 'h' }), true);
      await s.createJob({ ...T1, id: 'ja', created: 1, total: 0, deleted: 0, failed: 0, notFound: 0 }, ['secret/a.txt']);
      await s.createSubscription(subscription('sa', T1), 5);
      await put(s, T1, 'secret/b.txt'); // queues a delivery for sa
      await s.createPermission(permission('pa', T1));
      const [d] = await s.dueDeliveries(1000, 10);
      for (const B of [T2, T1S]) {
        assert.equal(await s.getObject(B, 'secret/a.txt'), undefined);
        assert.equal(await s.setTags(B, 'secret/a.txt', ['x']), undefined);
        assert.equal(await s.deleteObject(B, 'secret/a.txt', ev('secret/a.txt', 'DELETE')), false);
        assert.deepEqual(await s.listUnder(B, 'secret/', undefined, 10), []);
        assert.equal(await s.getUpload(B, 'ua'), undefined);
        assert.deepEqual(await s.parts(B, 'ua'), []);
        assert.equal(await s.putPart(B, 'ua', { partNumber: 2, etag: 'evil', size: 1, sha256: 'h' }), false);
        assert.equal(await s.endUpload(B, 'ua'), false);
        assert.deepEqual(await s.jobObjects(B, 'ja', ['PENDING', 'DELETED', 'FAILED', 'NOTFOUND']), []);
        await s.setJobObject(B, 'ja', 0, 'DELETED');
        assert.equal(await s.updateSubscription({ ...subscription('sa', B), destination: 'https://evil.test/' }), false);
        assert.deepEqual(await s.deliveries(B, 'sa', 10), []);
        assert.equal(await s.claimDelivery(B, d!.id, d!.nextAt, 5000), false);
        await s.recordAttempt(B, d!.id, { state: 'FAILED', attempts: 9, nextAt: 0, lastStatus: null, lastError: 'evil', deliveredAt: null });
        assert.equal(await s.deleteSubscription(B, 'sa'), false);
        assert.equal(await s.getPermission(B, 'pa'), undefined);
        assert.equal(await s.deletePermission(B, 'pa'), false);
      }
      assert.deepEqual((await s.getObject(T1, 'secret/a.txt'))?.tags, []);
      assert.deepEqual((await s.parts(T1, 'ua')).map((p) => p.etag), ['a']);
      assert.ok(await s.getUpload(T1, 'ua'));
      assert.deepEqual((await s.jobObjects(T1, 'ja', ['PENDING'])).map((o) => o.idx), [0]);
      assert.deepEqual((await s.getSubscription(T1, 'sa'))?.destination, subscription('sa').destination);
      assert.deepEqual((await s.deliveries(T1, 'sa', 10)).map((x) => [x.state, x.attempts, x.nextAt]), [['PENDING', 0, d!.nextAt]]);
      assert.ok(await s.getPermission(T1, 'pa'));
      assert.equal(await s.endUpload(T1, 'ua'), true);
      assert.equal(await s.deleteSubscription(T1, 'sa'), true);
    });

    it('keeps what was written across a reopen', async () => {
      const { s, at } = await fresh();
      await put(s, T1, 'a/b.txt', { size: 11 });
      await s.setTags(T1, 'a/b.txt', ['kept']);
      await s.createUpload(upload('u1'));
      await s.putPart(T1, 'u1', { partNumber: 1, etag: 'a', size: 5, sha256: 'h' });
      await s.createJob({ ...T1, id: 'j1', created: 1, total: 0, deleted: 0, failed: 0, notFound: 0 }, ['a/b.txt']);
      await s.setJobObject(T1, 'j1', 0, 'DELETED');
      await s.createSubscription(subscription('s1'), 5);
      await put(s, T1, 'c.txt');
      await s.createPermission(permission('p1'));
      s.close(); opened.splice(opened.indexOf(s), 1);
      const { s: r } = await fresh(at);
      assert.deepEqual(await r.getObject(T1, 'a/b.txt'), { ...obj(T1, 'a/b.txt', { size: 11 }), tags: ['kept'] });
      assert.equal(await r.folderExists(T1, 'a/'), true);
      assert.deepEqual((await r.listChildren(T1, '', undefined, 10)).map((c) => c.path), ['a/', 'c.txt']);
      assert.equal((await r.getUpload(T1, 'u1'))?.storeId, 'store-u1');
      assert.equal((await r.parts(T1, 'u1')).length, 1);
      assert.deepEqual((await r.getJob(T1, 'j1'))?.deleted, 1);
      assert.ok(await r.getSubscription(T1, 's1'));
      assert.deepEqual(events1(await r.deliveries(T1, 's1', 10)), ['c.txt']);
      assert.ok(await r.getPermission(T1, 'p1'));
    });
    const events1 = (ds: Array<{ event: string }>) => ds.map((d) => (JSON.parse(d.event) as { path: string }).path);

    it('deleteTenant removes every row of one tenant, subtenants included, returns its open uploads and keeps the others', async () => {
      const { s } = await fresh();
      for (const [scope, tag] of [[T1, 'a'], [T1S, 'b'], [T2, 'c']] as Array<[ScopeKey, string]>) {
        await s.createSubscription(subscription(`s-${tag}`, scope), 5);
        await put(s, scope, 'f/x.txt');
        await s.createUpload(upload(`u-${tag}`, scope));
        await s.putPart(scope, `u-${tag}`, { partNumber: 1, etag: 'e', size: 1, sha256: 'h' });
        await s.createJob({ ...scope, id: `j-${tag}`, created: 1, total: 0, deleted: 0, failed: 0, notFound: 0 }, ['f/x.txt']);
        await s.createPermission(permission(`p-${tag}`, scope));
      }
      const open = await s.deleteTenant('t1');
      assert.deepEqual(open.sort((x, y) => x.sub.localeCompare(y.sub)),
        [{ sub: '', path: 'big.bin', storeId: 'store-u-a' }, { sub: 'sub1', path: 'big.bin', storeId: 'store-u-b' }]);
      for (const [scope, tag] of [[T1, 'a'], [T1S, 'b']] as Array<[ScopeKey, string]>) {
        assert.deepEqual([await s.getObject(scope, 'f/x.txt'), await s.folderExists(scope, 'f/'), await s.listChildren(scope, '', undefined, 10),
          await s.getUpload(scope, `u-${tag}`), await s.parts(scope, `u-${tag}`), await s.getJob(scope, `j-${tag}`), await s.jobObjects(scope, `j-${tag}`, ['PENDING']),
          await s.getSubscription(scope, `s-${tag}`), await s.deliveries(scope, `s-${tag}`, 10), await s.getPermission(scope, `p-${tag}`)],
        [undefined, false, [], undefined, [], undefined, [], undefined, [], undefined]);
      }
      assert.deepEqual(await s.search('t1', undefined, { sql: '1 = 1', params: [] }, '', 0, 10), { rows: [], total: 0 });
      assert.deepEqual((await s.listSubscriptions('t1', undefined, 0, 10)).total, 0);
      assert.equal((await s.dueDeliveries(1000, 10)).every((d) => d.subscription.tenant === 't2'), true);
      assert.ok(await s.getObject(T2, 'f/x.txt'));
      assert.equal(await s.folderExists(T2, 'f/'), true);
      assert.equal((await s.getUpload(T2, 'u-c'))?.id, 'u-c');
      assert.equal((await s.parts(T2, 'u-c')).length, 1);
      assert.deepEqual((await s.jobObjects(T2, 'j-c', ['PENDING'])).map((o) => o.path), ['f/x.txt']);
      assert.ok(await s.getSubscription(T2, 's-c'));
      assert.equal((await s.deliveries(T2, 's-c', 10)).length, 1);
      assert.ok(await s.getPermission(T2, 'p-c'));
      assert.deepEqual(await s.deleteTenant('t1'), []);
      assert.equal(await s.createSubscription(subscription('s-new', T1), 1), 'ok', 'the tenant starts afresh');
    });
  });
}
