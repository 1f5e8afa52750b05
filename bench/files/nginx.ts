/**
 * nginx as a reference of bench/files: the HTTP server operators know, on a free loopback port with a root in the
 * bench's work directory, one worker, `sendfile on` for GET and the WebDAV module's PUT (nginx-light has it) for
 * uploads. It hashes nothing and fsyncs nothing (a PUT body goes to a temporary file, renamed into place), so it
 * is what moving the bytes over HTTP alone costs on this machine: neither durable nor checksummed as the data lake
 * contract requires. Undefined when nginx is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Nginx { url: string; root: string; workerPid: number; stop(): void }

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startNginx(work: string): Promise<Nginx | undefined> {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (!bin) return undefined;
  const dir = path.join(work, 'nginx');
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(dir, 'body'), { recursive: true });
  fs.mkdirSync(root, { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  // run as root (the bench's machines), the worker must be able to write the root; otherwise `user` is ignored
  fs.writeFileSync(conf, `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  client_max_body_size 0;
  client_body_temp_path ${dir}/body;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { dav_methods PUT; create_full_put_path on; }
  }
}
`);
  const test = spawnSync(bin, ['-t', '-p', dir, '-c', conf], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx config: ${test.stderr}`);
  const master = spawn(bin, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  // the worker does the transfers: its CPU is the case's
  let workerPid = 0;
  for (let i = 0; i < 200 && !workerPid; i++) {
    await new Promise((r) => setTimeout(r, 25));
    try { workerPid = Number(fs.readFileSync(`/proc/${master.pid}/task/${master.pid}/children`, 'utf8').trim().split(' ')[0]) || 0; } catch { /* not yet */ }
  }
  if (!workerPid) { master.kill('SIGTERM'); throw new Error('nginx started no worker'); }
  return { url: `http://127.0.0.1:${port}`, root, workerPid, stop: () => { master.kill('SIGTERM'); } };
}
