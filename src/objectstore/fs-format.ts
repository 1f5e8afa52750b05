/**
 * The on-disk formats of the embedded object store (fs.ts): the 64-byte header every object file starts with,
 * the manifest a completed multipart upload is stored as, and the write path shared by objects and parts (DigestFile).
 *
 * Data file: "IBOBJ001", MD5 (16 bytes; for an object joined by an older version, the MD5 of the parts' MD5s),
 * SHA-256 (32), part count (u32 BE, 0 for a single put), 4 bytes zero; then the bytes.
 * Manifest: "IBOBJM01", the multipart tag's MD5, SHA-256 of the whole object, part count, 4 bytes zero; then JSON
 * {blob, size, parts: [[partNumber, size], ...]}: the object is the data of blobs/{blob}/{partNumber} in that order.
 */
import fsp from 'node:fs/promises';
import { Writable } from 'node:stream';
import { overLimit, shortOfDeclared } from './digest.js';
import { HashFeed, type HashHandle } from './hashing.js';
import type { PutOptions } from './store.js';

export const HEADER = 64;
const MAGIC = Buffer.from('IBOBJ001');
const MAGIC_MANIFEST = Buffer.from('IBOBJM01');

export interface Header { md5: string; sha256: string; parts: number; manifest: boolean }
export interface Manifest { blob: string; size: number; parts: Array<[number, number]> }

export function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(HEADER);
  (h.manifest ? MAGIC_MANIFEST : MAGIC).copy(b, 0);
  Buffer.from(h.md5, 'hex').copy(b, 8);
  Buffer.from(h.sha256, 'hex').copy(b, 24);
  b.writeUInt32BE(h.parts, 56);
  return b;
}

export function decodeHeader(b: Buffer, file: string): Header {
  const magic = b.subarray(0, 8);
  const manifest = magic.equals(MAGIC_MANIFEST);
  if (b.length < HEADER || !(manifest || magic.equals(MAGIC))) throw new Error(`${file} is not an object file of this store`);
  return { md5: b.subarray(8, 24).toString('hex'), sha256: b.subarray(24, 56).toString('hex'), parts: b.readUInt32BE(56), manifest };
}

export function encodeManifest(h: Header, m: Manifest): Buffer {
  return Buffer.concat([encodeHeader(h), Buffer.from(JSON.stringify(m))]);
}

export function decodeManifest(b: Buffer, file: string): Manifest {
  const m = JSON.parse(b.subarray(HEADER).toString('utf8')) as Manifest;
  if (typeof m.blob !== 'string' || !/^[0-9a-f]{32}$/.test(m.blob) || !Array.isArray(m.parts)) throw new Error(`${file} is not a manifest of this store`);
  return m;
}

export const etagOf = (h: Header) => (h.parts > 0 ? `${h.md5}-${h.parts}` : h.md5);

/** Bytes after which a write starts flushing what it has written so far (see DigestFile). */
const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * The sink of a put on the embedded store: counts the bytes against the limit and the declared length (as the
 * Digest does), feeds MD5 and SHA-256 (and `also`, a multipart upload's running hash) and writes the bytes at an
 * offset of an open file, batching queued chunks into one writev; the caller closes the file. One stream stage
 * instead of a Digest transform piped into a file writer: each socket chunk passes one stream, and at most 1 MB
 * is queued instead of 1 MB in each of three buffers, so fewer chunks live long enough to be promoted by the GC.
 * With `flush`, every FLUSH_EVERY bytes a data sync starts in the background, so the disk writes while the bytes
 * still stream, and the final fsync only waits for the tail. The digests are set once the stream has finished.
 */
export class DigestFile extends Writable {
  size = 0;
  md5 = '';
  sha256 = '';
  private readonly feed: HashFeed;
  private pos: number;
  private unflushed = 0;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly fh: fsp.FileHandle, start: number, private readonly flush: boolean,
    private readonly options: PutOptions = {}, also: readonly HashHandle[] = []) {
    super({ highWaterMark: 1024 * 1024 });
    this.pos = start;
    this.feed = new HashFeed(['md5', 'sha256'], also);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    let total = 0;
    for (const b of bufs) total += b.length;
    this.size += total;
    const over = overLimit(this.size, this.options);
    if (over) {
      done(over);
      return;
    }
    // The hashes copy the bytes now (waiting only for a free slab); the file write runs meanwhile.
    let waits: Array<Promise<void>> | undefined;
    for (const b of bufs) {
      const w = this.feed.write(b);
      if (w) (waits ??= []).push(w);
    }
    const pos = this.pos;
    const written = this.fh.writev(bufs, pos).then(async (r) => {
      // A short write (rare on regular files) continues where it stopped.
      for (let off = r.bytesWritten; off < total;) off += (await this.fh.write(Buffer.concat(bufs).subarray(off), 0, total - off, pos + off)).bytesWritten;
    });
    this.pos += total;
    (waits ? Promise.all([written, ...waits]) : written).then(() => {
      this.unflushed += total;
      if (this.flush && this.unflushed >= FLUSH_EVERY) {
        this.unflushed = 0;
        this.syncing = this.syncing.then(() => this.fh.datasync());
      }
      done();
    }, done);
  }

  override _final(done: (err?: Error | null) => void): void {
    const short = shortOfDeclared(this.size, this.options);
    if (short) {
      done(short);
      return;
    }
    Promise.all([this.feed.finish(), this.syncing]).then(([[md5, sha256]]) => {
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

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export const isMissing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
};
