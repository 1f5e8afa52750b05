/**
 * Throughput of file storage on the embedded store, measured in one run on one disk: upload and download of a
 * 10 MB and a 1 GB object through the gateway (PUT/GET /api/datalake/v3/objects; 1 GB goes up as a multipart
 * upload of 100 MB parts, the per-request limit) and through signed URLs (one PUT, one GET), beside two raw copies
 * of the same file on the same disk: `cp` followed by `sync` (every upload is fsynced), and a streaming copy of
 * equal semantics (raw-copy.ts: a bare node:http server in its own process that reads the socket, hashes MD5 and
 * SHA-256, writes, fsyncs and renames; and streams the file back); and nginx (nginx.ts: sendfile GET, WebDAV PUT
 * without hash or fsync), what moving the bytes over HTTP alone costs. Every transfer's client is curl (see curl()).
 * The server runs as its own process (`ironbridge serve`); its peak resident memory during each case is read from
 * /proc (VmHWM, reset before the case), so the client's buffers do not count. Each rate is given against `cp`, `cp` +
 * `sync`, the streaming copy and nginx in the same direction; with runs > 1 every case (the references too) runs
 * that often, interleaved, and the median is reported, since the machine may be shared.
 * Beside each rate: the CPU time (user + system, all threads, from /proc/{pid}/stat) the serving process spent per
 * GB in that case: the server, the streaming copy's process, nginx's worker, or `cp` and `sync` (the bench's reaped children).
 * Under a shared machine's load this is steadier than the wall-clock rate.
 * BENCH_SERVER_NODE_ARGS: node flags of the server child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it;
 * with `--trace-gc` each server case also gives the server's mark-compacts (full collections) per GB.
 * BENCH_THREADS=1: under each line of the server and the streaming copy, the CPU s/GB of each of its threads
 * (user + system from /proc/{pid}/task; "main" is the event loop, the others by thread id in start order).
 * BENCH_ONLY=<regular expression>: only the cases whose names match run (e.g. `upload`); the others print "skipped".
 * Run: npx tsc -p . && node dist/bench/files/run.js [sizes in MB, default 10,1024] [runs, default 1]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchToken, runCli, spawnServer, tempDir } from '../../test/helpers/server.js';
import { startNginx } from './nginx.js';

const MB = 1024 * 1024;
/** The gateway's part size for objects above it (its per-request limit is 100 MB). */
const PART = 100 * MB;
const sizes = (process.argv[2] ?? '10,1024').split(',').map((x) => Number(x) * MB);
const runs = Math.max(1, Number(process.argv[3] ?? 1));
const work = tempDir('ironbridge-bench-files-');
const dataDir = path.join(work, 'data');
const server = await spawnServer(dataDir, {}, [], (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean));
const pid = server.child.pid!;
const made = await runCli(['keys', 'create', '--tenant', 'local', '--name', 'bench', '--json', '--data-dir', dataDir]);
const key = JSON.parse(made.stdout) as { clientId: string; clientSecret: string };
const token = await fetchToken(server.url, key);
const DL = `${server.url}/api/datalake/v3`;
const rawDir = path.join(work, 'raw');
fs.mkdirSync(rawDir);
const raw = spawn(process.execPath, [fileURLToPath(new URL('./raw-copy.js', import.meta.url)), rawDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const RAW = await new Promise<string>((resolve, reject) => {
  raw.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { url: string }).url));
  raw.once('exit', (code) => reject(new Error(`raw-copy exited with ${code}`)));
});

const nginx = await startNginx(work);
const status = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
function resetPeak(): number {
  try { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); } catch { /* not Linux or not allowed: growth is then since start */ }
  return status('VmRSS');
}

/** A JSON call on a connection of its own, so no idle keep-alive socket the server is closing gets reused. */
function json(method: string, url: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * The client of every transfer, the references' included: curl, in a process of its own, as a user (or a script)
 * would move a file, so that the bench's own process is not what limits a case. (Measured: a node:http client piping
 * a 1 GB download into a file took 2.5 s of its own where curl took 1.1 s, as long as `cp` of the file; uploads and
 * downloads through node:http ran at 160–180 MB/s where curl reached 290–350 MB/s.) A body comes from a file
 * (`-T`; a multipart part from a part file cut before the case), an answer goes to a file; `Expect:` is sent empty
 * so no body waits for a 100-continue.
 */
function curl(args: string[], auth: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('curl', ['-sS', '--fail-with-body', '-o', args[0] === '-T' ? '/dev/null' : args[1]!,
      ...(auth ? ['-H', `authorization: Bearer ${token}`] : []), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`curl ${args.join(' ')}: exit ${code} ${err}`))));
  });
}
const put = (url: string, file: string, auth: boolean) =>
  curl(['-T', file, '-H', 'Expect:', '-H', 'content-type: application/octet-stream', url], auth);
const get = (url: string, out: string, auth: boolean) => curl(['-o', out, url], auth);

