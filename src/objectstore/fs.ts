/**
 * The embedded object store: one file per object under `{dataDir}/objects/o/`, laid out by key segments.
 * A put streams into `tmp/`, fsyncs, and renames into place (then fsyncs the directory), so a reader sees the old
 * object or the whole new one and an interrupted upload leaves nothing visible. Each file starts with a 64-byte
 * header holding the object's MD5 (or multipart tag) and SHA-256, written after the bytes, so head and list never
 * re-read an object to report its checksums (formats: fs-format.ts).
 *
 * Names on disk: a directory is a key segment, an object file is the segment followed by "~"; "%" and "~" in
 * segments are written as %25 and %7E, so an object "a/b" and an object "a/b/c" can both exist, as in S3.
 * Multipart uploads live in `mp/{uploadId}/` until completed or aborted (fs-multipart.ts); a completed one is a
 * manifest at its key over the parts in `blobs/{id}/`. Whoever replaces or deletes a manifest removes its blob
 * directory through a lease-aware retire (fs-read.ts): a reader of a multipart object holds one open part at a
 * time and a lease on its blob, so the removal of a version it reads waits for it, and 10,000 parts never mean
 * 10,000 open files (a reader that finds the version replaced before its lease reads the key again).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestFile } from './digest-file.js';
import {
  decodeHeader, decodeManifest, encodeHeader, encodeManifest, etagOf, fsyncDir, HEADER, isMissing, type Header, type Manifest,
} from './fs-format.js';
import { FsMultipart, type FsInternals } from './fs-multipart.js';
import { BlobReaders, SpanReader } from './fs-read.js';
import type { HashHandle } from './hashing.js';
import {
  checkKey, checkPrefix, ObjectStoreError, type ByteRange, type ListOptions, type ListPage, type ObjectInfo,
  type ObjectStore, type ObjectStream, type PartResult, type PutOptions, type PutResult, objectStream,
} from './store.js';

const STALE_TMP_MS = 24 * 3600_000;
/** An unreferenced blob directory younger than this may belong to a completion still under way. */
const STALE_BLOB_MS = 3600_000;

const enc = (seg: string) => seg.replace(/[%~]/g, (c) => (c === '%' ? '%25' : '%7E'));
const dec = (name: string) => name.replace(/%(25|7E)/g, (m) => (m === '%25' ? '%' : '~'));
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const encodeToken = (k: string) => Buffer.from(k).toString('base64url');

function decodeToken(t: string | undefined): string | undefined {
  if (t === undefined || t === '') return undefined;
  return Buffer.from(t, 'base64url').toString('utf8');
}

type Opened =
  | { fh: fsp.FileHandle; header: Header; manifest?: undefined; info: ObjectInfo }
  | { fh?: undefined; header: Header; manifest: Manifest; info: ObjectInfo };

const MB = 1024 * 1024;

export class FsObjectStore implements ObjectStore, FsInternals {
  readonly kind = 'fs' as const;
  private readonly objects: string;
  readonly tmp: string;
  readonly uploads: string;
  readonly blobs: string;
  private readonly mp: FsMultipart;
  private readonly readers: BlobReaders;

