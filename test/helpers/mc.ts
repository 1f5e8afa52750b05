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
  // Everything the CLI and its libraries keep per user stays in this HOME: ~/.mc (os.homedir() reads HOME) and the
  // XDG config/cache directories (update-notifier's configstore), so no run reads or writes another session's state.
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'), NO_UPDATE_NOTIFIER: '1', MDSP_PASSKEY: passkey, FORCE_COLOR: '0', NO_COLOR: '1' };
  for (const v of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT']) delete env[v];
  let disposed = false;
  const run = (args: string[]) => new Promise<McResult>((resolve, reject) => {
    if (disposed) { reject(new Error(`mc ${args[0] ?? ''}: the session ${home} was disposed`)); return; }
    if (!fs.existsSync(home)) { reject(new Error(`mc ${args[0] ?? ''}: the session's HOME ${home} no longer exists`)); return; }
    const child = spawn(process.execPath, [MC, ...args], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', reject);
    // 'close', not 'exit': 'exit' can come before the last output is read, and a test would match a cut answer
    child.once('close', (code) => resolve({ code, out }));
  });
  return {
    home,
    passkey,
    run,
    async addServiceCredentials(key, gateway, tenant) {
      const added = await run(['sc', '--mode', 'add', '--type', 'SERVICE', '--user', key.clientId, '--password', key.clientSecret,
        '--passkey', passkey, '--gateway', gateway, '--tenant', tenant]);
      if (added.code === 0) checkStored(home, key.clientId, gateway, added.out);
      return added;
    },
    dispose: () => { disposed = true; fs.rmSync(home, { recursive: true, force: true }); },
  };
}

/** What a directory holds, recursively, with sizes: the evidence when the CLI's configuration is not where it should be. */
function listing(dir: string): string {
  if (!fs.existsSync(dir)) return `${dir} does not exist`;
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      lines.push(e.isDirectory() ? `${p}/` : `${p} (${fs.statSync(p).size} bytes)`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return lines.length ? lines.join('\n') : `${dir} is empty`;
}

/**
 * `mc sc --mode add` exiting 0 must leave ~/.mc/auth.json with the new entry selected; anything else fails here, with
 * the CLI's output and a listing of HOME, instead of as a puzzling "please configure the authentication" later.
 */
function checkStored(home: string, user: string, gateway: string, out: string): void {
  const file = path.join(home, '.mc', 'auth.json');
  let problem: string | undefined;
  try {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { credentials?: { user?: string; gateway?: string; selected?: boolean }[] };
    const selected = (stored.credentials ?? []).filter((c) => c.selected);
    if (selected.length !== 1 || selected[0]!.gateway !== gateway) problem = `${file} has no single selected entry for ${gateway}`;
    else if (selected[0]!.user !== undefined && selected[0]!.user !== user) problem = `${file} selects another user`;
  } catch (err) {
    problem = `${file} cannot be read: ${(err as Error).message}`;
  }
  if (problem) throw new Error(`mc sc --mode add exited 0 but ${problem}\n-- output:\n${out}\n-- HOME:\n${listing(home)}`);
}