/** CPU seconds of a process (its threads included), or with `children` of its reaped children, from /proc. */
function cpuOf(of: number | 'children'): number {
  const stat = fs.readFileSync(`/proc/${of === 'children' ? 'self' : of}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  const [u, s] = of === 'children' ? [f[13], f[14]] : [f[11], f[12]];
  return (Number(u) + Number(s)) / TICKS;
}
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Full collections the server reported so far (only with `--trace-gc` in BENCH_SERVER_NODE_ARGS). */
const markCompacts = () => server.output().split('Mark-Compact').length - 1;
const tracingGc = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').includes('--trace-gc');

/** CPU seconds (user, system) of each thread of a process, by thread id. */
function threadsOf(of: number | 'children'): Map<number, [number, number]> {
  const m = new Map<number, [number, number]>();
  if (of === 'children' || !tracingThreads) return m;
  for (const tid of fs.readdirSync(`/proc/${of}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${of}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(Number(tid), [Number(f[11]) / TICKS, Number(f[12]) / TICKS]);
    } catch { /* the thread ended */ }
  }
  return m;
}
const tracingThreads = process.env['BENCH_THREADS'] === '1';
const only = process.env['BENCH_ONLY'] ? new RegExp(process.env['BENCH_ONLY']) : undefined;

type Result = { seconds: number; peakGrowth: number; cpu: number; gcs: number; threads: Map<number, [number, number]>; pid: number | 'children' };
async function timed(fn: () => Promise<void> | void, cpuOfCase: number | 'children'): Promise<Result> {
  // every case starts with nothing dirty in the page cache, so none pays for the writeback of the one before it
  // (the downloads leave 1 GB each, `cp` as much: 1 GB copies ran at 330–3,100 MB/s by what came before)
  execFileSync('sync');
  const base = resetPeak();
  const cpu0 = cpuOf(cpuOfCase);
  const threads0 = threadsOf(cpuOfCase);
  const gc0 = markCompacts();
  const t = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const threads = threadsOf(cpuOfCase);
  for (const [tid, [u, s]] of threads) {
    const [u0, s0] = threads0.get(tid) ?? [0, 0];
    threads.set(tid, [u - u0, s - s0]);
  }
  return { seconds, peakGrowth: status('VmHWM') - base, cpu: cpuOf(cpuOfCase) - cpu0, gcs: markCompacts() - gc0, threads, pid: cpuOfCase };
}

