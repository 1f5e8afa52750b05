/**
 * Signed object URLs (Integrated Data Lake API v3 generateUploadObjectUrls / generateDownloadObjectUrls): absolute
 * URLs served by this platform, carrying no token, valid for one method, one tenant space, one path and until one
 * instant. The signature is HMAC-SHA256 over exactly those, keyed with a secret kept in the data lake store (so
 * every worker checks every other's URLs), compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DatalakeErrors } from './errors.js';
import type { Scope } from './paths.js';

export const SIGNED_PREFIX = '/datalake/signed/';

export type SignedMethod = 'GET' | 'PUT';

export interface SignedRequest {
  method: SignedMethod;
  scope: Scope;
  path: string;
}

const canonical = (r: SignedRequest, expires: number) =>
  [r.method, r.scope.tenant, r.scope.subtenant ?? '', r.path, String(expires)].join('\n');

export class UrlSigner {
  constructor(private readonly key: Buffer) {}

  private mac(r: SignedRequest, expires: number): Buffer {
    return createHmac('sha256', this.key).update(canonical(r, expires)).digest();
  }

  /** The absolute URL for `r`, valid until `expires` (epoch seconds). */
  url(base: string, r: SignedRequest, expires: number): string {
    const q = new URLSearchParams({ tenant: r.scope.tenant });
    if (r.scope.subtenant) q.set('subtenant', r.scope.subtenant);
    q.set('method', r.method);
    q.set('expires', String(expires));
    q.set('signature', this.mac(r, expires).toString('base64url'));
    return `${base}${SIGNED_PREFIX}${r.path.split('/').map(encodeURIComponent).join('/')}?${q.toString()}`;
  }

  /**
   * Checks a signed URL as it arrived: the request's own method and path against the signed ones. Throws 403
   * (S3 SignatureDoesNotMatch / AccessDenied) on any difference or when `nowSeconds` is past the expiry.
   */
  verify(method: string, path: string, query: Record<string, unknown>, nowSeconds: number): Scope {
    const str = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
    const tenant = str('tenant');
    const expires = Number(str('expires'));
    const signature = str('signature');
    if (!tenant || !signature || !Number.isInteger(expires)) {
      throw DatalakeErrors.signatureMismatch({ reason: 'the URL lacks tenant, expires or signature' });
    }
    const signedMethod = str('method');
    const m: SignedMethod = method === 'HEAD' ? 'GET' : method === 'PUT' ? 'PUT' : 'GET';
    if (signedMethod !== m) {
      throw DatalakeErrors.signatureMismatch({ reason: `the URL was signed for ${signedMethod ?? 'no method'}, not ${method}` });
    }
    const scope: Scope = { tenant, subtenant: str('subtenant') };
    const expected = this.mac({ method: m, scope, path }, expires);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw DatalakeErrors.signatureMismatch({ reason: 'the URL was altered or signed for another path' });
    }
    if (nowSeconds > expires) throw DatalakeErrors.signedUrlExpired({ expired: new Date(expires * 1000).toISOString() });
    return scope;
  }
}
