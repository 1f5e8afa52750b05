/**
 * Helpers of the time series benchmark (bench/timeseries.ts and its many-series shape): CPU time of a process,
 * a lean keep-alive HTTP client used alike for Ironbridge and InfluxDB, a bounded pool, the value generator.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/** User + system CPU milliseconds a process has used so far (Linux /proc; 100 clock ticks per second). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** A lean HTTP client for the ingest loops (pre-encoded bodies, keep-alive), the same for both engines. */
export function send(url: string, method: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `jobs` with at most `n` in flight. */
export async function pool(jobs: (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));
}

export function value(i: number, v: number): number {
  return Math.round(Math.sin(i / 100 + v) * 1e6) / 1e3;
}

