/**
 * The floor for bench/gateway: the smallest reverse proxy on the gateway's own stack (a node:http server, an undici
 * pool to the backend, streamed bodies, no checks), so the gateway's cost splits into what the stack costs and what
 * the gateway's checks add.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const backendPort = Number(process.argv[2]);
const pool = new Pool(`http://127.0.0.1:${backendPort}`, { connections: 256 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
const server = http.createServer((req, res) => {
  const headers: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!HOP.has(req.rawHeaders[i]!.toLowerCase())) headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  pool.dispatch({ path: req.url ?? '/', method: req.method ?? 'GET', headers, body: req.method === 'GET' ? null : req }, {
    onRequestStart() { /* nothing to keep */ },
    onResponseStart(_c, status, h) {
      const out: string[] = [];
      for (const k in h) if (!HOP.has(k)) out.push(k, String(h[k]));
      res.writeHead(status, out);
    },
    onResponseData(c, chunk) { if (!res.write(chunk)) { c.pause(); res.once('drain', () => c.resume()); } },
    onResponseEnd() { res.end(); },
    onResponseError() { if (!res.headersSent) res.statusCode = 502; res.end(); },
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
