/**
 * Token signing keys: RS256 key pairs kept in the identity store, rotated after the configured age. A retired
 * key stays published (and accepted) until the last token it signed has expired. Several processes on one data
 * directory agree through the store's atomic rotation, and each follows the others' rotations with refresh().
 * Invariant: a retired key is kept for tokenTtl + 60 s after retirement, so refresh() must run more often than
 * every 60 s; then a token a lagging process signed with the just-retired key expires before the key goes.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, type JWK } from 'jose';
import type { IdentityStore, SigningKeyRecord } from './store.js';

type CryptoKeyLike = Awaited<ReturnType<typeof importSPKI>>;

interface LoadedKey {
  record: SigningKeyRecord;
  publicKey: CryptoKeyLike;
  jwk: JWK;
}

export interface PublishedKey {
  kty: string;
  e: string;
  n: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
  value: string;
}

export class KeyRing {
  private keys: LoadedKey[] = [];
  private signer: { kid: string; key: CryptoKeyLike } | undefined;
  private lastReload = 0;

  constructor(
    private readonly store: IdentityStore,
    private readonly rotationMs: number,
    private readonly tokenTtlMs: number,
  ) {}

  /** Loads the keys, creating or rotating the signing key when it is missing or too old. */
  async ensureCurrent(now = Date.now()): Promise<void> {
    const records = await this.store.listSigningKeys();
    const newest = records.find((k) => k.retiredAt === null);
    let current = records;
    if (!newest || newest.createdAt < now - this.rotationMs) {
      current = await this.store.rotateSigningKey(await this.generate(now), now - this.rotationMs);
    }
    await this.store.pruneSigningKeys(now - this.tokenTtlMs - 60_000);
    await this.load(current.filter((k) => k.retiredAt === null || k.retiredAt > now - this.tokenTtlMs - 60_000));
  }

  private async generate(now: number): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    return {
      kid: `key-${randomUUID()}`,
      alg: 'RS256',
      privatePem: await exportPKCS8(privateKey),
      publicPem: await exportSPKI(publicKey),
      createdAt: now,
      retiredAt: null,
    };
  }

  private async load(records: SigningKeyRecord[]): Promise<void> {
    const loaded: LoadedKey[] = [];
    for (const record of records) {
      const publicKey = await importSPKI(record.publicPem, 'RS256', { extractable: true });
      loaded.push({ record, publicKey, jwk: await exportJWK(publicKey) });
    }
    const active = records.find((r) => r.retiredAt === null);
    if (!active) throw new Error('no active signing key');
    if (this.signer?.kid !== active.kid) {
      this.signer = { kid: active.kid, key: await importPKCS8(active.privatePem, 'RS256') };
    }
    this.keys = loaded;
  }

  /**
   * Reloads when the store's active key is not the one this process signs with (another process rotated), when a
   * rotation is due, or when a loaded retired key has outlived its tokens; otherwise one read.
   */
  async refresh(now = Date.now()): Promise<void> {
    const active = (await this.store.listSigningKeys()).find((k) => k.retiredAt === null);
    const due = !active || active.createdAt < now - this.rotationMs;
    const rotatedElsewhere = active?.kid !== this.signer?.kid;
    const expired = this.keys.some((k) => k.record.retiredAt !== null && k.record.retiredAt <= now - this.tokenTtlMs - 60_000);
    if (due || rotatedElsewhere || expired) await this.ensureCurrent(now);
  }

  signingKey(): { kid: string; key: CryptoKeyLike } {
    if (!this.signer) throw new Error('key ring not loaded');
    return this.signer;
  }

  /** Public key for a kid; reloads from the store once per second at most when another process rotated. */
  async publicKey(kid: string): Promise<CryptoKeyLike | undefined> {
    const found = this.keys.find((k) => k.record.kid === kid);
    if (found) return found.publicKey;
    const now = Date.now();
    if (now - this.lastReload < 1000) return undefined;
    this.lastReload = now;
    await this.ensureCurrent(now);
    return this.keys.find((k) => k.record.kid === kid)?.publicKey;
  }

  /** Published keys, the current signing key first (the SDK only looks at keys[0]). */
  published(): PublishedKey[] {
    const current = this.signer?.kid;
    const sorted = [...this.keys].sort((a, b) =>
      (a.record.kid === current ? -1 : 0) - (b.record.kid === current ? -1 : 0) || b.record.createdAt - a.record.createdAt);
    return sorted.map((k) => ({
      kty: k.jwk.kty ?? 'RSA',
      e: k.jwk.e ?? '',
      n: k.jwk.n ?? '',
      kid: k.record.kid,
      alg: 'RS256',
      use: 'sig',
      value: k.record.publicPem.trim(),
    }));
  }
}
