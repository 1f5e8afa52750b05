/**
 * Runs the public Insights Hub CLI (`mc` of @mindconnect/mindconnect-nodejs) against a test server: its own HOME
 * (so ~/.mc/auth.json is isolated), no proxy variables (the SDK honours no NO_PROXY), no update check, no colour
 * (the public MindConnect Node.js SDK (proxy and TLS, CLI credential storage, running it against a local server)).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, tempDir } from './server.js';

const MC = path.join(ROOT, 'node_modules', '@mindconnect', 'mindconnect-nodejs', 'bin', 'mc');

export interface McResult {
  code: number | null;
  /** stdout and stderr together. */
  out: string;
}

export interface Mc {
  home: string;
  passkey: string;
  run(args: string[]): Promise<McResult>;
  /** Stores service credentials for `gateway` as the selected entry of ~/.mc/auth.json. */
  addServiceCredentials(key: { clientId: string; clientSecret: string }, gateway: string, tenant: string): Promise<McResult>;
  dispose(): void;
}

export function mcSession(passkey = 'passkey-for-tests'): Mc {
  const home = tempDir('ironbridge-mc-');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_UPDATE_NOTIFIER: '1', MDSP_PASSKEY: passkey,
    FORCE_COLOR: '0', NO_COLOR: '1' };
  for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete env[v];
  const run = (args: string[]) => new Promise<McResult>((resolve) => {
    const child = spawn(process.execPath, [MC, ...args], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => resolve({ code, out }));
  });
  return {
    home,
    passkey,
    run,
    addServiceCredentials: (key, gateway, tenant) => run(['sc', '--mode', 'add', '--type', 'SERVICE', '--user', key.clientId,
      '--password', key.clientSecret, '--passkey', passkey, '--gateway', gateway, '--tenant', tenant]),
    dispose: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}
