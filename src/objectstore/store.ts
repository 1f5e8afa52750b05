/**
 * The one object store of the platform: a flat key space of immutable byte objects, streamed in and out, never
 * held in memory. The Integrated Data Lake, Asset Management files and IoT files from agents all keep their bytes
 * here, each under its own key prefix. Two implementations: the data directory (embedded default, fs.ts) and
 * S3-compatible storage (s3.ts); one contract suite (test/objectstore/store.contract.ts) runs against both.
 *
 * Invariants every implementation keeps:
 * - a put is atomic: until it resolves nobody sees the new bytes; if it fails (source error, size limit, client
 *   gone) the previous object under the key, or none, stays visible, and nothing partial is left behind;
 * - MD5 and SHA-256 of what was written are computed while the bytes stream through (in hash worker threads,
 *   hashing.ts) and reported by put;
 * - keys are checked (checkKey) before any storage call, so no key can leave the store's root.
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ObjectInfo {
  key: string;
  size: number;
  /** The store's entity tag, unquoted: the MD5 hex of the bytes for a single put; multipart uploads may differ. */
  etag: string;
  lastModified: Date;
  /** SHA-256 hex, when the implementation keeps it (the data directory does; S3 does not report it). */
  sha256?: string;
}

export interface PutResult extends ObjectInfo {
  /** MD5 hex of all bytes, computed while streaming (undefined for a multipart completion: its tag is S3's multipart form). */
  md5?: string;
}

export interface PutOptions {
  /** The put fails with ObjectStoreError 'tooLarge' as soon as more bytes arrive, and writes nothing. */
  maxBytes?: number;
  /** The declared length (Content-Length): fewer or more bytes fail with 'sizeMismatch' and write nothing. */
  expectedSize?: number;
  contentType?: string;
}

/** An inclusive byte range; `end` undefined means to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

/**
 * An object (or range) being read. Its bytes are taken once, either as `body` or through `pipeTo`: `body` is made
 * on first access, and destroying it unread releases what get held (an open file, a multipart read lease).
 */
export interface ObjectStream {
  info: ObjectInfo;
  readonly body: Readable;
  /**
   * Writes the bytes into `dest` and ends it; resolves once `dest` finished. Rejects with the read's error when
   * reading fails, with ObjectStoreError 'aborted' when `dest` closes or fails first; `dest` is then destroyed.
   * Whatever get held is released either way. The data directory reads into a few reused buffers, each written
   * again only once `dest`'s write callback for it has fired, so a download allocates nothing per chunk; S3
   * pipes its SDK stream.
   */
  pipeTo(dest: Writable): Promise<void>;
  /** The range actually served (inclusive), when one was asked for. */
  range?: { start: number; end: number };
}

/** pipeline(body, dest), with a failure of `dest` (a receiver gone) as ObjectStoreError 'aborted'. */
async function pipeBody(body: Readable, dest: Writable): Promise<void> {
  let readFailed = false;
  // A failing dest makes pipeline destroy the body with dest's error too: only an error while dest lives is the read's.
  body.once('error', () => { if (!dest.destroyed) readFailed = true; });
  try {
    await pipeline(body, dest);
  } catch (err) {
    if (readFailed) throw err;
    throw new ObjectStoreError('aborted', `the receiver went away before the last byte (${(err as Error).message})`, undefined, err);
  }
}

/**
 * An ObjectStream whose bytes are taken once: `body` made by `open` on first access, or `pump` (by default,
 * `open`'s stream piped into the writable). Taking them the other way afterwards throws.
 */
export function objectStream(info: ObjectInfo, range: { start: number; end: number } | undefined, open: () => Readable,
  pump: (dest: Writable) => Promise<void> = (dest) => pipeBody(open(), dest)): ObjectStream {
  let body: Readable | undefined;
  let pumped = false;
  const taken = () => new Error(`the bytes of ${info.key} were taken already`);
  return {
    info,
    get body() {
      if (pumped) throw taken();
      return (body ??= open());
    },
    pipeTo(dest) {
      if (pumped || body) return Promise.reject(taken());
      pumped = true;
      return pump(dest);
    },
    ...(range ? { range } : {}),
  };
}

export interface ListOptions {
  prefix: string;
  /** '/' lists one level: objects directly under the prefix and the sub-prefixes ("folders") below it. */
  delimiter?: '/';
  limit?: number;
  /** The nextToken of the previous page. */
  token?: string;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** With a delimiter: the common prefixes, each ending with '/'. */
  prefixes: string[];
  nextToken?: string;
}

export interface PartResult {
  partNumber: number;
  etag: string;
  size: number;
  md5: string;
  sha256: string;
}

export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  put(key: string, body: Readable, options?: PutOptions): Promise<PutResult>;
  /** undefined when there is no object; a range beyond the end fails with 'badRange'. */
  get(key: string, range?: ByteRange): Promise<ObjectStream | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** True when an object was removed. */
  delete(key: string): Promise<boolean>;
  list(options: ListOptions): Promise<ListPage>;
  copy(from: string, to: string): Promise<ObjectInfo>;
  /** Multipart uploads: parts 1..10000, each put atomically; complete makes them one object in part-number order. */
  createMultipart(key: string): Promise<string>;
  putPart(key: string, uploadId: string, partNumber: number, body: Readable, options?: PutOptions): Promise<PartResult>;
  completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<PutResult>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  close(): Promise<void>;
}

export type ObjectStoreErrorKind = 'tooLarge' | 'sizeMismatch' | 'badKey' | 'badRange' | 'noUpload' | 'badPart' | 'aborted';

/** A failure the caller can act on; anything else a store throws is an infrastructure error (500). */
export class ObjectStoreError extends Error {
  constructor(readonly kind: ObjectStoreErrorKind, message: string, readonly limit?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ObjectStoreError';
  }
}

export const MAX_KEY_BYTES = 1024;
export const MAX_PARTS = 10_000;

/**
 * Defence in depth below every context's own path rules: a key is 1..1024 UTF-8 bytes of non-empty segments
 * separated by '/', none of them '.' or '..', without control characters or backslashes, not starting with '/'.
 */
export function checkKey(key: string): string {
  const bad = (rule: string) => new ObjectStoreError('badKey', `object key ${JSON.stringify(key.slice(0, 100))} ${rule}`);
  if (key.length === 0) throw bad('is empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw bad(`is longer than ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(key)) throw bad('contains a control character or a backslash');
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw bad('has an empty, "." or ".." segment');
  }
  return key;
}

/** A prefix is a key ending in '/', or '' for all keys. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) {
    throw new ObjectStoreError('badPart', `part number ${n} is outside 1..${MAX_PARTS}`);
  }
}
