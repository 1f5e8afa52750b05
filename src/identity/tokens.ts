/**
 * Access tokens: issuing (for every grant of oauth/grants) and verification (Technical Token Manager API v3; Insights Hub token claims).
 * Access tokens are RS256 JWTs with the Insights Hub claim set. Verification: signature and expiry (jose), then
 * revocation through the issuing key's or user's rev_sig on every request; verified tokens are cached until exp.
 */
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { TokenVerifier } from '../core/auth.js';
import { IdentityErrors } from './errors.js';
import type { KeyRing } from './keyring.js';
import type { ClientRecord, IdentityStore, UserRecord } from './store.js';
import { cacheLookup } from '../core/metrics.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  jti: string;
}

/** The `cat` claim of agent access tokens (as Insights Hub's). */
export const AGENT_TOKEN_CATEGORY = 'agent-token:v1';

export interface TokenOptions {
  ttlSeconds: number;
  issuer: () => string;
  cacheSize: number;
}

export class TokenService implements TokenVerifier {
  /**
   * Verified tokens by the tail of their signature (hashing the whole ~1 KB token per request cost ~1.3 µs); a hit
   * counts only when the whole token is identical, so a forged header or payload never matches a cached entry.
   */
  private readonly cache = new Map<string, { token: string; claims: Record<string, unknown>; expMs: number }>();

  /** Revocation lookups of the clients identity does not store itself (agents), by the token's `cat` claim. */
  private readonly revocations = new Map<string, (claims: Readonly<Record<string, unknown>>) => Promise<string | undefined>>();

  constructor(
    private readonly store: IdentityStore,
    private readonly keys: KeyRing,
    private readonly options: TokenOptions,
  ) {}

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
   * A user token for the gateway's token exchange and third-party web apps (Industrial IoT Gateway docs "Sessions"): the user's
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

  /**
   * The third kind of client: an onboarded agent (Agent Management v3 "agent token"). Its credentials live in the
   * agents context, which registers the revocation lookup of AGENT_TOKEN_CATEGORY; the token is verified on the
   * common path like every other.
   */
  async issueAgentToken(agent: { tenant: string; agentId: string; revSig: string }, scopes: string[], ttlSeconds: number): Promise<TokenResponse> {
    return this.sign({
      sub: agent.agentId,
      client_id: agent.agentId,
      zid: 'agentiam',
      ten: agent.tenant,
      scope: scopes,
      grant_type: 'client_credentials',
      rev_sig: agent.revSig,
      cat: AGENT_TOKEN_CATEGORY,
      schemas: ['urn:siemens:mindsphere:iam:v1'],
    }, 'southgate', ttlSeconds);
  }

  /** Makes tokens of category `cat` revocable by their issuer's own record: the lookup returns the current rev_sig. */
  registerRevocation(cat: string, lookup: (claims: Readonly<Record<string, unknown>>) => Promise<string | undefined>): void {
    this.revocations.set(cat, lookup);
  }

  private async sign(claims: Record<string, unknown>, audienceOwner: string, ttlSeconds = this.options.ttlSeconds): Promise<TokenResponse> {
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
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
    return { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds, scope: scopes.join(' '), jti };
  }

  async verify(token: string): Promise<Readonly<Record<string, unknown>>> {
    const now = Date.now();
    const key = cacheKey(token);
    let entry = this.cache.get(key);
    if (entry && (entry.token !== token || entry.expMs <= now)) entry = undefined;
    cacheLookup('verified_tokens', entry !== undefined);
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
    const lookup = typeof claims['cat'] === 'string' ? this.revocations.get(claims['cat']) : undefined;
    const current = lookup ? await lookup(claims) : typeof userId === 'string' && typeof ten === 'string'
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
