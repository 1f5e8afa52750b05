/**
 * S3-compatible object storage through @aws-sdk/client-s3 and @aws-sdk/lib-storage: endpoint, bucket, region,
 * path-style addressing and the checksum mode come from the settings (non-AWS stores often need path style and
 * checksums only "when required"). Puts stream through the digest into lib-storage's Upload, which sends one
 * PutObject for small bodies and a multipart upload (aborted on failure) for large ones, so S3 itself keeps the
 * put atomic. S3 does not report SHA-256 on head; put reports what it computed while streaming.
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsCommand, S3Client, UploadPartCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Digest } from './digest.js';
import {
  checkKey, checkPartNumber, checkPrefix, ObjectStoreError, type ByteRange, type ListOptions, type ListPage, type ObjectInfo,
  type ObjectStore, type ObjectStream, type PartResult, type PutOptions, type PutResult, objectStream,
} from './store.js';

export interface S3Settings {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  checksums: 'when_supported' | 'when_required';
  /** Key prefix inside the bucket (e.g. "ironbridge/"); '' for the whole bucket. */
  prefix: string;
  partBytes: number;
}

const unquote = (e: string | undefined) => (e ?? '').replace(/"/g, '');
const missing = (err: unknown) => {
  const e = err as S3ServiceException;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(private readonly s: S3Settings) {
    const mode = s.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    this.client = new S3Client({
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      forcePathStyle: s.forcePathStyle,
      ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
      requestChecksumCalculation: mode,
      responseChecksumValidation: mode,
    });
    this.bucket = s.bucket;
    this.prefix = s.prefix;
  }

  private k(key: string): string {
    return this.prefix + checkKey(key);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const digest = new Digest(options);
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    const upload = new Upload({
      client: this.client, queueSize: 2, partSize: this.s.partBytes, leavePartsOnError: false,
      params: { Bucket: this.bucket, Key: this.k(key), Body: out, ...(options.contentType ? { ContentType: options.contentType } : {}) },
    });
    const feeding = pipeline(body, digest, out);
    // A failure on the feeding side must abort the upload, or S3 would store what arrived so far.
    feeding.catch(() => void upload.abort().catch(() => undefined));
    const [done] = await Promise.all([upload.done(), feeding]).catch(async (err: unknown) => {
      await upload.abort().catch(() => undefined);
      throw err;
    });
    const info = await this.head(key);
    return {
      key, size: digest.size, etag: unquote(done.ETag) || info?.etag || digest.md5, md5: digest.md5, sha256: digest.sha256,
      lastModified: info?.lastModified ?? new Date(),
    };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
      return { key, size: r.ContentLength ?? 0, etag: unquote(r.ETag), lastModified: r.LastModified ?? new Date(0) };
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream | undefined> {
    let served: { start: number; end: number } | undefined;
    if (range) {
      const info = await this.head(key);
      if (!info) return undefined;
      const end = Math.min(range.end ?? info.size - 1, info.size - 1);
      if (range.start < 0 || range.start >= info.size || end < range.start) {
        throw new ObjectStoreError('badRange', `range ${range.start}-${range.end ?? ''} is outside the ${info.size} bytes of the object`);
      }
      served = { start: range.start, end };
    }
    try {
      const r = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket, Key: this.k(key), ...(served ? { Range: `bytes=${served.start}-${served.end}` } : {}),
      }));
      const total = served ? Number(/\/(\d+)$/.exec(r.ContentRange ?? '')?.[1] ?? NaN) : r.ContentLength ?? 0;
      const info = { key, size: Number.isFinite(total) ? total : r.ContentLength ?? 0, etag: unquote(r.ETag), lastModified: r.LastModified ?? new Date(0) };
      return objectStream(info, served, () => r.Body as Readable);
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.head(key)) !== undefined;
    if (existed) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
    return existed;
  }

  async copy(from: string, to: string): Promise<ObjectInfo> {
    const source = `${this.bucket}/${this.k(from).split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.k(to), CopySource: source }));
    } catch (err) {
      if (missing(err)) throw new ObjectStoreError('badKey', `object ${from} does not exist`);
      throw err;
    }
    return (await this.head(to))!;
  }

  /**
   * ListObjects (v1) with Marker: the last key, or the last common prefix followed by U+10FFFF so its keys are
   * skipped. Not v2 continuation tokens: s3rver builds those with DES, which OpenSSL 3 lacks, and fails.
   */
  async list(options: ListOptions): Promise<ListPage> {
    const prefix = this.prefix + checkPrefix(options.prefix);
    const limit = Math.max(1, options.limit ?? 1000);
    const objects: ObjectInfo[] = [];
    const prefixes: string[] = [];
    let startAfter = options.token ? this.prefix + Buffer.from(options.token, 'base64url').toString('utf8') : undefined;
    let truncated = false;
    // S3 counts objects and prefixes together against MaxKeys; some servers do not, so the page is cut here too.
    for (;;) {
      const r = await this.client.send(new ListObjectsCommand({
        Bucket: this.bucket, Prefix: prefix, MaxKeys: limit - objects.length - prefixes.length,
        ...(options.delimiter ? { Delimiter: options.delimiter } : {}), ...(startAfter ? { Marker: startAfter } : {}),
      }));
      const items = [
        ...(r.Contents ?? []).map((o) => ({ key: o.Key ?? '', o })),
        ...(r.CommonPrefixes ?? []).map((p) => ({ key: p.Prefix ?? '', o: undefined })),
      ].filter((i) => startAfter === undefined || i.key > startAfter).sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
      for (const { key, o } of items) {
        if (objects.length + prefixes.length >= limit) { truncated = true; break; }
        if (o) objects.push({ key: key.slice(this.prefix.length), size: o.Size ?? 0, etag: unquote(o.ETag), lastModified: o.LastModified ?? new Date(0) });
        else prefixes.push(key.slice(this.prefix.length));
        startAfter = o ? key : `${key}\u{10FFFF}`;
      }
      if (truncated || !r.IsTruncated || items.length === 0) { truncated ||= Boolean(r.IsTruncated); break; }
      if (objects.length + prefixes.length >= limit) { truncated = true; break; }
    }
    const token = truncated && startAfter ? Buffer.from(startAfter.slice(this.prefix.length)).toString('base64url') : undefined;
    return { objects, prefixes, ...(token ? { nextToken: token } : {}) };
  }

  async createMultipart(key: string): Promise<string> {
    const r = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.k(key) }));
    if (!r.UploadId) throw new Error('the S3 server returned no UploadId');
    return r.UploadId;
  }

  async putPart(key: string, uploadId: string, partNumber: number, body: Readable, options: PutOptions = {}): Promise<PartResult> {
    checkPartNumber(partNumber);
    if (options.expectedSize === undefined) {
      throw new ObjectStoreError('sizeMismatch', 'a part needs its length declared (Content-Length) for S3 storage');
    }
    const digest = new Digest(options);
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    const feeding = pipeline(body, digest, out);
    try {
      const [r] = await Promise.all([
        this.client.send(new UploadPartCommand({
          Bucket: this.bucket, Key: this.k(key), UploadId: uploadId, PartNumber: partNumber, Body: out,
          ContentLength: options.expectedSize,
        })),
        feeding,
      ]);
      return { partNumber, etag: unquote(r.ETag) || digest.md5, size: digest.size, md5: digest.md5, sha256: digest.sha256 };
    } catch (err) {
      out.destroy();
      if ((err as S3ServiceException)?.name === 'NoSuchUpload') throw new ObjectStoreError('noUpload', `upload ${uploadId} does not exist`);
      throw err;
    }
  }

  async completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<PutResult> {
    if (parts.length === 0) throw new ObjectStoreError('badPart', 'a multipart upload needs at least one part');
    const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    try {
      await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.bucket, Key: this.k(key), UploadId: uploadId,
        MultipartUpload: { Parts: ordered.map((p) => ({ PartNumber: p.partNumber, ETag: `"${unquote(p.etag)}"` })) },
      }));
    } catch (err) {
      const name = (err as S3ServiceException)?.name;
      if (name === 'NoSuchUpload') throw new ObjectStoreError('noUpload', `upload ${uploadId} does not exist`);
      if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
        throw new ObjectStoreError('badPart', (err as Error).message);
      }
      throw err;
    }
    const info = (await this.head(key))!;
    return { ...info };
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.k(key), UploadId: uploadId }));
    } catch (err) {
      if ((err as S3ServiceException)?.name === 'NoSuchUpload') throw new ObjectStoreError('noUpload', `upload ${uploadId} does not exist`);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
