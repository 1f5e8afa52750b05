/**
 * The pass-through every write goes through: counts the bytes against the limit and the declared length, and
 * feeds MD5 and SHA-256 while they stream, so no object is read twice to be checked. The hashing itself runs in
 * worker threads (hashing.ts); the bytes pass on downstream at once and the digests are ready when the stream ends.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { HashFeed, type HashHandle } from './hashing.js';
import { ObjectStoreError, type PutOptions } from './store.js';

/** The error for a body that has grown past its limit or its declared size by `size` bytes, if it has. */
export function overSize(size: number, { maxBytes, expectedSize }: PutOptions): ObjectStoreError | undefined {
  if (maxBytes !== undefined && size > maxBytes) return new ObjectStoreError('tooLarge', `the object is larger than ${maxBytes} bytes`, maxBytes);
  if (expectedSize !== undefined && size > expectedSize) return new ObjectStoreError('sizeMismatch', `more bytes arrived than the declared ${expectedSize}`);
  return undefined;
}

export class Digest extends Transform {
  size = 0;
  md5 = '';
  sha256 = '';
  private readonly feed: HashFeed;

  /** `also`: running hash states of the caller (a multipart upload's) that these bytes extend; they stay open. */
  constructor(private readonly options: PutOptions = {}, also: readonly HashHandle[] = []) {
    super({ highWaterMark: 1024 * 1024 });
    this.feed = new HashFeed(['md5', 'sha256'], also);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    const over = overSize(this.size, this.options);
    if (over) {
      done(over);
      return;
    }
    const wait = this.feed.write(chunk);
    if (wait) wait.then(() => done(null, chunk), done);
    else done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.size !== expectedSize) {
      done(new ObjectStoreError('sizeMismatch', `${this.size} bytes arrived, ${expectedSize} were declared`));
      return;
    }
    this.feed.finish().then(([md5, sha256]) => {
      this.md5 = md5!;
      this.sha256 = sha256!;
      done();
    }, done);
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.feed.abort(); // no-op once finished
    done(err);
  }
}

/** The S3 form of a multipart entity tag: MD5 of the parts' binary MD5s, a dash and the part count. */
export function multipartEtag(partMd5s: readonly string[]): string {
  const h = createHash('md5');
  for (const m of partMd5s) h.update(Buffer.from(m, 'hex'));
  return `${h.digest('hex')}-${partMd5s.length}`;
}
