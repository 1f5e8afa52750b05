/**
 * grant_type=refresh_token (RFC 6749 §6): rotation on every use (RFC 9700 §4.14.2); a rotated-out token presented
 * again has leaked, and its whole family ends. The new refresh token keeps the family's end.
 */
import { IdentityErrors } from '../../errors.js';
import type { Fields } from '../client-auth.js';
import type { OAuthClientRecord } from '../store.js';
import type { GrantDeps } from './index.js';

export const grantType = 'refresh_token';
export const parameters: ReadonlySet<string> = new Set(['refresh_token']);

export async function handler(client: OAuthClientRecord, p: Fields, { families }: GrantDeps) {
  const found = await families.use(client, 'refresh', p['refresh_token'], 'the refresh token',
    'the refresh token was already used; every refresh token of this authorization is revoked');
  if (await families.isRevoked(found.familyId)) throw IdentityErrors.invalidGrant({ reason: 'the refresh token was revoked' });
  if (found.expiresAt <= families.options.now()) throw IdentityErrors.invalidGrant({ reason: 'the refresh token is unknown or expired' });
  return families.tokens(client, found, found.expiresAt);
}
