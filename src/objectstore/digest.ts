/**
 * The pass-through every write goes through: counts the bytes against the limit and the declared length, and
 * feeds MD5 and SHA-256 while they stream (node:crypto), so no object is read twice to be checked.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ObjectStoreError, type PutOptions } from './store.js';

export class Digest extends Transform {
  size = 0;
  private readonly md5Hash: Hash = createHash('md5');
  private readonly shaHash: Hash = createHash('sha256');
  md5 = '';
  sha256 = '';

  constructor(private readonly options: PutOptions = {}) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    const { maxBytes, expectedSize } = this.options;
    if (maxBytes !== undefined && this.size > maxBytes) {
      done(new ObjectStoreError('tooLarge', `the object is larger than ${maxBytes} bytes`, maxBytes));
      return;
    }
    if (expectedSize !== undefined && this.size > expectedSize) {
      done(new ObjectStoreError('sizeMismatch', `more bytes arrived than the declared ${expectedSize}`));
      return;
    }
    this.md5Hash.update(chunk);
    this.shaHash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.size !== expectedSize) {
      done(new ObjectStoreError('sizeMismatch', `${this.size} bytes arrived, ${expectedSize} were declared`));
      return;
    }
    this.md5 = this.md5Hash.digest('hex');
    this.sha256 = this.shaHash.digest('hex');
    done();
  }
}

/** The S3 form of a multipart entity tag: MD5 of the parts' binary MD5s, a dash and the part count. */
export function multipartEtag(partMd5s: readonly string[]): string {
  const h = createHash('md5');
  for (const m of partMd5s) h.update(Buffer.from(m, 'hex'));
  return `${h.digest('hex')}-${partMd5s.length}`;
}
