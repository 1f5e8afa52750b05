/**
 * bench/gateway: proxied requests/s, added latency and CPU per request of the Ironbridge gateway against nginx
 * proxying the same backend on the same machine in the same run. The gateway path is a registered web app called
 * with a bearer token (full verification: cached signature check plus the revocation check on every request).
 * Also measures a bare proxy on the gateway's own stack (bare.ts: node:http server + undici pool, no checks) as the
 * floor of what Node can do here. Each target is loaded by two generators in turn: wrk (C, when installed: Debian's
 * `wrk`) and a Node closed-loop client (load.ts); the Node client saturates before nginx does, wrk does not.
 * `workers` runs nginx with that many worker processes and the gateway with `--workers` (same count).
 * Run: npx tsc -p . && node dist/bench/gateway/run.js [connections=32] [seconds=5] [workers=1]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const connections = Number(process.argv[2] ?? 32);
const seconds = Number(process.argv[3] ?? 5);
const workers = Number(process.argv[4] ?? 1);
const wrk = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => fs.existsSync(p));
const children: ChildProcess[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ironbridge-bench-'));

function start(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

const outputs = new WeakMap<ChildProcess, { text: string }>();

/** Resolves with the first match of `re` in everything the child has printed so far or prints later. */
function firstMatch(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  let out = outputs.get(child);
  if (!out) {
    const o = { text: '' };
    outputs.set(child, o);
    child.stdout!.on('data', (d: Buffer) => { o.text += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { o.text += d.toString(); });
    out = o;
  }
  const buf = out;
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(buf.text);
      if (!m) return false;
      child.stdout!.off('data', check);
      resolve(m);
      return true;
    };
    if (check()) return;
    child.stdout!.on('data', check);
    child.once('exit', () => { if (!check()) reject(new Error(`exited early:\n${buf.text}`)); });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Result { requests: number; rps: number; p50: number; p99: number; failures: number; cpuUsPerRequest?: number }

/** CPU time (ms) used so far by a process and all its descendants (nginx workers, gateway workers). */
function cpuMs(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 100 Hz ticks
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        for (const child of fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) visit(Number(child));
      }
    } catch { /* exited meanwhile */ }
  };
  visit(pid);
  return total;
}

async function nodeLoad(url: string, host: string, auth: string): Promise<Result> {
  const child = start(process.execPath, [path.join(here, 'load.js'), url, host, auth, String(connections), String(seconds * 1000)]);
  const m = await firstMatch(child, /(\{.*\})\n/);
  const r = JSON.parse(m[1]!) as { requests: number; rps: number; p50: number; p99: number; non2xx: number; errors: number };
  return { requests: r.requests, rps: r.rps, p50: r.p50, p99: r.p99, failures: r.non2xx + r.errors };
}

async function wrkLoad(url: string, host: string, auth: string): Promise<Result> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`];
  if (auth) args.push('-H', `Authorization: ${auth}`);
  const child = start(wrk!, [...args, url]);
  await firstMatch(child, /Transfer\/sec/);
  const text = outputs.get(child)!.text;
  if (process.env["BENCH_DEBUG"]) process.stderr.write(`${url}\n${text}\n`);
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (!m) throw new Error(`wrk printed no ${label}% latency:\n${text}`);
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const requests = Number(/(\d+) requests in/.exec(text)![1]);
  const failures = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0)
    + [...text.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
  return { requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)![1]), p50: ms('50'), p99: ms('99'), failures };
}

/** One measurement; with `pid`, also the CPU the proxy (and its children) spent per request. */
async function measure(generator: 'wrk' | 'node', url: string, host: string, auth: string, pid?: number): Promise<Result> {
  const before = pid === undefined ? 0 : cpuMs(pid);
  const r = generator === 'wrk' ? await wrkLoad(url, host, auth) : await nodeLoad(url, host, auth);
  if (pid !== undefined) r.cpuUsPerRequest = ((cpuMs(pid) - before) * 1000) / r.requests;
  return r;
}

async function main(): Promise<void> {
  const step = (m: string) => { if (process.env["BENCH_DEBUG"]) process.stderr.write(`${m}\n`); };
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (!nginx) throw new Error('nginx is not installed (apt-get install -y nginx-light)');
  const backendPort = Number((await firstMatch(start(process.execPath, [path.join(here, 'backend.js')]), /(\d+)\n/))[1]);

  step(`backend on ${backendPort}`);
  const bare = start(process.execPath, [path.join(here, 'bare.js'), String(backendPort)]);
  const barePort = Number((await firstMatch(bare, /(\d+)\n/))[1]);
  const nginxPort = await freePort();
  fs.mkdirSync(path.join(tmp, 'nginx', 'logs'), { recursive: true });
  const conf = path.join(tmp, 'nginx', 'nginx.conf');
  fs.writeFileSync(conf, `worker_processes ${workers};
