/**
 * Industrial IoT Gateway docs restriction table, request size: the gateway streams. A child `ironbridge serve` proxies to a backend in
 * this process; its peak resident memory (helpers/memory.ts) stays under a bound that a buffering gateway would pass
 * by the size it moved: while it refuses a 150 MB + 1 byte stream with 413, and while it carries the largest upload
 * the limit allows and a 300 MB answer back, byte for byte.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { MB, peakMeter, type PeakMeter } from '../helpers/memory.js';
import { fetchToken, firstStartSecrets, spawnServer, tempDir, type ChildServer } from '../helpers/server.js';
import { startSink } from './helpers.js';

const LIMIT = 150 * MB;
const BOUND = 110 * MB;
const DOWN = 300 * MB;

/** Sends `total` bytes (`length` declared, or chunked) and resolves at the end of the answer, which it hashes. */
function send(url: string, headers: Record<string, string>, total: number, length?: number):
  Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; bytes: number; sha: string; sent: string }> {
  const u = new URL(url);
  const sent = createHash('sha256');
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: u.hostname, port: u.port, method: 'PUT', path: u.pathname, agent: false,
      headers: { ...headers, 'content-type': 'application/octet-stream', ...(length === undefined ? {} : { 'content-length': String(length) }) } });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const got = createHash('sha256');
      const head: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => { got.update(c); bytes += c.length; if (bytes <= 64 * 1024) head.push(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(head), bytes, sha: got.digest('hex'), sent: sent.digest('hex') }));
    });
    req.on('error', (err) => { if (!answered) reject(err); });
    const block = Buffer.alloc(MB);
    let done = 0;
    const pump = () => {
      while (!answered && done < total) {
        block.fill(done / MB % 251);
        const chunk = Buffer.from(block.subarray(0, Math.min(MB, total - done)));
        done += chunk.length;
        sent.update(chunk);
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('the gateway streams (server memory, child process)', { skip: process.platform !== 'linux' }, () => {
  let dir: string;
  let server: ChildServer;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let meter: PeakMeter;
  let host: (app: string) => string;
  let token: string;
  before(async () => {
    sink = await startSink(DOWN / MB);
    dir = tempDir('ironbridge-gateway-memory-');
    server = await spawnServer(path.join(dir, 'data'));
    meter = peakMeter(server.child.pid!);
    const first = firstStartSecrets(path.join(dir, 'data'));
    token = await fetchToken(server.url, first.key);
    const config = loadConfig({}, {});
    host = (app) => `${first.tenant}-${app}.${config.region}.${config.domain}:${new URL(server.url).port}`;
    const target = sink.url;
    const made = await fetch(`${server.url}/api/gatewayregistry/v1/apps`, { method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sink', target, patterns: ['/**'] }) });
    assert.equal(made.status, 201, await made.text());
  });
  after(async () => {
    await server.stop();
    await sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`413 "Request content length limit exceeded" for a 150 MB + 1 byte stream, server growth under ${BOUND / MB} MB`, async () => {
    meter.reset();
    const res = await send(`${server.url}/upload`, { host: host('sink'), authorization: `Bearer ${token}` }, LIMIT + 1);
    assert.equal(res.status, 413);
    assert.equal(res.headers.connection, 'close');
    assert.match((JSON.parse(res.body.toString()) as { errors: { message: string }[] }).errors[0]!.message, /^Request content length limit exceeded/);
    const grown = meter.growth();
    assert.ok(grown < BOUND, `server RSS grew by ${Math.round(grown / MB)} MB while refusing a 150 MB stream`);
  });

  it(`carries a 150 MB upload and a ${DOWN / MB} MB answer byte for byte, server growth under ${BOUND / MB} MB`, async () => {
    meter.reset();
    const res = await send(`${server.url}/big`, { host: host('sink'), authorization: `Bearer ${token}` }, LIMIT, LIMIT);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-bytes'], String(LIMIT));
    assert.equal(res.headers['x-sha256'], res.sent);
    assert.equal(res.bytes, DOWN);
    const expected = createHash('sha256');
    for (let i = 0; i < DOWN / MB; i++) expected.update(Buffer.alloc(MB, 0x62));
    assert.equal(res.sha, expected.digest('hex'));
    const grown = meter.growth();
    assert.ok(grown < BOUND, `server RSS grew by ${Math.round(grown / MB)} MB while carrying ${LIMIT / MB} MB up and ${DOWN / MB} MB down`);
  });
});
