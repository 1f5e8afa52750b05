/**
 * What the MQTT tests against a broker or a server child process share: the machine's mosquitto (or one of our own
 * on a free port when it is down) and the authorised API of an `ironbridge serve` child started on a data dir.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fetchToken, firstStartSecrets, trackChild } from '../helpers/server.js';
import type { ApiServer } from './helpers.js';

export function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

/** The machine's mosquitto, or one of our own on a free port. */
export async function brokerPort(): Promise<number> {
  if (await reachable(1883)) return 1883;
  const free = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => { const p = (srv.address() as net.AddressInfo).port; srv.close(() => resolve(p)); });
  });
  trackChild(spawn('mosquitto', ['-p', String(free)], { stdio: 'ignore' }));
  for (let i = 0; i < 100 && !(await reachable(free)); i++) await new Promise((r) => setTimeout(r, 50));
  return free;
}

/** The API of a server child: the first-start key of its data dir, its token, and a fetch that sends it. */
export async function apiOf(url: string, dataDir: string): Promise<ApiServer> {
  const { key, tenant } = firstStartSecrets(dataDir);
  const token = await fetchToken(url, key);
  return { url, tenant, api: (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const t = init.token === undefined ? token : init.token;
    if (t !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${t}`);
    if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${url}${path}`, { ...init, headers });
  } };
}
