/**
 * The public CLI's event and file commands (`mc create-event`, `mc events` list and delete, `mc event-types`, `mc upload-file`
 * with and without `--chunked`, `mc ls`, `mc download-file` of @mindconnect/mindconnect-nodejs) against
 * Ironbridge with service credentials: every command exits 0 and what it sent is read back over the API.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mcSession, type Mc } from '../helpers/mc.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, makeAsset } from './helpers.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('the public CLI (mc events and files) against Ironbridge', () => {
  let s: TestServer;
  let session: Mc;
  let asset: string;
  const ok = async (args: string[]) => {
    const r = await session.run(args);
    assert.equal(r.code, 0, `mc ${args.join(' ')}:\n${r.out}`);
    return r.out;
  };
  before(async () => {
    s = await startServer();
    asset = await makeAsset(s);
    session = mcSession('ev-passkey');
    const added = await session.addServiceCredentials(s.key, s.url, s.tenant);
    assert.equal(added.code, 0, added.out);
  });
  after(async () => {
    await s.close();
    session.dispose();
  });

  it('create-event, events and event-types', async () => {
    await ok(['create-event', '--assetid', asset, '--desc', 'pump overheated', '--severity', '30']);
    const stored = await call(s, `/api/eventmanagement/v3/events?filter=${encodeURIComponent(JSON.stringify({ entityId: asset }))}`);
    assert.deepEqual(stored.body._embedded.events.map((e: { description: string; severity: number }) => [e.description, e.severity]),
      [['pump overheated', 30]]);
    const listed = await ok(['events', '--mode', 'list', '--assetid', asset]);
    assert.match(listed, /pump overheated/);
    await call(s, '/api/eventmanagement/v3/eventTypes', { method: 'POST', body: JSON.stringify({ name: 'CliType', fields: [{ name: 'x', type: 'INTEGER' }] }) });
    assert.match(await ok(['event-types', '--mode', 'list']), new RegExp(`${s.tenant}\\.CliType`));
    const id = stored.body._embedded.events[0].id as string;
    assert.match(await ok(['events', '--mode', 'delete', '--eventid', id]), /is in state .*FINISHED/);
    assert.equal((await call(s, `/api/eventmanagement/v3/events/${id}`)).status, 404);
  });

  it('upload-file (whole and --chunked), ls and download-file: the bytes round-trip', async () => {
    const small = path.join(session.home, 'notes.txt');
    fs.writeFileSync(small, 'shift notes');
    await ok(['upload-file', '--file', small, '--assetid', asset, '--filepath', 'logs/notes.txt', '--mime', 'text/plain']);
    const big = Buffer.alloc(17 * 1024 * 1024 + 99);
    for (let i = 0; i < big.length; i += 1024) big.writeUInt32BE(i, i);
    const bigFile = path.join(session.home, 'big.bin');
    fs.writeFileSync(bigFile, big);
    await ok(['upload-file', '--file', bigFile, '--assetid', asset, '--filepath', 'dumps/big.bin', '--chunked']);
    const back = await s.api(`/api/iotfile/v3/files/${asset}/dumps/big.bin`);
    assert.equal(md5(Buffer.from(await back.arrayBuffer())), md5(big));
    const listed = await ok(['ls', '--assetid', asset]);
    assert.match(listed, /notes\.txt/);
    assert.match(listed, /big\.bin/);
    fs.rmSync(small);
    await ok(['download-file', '--file', 'logs/notes.txt', '--assetid', asset]);
    const written = fs.readdirSync(session.home, { recursive: true }).map(String).filter((f) => f.endsWith('notes.txt'));
    assert.deepEqual(written.map((f) => fs.readFileSync(path.join(session.home, f), 'utf8')), ['shift notes']);
  });
});
