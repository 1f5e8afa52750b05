/**
 * OAuth 2.0 token issuing and verification (RFC 6749 §4.4 client credentials; reference §6.1–6.4).
 * Access tokens are RS256 JWTs with the Insights Hub claim set. Verification: signature and expiry (jose), then
 * revocation through the issuing key's or user's rev_sig on every request; verified tokens are cached until exp.
 */
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { BASIC_CHALLENGE, parseBasicCredentials, type TokenVerifier } from '../core/auth.js';
import { dummySecretHash, verifySecret } from '../core/secrets.js';
import { IdentityErrors } from './errors.js';
import type { KeyRing } from './keyring.js';
import type { ClientRecord, IdentityStore, UserRecord } from './store.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  jti: string;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TokenOptions {
  ttlSeconds: number;
  issuer: () => string;
  cacheSize: number;
  hashCost: number;
  maxConcurrentSecretChecks: number;
}


/** Parses `Basic base64(id:secret)` (RFC 7617; RFC 6749 §2.3.1 form-encoding of both parts). */
export function parseBasic(header: string): ClientCredentials {
  return parseBasicCredentials(header, (reason) => IdentityErrors.clientAuthMalformed({ reason }).withHeader('www-authenticate', BASIC_CHALLENGE));
}

export class TokenService implements TokenVerifier {
  private secretChecks = 0;
  /**
   * Verified tokens by the tail of their signature (hashing the whole ~1 KB token per request cost ~1.3 µs); a hit
   * counts only when the whole token is identical, so a forged header or payload never matches a cached entry.
   */
  private readonly cache = new Map<string, { token: string; claims: Record<string, unknown>; expMs: number }>();

  constructor(
    private readonly store: IdentityStore,
    private readonly keys: KeyRing,
    private readonly options: TokenOptions,
  ) {}

  /** Checks a client's secret; unknown, revoked and wrong all give the same 401. */
  async authenticateClient({ clientId, clientSecret }: ClientCredentials): Promise<ClientRecord> {
    const limit = this.options.maxConcurrentSecretChecks;
    if (this.secretChecks >= limit) throw IdentityErrors.busy({ limit }).withHeader('retry-after', '1');
    this.secretChecks++;
    try {
      const client = await this.store.getClient(clientId);
      // An unknown client is checked against a hash of the same cost, so timing does not tell it apart.
      const ok = await verifySecret(clientSecret, client?.secretHash ?? dummySecretHash(this.options.hashCost));
      if (!client || !ok || client.revokedAt !== null) throw IdentityErrors.badCredentials({});
      return client;
    } finally {
      this.secretChecks--;
    }
  }

  /** Narrows the client's scopes to a requested subset (RFC 6749 §3.3). */
  grantedScopes(client: ClientRecord, requested: string | undefined): string[] {
    if (!requested || !requested.trim()) return client.scopes;
    const wanted = requested.trim().split(/\s+/);
    for (const s of wanted) if (!client.scopes.includes(s)) throw IdentityErrors.invalidScope({ scope: s });
    return [...new Set(wanted)];
  }

  async issueClientToken(client: ClientRecord, scopes: string[], tenant: string, grantType: string): Promise<TokenResponse> {
    return this.sign({
      sub: client.clientId,
      client_id: client.clientId,
      cid: client.clientId,
      azp: client.clientId,
      zid: client.tenant,
      ten: tenant,
      scope: scopes,
      grant_type: grantType,
      rev_sig: client.revSig,
      cat: 'client-token',
      schemas: ['urn:siemens:mindsphere:v1'],
    }, client.clientId);
  }

  /**
   * A user token for the gateway's token exchange and third-party web apps (seed 002 "Sessions"): the user's
   * claims and the scopes of the user's role (or a subset); revoked with the user through rev_sig.
   */
  async issueUserToken(user: UserRecord, scopes: string[], clientId = 'ironbridge-gateway'): Promise<TokenResponse> {
    return this.sign({
      sub: user.id,
      user_id: user.id,
      user_name: user.email,
      email: user.email,
      origin: 'ironbridge',
      client_id: clientId,
      cid: clientId,
      azp: clientId,
      zid: user.tenant,
      ten: user.tenant,
      scope: scopes,
      grant_type: 'authorization_code',
      rev_sig: user.revSig,
      cat: 'user-token',
      schemas: ['urn:siemens:mindsphere:v1'],
    }, clientId);
  }

  private async sign(claims: Record<string, unknown>, audienceOwner: string): Promise<TokenResponse> {
    const { kid, key } = this.keys.signingKey();
    const jti = randomUUID().replace(/-/g, '');
    const scopes = claims['scope'] as string[];
    const audience = [...new Set([audienceOwner, ...scopes.map((s) => s.split('.')[0] as string)])];
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(this.options.issuer())
      .setAudience(audience)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(key);
    return { access_token: token, token_type: 'Bearer', expires_in: this.options.ttlSeconds, scope: scopes.join(' '), jti };
  }

  async verify(token: string): Promise<Readonly<Record<string, unknown>>> {
    const now = Date.now();
    const key = cacheKey(token);
    let entry = this.cache.get(key);
    if (entry && (entry.token !== token || entry.expMs <= now)) entry = undefined;
    if (!entry) {
      entry = { token, ...(await this.verifySignature(token)) };
      this.remember(key, entry);
    }
    await this.checkRevocation(entry.claims);
    return entry.claims;
  }

  private async verifySignature(token: string): Promise<{ claims: Record<string, unknown>; expMs: number }> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw IdentityErrors.tokenInvalid({ reason: 'it is not a JWT' });
    }
    if (!kid) throw IdentityErrors.tokenInvalid({ reason: 'the JWT header has no kid' });
    const key = await this.keys.publicKey(kid);
    if (!key) throw IdentityErrors.tokenInvalid({ reason: `it is signed with an unknown key ${kid}` });
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['RS256'], issuer: this.options.issuer() });
      if (typeof payload.exp !== 'number') throw IdentityErrors.tokenInvalid({ reason: 'it has no exp claim' });
      return { claims: payload as Record<string, unknown>, expMs: payload.exp * 1000 };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw IdentityErrors.tokenInvalid({ reason: 'it has expired' });
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw IdentityErrors.tokenInvalid({ reason: `claim ${err.claim} is not accepted` });
      }
      if (err instanceof joseErrors.JOSEError) throw IdentityErrors.tokenInvalid({ reason: 'the signature does not verify' });
      throw err;
    }
  }

  private async checkRevocation(claims: Record<string, unknown>): Promise<void> {
    const revSig = claims['rev_sig'];
    const userId = claims['user_id'];
    const ten = claims['ten'];
    const current = typeof userId === 'string' && typeof ten === 'string'
      ? await this.store.activeUserRevSig(ten, userId)
      : typeof claims['client_id'] === 'string' ? await this.store.activeClientRevSig(claims['client_id']) : undefined;
    if (current === undefined || current !== revSig) {
      throw IdentityErrors.tokenInvalid({ reason: 'it has been revoked' });
    }
  }

  private remember(key: string, entry: { token: string; claims: Record<string, unknown>; expMs: number }): void {
    if (this.options.cacheSize <= 0) return;
    this.cache.delete(key);
    if (this.cache.size >= this.options.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, entry);
  }
}

/** The last 43 characters of a JWT are 256 bits of its signature: enough to spread keys, cheap to hash. */
const cacheKey = (token: string): string => (token.length > 43 ? token.slice(-43) : token);
