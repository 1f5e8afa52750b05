/**
 * The public CLI's data-lake commands (`mc data-lake --mode …` of @mindconnect/mindconnect-nodejs) against
 * Ironbridge: upload through the signed URL it asks for, the bytes checked by hash, and the other modes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mcSession, type Mc } from '../helpers/mc.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { DL, dl, pattern, sha256 } from './helpers.js';

describe('the public CLI (mc data-lake) against Ironbridge', () => {
  let s: TestServer;
  let session: Mc;
  const ok = async (args: string[]) => {
    const r = await session.run(['data-lake', ...args]);
    assert.equal(r.code, 0, `mc data-lake ${args.join(' ')}:\n${r.out}`);
    return r.out;
  };
  before(async () => {
    s = await startServer();
    session = mcSession('dl-passkey');
    const added = await session.addServiceCredentials(s.key, s.url, s.tenant);
    assert.equal(added.code, 0, added.out);
  });
  after(async () => {
    await s.close();
    session.dispose();
  });

  it('upload, meta, uploadurl and downloadurl: the bytes round-trip', async () => {
    const data = pattern(2 * 1024 * 1024 + 3, 5);
    const file = path.join(session.home, 'payload.bin');
    fs.writeFileSync(file, data);
    await ok(['--mode', 'upload', '--file', file, '--path', 'mc/payload.bin']);
    const stored = await s.api(`${DL}/objects/mc/payload.bin`);
    assert.equal(sha256(Buffer.from(await stored.arrayBuffer())), sha256(data));
    const meta = await ok(['--mode', 'meta', '--path', 'mc/payload.bin']);
    assert.match(meta, new RegExp(`mc/payload\\.bin ${data.length} `));
    const folder = await ok(['--mode', 'meta', '--path', 'mc/']);
    assert.match(folder, /mc\/ 0 /);
    const down = await ok(['--mode', 'downloadurl', '--path', 'mc/payload.bin']);
    const url = /(http:\/\/\S+signature=\S+)/.exec(down)?.[1];
    assert.ok(url, down);
    assert.equal(sha256(Buffer.from(await (await fetch(url)).arrayBuffer())), sha256(data));
    const up = await ok(['--mode', 'uploadurl', '--path', 'mc/by-url.txt', '--file', file]);
    const upUrl = /(http:\/\/\S+signature=\S+)/.exec(up)?.[1];
    assert.ok(upUrl, up);
    assert.equal((await fetch(upUrl, { method: 'PUT', body: 'via printed url' })).status, 200);
    assert.equal(await (await s.api(`${DL}/objects/mc/by-url.txt`)).text(), 'via printed url');
  });

  it('write, list and delete access token permissions', async () => {
    assert.match(await ok(['--mode', 'write', '--path', 'mc/']), /Write permission with .* created/);
    const listed = await ok(['--mode', 'list']);
    assert.match(listed, /mc\/\s+WRITE/);
    assert.match(listed, /1 permissions listed/);
    const id = /([0-9a-f-]{36}) /.exec(listed)?.[1];
    assert.ok(id, listed);
    assert.match(await ok(['--mode', 'delete', '--permissionid', id]), /was deleted/);
    assert.match(await ok(['--mode', 'list']), /0 permissions listed/);
  });

  it('subscribe, subscriptions and unsubscribe', async () => {
    await ok(['--mode', 'subscribe', '--path', 'mc/', '--destination', 'http://127.0.0.1:9/hook']);
    const subs = await ok(['--mode', 'subscriptions']);
    assert.match(subs, /1 subscriptions listed/);
    const id = (await dl(s, 'GET', '/objectEventSubscriptions')).body.subscriptions[0].id as string;
    assert.match(await ok(['--mode', 'unsubscribe', '--subscriptionid', id]), /deleted/);
    assert.match(await ok(['--mode', 'subscriptions']), /0 subscriptions listed/);
  });

  it('read is listed in the CLI help but not implemented by the CLI itself', async () => {
    const r = await session.run(['data-lake', '--mode', 'read']);
    assert.match(r.out, /no such option: read/);
  });
});