/** The threads of the last run of a case that used over 0.05 s/GB: "main u+s", then "tid u+s" in start order. */
function threadLine(size: number, r: Result): string {
  const gb = size / 1024 / MB;
  const parts = [...r.threads].sort(([a], [b]) => a - b)
    .filter(([, [u, s]]) => (u + s) / gb > 0.05)
    .map(([tid, [u, s]]) => `${tid === r.pid ? 'main' : tid} ${(u / gb).toFixed(2)}+${(s / gb).toFixed(2)}`);
  return `    threads (user+system s/GB): ${parts.join(', ')}\n`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Refs = { cp?: number; sync?: number; stream?: number; nginx?: number };
const line = (name: string, size: number, rs: Result[], refs: Refs = {}, cpuIsServer = false) => {
  if (rs.length === 0) {
    process.stdout.write(`${name.padEnd(46)} skipped (BENCH_ONLY, or no nginx)\n`);
    return undefined;
  }
  const rate = median(rs.map((r) => size / MB / r.seconds));
  const ratio = (ref: number | undefined, what: string) => (ref ? `  ${(rate / ref).toFixed(2).padStart(5)} of ${what}` : ' '.repeat(9 + what.length));
  const out = `${name.padEnd(46)} ${rate.toFixed(0).padStart(6)} MB/s${ratio(refs.cp, 'cp')}${ratio(refs.sync, 'cp + sync')}${ratio(refs.stream, 'stream copy')}${ratio(refs.nginx, 'nginx')}`
    + `  CPU ${median(rs.map((r) => r.cpu / (size / 1024 / MB))).toFixed(2).padStart(5)} s/GB`
    + `  server RSS +${(Math.max(0, ...rs.map((r) => r.peakGrowth)) / MB).toFixed(0)} MB`
    + (tracingGc && cpuIsServer ? `  ${median(rs.map((r) => r.gcs / (size / 1024 / MB))).toFixed(1)} mark-compacts/GB` : '');
  process.stdout.write(`${out}\n`);
  if (tracingThreads && rs.at(-1)!.threads.size) process.stdout.write(threadLine(size, rs.at(-1)!));
  return rate;
};

const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
process.stdout.write(`Node ${process.version}, ${work} on ${execFileSync('df', ['--output=source', work]).toString().split('\n')[1]}, ${runs} run(s), load average ${load()}\n`);
for (const size of sizes) {
  const label = size >= 1024 * MB ? `${size / 1024 / MB} GB` : `${size / MB} MB`;
  const src = path.join(work, `source-${size}`);
  const chunk = Buffer.alloc(MB);
  for (let i = 0; i < MB; i++) chunk[i] = (i * 31) & 0xff;
  const fd = fs.openSync(src, 'w');
  for (let i = 0; i < size / MB; i++) { chunk[0] = i & 0xff; fs.writeSync(fd, chunk); }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  // the multipart upload's parts as files of their own (curl sends a whole file), cut before any case runs
  const parts: string[] = [];
  for (let start = 0; size > PART && start < size; start += PART) {
    const part = `${src}.part${parts.length + 1}`;
    const pfd = fs.openSync(part, 'w');
    const len = Math.min(PART, size - start);
    for (let k = 0; k < len / MB; k++) { chunk[0] = (start / MB + k) & 0xff; fs.writeSync(pfd, chunk); }
    fs.fsyncSync(pfd);
    fs.closeSync(pfd);
    parts.push(part);
  }
  process.stdout.write(`\n${label}\n`);
  const gwPath = `bench/gateway-${size}.bin`;
  const signedPath = `bench/signed-${size}.bin`;
  const up = (await json('POST', `${DL}/generateUploadObjectUrls`, { paths: [{ path: signedPath }] })).objectUrls[0].signedUrl as string;
  const down = (await json('POST', `${DL}/generateDownloadObjectUrls`, { paths: [{ path: signedPath }] })).objectUrls[0].signedUrl as string;
  const cases: Array<[string, () => Promise<void> | void]> = [
    ['cp (reference)', () => { execFileSync('cp', [src, `${src}.cp`]); }],
    ['cp + sync', () => { execFileSync('cp', [src, `${src}.cp2`]); execFileSync('sync', [`${src}.cp2`]); }],
    ['stream copy up (socket, hash, write, fsync)', () => put(`${RAW}/up-${size}`, src, false)],
    ['stream copy down (file to socket)', () => get(`${RAW}/up-${size}`, `${src}.down0`, false)],
    ['nginx up (WebDAV PUT: no hash, no fsync)', () => put(`${nginx!.url}/up-${size}`, src, false)],
    ['nginx down (sendfile)', () => get(`${nginx!.url}/up-${size}`, `${src}.down3`, false)],
    [size <= PART ? 'upload through the gateway' : 'upload through the gateway (100 MB parts, 2 at a time)', async () => {
      if (size <= PART) { await put(`${DL}/objects/${gwPath}`, src, true); return; }
      // Two parts in flight, as S3 clients send concurrent parts: the server makes one durable while it receives
      // the other.
      const { uploadId } = await json('POST', `${DL}/multipart`, { path: gwPath });
      let next = 0;
      const sender = async () => {
        for (let n = next++; n < parts.length; n = next++) await put(`${DL}/multipart/${uploadId}/parts/${n + 1}`, parts[n]!, true);
      };
      await Promise.all([sender(), sender()]);
      await json('POST', `${DL}/multipart/${uploadId}/complete`, {});
    }],
    ['download through the gateway', () => get(`${DL}/objects/${gwPath}`, `${src}.down1`, true)],
    ['upload to a signed URL', () => put(up, src, false)],
    ['download from a signed URL', () => get(down, `${src}.down2`, false)],
  ];
  const results = cases.map(() => [] as Result[]);
  const cpuPid = (i: number) => (i < 2 ? 'children' as const : i < 4 ? raw.pid! : i < 6 ? nginx!.workerPid : pid);
  for (let r = 0; r < runs; r++) {
    for (const [i, [name, fn]] of cases.entries()) {
      if ((only && !only.test(name)) || (!nginx && name.startsWith('nginx'))) continue;
      results[i]!.push(await timed(fn, cpuPid(i)).catch((err: unknown) => {
        process.stderr.write(`${name} failed; the server's last output:\n${server.output().slice(-3000)}\n`);
        throw err;
      }));
    }
    fs.rmSync(`${src}.cp`, { force: true });
    fs.rmSync(`${src}.cp2`, { force: true });
  }
  const cp = line(cases[0]![0], size, results[0]!);
  const sync = line(cases[1]![0], size, results[1]!, { cp });
  const streamUp = line(cases[2]![0], size, results[2]!, { cp, sync });
  const streamDown = line(cases[3]![0], size, results[3]!, { cp, sync });
  const nginxUp = line(cases[4]![0], size, results[4]!, { cp, sync });
  const nginxDown = line(cases[5]![0], size, results[5]!, { cp, sync });
  for (let i = 6; i < cases.length; i++) {
    const up = cases[i]![0].startsWith('upload');
    line(cases[i]![0], size, results[i]!, { cp, sync, stream: up ? streamUp : streamDown, nginx: up ? nginxUp : nginxDown }, true);
  }
  for (const f of [`${src}.down0`, `${src}.down1`, `${src}.down2`, `${src}.down3`]) {
    if (!fs.existsSync(f)) continue;
    if (fs.statSync(f).size !== size) throw new Error(`${f} has ${fs.statSync(f).size} bytes, not ${size}`);
    fs.rmSync(f);
  }
  for (const part of parts) fs.rmSync(part);
  fs.rmSync(src);
}
process.stdout.write(`\nload average at the end ${load()}\n`);
await server.stop();
raw.kill('SIGTERM');
nginx?.stop();
fs.rmSync(work, { recursive: true, force: true });
