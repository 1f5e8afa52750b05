/**
 * Every slow hash check of the process goes through one CredentialGuard: client secrets at the token endpoints (binding
 * keys, app credentials, OAuth clients of web apps) and user passwords (the gateway's /login, the consent page).
 * 1. the account's back-off (backoff.ts): a locked client id or user is refused (429 + Retry-After) before hashing;
 * 2. one in-flight cap (--max-secret-checks, per worker a share): a check beyond it is refused (429 + Retry-After)
 *    before hashing, so a flood of wrong credentials cannot queue scrypt work ahead of everyone else;
 * 3. the scrypt check itself, against a hash of the same cost when the account is unknown (timing tells nothing).
 * Failures and locks are counted in the metrics and a lock is logged (warn) with the account.
 */
import type { Logger } from 'pino';
import { counter, gauge } from '../core/metrics.js';
import { dummySecretHash, verifySecret } from '../core/secrets.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { IdentityErrors } from './errors.js';

export type AccountKind = 'client' | 'user';

const failures = counter('ironbridge_identity_credential_failures_total',
  'Failed secret or password checks (wrong secret or unknown account)', ['kind']);
const locks = counter('ironbridge_identity_credential_locks_total',
  'Accounts locked by the back-off after repeated failures', ['kind']);
const refused = counter('ironbridge_identity_credential_refusals_total',
  'Credential checks refused before hashing: locked account (back-off) or too many checks at once (busy)', ['kind', 'reason']);
const inFlight = gauge('ironbridge_identity_secret_checks_in_flight', 'Slow hash checks running now');

export interface GuardOptions {
  /** Checks allowed at once in this process (--max-secret-checks, already split among workers). */
  maxChecks: number;
  /** scrypt cost of the stand-in hash for unknown accounts (--secret-hash-cost). */
  hashCost: number;
  backoff: BackoffOptions;
  logger: Pick<Logger, 'warn'>;
}

export class CredentialGuard {
  private running = 0;
  private readonly backoff: Backoff;

  constructor(private readonly o: GuardOptions) {
    this.backoff = new Backoff(o.backoff);
  }

  /** Checks running now (for tests and the in-flight gauge). */
  get inFlight(): number {
    return this.running;
  }

  /**
   * True when `secret` matches `hash` (or `previous`, a rotated key's secret before, still in its grace period);
   * false for a wrong secret or an unknown account (`hash` undefined): one failure however many hashes were tried.
   * Throws 429 (busy or locked) without hashing. `account` names the client id or `tenant/email` as the caller tried it.
   */
  async check(kind: AccountKind, account: string, secret: string, hash: string | undefined, previous?: string): Promise<boolean> {
    const key = `${kind}\u0000${account}`;
    const wait = this.backoff.wait(key);
    if (wait > 0) {
      refused.inc({ kind, reason: 'locked' });
      const seconds = Math.ceil(wait / 1000);
      throw IdentityErrors.locked({ seconds }).withHeader('retry-after', String(seconds))
        .withDetail(`${kind} ${account} is locked for ${seconds} s after repeated failed checks`);
    }
    const limit = this.o.maxChecks;
    if (this.running >= limit) {
      refused.inc({ kind, reason: 'busy' });
      throw IdentityErrors.busy({ limit }).withHeader('retry-after', '1');
    }
    this.running++;
    inFlight.inc();
    let ok: boolean;
    try {
      ok = await verifySecret(secret, hash ?? dummySecretHash(this.o.hashCost));
      if (!ok && hash !== undefined && previous !== undefined) ok = await verifySecret(secret, previous);
    } finally {
      this.running--;
      inFlight.dec();
    }
    if (ok && hash !== undefined) {
      this.backoff.succeeded(key);
      return true;
    }
    failures.inc({ kind });
    const lockMs = this.backoff.failed(key);
    if (lockMs > 0) {
      locks.inc({ kind });
      this.o.logger.warn({ kind, account, lockedSeconds: Math.ceil(lockMs / 1000) },
        'repeated failed credential checks: account locked (back-off)');
    }
    return false;
  }
}
