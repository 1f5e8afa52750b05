/**
 * The embedded object store: one file per object under `{dataDir}/objects/o/`, laid out by key segments.
 * A put streams into `tmp/`, fsyncs, and renames into place (then fsyncs the directory), so a reader sees the old
 * object or the whole new one and an interrupted upload leaves nothing visible. Each file starts with a 64-byte
 * header holding the object's MD5 (or multipart tag) and SHA-256, written after the bytes, so head and list never
 * re-read an object to report its checksums.
 *
 * Names on disk: a directory is a key segment, an object file is the segment followed by "~"; "%" and "~" in
 * segments are written as %25 and %7E, so an object "a/b" and an object "a/b/c" can both exist, as in S3.
 * Multipart uploads live in `mp/{uploadId}/` until completed (joined into one file) or aborted.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Digest, multipartEtag } from './digest.js';
import {
  checkKey, checkPartNumber, checkPrefix, ObjectStoreError, type ByteRange, type ListOptions, type ListPage, type ObjectInfo,
  type ObjectStore, type ObjectStream, type PartResult, type PutOptions, type PutResult,
} from './store.js';

const HEADER = 64;
const MAGIC = Buffer.from('IBOBJ001');
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const STALE_TMP_MS = 24 * 3600_000;

interface Header { md5: string; sha256: string; parts: number }

function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(HEADER);
  MAGIC.copy(b, 0);
  Buffer.from(h.md5, 'hex').copy(b, 8);
  Buffer.from(h.sha256, 'hex').copy(b, 24);
  b.writeUInt32BE(h.parts, 56);
  return b;
}

function decodeHeader(b: Buffer, file: string): Header {
  if (b.length < HEADER || !b.subarray(0, 8).equals(MAGIC)) throw new Error(`${file} is not an object file of this store`);
  return { md5: b.subarray(8, 24).toString('hex'), sha256: b.subarray(24, 56).toString('hex'), parts: b.readUInt32BE(56) };
}

const etagOf = (h: Header) => (h.parts > 0 ? `${h.md5}-${h.parts}` : h.md5);
const enc = (seg: string) => seg.replace(/[%~]/g, (c) => (c === '%' ? '%25' : '%7E'));
const dec = (name: string) => name.replace(/%(25|7E)/g, (m) => (m === '%25' ? '%' : '~'));
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const encodeToken = (k: string) => Buffer.from(k).toString('base64url');

function decodeToken(t: string | undefined): string | undefined {
  if (t === undefined || t === '') return undefined;
  return Buffer.from(t, 'base64url').toString('utf8');
}

/** Bytes after which a write starts flushing what it has written so far (see fileSink). */
const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * Writes a stream at an offset of an open file, batching queued chunks into one writev; the caller closes it.
 * With `flush`, every FLUSH_EVERY bytes a data sync starts in the background, so the disk writes while the bytes
 * still stream and hash, and the final fsync only waits for the tail.
 */
