/**
 * First start: provisions the default tenant with an admin user and one binding key, and returns the secrets
 * to hand over once: on the terminal (standard error), or, when there is none (a service manager, a pipe), in a
 * file of the data directory that only the owner can read. Never in a log line, which journals and log shippers
 * keep. Later starts find the tenant and return nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { newSecret } from '../core/secrets.js';
import { AppError } from '../core/errors.js';
import type { CreatedKey } from '../identity/index.js';
import type { Platform } from './platform.js';

export interface FirstStart {
  tenant: string;
  admin: { email: string; password: string };
  key: CreatedKey;
}

export async function firstStart(platform: Platform): Promise<FirstStart | undefined> {
  const existing = await platform.identity.service.listTenants();
  if (existing.length > 0) return undefined;
  const name = platform.config.tenant;
  try {
    await platform.provisionTenant(name, `${name}.localhost`, name);
  } catch (err) {
    if (err instanceof AppError && err.status === 409) return undefined; // another process won the race
    throw err;
  }
  const email = `admin@${name}.localhost`;
  const password = newSecret().slice(0, 24);
  await platform.identity.service.addUser(name, email, password, 'admin');
  const key = await platform.identity.service.createKey(name, 'default');
  return { tenant: name, admin: { email, password }, key };
}

function firstStartBanner(f: FirstStart): string {
  const basic = `${f.key.clientId}:${f.key.clientSecret}`;
  return [
    '',
    '  Ironbridge is set up. These secrets are shown once; store them now.',
    '',
    `  tenant          ${f.tenant}`,
    `  admin login     ${f.admin.email}`,
    `  admin password  ${f.admin.password}`,
    '  (the sign-in of the tenant\'s web apps: {tenant}-{app}.{region}.{domain}/login)',
    '',
    '  binding key "default"',
    `  clientID        ${f.key.clientId}`,
    `  clientSecret    ${f.key.clientSecret}`,
    `  TokenURL        ${f.key.tokenUrl}`,
    '',
    '  get a token:',
    `  curl -s -u '${basic}' -X POST '${f.key.tokenUrl}?grant_type=client_credentials'`,
    '',
  ].join('\n');
}

/** Where the first-start secrets went: shown on the terminal, or written to this file. */
export interface SecretsDelivery {
  shownOn?: 'terminal';
  secretsFile?: string;
}

const SECRETS_FILE = 'first-start-secrets.json';

/**
 * Shows the banner on `terminal` when it is a TTY; otherwise writes the secrets as JSON to a new file of mode 0600
 * in the data directory (which is 0700) and returns its path.
 */
export function deliverSecrets(dataDir: string, f: FirstStart, terminal: NodeJS.WriteStream = process.stderr): SecretsDelivery {
  if (terminal.isTTY) {
    terminal.write(`${firstStartBanner(f)}\n`);
    return { shownOn: 'terminal' };
  }
  const file = path.join(dataDir, SECRETS_FILE);
  const curl = `curl -s -u '${f.key.clientId}:${f.key.clientSecret}' -X POST '${f.key.tokenUrl}?grant_type=client_credentials'`;
  fs.writeFileSync(file, `${JSON.stringify({ ...f, curl }, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  fs.chmodSync(file, 0o600);
  return { secretsFile: file };
}
