/**
 * The embedded store's write stage (fs.ts): one writable that counts the bytes against the limit and the declared
 * length, hashes them (MD5 and SHA-256, plus the caller's running states) and writes them at an offset of an open
 * file, in one pass. Each arriving chunk is copied once into a shared slab of the hash pool (hashing.ts); the full
 * slab goes to the hash workers and to the file at the same time, and returns to the pool when both are done. So
 * the socket's chunks die as soon as they are copied (they are not held in stream queues until a disk write
 * completes, where V8 would promote them and keep their memory until a full collection), and at most
 * SLABS_IN_FLIGHT slabs per upload are outstanding: a slow disk or hash slows the upload, never buffers it.
 *
 * A failed hash (a worker dying) or a failed file write fails the next write or the end of the stream with that
 * error, so the caller's pipeline rejects and removes its temporary file; nothing waits on a settled failure.
 * With `flush`, every FLUSH_EVERY bytes a data sync starts in the background and the end waits for it.
 */
import { createHash } from 'node:crypto';
import type fsp from 'node:fs/promises';
import { Writable } from 'node:stream';
import { overSize } from './digest.js';
import { hashPool, SlabFill, type HashHandle } from './hashing.js';
import { ObjectStoreError, type PutOptions } from './store.js';

const SLABS_IN_FLIGHT = 4;
const FLUSH_EVERY = 64 * 1024 * 1024;

export class DigestFile extends Writable {
  size = 0;
  md5 = '';
  sha256 = '';
  private own: HashHandle[] | undefined;
  private readonly slabs = new SlabFill();
  private pos: number;
  private unflushed = 0;
  private syncing: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private wake: (() => void) | undefined;
  private failed: Error | undefined;

  /** `also`: running hash states of the caller (a multipart upload's) that these bytes extend; they stay open. */
  constructor(private readonly fh: fsp.FileHandle, start: number, private readonly flush: boolean,
    private readonly options: PutOptions = {}, private readonly also: readonly HashHandle[] = []) {
    // A small queue: chunks wait here only while every slab is out, and then not for long.
    super({ highWaterMark: 64 * 1024 });
    this.pos = start;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.size += chunk.length;
    const over = overSize(this.size, this.options);
    if (over) {
      done(over);
      return;
    }
    this.copy(chunk, 0, done);
  }

  // Made once: copy() runs per socket chunk (64 KB), and allocates nothing itself.
  private readonly mayTake = () => !this.failed && this.inFlight < SLABS_IN_FLIGHT;
  private readonly sendSlab = (slab: SharedArrayBuffer, len: number) => this.send(slab, len);

  /** Copies `chunk` from `off` into slabs, sending each full one; waits for a free slot when all are out. */
  private copy(chunk: Buffer, off: number, done: (err?: Error | null) => void): void {
    const reached = this.slabs.copy(chunk, off, this.mayTake, this.sendSlab);
    if (this.failed) done(this.failed);
    else if (reached < chunk.length) this.wake = () => this.copy(chunk, reached, done);
    else done();
  }

  /** A full (or the last) slab to the hashes and the file at once; it returns to the pool when both have read it. */
  private send(slab: SharedArrayBuffer, len: number): void {
    const pos = this.pos;
    this.pos += len;
    this.own ??= hashPool.create(['md5', 'sha256']);
    this.inFlight++;
    const fail = (err: Error) => { this.failed ??= err; };
    const hashed = hashPool.update([...this.own, ...this.also], slab, len).then(undefined, fail);
    const written = this.writeAt(new Uint8Array(slab, 0, len), pos).then(undefined, fail);
    void Promise.all([hashed, written]).then(() => {
      if (!this.failed) hashPool.giveSlab(slab); // after a failure a worker may still be reading it
      this.inFlight--;
      const w = this.wake;
      this.wake = undefined;
      w?.();
    });
  }

  private async writeAt(view: Uint8Array, pos: number): Promise<void> {
    // A short write (rare on regular files) continues where it stopped.
    for (let off = 0; off < view.length;) off += (await this.fh.write(view, off, view.length - off, pos + off)).bytesWritten;
    this.unflushed += view.length;
    if (this.flush && this.unflushed >= FLUSH_EVERY) {
      this.unflushed = 0;
      this.syncing = this.syncing.then(() => this.fh.datasync()).catch((err: Error) => { this.failed ??= err; });
    }
  }

  private idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => { this.wake = () => r(this.idle()); });
  }

  override _final(done: (err?: Error | null) => void): void {
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.size !== expectedSize) {
      done(new ObjectStoreError('sizeMismatch', `${this.size} bytes arrived, ${expectedSize} were declared`));
      return;
    }
    void this.finish().then(() => done(), done);
  }

  private async finish(): Promise<void> {
    if (!this.own && this.also.length === 0) {
      // Never filled a slab: hashing here is cheaper than a round trip to a worker.
      const bytes = this.slabs.bytes();
      [this.md5, this.sha256] = ['md5', 'sha256'].map((alg) => createHash(alg).update(bytes).digest('hex')) as [string, string];
      if (bytes.length) await this.writeAt(bytes, this.pos);
      this.slabs.release();
      await this.syncing;
      if (this.failed) throw this.failed;
      return;
    }
    const last = this.slabs.take();
    if (last) this.send(...last);
    else this.slabs.release();
    await this.idle();
    await this.syncing;
    if (this.failed) throw this.failed;
    const own = this.own ?? hashPool.create(['md5', 'sha256']);
    this.own = undefined;
    [this.md5, this.sha256] = (await hashPool.end(own)) as [string, string];
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    if (this.own) hashPool.drop(this.own);
    this.own = undefined;
    this.slabs.release();
    done(err);
  }
}
