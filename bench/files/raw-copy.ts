/**
 * The streaming-copy reference of bench/files: the least an HTTP object server must do, in a process of its own
 * like the real server. PUT reads the body from the socket, computes MD5 and SHA-256 of it (node:crypto, on the
 * event loop), writes it to a temporary file with 1 MB writes, fsyncs it, renames it into place and fsyncs the
 * directory; GET streams the file to the socket with 1 MB reads. No authentication, no index, no limits.
 * Run by run.ts: `node dist/bench/files/raw-copy.js <directory>`; prints {"url": ...} once listening.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MB = 1024 * 1024;
const dir = process.argv[2]!;
const fileOf = (url: string) => path.join(dir, encodeURIComponent(url.slice(1)));

async function put(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const tmp = path.join(dir, `tmp-${randomUUID()}`);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let pos = 0;
  await pipeline(req, new Writable({
    highWaterMark: MB,
    writev(chunks, done) {
      const bufs = chunks.map((c) => c.chunk as Buffer);
      for (const b of bufs) { md5.update(b); sha.update(b); }
      const total = bufs.reduce((n, b) => n + b.length, 0);
      fh.writev(bufs, pos).then(() => { pos += total; done(); }, done);
    },
  }));
  await fh.sync();
  await fh.close();
  await fsp.rename(tmp, fileOf(req.url!));
  const d = await fsp.open(dir, 'r');
  await d.sync();
  await d.close();
  res.writeHead(200, { etag: `"${md5.digest('hex')}"`, 'x-checksum-sha256': sha.digest('hex'), 'content-length': 0 }).end();
}

function get(req: http.IncomingMessage, res: http.ServerResponse): void {
  const file = fileOf(req.url!);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fs.statSync(file).size });
  fs.createReadStream(file, { highWaterMark: MB }).pipe(res);
}

const server = http.createServer((req, res) => {
  const fail = (err: unknown) => { if (!res.headersSent) res.writeHead(500).end(String(err)); else res.destroy(); };
  if (req.method === 'PUT') put(req, res).catch(fail);
  else if (req.method === 'GET') { try { get(req, res); } catch (err) { fail(err); } }
  else res.writeHead(405).end();
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${a.port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
