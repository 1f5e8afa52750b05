/**
 * Back-off against guessing, per account (a client id or a tenant's user): after `after` failed checks in a row the
 * account is locked for `initialMs`, and every further failure (checked once the lock is over) doubles the lock, up to
 * `maxMs`. Refused attempts during a lock are not checked and do not lengthen it; a success forgets the account;
 * failures older than `forgetMs` are forgotten. Memory is bounded: at most `maxEntries` accounts are remembered, the
 * least recently failing forgotten first.
 * Why these rules (docs/gateway.md "Guessing"): a lock never exceeds `maxMs`, so an attacker who keeps failing for a
 * legitimate client holds it off for at most that long per lock, and gets one guess per lock in return; the
 * legitimate client retrying after Retry-After competes for the same check. Unknown accounts are remembered like
 * known ones, so a lock tells nothing about which exist.
 */

export interface BackoffOptions {
  after: number;
  initialMs: number;
  maxMs: number;
  forgetMs: number;
  maxEntries: number;
  now: () => number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly o: BackoffOptions) {}

  /** Milliseconds until the account may be checked again; 0 when it may be now. */
  wait(key: string): number {
    const e = this.current(key);
    return e ? Math.max(0, e.lockedUntil - this.o.now()) : 0;
  }

  /** Records a failed check; returns the lock it starts (0 while below the threshold). */
  failed(key: string): number {
    const now = this.o.now();
    const e = this.current(key) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
    e.failures++;
    e.lastFailure = now;
    const over = e.failures - this.o.after;
    const lockMs = over < 0 ? 0 : Math.min(this.o.maxMs, this.o.initialMs * 2 ** Math.min(over, 30));
    e.lockedUntil = now + lockMs;
    this.entries.delete(key); // re-inserted last: the Map's order is the order of the latest failures
    if (this.entries.size >= this.o.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, e);
    return lockMs;
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }

  /** Accounts remembered now (bounded by maxEntries). */
  get size(): number {
    return this.entries.size;
  }

  private current(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.o.now() - e.lastFailure >= this.o.forgetMs && e.lockedUntil <= this.o.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
