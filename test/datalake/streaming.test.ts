/**
 * Objects stream: a 256 MB object goes up through a signed URL and comes back through the gateway while the
 * server's resident memory (a child `ironbridge serve`, its peak read from /proc) grows by less than half of it
 * (helpers/memory.ts says why that bound tells streaming from buffering). The 1 GB case, with throughput, is in
 * bench/files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getDigest, MB, peakMeter, putStream } from '../helpers/memory.js';
import { fetchToken, runCli, spawnServer, tempDir, type ChildServer } from '../helpers/server.js';

const SIZE = 256 * MB;
const BOUND = SIZE / 2;

describe('streaming without holding objects in memory', () => {
  let server: ChildServer;
  let dir: string;
  let token: string;
  before(async () => {
    dir = tempDir('ironbridge-stream-');
    server = await spawnServer(path.join(dir, 'data'));
    const made = await runCli(['keys', 'create', '--tenant', 'local', '--name', 'stream', '--json', '--data-dir', path.join(dir, 'data')]);
    token = await fetchToken(server.url, JSON.parse(made.stdout) as { clientId: string; clientSecret: string });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`uploads and downloads ${SIZE / MB} MB with server RSS growth under ${BOUND / MB} MB, bytes intact`, { skip: process.platform !== 'linux' }, async () => {
    const dl = `${server.url}/api/datalake/v3`;
    const signed = await fetch(`${dl}/generateUploadObjectUrls`, { method: 'POST', body: JSON.stringify({ paths: [{ path: 'stream/big.bin' }] }),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    const url = ((await signed.json()) as { objectUrls: { signedUrl: string }[] }).objectUrls[0]!.signedUrl;
    const meter = peakMeter(server.child.pid!);
    meter.reset();
    const up = await putStream(url, SIZE);
    assert.equal(up.status, 200);
    const down = await getDigest(`${dl}/objects/stream/big.bin`, { authorization: `Bearer ${token}` });
    assert.equal(down.bytes, SIZE);
    assert.equal(down.sha256, up.sha256);
    const growth = meter.growth();
    assert.ok(growth < BOUND, `server RSS grew by ${(growth / MB).toFixed(1)} MB while moving ${SIZE / MB} MB each way`);
  });
});
