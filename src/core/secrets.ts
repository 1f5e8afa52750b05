/**
 * Slow hashes for client secrets and passwords (scrypt from node:crypto, run on the thread pool),
 * random secret generation, and SecretBox: AES-256-GCM encryption of secrets at rest (the token signing keys)
 * under a key kept outside the data directory.
 * Stored forms: `scrypt$<log2N>$<r>$<p>$<salt b64url>$<hash b64url>`; `aes256gcm$<key id>$<iv>$<tag>$<ciphertext>`.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEYLEN = 32;

function scryptAsync(secret: string, salt: Buffer, cost: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { N: 2 ** cost, r, p, maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key));
  });
}

export async function hashSecret(secret: string, cost: number): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, cost, 8, 1);
  return ['scrypt', cost, 8, 1, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, cost, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !cost || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), Number(cost), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** SHA-256, base64url: how cookies, codes and refresh tokens (high-entropy random values) are stored. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A secret of 32 random bytes, URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A well-formed hash of the given cost that matches no secret: checked against when the account is unknown, so timing does not tell unknown from wrong. */
export function dummySecretHash(cost: number): string {
  return `scrypt$${cost}$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
}

/** The shortest key material SecretBox accepts (e.g. `openssl rand -base64 32` gives 44 characters). */
export const MIN_BOX_KEY_CHARS = 32;

/**
 * Authenticated encryption of small secrets (AES-256-GCM from node:crypto, a fresh 96-bit IV per value). The AES key
 * is derived from the configured key material with HKDF-SHA256; the sealed form names the key by a short id, so a
 * value sealed under another key is told apart from a tampered one. `context` (e.g. the row's primary key) is bound
 * as additional data: a sealed value copied to another row does not open there.
 */
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(material: string) {
    if (material.length < MIN_BOX_KEY_CHARS) throw new Error(`the key must have at least ${MIN_BOX_KEY_CHARS} characters`);
    this.key = Buffer.from(hkdfSync('sha256', material, 'ironbridge', 'ironbridge secret box v1', 32));
    this.keyId = createHmac('sha256', this.key).update('key id').digest('base64url').slice(0, 8);
  }

  static isSealed(value: string): boolean {
    return value.startsWith('aes256gcm$');
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['aes256gcm', this.keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('$');
  }

  /** The plain value; throws naming the cause when it was sealed under another key or has been altered. */
  open(sealed: string, context: string): string {
    const [scheme, keyId, iv, tag, data] = sealed.split('$');
    if (scheme !== 'aes256gcm' || !keyId || !iv || !tag || data === undefined) throw new Error('not a sealed value');
    if (keyId !== this.keyId) throw new Error(`sealed under another key (key id ${keyId}, the configured key is ${this.keyId})`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the sealed value has been altered (authentication tag mismatch)');
    }
  }
}
