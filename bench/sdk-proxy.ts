/**
 * Cost of the SDK on the request path, measured in one run against the same server: plain fetch with a bearer
 * token (reference), the SDK's authFetch, the typed client, and the API reverse proxy in front of the platform.
 * Run: npx tsc -p . && node dist/bench/sdk-proxy.js [requests] [concurrency]
 */
import http from 'node:http';
import { Authenticator, authFetch, createApiProxy, IronbridgeClient } from '@ironbridge/sdk';
import { startServer } from '../test/helpers/server.js';

const N = Number(process.argv[2] ?? 3000);
const C = Number(process.argv[3] ?? 16);
const PATH = '/api/tenantmanagement/v4/tenantInfo';

async function measure(name: string, call: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 200; i++) await call(); // warm-up
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: C }, async () => {
    while (next++ < N) await call();
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = N / seconds;
  process.stdout.write(`${name.padEnd(28)} ${rate.toFixed(0).padStart(7)} req/s\n`);
  return rate;
}

const s = await startServer();
const auth = new Authenticator({ tokenUrl: s.key.tokenUrl, clientId: s.key.clientId, clientSecret: s.key.clientSecret });
const token = await auth.getAccessToken();
const mw = createApiProxy({ target: s.url, auth });
const proxy = http.createServer((req, res) => mw(req, res));
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
const f = authFetch(auth, { baseUrl: s.url });
const client = new IronbridgeClient({ baseUrl: s.url, auth });

const ok = async (res: Response) => {
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
};
process.stdout.write(`${N} requests of GET ${PATH}, ${C} at a time, Node ${process.version}; round 1 warms up, round 2 counts\n`);
let rates: number[] = [];
for (const round of [1, 2]) {
  process.stdout.write(`round ${round}\n`);
  rates = [
    await measure('fetch + bearer (reference)', async () => ok(await fetch(`${s.url}${PATH}`, { headers: { authorization: `Bearer ${token}` } }))),
    await measure('sdk authFetch', async () => ok(await f(PATH))),
    await measure('sdk typed client', async () => { await client.tenants.tenantInfo(); }),
    await measure('through sdk api proxy', async () => ok(await fetch(`${proxyUrl}${PATH}`))),
  ];
}
const [direct, wrapped, typed, proxied] = rates as [number, number, number, number];
process.stdout.write(`ratios to reference (round 2): authFetch ${(wrapped / direct).toFixed(2)}, typed client ${(typed / direct).toFixed(2)}, proxy ${(proxied / direct).toFixed(2)}\n`);
proxy.close();
await s.close();
