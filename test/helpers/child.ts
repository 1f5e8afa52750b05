/** A long-running CLI child (e.g. `ironbridge dev-proxy --json`) whose first JSON line that `isReady` accepts announces it is ready. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './server.js';

export interface RunningChild<T> {
  child: ChildProcess;
  ready: T;
  output: () => string;
  stop(): Promise<number | null>;
}

export async function startCliChild<T>(args: string[], env: Record<string, string | undefined> = {},
  isReady: (line: Record<string, unknown>) => boolean = () => true): Promise<RunningChild<T>> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_UPDATE_NOTIFIER: '1', HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${out}`)), 30_000);
    const check = () => {
      for (const line of out.split('\n').filter((l) => l.startsWith('{') && l.endsWith('}'))) {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (!isReady(value)) continue;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(value as T);
        return;
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`exited:\n${out}`)); });
  });
  return {
    child, ready, output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
