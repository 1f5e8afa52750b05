/**
 * First start: provisions the default tenant with an admin user and one binding key, and returns the secrets
 * to print once. Later starts find the tenant and return nothing.
 */
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

export function firstStartBanner(f: FirstStart): string {
  const basic = `${f.key.clientId}:${f.key.clientSecret}`;
  return [
    '',
    '  Ironbridge is set up. These secrets are shown once; store them now.',
    '',
    `  tenant          ${f.tenant}`,
    `  admin login     ${f.admin.email}`,
    `  admin password  ${f.admin.password}`,
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
