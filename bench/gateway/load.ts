/**
 * Closed-loop HTTP load generator for bench/gateway: `connections` keep-alive connections each send the next
 * request when the previous answer arrives, for `durationMs`. Prints one JSON line: requests, rps, latency
 * percentiles (ms), non-2xx and errors. Runs as its own process so it does not share the measured event loop.
 */
import http from 'node:http';

const [url, host, auth, connectionsArg, durationArg] = process.argv.slice(2);
if (!url || !host || auth === undefined || !connectionsArg || !durationArg) {
  process.stderr.write('usage: load.js URL HOST AUTH CONNECTIONS DURATION_MS\n');
  process.exit(2);
}
const target = new URL(url);
const connections = Number(connectionsArg);
const durationMs = Number(durationArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const latencies: number[] = [];
let non2xx = 0;
let errors = 0;
const end = Date.now() + durationMs;
const headers: Record<string, string> = { host };
if (auth) headers['authorization'] = auth;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ hostname: target.hostname, port: target.port, path: target.pathname + target.search, agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if ((res.statusCode ?? 0) >= 300) non2xx++;
        resolve();
      });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end();
  });
}

async function worker(): Promise<void> {
  while (Date.now() < end) await one();
}

const started = Date.now();
await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ requests: latencies.length, rps: latencies.length / elapsed, p50: pct(50), p99: pct(99), non2xx, errors })}\n`);
agent.destroy();
