/**
 * The floor for bench/gateway: the smallest node:http reverse proxy (keep-alive agent, piped bodies, no checks),
 * so the gateway's cost can be split into what Node's HTTP stack costs and what the gateway adds.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const backendPort = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const out = http.request({ hostname: '127.0.0.1', port: backendPort, path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  out.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(out);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
