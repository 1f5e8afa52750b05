/**
 * The set-up both kill -9 tests share: a child server whose token issuer (the public URL) is pinned so tokens survive
 * the restart on another port, its first-start key (a 0600 file of the data directory, without a terminal), a
 * token, and an Asset Management helper that fails on any answer of 300 or more.
 */
import { fetchToken, firstStartSecrets, spawnServer, tempDir, type ChildServer } from '../helpers/server.js';

export const AM = '/api/assetmanagement/v3';
export const DURABLE_ENV = { IRONBRIDGE_PUBLIC_URL: 'http://ironbridge.test:8080' };

export interface DurableServer {
  dataDir: string;
  first: ChildServer;
  tenant: string;
  key: { clientId: string; clientSecret: string };
  token: string;
  headers: Record<string, string>;
  am(method: string, path: string, body: unknown, extra?: Record<string, string>): Promise<Record<string, unknown>>;
  root: { assetId: string };
}

export async function startDurable(): Promise<DurableServer> {
  const dataDir = tempDir();
  const first = await spawnServer(dataDir, DURABLE_ENV);
  const { key, tenant } = firstStartSecrets(dataDir);
  const token = await fetchToken(first.url, key);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const am = async (method: string, path: string, body: unknown, extra: Record<string, string> = {}) => {
    const res = await fetch(`${first.url}${AM}${path}`, { method, headers: { ...headers, ...extra }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const root = await (await fetch(`${first.url}${AM}/assets/root`, { headers })).json() as { assetId: string };
  return { dataDir, first, tenant, key, token, headers, am, root };
}

/**
 * Runs each job over and over until `end()`: a job that fails before then fails the test (end() rejects); one that
 * fails after it was in flight at the kill. `end()` waits for every loop and tells how many were in flight.
 */
export function loadLoops(jobs: readonly (() => Promise<void>)[]): { end(): Promise<number> } {
  let stop = false;
  let failed = 0;
  const loops = jobs.map(async (job) => {
    while (!stop) {
      try {
        await job();
      } catch (err) {
        if (!stop) throw err;
        failed++;
      }
    }
  });
  return { async end() { stop = true; await Promise.all(loops); return failed; } };
}
