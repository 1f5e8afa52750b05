/** The backend bench/gateway proxies to: answers every request with the same 1 KB JSON body, keep-alive. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({ data: 'x'.repeat(1000) });
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
