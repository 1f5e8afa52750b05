/**
 * Test harness: a real platform on port 0 with its own temporary data directory, and the first-start binding
 * key; or a real `ironbridge serve` child process for tests that kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { firstStart } from '../../src/platform/bootstrap.js';
import { createPlatform, type Platform } from '../../src/platform/platform.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin', 'ironbridge.js');

export interface Key {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
}

export interface TestServer {
  url: string;
  platform: Platform;
  config: Config;
  tenant: string;
  key: Key;
  /** A token of the first-start key (cached). */
  token(): Promise<string>;
  /** fetch against the server with the first-start key's bearer token unless headers say otherwise. */
  api(pathname: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'ironbridge-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function fetchToken(url: string, key: { clientId: string; clientSecret: string }): Promise<string> {
  const basic = Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64');
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function startServer(settings: Record<string, string | number> = {},
  options: { logger?: Logger } = {}): Promise<TestServer> {
  const dataDir = tempDir();
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', secretHashCost: 10, ...settings }, {});
  const platform = await createPlatform(config, { logger: options.logger ?? createLogger(config.logLevel) });
  const bound = await platform.listen();
  const first = await firstStart(platform);
  if (!first) throw new Error('fresh data directory expected');
  let cached: string | undefined;
  const server: TestServer = {
    url: bound,
    platform,
    config,
    tenant: first.tenant,
    key: first.key,
    async token() {
      cached ??= await fetchToken(bound, first.key);
      return cached;
    },
    async api(pathname, init = {}) {
      const headers = new Headers(init.headers);
      const token = init.token === undefined ? await server.token() : init.token;
      if (token !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      if (init.body !== undefined && typeof init.body === 'string' && !headers.has('content-type')) {
        headers.set('content-type', 'application/json');
      }
      return fetch(`${bound}${pathname}`, { ...init, headers });
    },
    async close() {
      await platform.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `ironbridge serve --port 0` (with `args`, e.g. --workers 2) as a child process and waits for its ready line. */
export async function spawnServer(dataDir: string, extraEnv: Record<string, string> = {}, args: string[] = []): Promise<ChildServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: { ...process.env, IRONBRIDGE_SECRET_HASH_COST: '10', IRONBRIDGE_LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /"url":"(http:\/\/[^"]+)".*Ironbridge is ready/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`server exited:\n${out}`)); });
  });
  return {
    url, child, output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI; resolves with exit code, stdout and stderr. */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, IRONBRIDGE_SECRET_HASH_COST: '10', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.end(options.input ?? '');
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
