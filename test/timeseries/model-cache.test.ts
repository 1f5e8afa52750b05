/**
 * The time series write and read paths keep resolved series (asset, aspect → variables, zone) between requests
 * (assets/reader.ts, timeseries/service.ts). Two servers on one data directory, like two worker processes: a
 * model change made through one (an aspect type gaining a variable, an aspect removed from the asset type, the
 * asset deleted) is seen by the very next request to the other, whose cache was warm.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { createPlatform, type Platform } from '../../src/platform/platform.js';
import { call, dbl } from '../assets/helpers.js';
import { fetchToken, startServer, type TestServer } from '../helpers/server.js';
import { json, makeAsset, put, TS } from './helpers.js';

describe('resolved series across two servers on one data directory', () => {
  let a: TestServer;
  let platformB: Platform;
  let b: TestServer;

  before(async () => {
    a = await startServer();
    const config = loadConfig({ port: 0, dataDir: a.config.dataDir, logLevel: 'silent', secretHashCost: 10 }, {});
    platformB = await createPlatform(config, { logger: createLogger(config.logLevel) });
    const url = await platformB.listen();
    platformB.markReady();
    // B's tokens come from the same key (the data directory is shared): the same tenant, the same data.
    const token = await fetchToken(url, a.key);
    b = { ...a, url, platform: platformB, config, token: async () => token,
      api: async (pathname, init = {}) => {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${token}`);
        if (typeof init.body === 'string') headers.set('content-type', 'application/json');
        return fetch(`${url}${pathname}`, { ...init, headers });
      },
      close: () => platformB.close() };
  });
  after(async () => {
    await platformB.close();
    await a.close();
  });

  const etagOf = async (path: string) => String((await call(a, 'GET', path)).body.etag);

  it('sees a new variable, a removed aspect and a deleted asset on the next request', async () => {
    const T = a.tenant;
    const id = await makeAsset(a, 'm1', { aspect: 'Vib', variables: [dbl('v')] });
    const many = (records: unknown[]) => b.api(TS, { method: 'PUT',
      body: JSON.stringify({ timeseries: [{ entityId: id, propertySetName: 'Vib', data: records }] }) });

    // B resolves the series (and keeps it): w is no variable yet.
    assert.equal((await put(b, id, 'Vib', [{ _time: '2024-01-01T00:00:01Z', v: 1 }])).status, 204);
    assert.equal((await put(b, id, 'Vib', [{ _time: '2024-01-01T00:00:02Z', w: 2 }])).status, 400);
    assert.deepEqual((await json(await many([{ _time: '2024-01-01T00:00:03Z', v: 3 }]))).errors, []);

    // A adds variable w to the aspect type: B accepts it at once, through both PUTs.
    const aspectPath = `/aspecttypes/${T}.Vib`;
    const vib = (await call(a, 'GET', aspectPath)).body;
    const changed = await call(a, 'PUT', aspectPath, { name: 'Vib', category: 'dynamic', scope: 'private', description: vib.description,
      variables: [dbl('v'), dbl('w')] }, { 'if-match': await etagOf(aspectPath) });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await put(b, id, 'Vib', [{ _time: '2024-01-01T00:00:02Z', w: 2 }])).status, 204);
    assert.deepEqual((await json(await many([{ _time: '2024-01-01T00:00:04Z', w: 4 }]))).errors, []);
    const read = await json(await b.api(`${TS}/${id}/Vib?from=2024-01-01T00:00:00Z&to=2024-01-01T01:00:00Z`));
    assert.deepEqual(read, [{ _time: '2024-01-01T00:00:01.000Z', v: 1 }, { _time: '2024-01-01T00:00:02.000Z', w: 2 },
      { _time: '2024-01-01T00:00:03.000Z', v: 3 }, { _time: '2024-01-01T00:00:04.000Z', w: 4 }]);

    // A removes the aspect from the asset type: B refuses it at once.
    const typePath = `/assettypes/${T}.TypeVib`;
    const type = (await call(a, 'GET', typePath)).body;
    const removed = await call(a, 'PUT', typePath, { name: type.name, parentTypeId: type.parentTypeId, aspects: [] },
      { 'if-match': String(type.etag) });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const gone = await put(b, id, 'Vib', [{ _time: '2024-01-01T00:00:05Z', v: 5 }]);
    assert.equal(gone.status, 404);
    assert.match((await json(gone)).message, /^Asset \w+ has no aspect Vib; its aspects are: none\.$/);
    const pairs = (await json(await many([{ _time: '2024-01-01T00:00:05Z', v: 5 }]))).errors;
    assert.equal(pairs.length, 1);
    assert.deepEqual([pairs[0].status, pairs[0].entityId], [404, id]);
    assert.match(pairs[0].message, /has no aspect Vib/);

    // A deletes the asset: B answers 404 for it at once.
    const assetPath = `/assets/${id}`;
    const deleted = await call(a, 'DELETE', assetPath, undefined, { 'if-match': await etagOf(assetPath) });
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    const none = await b.api(`${TS}/${id}/Vib?from=2024-01-01T00:00:00Z&to=2024-01-01T01:00:00Z`);
    assert.equal(none.status, 404);
    assert.match((await json(none)).message, /^Asset \w+ does not exist in this tenant\.$/);
  });
});
