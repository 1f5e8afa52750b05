/**
 * The grant-type table (as node-oidc-provider's grants/index.js): each grant module names its grant type, the request
 * parameters it reads and its handler, which gets an authenticated client. Token endpoints (oauth/service.ts) list
 * the grants they accept and the clients they authenticate:
 * - /oauth/token: client_credentials (RFC 6749 §4.4) for binding keys (Insights Hub technical user credentials (UAA));
 * - /oauth/webapp/token: authorization_code (RFC 6749 §4.1, PKCE RFC 7636) and refresh_token (§6) for web app clients;
 * - /api/technicaltokenmanager/v3/oauth/token: the Technical Token Manager's exchange (Technical Token Manager API v3) for app
 *   credentials, a grant without a grant_type parameter on the wire.
 */
import type { ClientRecord } from '../../store.js';
import type { TokenService } from '../../tokens.js';
import type { Fields } from '../client-auth.js';
import type { Families } from '../families.js';
import type { OAuthClientRecord } from '../store.js';
import * as authorizationCode from './authorization_code.js';
import * as clientCredentials from './client_credentials.js';
import * as refreshToken from './refresh_token.js';
import * as technicalToken from './technical_token.js';

export interface GrantDeps {
  tokens: TokenService;
  families: Families;
}

export interface Grant<C> {
  grantType: string;
  /** The parameters the handler reads, besides grant_type and client authentication. */
  parameters: ReadonlySet<string>;
  handler(client: C, params: Fields, deps: GrantDeps): Promise<object>;
}

/** Every grant, by grant type. */
export const GRANTS = {
  [clientCredentials.grantType]: clientCredentials as Grant<ClientRecord>,
  [technicalToken.grantType]: technicalToken as Grant<ClientRecord>,
  [authorizationCode.grantType]: authorizationCode as Grant<OAuthClientRecord>,
  [refreshToken.grantType]: refreshToken as Grant<OAuthClientRecord>,
} as const;

/** The parameters of `grant` taken from a request's fields. */
export function pick(grant: Grant<unknown>, fields: Fields): Fields {
  const out: Fields = {};
  for (const p of grant.parameters) if (fields[p] !== undefined) out[p] = fields[p];
  return out;
}
