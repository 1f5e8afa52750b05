/** grant_type=client_credentials (RFC 6749 §4.4; Insights Hub technical user credentials (UAA)): a service binding key's token, scopes narrowed (§3.3). */
import { IdentityErrors } from '../../errors.js';
import type { ClientRecord } from '../../store.js';
import type { Fields } from '../client-auth.js';
import type { GrantDeps } from './index.js';

export const grantType = 'client_credentials';
export const parameters: ReadonlySet<string> = new Set(['scope']);

export async function handler(client: ClientRecord, params: Fields, { tokens }: GrantDeps) {
  if (client.kind !== 'service') throw IdentityErrors.appNotGranted({ reason: 'app credentials get tokens from /api/technicaltokenmanager/v3/oauth/token' });
  return tokens.issueClientToken(client, grantedScopes(client, params['scope']), client.tenant, grantType);
}

/** Narrows the client's scopes to a requested subset (RFC 6749 §3.3). */
export function grantedScopes(client: ClientRecord, requested: string | undefined): string[] {
  if (!requested || !requested.trim()) return client.scopes;
  const wanted = requested.trim().split(/\s+/);
  for (const s of wanted) if (!client.scopes.includes(s)) throw IdentityErrors.invalidScope({ scope: s });
  return [...new Set(wanted)];
}
