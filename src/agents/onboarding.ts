/**
 * Onboarding and agent tokens (Agent Management API v3 "register", "oauth"; MindConnect Node.js SDK onboarding):
 * register with the initial access token (201; a shared secret, or the agent's RSA key as a JWK), rotation of the
 * secret or key through registration_client_uri with the registration access token (the old one stops working),
 * and the agent token grant for a client assertion: HS256 with the shared secret or RS384 with the registered key,
 * iss = sub = the agent, aud southgate, iat/nbf/exp within the allowed skew, a jti used once. Tokens are issued by
 * identity (RS256, the agent scopes) and verified on the common path; their rev_sig is the agent's.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWK } from 'jose';
import { AGENT_SCOPES } from '../core/scopes.js';
import type { TokenService } from '../identity/tokens.js';
import { AgentErrors } from './errors.js';
import { type AgentService, newRevSig, objectBody, opaqueToken, sha256 } from './service.js';
import type { AgentRecord, AgentStore } from './store.js';
import type { AgentPrincipal } from './ingest.js';

export const REGISTER_PATH = '/api/agentmanagement/v3/register';
/** Longest lifetime (exp - iat) of a client assertion. */
const MAX_ASSERTION_SECONDS = 86_400;

export interface OnboardingOptions {
  store: AgentStore;
  agents: AgentService;
  tokens: TokenService;
  now: () => number;
  publicUrl: () => string;
  secretTtlMs: number;
  tokenTtlSeconds: number;
  skewSeconds: number;
}

export interface ClientIdentifier {
  client_id: string;
  token_endpoint_auth_method: 'client_secret_jwt' | 'private_key_jwt';
  grant_types: string[];
  client_secret?: string;
  client_secret_expires_at: number;
  registration_access_token: string;
  registration_client_uri: string;
}

