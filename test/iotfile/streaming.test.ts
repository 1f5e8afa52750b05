/**
 * IoT files stream: a 256 MB file goes up in one PUT and comes back while the server's resident memory (a child
 * `ironbridge serve`, its peak read from /proc) grows by less than half of it (helpers/memory.ts says why that
 * bound tells streaming from buffering). The one-request limits are raised for the test (--iot-file-max and the
 * gateway's --gateway-max-request).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getDigest, MB, peakMeter, putStream } from '../helpers/memory.js';
import { fetchToken, runCli, spawnServer, tempDir, type ChildServer } from '../helpers/server.js';

const SIZE = 256 * MB;
const BOUND = SIZE / 2;

describe('IoT files stream without being held in memory', () => {
  let server: ChildServer;
  let dir: string;
  let token: string;
  let asset: string;
  const api = (p: string, init: RequestInit = {}) => fetch(`${server.url}${p}`, { ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> ?? {}) } });
  before(async () => {
    dir = tempDir('ironbridge-iotstream-');
    server = await spawnServer(path.join(dir, 'data'), { IRONBRIDGE_IOT_FILE_MAX: String(SIZE), IRONBRIDGE_GATEWAY_MAX_REQUEST: String(2 * SIZE) });
    const made = await runCli(['keys', 'create', '--tenant', 'local', '--name', 'stream', '--json', '--data-dir', path.join(dir, 'data')]);
    token = await fetchToken(server.url, JSON.parse(made.stdout) as { clientId: string; clientSecret: string });
    const AM = '/api/assetmanagement/v3';
    assert.equal((await api(`${AM}/assettypes/local.Streamer`, { method: 'PUT',
      body: JSON.stringify({ name: 'Streamer', parentTypeId: 'core.basicasset', instantiable: true }) })).status, 201);
    const root = (await (await api(`${AM}/assets/root`)).json()) as { assetId: string };
    const a = await api(`${AM}/assets`, { method: 'POST', body: JSON.stringify({ name: 'streamer', typeId: 'local.Streamer', parentId: root.assetId }) });
    asset = ((await a.json()) as { assetId: string }).assetId;
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`puts and gets ${SIZE / MB} MB with server RSS growth under ${BOUND / MB} MB, bytes intact`, { skip: process.platform !== 'linux' }, async () => {
    const url = `${server.url}/api/iotfile/v3/files/${asset}/stream/big.bin`;
    const meter = peakMeter(server.child.pid!);
    meter.reset();
    const up = await putStream(url, SIZE, { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201);
    const down = await getDigest(url, { authorization: `Bearer ${token}` });
    assert.equal(down.bytes, SIZE);
    assert.equal(down.sha256, up.sha256);
    const growth = meter.growth();
    assert.ok(growth < BOUND, `server RSS grew by ${(growth / MB).toFixed(1)} MB while moving ${SIZE / MB} MB each way`);
  });
});