pid ${tmp}/nginx/nginx.pid;
error_log ${tmp}/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${tmp}/nginx/body; proxy_temp_path ${tmp}/nginx/proxy;
  fastcgi_temp_path ${tmp}/nginx/fcgi; uwsgi_temp_path ${tmp}/nginx/uwsgi; scgi_temp_path ${tmp}/nginx/scgi;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${nginxPort};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`);
  const test = spawnSync(nginx, ['-t', '-p', path.join(tmp, 'nginx'), '-c', conf], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx config: ${test.stderr}`);
  const nginxProcess = start(nginx, ['-p', path.join(tmp, 'nginx'), '-c', conf, '-g', 'daemon off;']);

  step('nginx started');
  const dataDir = path.join(tmp, 'data');
  const gatewayPort = await freePort();
  const server = start(process.execPath, [...(process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean), path.join(root, 'bin', 'ironbridge.js'), 'serve', '--port', String(gatewayPort), '--data-dir', dataDir,
    ...(workers > 1 ? ['--workers', String(workers)] : [])],
    { IRONBRIDGE_LOG_LEVEL: 'warn', IRONBRIDGE_SECRET_HASH_COST: '10' });
  // the first start's key is written to the data directory (not printed when stdout is not a terminal), after the
  // server listens and its bootstrap ran
  const { key } = await readJsonFile(path.join(dataDir, 'first-start-secrets.json')) as
    { key: { clientId: string; clientSecret: string } };
  step(`gateway on ${gatewayPort}`);
  const gw = `http://127.0.0.1:${gatewayPort}`;
  const basic = Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64');
  const tokenRes = await fetch(`${gw}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const reg = await fetch(`${gw}/api/gatewayregistry/v1/apps`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', target: `http://127.0.0.1:${backendPort}`, patterns: ['/**'] }) });
  if (reg.status !== 201) throw new Error(`registration failed: ${reg.status} ${await reg.text()}`);
  const appHost = `local-bench.local.localhost:${gatewayPort}`;

  const nginxVersion = spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '');
  const lines = [`connections ${connections}, ${seconds} s per target, ${workers} worker(s) for nginx and the gateway, `
    + `${os.cpus().length} cores, node ${process.version}, ${nginxVersion}, load average before: ${os.loadavg()[0]!.toFixed(2)}`, ''];
  for (const generator of wrk ? ['wrk', 'node'] as const : ['node'] as const) {
    const run = (url: string, host: string, auth: string, pid?: number) => measure(generator, url, host, auth, pid);
    // warm-up (JIT, pools), then each target in turn; every proxy gets the same request, bearer header included
    // (nginx and the bare proxy pass it on unchecked)
    await run(`http://127.0.0.1:${backendPort}/data`, `127.0.0.1:${backendPort}`, '');
    await run(`${gw}/data`, appHost, `Bearer ${token}`);
    const direct = await run(`http://127.0.0.1:${backendPort}/data`, `127.0.0.1:${backendPort}`, '');
    const viaNginx = await run(`http://127.0.0.1:${nginxPort}/data`, `127.0.0.1:${nginxPort}`, `Bearer ${token}`, nginxProcess.pid);
    const viaBare = await run(`http://127.0.0.1:${barePort}/data`, `127.0.0.1:${barePort}`, `Bearer ${token}`, bare.pid);
    const viaGateway = await run(`${gw}/data`, appHost, `Bearer ${token}`, server.pid);
    const row = (name: string, r: Result) =>
      `| ${name} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.p50 - direct.p50).toFixed(2)} | `
      + `${(r.p99 - direct.p99).toFixed(2)} | ${r.cpuUsPerRequest === undefined ? '' : r.cpuUsPerRequest.toFixed(1)} | ${r.failures} |`;
    lines.push(
      `load generator: ${generator === 'wrk' ? 'wrk, 1 thread' : 'Node closed-loop client (load.ts)'}`,
      '',
      '| target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | proxy CPU µs/request | failures |',
      '|---|---|---|---|---|---|---|---|',
      row('backend direct', direct),
      row(`nginx proxy (${workers} worker${workers > 1 ? 's' : ''})`, viaNginx),
      row('bare Node proxy (1 process, node:http + undici, no checks)', viaBare),
      row('ironbridge gateway (web app host, bearer verified)', viaGateway),
      '',
      `gateway / nginx throughput ratio: ${(viaGateway.rps / viaNginx.rps).toFixed(2)} (goal >= 0.50)`,
      `gateway / bare Node proxy throughput ratio: ${(viaGateway.rps / viaBare.rps).toFixed(2)}`,
      `nginx / gateway CPU per request: ${(viaGateway.cpuUsPerRequest! / viaNginx.cpuUsPerRequest!).toFixed(1)}x less for nginx`,
      '',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Waits up to 60 s for `file` to hold a whole JSON document and returns it. */
async function readJsonFile(file: string): Promise<unknown> {
  for (let i = 0; i < 600; i++) {
    try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error(`${file} did not appear within 60 s`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => fs.rmSync(tmp, { recursive: true, force: true }), 500);
}
