/**
 * A long-running CLI child (e.g. `ironbridge dev-proxy --json`) whose first JSON line that `isReady` accepts announces
 * it is ready. A child that exits, or is not ready in time, is killed and waited for before the promise rejects, so a
 * failed start never leaves a process behind that keeps the test runner alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, trackChild } from './server.js';

export interface RunningChild<T> {
  child: ChildProcess;
  ready: T;
  output: () => string;
  stop(): Promise<number | null>;
}

/** The error of a child that did not become ready; `pid` is the process, already gone. */
export class ChildNotReady extends Error {
  constructor(message: string, readonly pid: number | undefined) {
    super(message);
  }
}

export async function startCliChild<T>(args: string[], env: Record<string, string | undefined> = {},
  isReady: (line: Record<string, unknown>) => boolean = () => true, options: { timeoutMs?: number; nodeArgs?: readonly string[] } = {}): Promise<RunningChild<T>> {
  const child = trackChild(spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    env: { ...process.env, NO_UPDATE_NOTIFIER: '1', HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const ready = await new Promise<T>((resolve, reject) => {
    const fail = (why: string) => {
      child.stdout!.off('data', check);
      if (alive()) child.kill('SIGKILL');
      void exited.then(() => reject(new ChildNotReady(`${why}:\n${out}`, child.pid)));
    };
    const timer = setTimeout(() => fail('not ready'), options.timeoutMs ?? 30_000);
    function check() {
      for (const line of out.split('\n').filter((l) => l.startsWith('{') && l.endsWith('}'))) {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (!isReady(value)) continue;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(value as T);
        return;
      }
    }
    child.stdout!.on('data', check);
    void exited.then(() => { clearTimeout(timer); fail('exited'); });
  });
  return {
    child, ready, output: () => out,
    async stop() {
      if (alive()) child.kill('SIGTERM');
      return exited;
    },
  };
}
