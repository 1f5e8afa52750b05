/**
 * The Technical Token Manager's exchange (Technical Token Manager API v3: POST /api/technicaltokenmanager/v3/oauth/token with
 * X-SPACE-AUTH-KEY and {appName, appVersion, hostTenant, userTenant}): app credentials get a technical token of their
 * app version for a user tenant that has been granted the app — here only the credentials' own tenant.
 */
import { IdentityErrors } from '../../errors.js';
import type { ClientRecord } from '../../store.js';
import type { Fields } from '../client-auth.js';
import type { GrantDeps } from './index.js';

/** Not sent on the wire: the endpoint implies it. */
export const grantType = 'urn:ironbridge:technical-token-manager';
export const parameters: ReadonlySet<string> = new Set(['appName', 'appVersion', 'hostTenant', 'userTenant']);

export async function handler(client: ClientRecord, p: Fields, { tokens }: GrantDeps) {
  if (client.kind !== 'app') throw IdentityErrors.appNotGranted({ reason: 'these are not app credentials' });
  if (p['appName'] !== client.appName || p['appVersion'] !== client.appVersion) {
    throw IdentityErrors.appNotGranted({ reason: `the credentials belong to ${client.appName} ${client.appVersion}, not ${p['appName']} ${p['appVersion']}` });
  }
  if (p['hostTenant'] !== client.tenant) {
    throw IdentityErrors.appNotGranted({ reason: `hostTenant must be ${client.tenant}, the tenant of the credentials` });
  }
  if (p['userTenant'] !== client.tenant) {
    throw IdentityErrors.appNotGranted({ reason: `userTenant ${p['userTenant']} has not been granted access to ${p['appName']}` });
  }
  return tokens.issueClientToken(client, client.scopes, client.tenant, 'client_credentials');
}