/** The agent's RSA public key from a registration body: one RSA JWK of at least 3072 bits. */
function agentKey(body: Record<string, unknown>): string {
  const keys = (body['jwks'] as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys) || keys.length !== 1 || typeof keys[0] !== 'object' || keys[0] === null) {
    throw AgentErrors.invalid('jwks.keys', 'must hold exactly one RSA public key (JWK) for the RSA_3072 profile');
  }
  const jwk = keys[0] as Record<string, unknown>;
  if (jwk['kty'] !== 'RSA' || typeof jwk['n'] !== 'string' || typeof jwk['e'] !== 'string') {
    throw AgentErrors.invalid('jwks.keys[0]', 'must be an RSA JWK with n and e');
  }
  let bits: number | undefined;
  try {
    bits = createPublicKey({ key: { kty: 'RSA', n: jwk['n'], e: jwk['e'] }, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch {
    throw AgentErrors.invalid('jwks.keys[0]', 'is not a usable RSA public key');
  }
  if (!bits || bits < 3072) throw AgentErrors.invalid('jwks.keys[0]', `the key has ${bits ?? 0} bits; RSA_3072 needs at least 3072`);
  return JSON.stringify({ kty: 'RSA', n: jwk['n'], e: jwk['e'] });
}

export class OnboardingService {
  constructor(private readonly o: OnboardingOptions) {}

  /** POST /register with `Authorization: Bearer <initial access token>`. */
  async register(iat: string, body: unknown): Promise<ClientIdentifier> {
    const a = await this.o.store.byIatHash(sha256(iat));
    if (!a || a.iat !== iat) throw AgentErrors.unauthorized('the initial access token is unknown or was used already');
    if ((a.iatExpiresAt ?? 0) <= this.o.now()) throw AgentErrors.unauthorized('the initial access token has expired; get a new boarding configuration');
    return this.credentials(a, objectBody(body ?? {}), { iat: null, iatHash: null, iatExpiresAt: null, boarding: 'ONBOARDED', revSig: newRevSig() }, true);
  }

  /** PUT {registration_client_uri} with `Authorization: Bearer <registration access token>`: new secret or key. */
  async rotate(tenantOrNull: string | null, clientId: string, registrationToken: string, body: unknown): Promise<ClientIdentifier> {
    const b = objectBody(body ?? {});
    if (b['client_id'] !== undefined && b['client_id'] !== clientId) throw AgentErrors.invalid('client_id', `must be ${clientId}, the client of this URI`);
    const a = await this.agentOfRegistration(tenantOrNull, clientId, registrationToken);
    return this.credentials(a, b, {});
  }

  private async agentOfRegistration(tenant: string | null, clientId: string, token: string): Promise<AgentRecord> {
    const a = tenant ? await this.o.store.get(tenant, clientId.toLowerCase()) : undefined;
    const hash = sha256(token);
    if (!a || a.boarding !== 'ONBOARDED' || (a.registrationTokenHash !== hash && a.firstRegistrationTokenHash !== hash)) {
      throw AgentErrors.unauthorized('the registration access token is not the current one of this client');
    }
    return a;
  }

  private async credentials(a: AgentRecord, body: Record<string, unknown>, change: Partial<AgentRecord>, first = false): Promise<ClientIdentifier> {
    const registrationToken = `${a.tenant}.${opaqueToken()}`;
    const shared = a.securityProfile === 'SHARED_SECRET';
    const secret = shared ? randomBytes(32).toString('base64url') : null;
    const jwk = shared ? null : agentKey(body);
    const expires = this.o.now() + this.o.secretTtlMs;
    const next: AgentRecord = { ...a, ...change, secret, jwk, secretExpiresAt: expires, registrationTokenHash: sha256(registrationToken),
      firstRegistrationTokenHash: first ? sha256(registrationToken) : a.firstRegistrationTokenHash, rev: a.rev + 1 };
    await this.o.agents.save(next, a.rev, a.name);
    return {
      client_id: a.id,
      token_endpoint_auth_method: shared ? 'client_secret_jwt' : 'private_key_jwt',
      grant_types: ['client_credentials'],
      ...(secret ? { client_secret: secret } : {}),
      client_secret_expires_at: Math.floor(expires / 1000),
      registration_access_token: registrationToken,
      registration_client_uri: `${this.o.publicUrl()}${REGISTER_PATH}/${a.id}`,
    };
  }

  /** The agent token grant (POST /oauth/token, client_credentials with a jwt-bearer client assertion). */
  async token(form: Record<string, unknown>): Promise<{ access_token: string; token_type: string; expires_in: number; jti: string; scope: string[] }> {
    if (form['grant_type'] !== 'client_credentials') throw AgentErrors.invalidParameter('grant_type', 'must be client_credentials');
    if (form['client_assertion_type'] !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      throw AgentErrors.invalidParameter('client_assertion_type', 'must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    }
    const assertion = form['client_assertion'];
    if (typeof assertion !== 'string' || assertion === '') throw AgentErrors.invalidParameter('client_assertion', 'is required');
    return this.issueToken(assertion);
  }

  async issueToken(assertion: string): Promise<{ access_token: string; token_type: string; expires_in: number; jti: string; scope: string[] }> {
    const a = await this.verifyAssertion(assertion);
    const t = await this.o.tokens.issueAgentToken({ tenant: a.tenant, agentId: a.id, revSig: a.revSig }, [...AGENT_SCOPES], this.o.tokenTtlSeconds);
    await this.o.agents.save({ ...a, lastSeen: this.o.now(), rev: a.rev + 1 }, a.rev, a.name).catch(() => undefined);
    return { access_token: t.access_token, token_type: 'Bearer', expires_in: t.expires_in, jti: t.jti, scope: [...AGENT_SCOPES] };
  }

  private async verifyAssertion(assertion: string): Promise<AgentRecord> {
    let claims: Record<string, unknown>;
    let alg: string | undefined;
    try {
      claims = decodeJwt(assertion);
      alg = decodeProtectedHeader(assertion).alg;
    } catch {
      throw AgentErrors.unauthorized('the client assertion is not a JWT');
    }
    const iss = claims['iss'];
    const ten = claims['ten'];
    if (typeof iss !== 'string' || typeof ten !== 'string') throw AgentErrors.unauthorized('the client assertion needs iss (the agent id) and ten (its tenant)');
    const a = await this.o.store.get(ten, iss.toLowerCase());
    if (!a || a.boarding !== 'ONBOARDED') throw AgentErrors.unauthorized(`client ${iss} is not an onboarded agent`);
    const now = this.o.now();
    if ((a.secretExpiresAt ?? 0) <= now) throw AgentErrors.unauthorized('the client secret or key has expired; rotate it through registration_client_uri');
    const shared = a.securityProfile === 'SHARED_SECRET';
    const want = shared ? 'HS256' : 'RS384';
    if (alg !== want) throw AgentErrors.unauthorized(`the ${a.securityProfile} profile signs client assertions with ${want}, not ${alg ?? 'none'}`);
    const key = shared ? new TextEncoder().encode(a.secret ?? '') : await importJWK(JSON.parse(a.jwk ?? '{}') as JWK, 'RS384');
    try {
      await jwtVerify(assertion, key, {
        algorithms: [want], audience: 'southgate', issuer: iss, subject: iss, clockTolerance: this.o.skewSeconds,
        currentDate: new Date(now), requiredClaims: ['exp', 'iat', 'jti'],
      });
    } catch (err) {
      if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired) {
        throw AgentErrors.unauthorized(`the client assertion's ${err.claim} claim is not accepted (${err.reason})`);
      }
      throw AgentErrors.unauthorized('the client assertion signature does not verify');
    }
    const iat = claims['iat'] as number;
    if (iat * 1000 > now + this.o.skewSeconds * 1000) throw AgentErrors.unauthorized('the client assertion\'s iat is in the future (check the device clock)');
    const exp = claims['exp'] as number;
    // The SDK asks for an hour; a day bounds how long a used jti must be remembered.
    if (exp - iat > MAX_ASSERTION_SECONDS) throw AgentErrors.unauthorized(`the client assertion must not be valid for more than ${MAX_ASSERTION_SECONDS} s (exp - iat)`);
    if (!(await this.o.store.useAssertion(a.tenant, String(claims['jti']), exp * 1000 + this.o.skewSeconds * 1000, now))) {
      throw AgentErrors.unauthorized('the client assertion was used before (replayed jti)');
    }
    return a;
  }

  /** The agent behind a verified token's claims, or null when the token is not a live agent's. */
  async principalOf(claims: Readonly<Record<string, unknown>>): Promise<AgentPrincipal | null> {
    if (claims['cat'] !== 'agent-token:v1' || typeof claims['ten'] !== 'string' || typeof claims['sub'] !== 'string') return null;
    const a = await this.o.store.get(claims['ten'], claims['sub']);
    if (!a) return null;
    return { tenant: a.tenant, agentId: a.id, clientId: `${a.tenant}_${a.name}` };
  }
}

/** The token key in the agent SDK's layout: `value` is the PEM with no line breaks (the SDK inserts its own). */
export function tokenKeyOf(published: { kty: string; e: string; n: string; kid: string; alg: string; use: string; value: string }) {
  return { ...published, value: published.value.replace(/\r?\n/g, '') };
}
