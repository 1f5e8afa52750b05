/**
 * bench/gateway: proxied requests/s and added latency of the Ironbridge gateway against nginx proxying the same
 * backend on the same machine in the same run. The gateway path is a registered web app called with a bearer
 * token (full verification: cached signature check plus the revocation lookup on every request).
 * Also measures a bare node:http proxy (bare.ts) as the floor of what Node can do here.
 * Run: npx tsc -p . && node dist/bench/gateway/run.js [connections=32] [seconds=5]
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

async function load(url: string, host: string, auth: string) {
  const child = start(process.execPath, [path.join(here, 'load.js'), url, host, auth, String(connections), String(seconds * 1000)]);
  const m = await firstMatch(child, /(\{.*\})\n/);
  return JSON.parse(m[1]!) as { requests: number; rps: number; p50: number; p99: number; non2xx: number; errors: number };
}

async function main(): Promise<void> {
  const step = (m: string) => { if (process.env["BENCH_DEBUG"]) process.stderr.write(`${m}\n`); };
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (!nginx) throw new Error('nginx is not installed (apt-get install -y nginx-light)');
  const backendPort = Number((await firstMatch(start(process.execPath, [path.join(here, 'backend.js')]), /(\d+)\n/))[1]);

  step(`backend on ${backendPort}`);
  const barePort = Number((await firstMatch(start(process.execPath, [path.join(here, 'bare.js'), String(backendPort)]), /(\d+)\n/))[1]);
  const nginxPort = await freePort();
  fs.mkdirSync(path.join(tmp, 'nginx', 'logs'), { recursive: true });
  const conf = path.join(tmp, 'nginx', 'nginx.conf');
  fs.writeFileSync(conf, `worker_processes 1;
pid ${tmp}/nginx/nginx.pid;
error_log ${tmp}/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${tmp}/nginx/body; proxy_temp_path ${tmp}/nginx/proxy;
  fastcgi_temp_path ${tmp}/nginx/fcgi; uwsgi_temp_path ${tmp}/nginx/uwsgi; scgi_temp_path ${tmp}/nginx/scgi;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
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
  start(nginx, ['-p', path.join(tmp, 'nginx'), '-c', conf, '-g', 'daemon off;']);

  step('nginx started');
  const dataDir = path.join(tmp, 'data');
  const server = start(process.execPath, [...(process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean), path.join(root, 'bin', 'ironbridge.js'), 'serve', '--port', '0', '--data-dir', dataDir],
    { IRONBRIDGE_LOG_LEVEL: 'warn', IRONBRIDGE_SECRET_HASH_COST: '10' });
  const banner = await firstMatch(server, /clientID\s+(\S+)\n\s+clientSecret\s+(\S+)\n/);
  step('banner seen');
  const gatewayPort = Number((await waitForPort(server)));
  step(`gateway on ${gatewayPort}`);
  const gw = `http://127.0.0.1:${gatewayPort}`;
  const basic = Buffer.from(`${banner[1]}:${banner[2]}`).toString('base64');
  const tokenRes = await fetch(`${gw}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const reg = await fetch(`${gw}/api/gatewayregistry/v1/apps`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', target: `http://127.0.0.1:${backendPort}`, patterns: ['/**'] }) });
  if (reg.status !== 201) throw new Error(`registration failed: ${reg.status} ${await reg.text()}`);
  const appHost = `local-bench.local.localhost:${gatewayPort}`;

  // warm-up, then measure each target in turn
  await load(`http://127.0.0.1:${backendPort}/data`, `127.0.0.1:${backendPort}`, '');
  const direct = await load(`http://127.0.0.1:${backendPort}/data`, `127.0.0.1:${backendPort}`, '');
  // every target gets the same request, bearer header included (nginx and the bare proxy pass it on unchecked)
  const viaNginx = await load(`http://127.0.0.1:${nginxPort}/data`, `127.0.0.1:${nginxPort}`, `Bearer ${token}`);
  const viaBare = await load(`http://127.0.0.1:${barePort}/data`, `127.0.0.1:${barePort}`, `Bearer ${token}`);
  await load(`${gw}/data`, appHost, `Bearer ${token}`);
  const viaGateway = await load(`${gw}/data`, appHost, `Bearer ${token}`);

  const row = (name: string, r: typeof direct) =>
    `| ${name} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.p50 - direct.p50).toFixed(2)} | ${(r.p99 - direct.p99).toFixed(2)} | ${r.non2xx + r.errors} |`;
  process.stdout.write([
    `connections ${connections}, ${seconds} s per target, ${os.cpus().length} cores, node ${process.version}`,
    '',
    '| target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | failures |',
    '|---|---|---|---|---|---|---|',
    row('backend direct', direct),
    row('nginx proxy (1 worker)', viaNginx),
    row('bare node:http proxy (floor, no checks)', viaBare),
    row('ironbridge gateway (web app host, bearer verified)', viaGateway),
    '',
    `gateway / nginx throughput ratio: ${(viaGateway.rps / viaNginx.rps).toFixed(2)} (goal >= 0.50)`,
    `gateway / bare node proxy ratio: ${(viaGateway.rps / viaBare.rps).toFixed(2)}`,
    '',
  ].join('\n'));
}

function waitForPort(server: ChildProcess): Promise<string> {
  return firstMatch(server, /TokenURL\s+http:\/\/[^:]+:(\d+)\//).then((m) => m[1]!);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => fs.rmSync(tmp, { recursive: true, force: true }), 500);
}
