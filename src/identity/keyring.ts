/**
 * Token signing keys: RS256 key pairs kept in the identity store, rotated after the configured age. A retired
 * key stays published (and accepted) until the last token it signed has expired. Several processes on one data
 * directory agree through the store's atomic rotation, and each follows the others' rotations with refresh().
 * Invariant: a retired key is kept for tokenTtl + retention margin after retirement, so refresh() must run more often
 * than the margin (--signing-key-refresh below --signing-key-retention); then a token a lagging process signed with
 * the just-retired key expires before the key goes.
 * With a SecretBox (--signing-key-secret), private keys are stored sealed (AES-256-GCM, bound to their kid), and keys
 * stored in plain form by an earlier start are sealed on the first start with the key.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, type JWK } from 'jose';
import { SecretBox } from '../core/secrets.js';
import type { IdentityStore, SigningKeyRecord } from './store.js';

export interface KeyRingOptions {
  rotationMs: number;
  tokenTtlMs: number;
  /** How long after a token's lifetime a retired key stays (--signing-key-retention). */
  retentionMs: number;
  /** Seals private keys at rest; undefined: plain PEM (and sealed keys cannot be read). */
  box?: SecretBox;
}

/** Thrown at start when the stored keys cannot be read with the configured encryption key (or without one). */
export class SigningKeyLockedError extends Error {}

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

  private readonly rotationMs: number;
  /** Token lifetime + retention margin: how long a retired key is kept. */
  private readonly keepMs: number;

  constructor(
    private readonly store: IdentityStore,
    private readonly options: KeyRingOptions,
  ) {
    this.rotationMs = options.rotationMs;
    this.keepMs = options.tokenTtlMs + options.retentionMs;
  }

  /** Loads the keys, creating or rotating the signing key when it is missing or too old. */
  async ensureCurrent(now = Date.now()): Promise<void> {
    const records = await this.store.listSigningKeys();
    const newest = records.find((k) => k.retiredAt === null);
    let current = records;
    if (!newest || newest.createdAt < now - this.rotationMs) {
      current = await this.store.rotateSigningKey(await this.generate(now), now - this.rotationMs);
    }
    await this.store.pruneSigningKeys(now - this.keepMs);
    await this.load(current.filter((k) => k.retiredAt === null || k.retiredAt > now - this.keepMs));
  }

  /**
   * At start, with an encryption key: seals the private keys an earlier start stored in plain form. Without one:
   * refuses sealed keys, naming the setting (a data directory whose keys are sealed needs its key).
   */
  async sealStoredKeys(): Promise<number> {
    const records = await this.store.listSigningKeys();
    const box = this.options.box;
    if (!box) {
      const sealed = records.find((r) => SecretBox.isSealed(r.privatePem));
      if (sealed) {
        throw new SigningKeyLockedError(`signing key ${sealed.kid} is stored encrypted: configure the key that encrypted it `
          + '(IRONBRIDGE_SIGNING_KEY_SECRET or IRONBRIDGE_SIGNING_KEY_SECRET_FILE)');
      }
      return 0;
    }
    const plain = records.filter((r) => !SecretBox.isSealed(r.privatePem));
    if (plain.length === 0) return 0;
    return this.store.replacePrivateKeys(plain.map((r) => ({ kid: r.kid, from: r.privatePem, to: box.seal(r.privatePem, r.kid) })));
  }

  private async generate(now: number): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const kid = `key-${randomUUID()}`;
    const pem = await exportPKCS8(privateKey);
    return {
      kid,
      alg: 'RS256',
      privatePem: this.options.box ? this.options.box.seal(pem, kid) : pem,
      publicPem: await exportSPKI(publicKey),
      createdAt: now,
      retiredAt: null,
    };
  }

  private privatePem(record: SigningKeyRecord): string {
    if (!SecretBox.isSealed(record.privatePem)) return record.privatePem;
    if (!this.options.box) throw new SigningKeyLockedError(`signing key ${record.kid} is stored encrypted and no key is configured`);
    try {
      return this.options.box.open(record.privatePem, record.kid);
    } catch (err) {
      throw new SigningKeyLockedError(`signing key ${record.kid} cannot be decrypted: ${(err as Error).message}`);
    }
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
      this.signer = { kid: active.kid, key: await importPKCS8(this.privatePem(active), 'RS256') };
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
    const expired = this.keys.some((k) => k.record.retiredAt !== null && k.record.retiredAt <= now - this.keepMs);
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