function fileSink(fh: fsp.FileHandle, start: number, flush: boolean): Writable {
  let pos = start;
  let unflushed = 0;
  let syncing: Promise<void> = Promise.resolve();
  return new Writable({
    highWaterMark: 1024 * 1024,
    writev(chunks, done) {
      const bufs = chunks.map((c) => c.chunk as Buffer);
      const total = bufs.reduce((n, b) => n + b.length, 0);
      const rest = async (written: number) => {
        // A short write (rare on regular files) continues where it stopped.
        for (let off = written; off < total;) off += (await fh.write(Buffer.concat(bufs).subarray(off), 0, total - off, pos + off)).bytesWritten;
      };
      fh.writev(bufs, pos).then((r) => rest(r.bytesWritten)).then(() => {
        pos += total;
        unflushed += total;
        if (flush && unflushed >= FLUSH_EVERY) {
          unflushed = 0;
          syncing = syncing.then(() => fh.datasync());
        }
        done();
      }, done);
    },
    final(done) {
      syncing.then(() => done(), done);
    },
  });
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  private readonly objects: string;
  private readonly tmp: string;
  private readonly uploads: string;

  constructor(root: string, private readonly durable = true) {
    this.objects = path.join(root, 'o');
    this.tmp = path.join(root, 'tmp');
    this.uploads = path.join(root, 'mp');
    for (const d of [this.objects, this.tmp, this.uploads]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    this.sweepTmp();
  }

  /** Temporary files of writes that died with their process; others' in-flight writes are younger than a day. */
  private sweepTmp(): void {
    const now = Date.now();
    for (const name of fs.readdirSync(this.tmp)) {
      const f = path.join(this.tmp, name);
      try {
        if (now - fs.statSync(f).mtimeMs > STALE_TMP_MS) fs.rmSync(f, { force: true });
      } catch { /* gone meanwhile */ }
    }
  }

  private fileOf(key: string): string {
    const segs = checkKey(key).split('/').map(enc);
    segs[segs.length - 1] += '~';
    return path.join(this.objects, ...segs);
  }

  /** Streams `body` (through the digest) into a new temporary object file; returns its path and header. */
  private async writeTemp(body: Readable, options: PutOptions): Promise<{ file: string; digest: Digest; header: Header }> {
    const file = path.join(this.tmp, randomUUID());
    const fh = await fsp.open(file, 'wx', 0o600);
    const digest = new Digest(options);
    try {
      await fh.write(Buffer.alloc(HEADER), 0, HEADER, 0);
      await pipeline(body, digest, fileSink(fh, HEADER, this.durable));
      const header = { md5: digest.md5, sha256: digest.sha256, parts: 0 };
      await fh.write(encodeHeader(header), 0, HEADER, 0);
      if (this.durable) await fh.sync();
      await fh.close();
      return { file, digest, header };
    } catch (err) {
      await fh.close().catch(() => undefined);
      await fsp.rm(file, { force: true });
      throw err;
    }
  }

  /** Renames a finished temporary file into place; a concurrent delete may remove the emptied directory meanwhile. */
  private async install(tmpFile: string, target: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      try {
        await fsp.rename(tmpFile, target);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) {
          await fsp.rm(tmpFile, { force: true });
          throw err;
        }
      }
    }
    if (this.durable) await fsyncDir(path.dirname(target));
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const target = this.fileOf(key);
    const { file, digest, header } = await this.writeTemp(body, options);
    await this.install(file, target);
    const st = await fsp.stat(target);
    return { key, size: digest.size, etag: etagOf(header), md5: digest.md5, sha256: digest.sha256, lastModified: st.mtime };
  }

  private async openObject(key: string): Promise<{ fh: fsp.FileHandle; header: Header; info: ObjectInfo } | undefined> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.fileOf(key), 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw err;
    }
    try {
      const buf = Buffer.alloc(HEADER);
      await fh.read(buf, 0, HEADER, 0);
      const header = decodeHeader(buf, key);
      const st = await fh.stat();
      return { fh, header, info: { key, size: st.size - HEADER, etag: etagOf(header), sha256: header.sha256, lastModified: st.mtime } };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const o = await this.openObject(key);
    if (!o) return undefined;
    await o.fh.close();
    return o.info;
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream | undefined> {
    const o = await this.openObject(key);
    if (!o) return undefined;
    const { size } = o.info;
    let served: { start: number; end: number } | undefined;
    if (range) {
      const end = Math.min(range.end ?? size - 1, size - 1);
      if (range.start < 0 || range.start >= size || end < range.start) {
        await o.fh.close();
        throw new ObjectStoreError('badRange', `range ${range.start}-${range.end ?? ''} is outside the ${size} bytes of the object`);
      }
      served = { start: range.start, end };
    }
    // The open handle pins this version: a concurrent replace or delete does not change what this reader sees.
    const body = size === 0 && !served ? Readable.from([]) : o.fh.createReadStream({
      start: HEADER + (served?.start ?? 0), end: HEADER + (served?.end ?? size - 1), highWaterMark: 1024 * 1024,
    });
    if (size === 0 && !served) await o.fh.close();
    return { info: o.info, body, ...(served ? { range: served } : {}) };
  }

  async delete(key: string): Promise<boolean> {
    const file = this.fileOf(key);
    try {
      await fsp.unlink(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw err;
    }
    // Remove directories the delete emptied, up to the root; a non-empty one ends the walk.
    for (let dir = path.dirname(file); dir.startsWith(this.objects + path.sep); dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break;
      }
    }
    return true;
  }

  async copy(from: string, to: string): Promise<ObjectInfo> {
    const src = this.fileOf(from);
    const target = this.fileOf(to);
    const tmpFile = path.join(this.tmp, randomUUID());
    try {
      await fsp.copyFile(src, tmpFile, fs.constants.COPYFILE_EXCL);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectStoreError('badKey', `object ${from} does not exist`);
      throw err;
    }
    if (this.durable) {
      const fh = await fsp.open(tmpFile, 'r+');
      await fh.sync();
      await fh.close();
    }
    await this.install(tmpFile, target);
    return (await this.head(to))!;
  }

  async list(options: ListOptions): Promise<ListPage> {
    const prefix = checkPrefix(options.prefix);
    const limit = Math.max(1, options.limit ?? 1000);
    const after = decodeToken(options.token);
    const objects: ObjectInfo[] = [];
    const prefixes: string[] = [];
    let last: string | undefined;
    let more = false;
    // The directory holding the prefix's last complete segment; the partial rest filters its entries.
    const slash = prefix.lastIndexOf('/');
    const dirKey = prefix.slice(0, slash + 1);
    const partial = prefix.slice(slash + 1);
    const emit = async (key: string, isPrefix: boolean): Promise<boolean> => {
      if (objects.length + prefixes.length >= limit) { more = true; return false; }
      if (isPrefix) prefixes.push(key);
      else {
        const info = await this.head(key);
        if (!info) return true; // deleted meanwhile
        objects.push(info);
      }
      last = key;
      return true;
    };
    const walk = async (dir: string, keyBase: string, filter: string): Promise<boolean> => {
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch {
        return true;
      }
      const entries = names.map((n) => (n.endsWith('~')
        ? { key: keyBase + dec(n.slice(0, -1)), file: true, name: n }
        : { key: `${keyBase}${dec(n)}/`, file: false, name: n }))
        .filter((e) => e.key.slice(keyBase.length).startsWith(filter))
        .sort((a, b) => byBytes(a.key, b.key));
      for (const e of entries) {
        if (after !== undefined && byBytes(e.key, after) <= 0 && !(!e.file && after.startsWith(e.key))) continue;
        if (e.file) {
          if (!(await emit(e.key, false))) return false;
        } else if (options.delimiter) {
          if (after !== undefined && byBytes(e.key, after) <= 0) continue;
          if (!(await emit(e.key, true))) return false;
        } else if (!(await walk(path.join(dir, e.name), e.key, ''))) return false;
      }
      return true;
    };
    const dirPath = dirKey === '' ? this.objects : path.join(this.objects, ...dirKey.slice(0, -1).split('/').map(enc));
    await walk(dirPath, dirKey, partial);
    return { objects, prefixes, ...(more && last !== undefined ? { nextToken: encodeToken(last) } : {}) };
  }

  private uploadDir(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new ObjectStoreError('noUpload', `upload ${uploadId.slice(0, 64)} does not exist`);
    return path.join(this.uploads, uploadId);
  }

  private async uploadOf(key: string, uploadId: string): Promise<string> {
    const dir = this.uploadDir(uploadId);
    let owner: string;
    try {
      owner = await fsp.readFile(path.join(dir, 'key'), 'utf8');
    } catch {
      throw new ObjectStoreError('noUpload', `upload ${uploadId} does not exist`);
    }
    if (owner !== key) throw new ObjectStoreError('noUpload', `upload ${uploadId} does not belong to ${key}`);
    return dir;
  }

  async createMultipart(key: string): Promise<string> {
    checkKey(key);
    const uploadId = randomUUID().replace(/-/g, '');
    const dir = path.join(this.uploads, uploadId);
    await fsp.mkdir(dir, { mode: 0o700 });
    await fsp.writeFile(path.join(dir, 'key'), key, { mode: 0o600 });
    return uploadId;
  }

  async putPart(key: string, uploadId: string, partNumber: number, body: Readable, options: PutOptions = {}): Promise<PartResult> {
    checkPartNumber(partNumber);
    const dir = await this.uploadOf(key, uploadId);
    const { file, digest } = await this.writeTemp(body, options);
    await this.install(file, path.join(dir, String(partNumber)));
    return { partNumber, etag: digest.md5, size: digest.size, md5: digest.md5, sha256: digest.sha256 };
  }

  async completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<PutResult> {
    const dir = await this.uploadOf(key, uploadId);
    if (parts.length === 0) throw new ObjectStoreError('badPart', 'a multipart upload needs at least one part');
    const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const partFiles: string[] = [];
    const partMd5s: string[] = [];
    for (const [i, p] of ordered.entries()) {
      checkPartNumber(p.partNumber);
      if (i > 0 && ordered[i - 1]!.partNumber === p.partNumber) throw new ObjectStoreError('badPart', `part ${p.partNumber} is listed twice`);
      const file = path.join(dir, String(p.partNumber));
      let header: Header;
      try {
        const fh = await fsp.open(file, 'r');
        const buf = Buffer.alloc(HEADER);
        await fh.read(buf, 0, HEADER, 0);
        await fh.close();
        header = decodeHeader(buf, file);
      } catch {
        throw new ObjectStoreError('badPart', `part ${p.partNumber} was not uploaded`);
      }
      if (header.md5 !== p.etag.replace(/"/g, '')) throw new ObjectStoreError('badPart', `part ${p.partNumber} has etag ${header.md5}, not ${p.etag}`);
      partFiles.push(file);
      partMd5s.push(header.md5);
    }
    const joined = Readable.from((async function* () {
      for (const f of partFiles) yield* fs.createReadStream(f, { start: HEADER, highWaterMark: 1024 * 1024 });
    })());
    const { file, digest } = await this.writeTemp(joined, {});
    const etag = multipartEtag(partMd5s);
    const header = { md5: etag.split('-')[0]!, sha256: digest.sha256, parts: partMd5s.length };
    const fh = await fsp.open(file, 'r+');
    await fh.write(encodeHeader(header), 0, HEADER, 0);
    if (this.durable) await fh.sync();
    await fh.close();
    const target = this.fileOf(key);
    await this.install(file, target);
    await fsp.rm(dir, { recursive: true, force: true });
    const st = await fsp.stat(target);
    return { key, size: digest.size, etag, md5: digest.md5, sha256: digest.sha256, lastModified: st.mtime };
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    const dir = await this.uploadOf(key, uploadId);
    await fsp.rm(dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}
