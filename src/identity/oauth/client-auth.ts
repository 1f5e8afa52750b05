/**
 * Client authentication at every token endpoint (RFC 6749 §2.3): the UAA-style /oauth/token, the web app sign-in's
 * /oauth/webapp/token and /revoke, and the Technical Token Manager (`X-SPACE-AUTH-KEY: Basic …`, Technical Token Manager API v3).
 * - client_secret_basic (`Authorization: Basic base64(urlencode(id):urlencode(secret))`) or client_secret_post
 *   (client_id + client_secret form fields), never both; a client_id next to Basic must name the same client;
 * - public clients (web app sign-in only) send their client_id alone (or Basic with an empty secret);
 * - every failure about who the client is answers the same 401 invalid_client "Bad credentials." — unknown, revoked,
 *   wrong secret, a secret for a public client, none for a confidential one — after a hash check of the same cost
 *   wherever a secret was sent; the reason goes to the log under the logref (AppError.detail);
 * - every secret check passes the CredentialGuard (back-off per client id, the process's one in-flight cap).
 */
import { BASIC_CHALLENGE, parseBasicCredentials } from '../../core/auth.js';
import type { AppError } from '../../core/errors.js';
import { IdentityErrors } from '../errors.js';
import type { CredentialGuard } from '../guard.js';

export type Fields = Record<string, string | undefined>;

export interface CredentialSource {
  /** The Authorization header. */
  authorization?: string | undefined;
  /** The Technical Token Manager's X-SPACE-AUTH-KEY header (Basic credentials, no form alternative). */
  spaceAuthKey?: string | undefined;
  /** The form fields client_id and client_secret. */
  body?: Fields;
}

/** A client as the endpoint's directory knows it; undefined for unknown or revoked ids. */
export interface FoundClient<C> {
  client: C;
  /** Slow hash of the client's secret; null for a public client. */
  secretHash: string | null;
  /** A rotated key's secret before, while its grace period lasts (`ironbridge keys rotate`). */
  previousSecretHash?: string;
}

export interface ClientPolicy<C> {
  find(clientId: string): Promise<FoundClient<C> | undefined>;
  /** Whether clients without a secret (PKCE-only web apps) may authenticate here. */
  publicClients: boolean;
  /** Send the Basic challenge with every 401 (the web app endpoints), or only when Basic was tried (RFC 6749 §5.2). */
  challengeAlways: boolean;
}

export async function authenticateClient<C>(guard: CredentialGuard, source: CredentialSource, policy: ClientPolicy<C>): Promise<C> {
  const challenged = policy.challengeAlways || source.authorization !== undefined;
  const fail = (err: AppError): AppError => (challenged ? err.withHeader('www-authenticate', BASIC_CHALLENGE) : err);
  const malformed = (reason: string) => fail(IdentityErrors.clientAuthMalformed({ reason }));
  const body = source.body ?? {};
  const formId = body['client_id'];
  const formSecret = body['client_secret'];
  let clientId: string;
  let secret: string | undefined;
  const header = source.authorization ?? source.spaceAuthKey;
  if (header !== undefined) {
    if (formSecret !== undefined) throw IdentityErrors.clientAuthTwice({});
    const basic = parseBasicCredentials(header, malformed);
    if (formId !== undefined && formId !== basic.clientId) throw IdentityErrors.clientIdDiffers({});
    clientId = basic.clientId;
    secret = basic.clientSecret;
  } else if (formId || formSecret !== undefined) {
    if (!formId) throw malformed('the client_id form field is missing');
    if (formSecret === undefined && !policy.publicClients) throw malformed('both client_id and client_secret form fields are required');
    clientId = formId;
    secret = formSecret;
  } else {
    throw fail(IdentityErrors.clientAuthMissing({}));
  }
  const bad = (detail: string) => fail(IdentityErrors.badCredentials({})).withDetail(`client ${clientId.slice(0, 100)}: ${detail}`);
  const found = await policy.find(clientId);
  if (!secret) {
    // Nothing to guess without a secret: no hash check, nothing counted.
    if (!policy.publicClients) throw bad('no client secret was sent');
    if (!found) throw bad('the client_id is unknown');
    if (found.secretHash !== null) throw bad('a confidential client sent no secret (use client_secret_basic or client_secret_post)');
    return found.client;
  }
  if (!(await guard.check('client', clientId, secret, found?.secretHash ?? undefined, found?.previousSecretHash)) || !found) {
    throw bad(!found ? 'the client_id is unknown or revoked'
      : found.secretHash === null ? 'a public client sent a secret (it authenticates with PKCE alone)' : 'the client secret is wrong');
  }
  return found.client;
}