  constructor(root: string, readonly durable = true) {
    this.objects = path.join(root, 'o');
    this.tmp = path.join(root, 'tmp');
    this.uploads = path.join(root, 'mp');
    this.blobs = path.join(root, 'blobs');
    for (const d of [this.objects, this.tmp, this.uploads, this.blobs]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    this.sweepTmp();
    this.sweepBlobs();
    this.mp = new FsMultipart(this);
    this.readers = new BlobReaders(this.blobs, path.join(root, 'retired'));
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

  /** Blob directories no manifest names: a completion or copy that died before installing its manifest. */
  private sweepBlobs(): void {
    const now = Date.now();
    for (const name of fs.readdirSync(this.blobs)) {
      const dir = path.join(this.blobs, name);
      try {
        const st = fs.statSync(dir);
        if (now - st.mtimeMs < STALE_BLOB_MS) continue;
        let referenced = false;
        try {
          const file = this.fileOf(fs.readFileSync(path.join(dir, 'key'), 'utf8'));
          const head = Buffer.alloc(HEADER);
          const fd = fs.openSync(file, 'r');
          try { fs.readSync(fd, head, 0, HEADER, 0); } finally { fs.closeSync(fd); }
          referenced = decodeHeader(head, name).manifest && decodeManifest(fs.readFileSync(file), name).blob === name;
        } catch { /* no key, no object, or not a manifest */ }
        if (!referenced) fs.rmSync(dir, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
    }
  }

  fileOf(key: string): string {
    const segs = checkKey(key).split('/').map(enc);
    segs[segs.length - 1] += '~';
    return path.join(this.objects, ...segs);
  }

  /**
   * Streams `body` (through the digest, also extending `also`) into a new temporary object file. `onStreamed`
   * runs once every byte has reached the hashes, before the final fsync (a multipart upload lets the next part
   * extend its running hash while this one is still being made durable).
   */
  async writeTemp(body: Readable, options: PutOptions, also: readonly HashHandle[] = [], onStreamed?: (md5: string) => void) {
    const file = path.join(this.tmp, randomUUID());
    const fh = await fsp.open(file, 'wx', 0o600);
    const digest = new DigestFile(fh, HEADER, this.durable, options, also);
    try {
      await fh.write(Buffer.alloc(HEADER), 0, HEADER, 0);
      await pipeline(body, digest);
      onStreamed?.(digest.md5);
      await fh.write(encodeHeader({ md5: digest.md5, sha256: digest.sha256, parts: 0, manifest: false }), 0, HEADER, 0);
      if (this.durable) await fh.sync();
      await fh.close();
      return { file, size: digest.size, md5: digest.md5, sha256: digest.sha256 };
    } catch (err) {
      await fh.close().catch(() => undefined);
      await fsp.rm(file, { force: true });
      throw err;
    }
  }

  /** The blob directory of the manifest at `file`, if there is one. */
  private async blobAt(file: string): Promise<string | undefined> {
    try {
      const fh = await fsp.open(file, 'r');
      try {
        const b = Buffer.alloc(HEADER);
        await fh.read(b, 0, HEADER, 0);
        return decodeHeader(b, file).manifest ? decodeManifest(await fh.readFile(), file).blob : undefined;
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private async retire(blob: string | undefined): Promise<void> {
    if (blob) await this.readers.retire(blob);
  }

  /** Renames a finished temporary file into place; a concurrent delete may remove the emptied directory meanwhile. */
  async install(tmpFile: string, target: string): Promise<void> {
    const old = await this.blobAt(target).catch(() => undefined);
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
    // Only now is the old version unreachable; readers that opened it hold their part files open.
    await this.retire(old);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const target = this.fileOf(key);
    const w = await this.writeTemp(body, options);
    await this.install(w.file, target);
    const st = await fsp.stat(target);
    return { key, size: w.size, etag: w.md5, md5: w.md5, sha256: w.sha256, lastModified: st.mtime };
  }

  private async openObject(key: string): Promise<Opened | undefined> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.fileOf(key), 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const buf = Buffer.alloc(HEADER);
      await fh.read(buf, 0, HEADER, 0);
      const header = decodeHeader(buf, key);
      const st = await fh.stat();
      const info = { key, size: st.size - HEADER, etag: etagOf(header), sha256: header.sha256, lastModified: st.mtime };
      if (!header.manifest) return { fh, header, info };
      const manifest = decodeManifest(await fh.readFile(), key);
      await fh.close();
      return { header, manifest, info: { ...info, size: manifest.size } };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const o = await this.openObject(key);
    if (!o) return undefined;
    await o.fh?.close();
    return o.info;
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream | undefined> {
    for (let attempt = 0; ; attempt++) {
      const o = await this.openObject(key);
      if (!o) return undefined;
      const { size } = o.info;
      let served: { start: number; end: number } | undefined;
      if (range) {
        const end = Math.min(range.end ?? size - 1, size - 1);
        if (range.start < 0 || range.start >= size || end < range.start) {
          await o.fh?.close();
          throw new ObjectStoreError('badRange', `range ${range.start}-${range.end ?? ''} is outside the ${size} bytes of the object`);
        }
        served = { start: range.start, end };
      }
      const from = served?.start ?? 0;
      const to = served?.end ?? size - 1;
      if (size === 0 && !served) {
        await o.fh?.close();
        return objectStream(o.info, undefined, () => Readable.from([]));
      }
      let reader: SpanReader;
      if (o.fh) {
        // The open handle pins this version: a concurrent replace or delete does not change what this reader sees.
        reader = new SpanReader(o.fh, [{ part: 0, start: HEADER + from, end: HEADER + to }]);
      } else {
        try {
          const file = this.fileOf(key);
          const blob = o.manifest.blob;
          reader = await this.readers.read(o.manifest, from, to, async () => (await this.blobAt(file)) === blob);
        } catch (err) {
          if (isMissing(err) && attempt < 5) continue; // replaced while we opened it: read the key again
          throw err;
        }
      }
      return objectStream(o.info, served, () => reader.readable(), (dest) => reader.pump(dest));
    }
  }

  async delete(key: string): Promise<boolean> {
    const file = this.fileOf(key);
    const old = await this.blobAt(file).catch(() => undefined);
    try {
      await fsp.unlink(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw err;
    }
    await this.retire(old);
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
    for (let attempt = 0; ; attempt++) {
      const tmpFile = path.join(this.tmp, randomUUID());
      try {
        const fh = await fsp.open(src, 'r');
        let b = Buffer.alloc(HEADER);
        try {
          await fh.read(b, 0, HEADER, 0);
          if (decodeHeader(b, from).manifest) b = await fh.readFile();
        } finally {
          await fh.close();
        }
        const header = decodeHeader(b, from);
        if (header.manifest) await this.copyManifest(b, header, to, tmpFile);
        else {
          await fsp.copyFile(src, tmpFile, fs.constants.COPYFILE_EXCL);
          if (this.durable) {
            const fh = await fsp.open(tmpFile, 'r+');
            await fh.sync();
            await fh.close();
          }
        }
      } catch (err) {
        await fsp.rm(tmpFile, { force: true });
        if (isMissing(err)) {
          if (attempt < 5 && (await fsp.stat(src).then(() => true, () => false))) continue; // replaced meanwhile
          throw new ObjectStoreError('badKey', `object ${from} does not exist`);
        }
        throw err;
      }
      await this.install(tmpFile, target);
      return (await this.head(to))!;
    }
  }

  /** A multipart object is copied as hard links of its parts under a new blob and a manifest naming it. */
  private async copyManifest(b: Buffer, header: Header, to: string, tmpFile: string): Promise<void> {
    const m = decodeManifest(b, to);
    const blob = randomUUID().replace(/-/g, '');
    const dir = path.join(this.blobs, blob);
    await fsp.mkdir(dir, { mode: 0o700 });
    try {
      for (const [n] of m.parts) await fsp.link(path.join(this.blobs, m.blob, String(n)), path.join(dir, String(n)));
      await fsp.writeFile(path.join(dir, 'key'), to, { mode: 0o600 });
      if (this.durable) await Promise.all([fsyncDir(dir), fsyncDir(this.blobs)]);
      await fsp.writeFile(tmpFile, encodeManifest(header, { ...m, blob }), { mode: 0o600, flag: 'wx' });
      if (this.durable) {
        const fh = await fsp.open(tmpFile, 'r+');
        await fh.sync();
        await fh.close();
      }
    } catch (err) {
      await fsp.rm(dir, { recursive: true, force: true });
      throw err;
    }
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

  createMultipart(key: string): Promise<string> {
    return this.mp.create(key);
  }

  putPart(key: string, uploadId: string, partNumber: number, body: Readable, options: PutOptions = {}): Promise<PartResult> {
    return this.mp.putPart(key, uploadId, partNumber, body, options);
  }

  completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<PutResult> {
    return this.mp.complete(key, uploadId, parts);
  }

  abortMultipart(key: string, uploadId: string): Promise<void> {
    return this.mp.abort(key, uploadId);
  }

  async close(): Promise<void> {}
}
