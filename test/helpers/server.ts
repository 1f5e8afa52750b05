/**
 * Test harness: a real platform on port 0 with its own temporary data directory, and the first-start binding
 * key; or a real `ironbridge serve` child process for tests that kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { firstStart } from '../../src/platform/bootstrap.js';
import { createPlatform, type Platform } from '../../src/platform/platform.js';

/**
 * Every child process a test starts: whatever a test does (a failed assertion before its cleanup included), they are
 * killed when the file's tests are done, so none keeps the runner waiting or outlives the run.
 */
const children = new Set<ChildProcess>();
/**
 * Only a test process registers the hook: a bench that imports this harness (bench/explorer.ts) would otherwise
 * start a node:test run of its own and print an empty TAP summary; it closes what it starts itself.
 */
const underTest = process.env.NODE_TEST_CONTEXT !== undefined || /\.test\.js$/.test(process.argv[1] ?? '');
if (underTest) {
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

/** Tracks a child until it exits (see `children`). */
export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

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

export interface ServerOptions {
  logger?: Logger;
  /** The clock of sign-in lifetimes (sessions, codes, back-off): a test moves it instead of sleeping. */
  now?: () => number;
}

/** A clock a test moves by hand: `const clock = testClock(); startServer({}, { now: clock.now }); clock.advance(1000)`. */
export function testClock(start = Date.now()): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

export async function startServer(settings: Record<string, string | number> = {}, options: ServerOptions = {}): Promise<TestServer> {
  const dataDir = tempDir();
  const config = loadConfig({ port: 0, dataDir, logLevel: 'silent', secretHashCost: 10, ...settings }, {});
  const platform = await createPlatform(config, { logger: options.logger ?? createLogger(config.logLevel), now: options.now });
  const bound = await platform.listen();
  const first = await firstStart(platform);
  if (!first) throw new Error('fresh data directory expected');
  platform.markReady();
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

/**
 * One server for the enclosing suite: started in `before`, closed in `after`. Returns a getter, because the server
 * exists only once the suite runs: `const s = useServer(); it('…', async () => { await s().api('/…'); })`.
 */
export function useServer(settings: Record<string, string | number> = {}, options: ServerOptions = {}): () => TestServer {
  let server: TestServer | undefined;
  before(async () => { server = await startServer(settings, options); });
  after(async () => { await server?.close(); });
  return () => {
    if (!server) throw new Error('useServer(): the server is used outside the suite that started it');
    return server;
  };
}

/** The first-start secrets a server started without a terminal wrote into its data directory (mode 0600). */
export function firstStartSecrets(dataDir: string): { tenant: string; admin: { email: string; password: string }; key: Key; curl: string } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'first-start-secrets.json'), 'utf8')) as ReturnType<typeof firstStartSecrets>;
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `ironbridge serve --port 0` (with `args`, e.g. --workers 2) as a child process and waits for its ready line;
 * `nodeArgs` are node flags of the child (a bench's BENCH_SERVER_NODE_ARGS, e.g. --cpu-prof).
 */
export async function spawnServer(dataDir: string, extraEnv: Record<string, string> = {}, args: string[] = [],
  nodeArgs: readonly string[] = []): Promise<ChildServer> {
  const child = trackChild(spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: { ...process.env, IRONBRIDGE_SECRET_HASH_COST: '10', IRONBRIDGE_LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // A server that does not start in time is killed first, so no process outlives the failed test.
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      void exited.then(() => reject(new Error(`server did not start:\n${out}`)));
    }, 30_000);
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
