/**
 * Helpers of the time series benchmark (bench/timeseries.ts and its many-series shape): CPU time of a process,
 * a lean keep-alive HTTP client used alike for Ironbridge and InfluxDB, a bounded pool, the value generator, and
 * the disk bytes of both (SQLite after a WAL checkpoint, InfluxDB after its compaction), and the `ironbridge serve`
 * child every HTTP bench measures; and what a run owns (children, temp dirs), undone when it ends or crashes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
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

/**
 * A lean HTTP client for the ingest loops (pre-encoded bodies, keep-alive), the same for both engines.
 * A kept-alive socket the server closed while this process was busy (a phase that blocks the event loop past the
 * server's idle timeout, so node's own expiry timer could not run) fails with "socket hang up" as it is reused:
 * such a request is sent again on another socket (node's documented pattern; the writes are idempotent), at most
 * once per socket the agent can hold.
 */
export async function send(url: string, method: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendOnce(url, method, body, headers);
    } catch (err) {
      if (!(err as { reusedSocket?: boolean }).reusedSocket || attempt > agent.maxSockets) throw err;
    }
  }
}

function sendOnce(url: string, method: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(Object.assign(err, { reusedSocket: req.reusedSocket && err.code === 'ECONNRESET' }));
    });
    req.end(body);
  });
}

/**
 * What a bench run leaves behind, undone however it ends: child processes (stopped, SIGKILL after 10 s) and then
 * temporary directories (removed). cleanUp() runs at the end of a run and from the crash handler.
 */
const children: ChildProcess[] = [];
const dirs: string[] = [];
export function ownChild(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}
export function ownDir(dir: string): string {
  dirs.push(dir);
  return dir;
}
export async function cleanUp(): Promise<void> {
  await Promise.all(children.splice(0).map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  })));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
/** Runs a bench's main: on failure prints the error, cleans up and exits 1; Ctrl-C cleans up too. */
export function runBench(main: () => Promise<void>): void {
  const fail = (err: unknown, code: number) => {
    if (err !== undefined) console.error(err);
    void cleanUp().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => fail(undefined, 130));
  process.once('SIGTERM', () => fail(undefined, 143));
  main().then(cleanUp).catch((err: unknown) => fail(err, 1));
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


/** Bytes of the files under a directory (0 when it does not exist). */
export function dirBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return n;
}

/** Bytes of a SQLite database and its WAL after a TRUNCATE checkpoint (through a connection of our own). */
export function sqliteBytes(file: string): number {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  return size(file) + size(`${file}-wal`);
}

/**
 * Bytes of an InfluxDB database (TSM shards and WAL) once its cache is snapshotted and fully compacted: waits
 * (bounded, 120 s) until the WAL holds no segment data and no compaction is under way, and the size is stable.
 */
export async function influxBytes(dir: string, db: string): Promise<number> {
  // The shards (TSM files, field index) of the default retention policy; not the database's series file, which
  // InfluxDB preallocates (8 sparse segments of 4 MiB, whatever the data).
  const data = path.join(dir, 'data', db, 'autogen');
  const wal = path.join(dir, 'wal', db);
  const busy = (d: string): boolean => fs.existsSync(d) && fs.readdirSync(d, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? busy(path.join(d, e.name)) : e.name.endsWith('.tmp'));
  let last = -1;
  for (let i = 0; i < 240; i++) {
    const total = dirBytes(data) + dirBytes(wal);
    const walData = dirBytes(wal);
    const tsm = fs.existsSync(data) ? countTsm(data) : 0;
    if (walData === 0 && !busy(data) && tsm <= 1 && total === last) return total;
    last = total;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

function countTsm(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countTsm(path.join(dir, e.name));
    else if (e.name.endsWith('.tsm')) n++;
  }
  return n;
}

/**
 * Starts `ironbridge serve` (bin) as a child on a free port and a data dir, with BENCH_SERVER_NODE_ARGS (e.g.
 * --cpu-prof), and waits until it answers /health and has written its first-start secrets. A bench that fails
 * leaves no server behind.
 */
export async function startServe(bin: string, dataDir: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const nodeArgs = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = ownChild(spawn(process.execPath, [...nodeArgs, bin, 'serve', '--port', String(port), '--data-dir', dataDir], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] }));
  process.once('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).status === 200 && fs.existsSync(path.join(dataDir, 'first-start-secrets.json'))) break;
    } catch { /* not up yet */ }
    if (i === 600) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url };
}
