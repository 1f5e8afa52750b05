/**
 * grant_type=authorization_code (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6, S256 only): the code is used up at its
 * first presentation by its client (a second one revokes what was issued from it, §4.1.2); redirect_uri must equal
 * the authorization request's and the verifier must hash to the challenge.
 */
import { createHash } from 'node:crypto';
import { IdentityErrors } from '../../errors.js';
import type { Fields } from '../client-auth.js';
import type { OAuthClientRecord } from '../store.js';
import type { GrantDeps } from './index.js';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const grantType = 'authorization_code';
export const parameters: ReadonlySet<string> = new Set(['code', 'redirect_uri', 'code_verifier']);

export async function handler(client: OAuthClientRecord, p: Fields, { families }: GrantDeps) {
  const found = await families.use(client, 'code', p['code'], 'the code', 'the code was already used; the refresh tokens issued from it are revoked');
  if (found.expiresAt <= families.options.now()) throw IdentityErrors.invalidGrant({ reason: 'the code is unknown or expired' });
  if (p['redirect_uri'] !== found.redirectUri) throw IdentityErrors.invalidGrant({ reason: 'redirect_uri differs from the authorization request' });
  const verifier = p['code_verifier'];
  if (!verifier || !VERIFIER.test(verifier)) throw IdentityErrors.invalidGrant({ reason: 'code_verifier is missing or malformed' });
  if (createHash('sha256').update(verifier).digest('base64url') !== found.codeChallenge) {
    throw IdentityErrors.invalidGrant({ reason: 'code_verifier does not match the code_challenge' });
  }
  return families.tokens(client, found, await families.startRefreshing(found.familyId));
}
