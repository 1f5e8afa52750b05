/**
 * Multipart uploads of the embedded object store (fs.ts). Parts live in `mp/{uploadId}/{partNumber}`, each put
 * atomically like an object. Completion copies no byte: the upload's directory is renamed to `blobs/{uploadId}`
 * and a manifest naming the parts in order is installed at the object's key (fs-format.ts), so a 1 GB upload is
 * written to disk once. Invariants:
 * - the manifest is installed (rename + directory fsync) only after the renamed directory is durable, so a
 *   visible multipart object always has all its parts; a crash before leaves an unreferenced blob directory
 *   that the store's startup sweep removes;
 * - the whole object's SHA-256 is a running hash over the parts uploaded in order (1, 2, 3 ..., each extending
 *   it while it streams, in the hash workers); at completion only the parts it does not cover are read again,
 *   e.g. all of them after a restart or for parts sent out of order or concurrently;
 * - the entity tag is S3's multipart form (MD5 of the parts' MD5s, "-N"); no MD5 of the whole object is kept.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { multipartEtag } from './digest.js';
import { decodeHeader, encodeManifest, fsyncDir, HEADER, type Header, type Manifest } from './fs-format.js';
import { isLease } from './fs-read.js';
import { HashFeed, hashPool, newHash, type HashHandle } from './hashing.js';
import { checkKey, checkPartNumber, ObjectStoreError, type PartResult, type PutOptions, type PutResult } from './store.js';

const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** Uploads with a running hash at once; beyond, completion reads the parts again. */
const MAX_CHAINS = 256;

/** What the multipart side uses of the store. */
export interface FsInternals {
  readonly uploads: string;
  readonly blobs: string;
  readonly tmp: string;
  readonly durable: boolean;
  fileOf(key: string): string;
  writeTemp(body: Readable, options: PutOptions, also?: readonly HashHandle[], onStreamed?: (md5: string) => void): Promise<{ file: string; size: number; md5: string; sha256: string }>;
  /** Renames a finished temporary file into place and retires the blob of the object it replaces. */
  install(tmpFile: string, target: string): Promise<void>;
}

interface Chain {
  hash: HashHandle; next: number; covered: Array<{ n: number; md5: string }>; busy: boolean;
  /** Settles when the part extending the chain has streamed all its bytes (or failed). */
  streamed?: Promise<void>;
}

export class FsMultipart {
  private readonly chains = new Map<string, Chain>();

  constructor(private readonly s: FsInternals) {}

  private dirOf(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new ObjectStoreError('noUpload', `upload ${uploadId.slice(0, 64)} does not exist`);
    return path.join(this.s.uploads, uploadId);
  }

  private async uploadOf(key: string, uploadId: string): Promise<string> {
    const dir = this.dirOf(uploadId);
    let owner: string;
    try {
      owner = await fsp.readFile(path.join(dir, 'key'), 'utf8');
    } catch {
      throw new ObjectStoreError('noUpload', `upload ${uploadId} does not exist`);
    }
    if (owner !== key) throw new ObjectStoreError('noUpload', `upload ${uploadId} does not belong to ${key}`);
    return dir;
  }

  async create(key: string): Promise<string> {
    checkKey(key);
    const uploadId = randomUUID().replace(/-/g, '');
    const dir = path.join(this.s.uploads, uploadId);
    await fsp.mkdir(dir, { mode: 0o700 });
    await fsp.writeFile(path.join(dir, 'key'), key, { mode: 0o600 });
    return uploadId;
  }

  private dropChain(uploadId: string): void {
    const c = this.chains.get(uploadId);
    if (!c) return;
    this.chains.delete(uploadId);
    hashPool.drop([c.hash]);
  }

  async putPart(key: string, uploadId: string, partNumber: number, body: Readable, options: PutOptions): Promise<PartResult> {
    checkPartNumber(partNumber);
    const dir = await this.uploadOf(key, uploadId);
    let chain = this.chains.get(uploadId);
    // The next part in order, arriving while its predecessor's last bytes are still being hashed (a pipelining
    // client), waits for them before reading its own body, so it can extend the running hash.
    if (chain?.busy && chain.next === partNumber - 1) {
      await chain.streamed;
      chain = this.chains.get(uploadId);
    }
    if (!chain && partNumber === 1 && this.chains.size < MAX_CHAINS) {
      chain = { hash: newHash('sha256'), next: 1, covered: [], busy: false };
      this.chains.set(uploadId, chain);
    }
    // Only the next part in order, and one at a time, extends the running hash.
    const extend = chain !== undefined && !chain.busy && chain.next === partNumber ? chain : undefined;
    let streamed: (() => void) | undefined;
    if (extend) {
      extend.busy = true;
      extend.streamed = new Promise<void>((resolve) => { streamed = resolve; });
    }
    try {
      // The chain moves on as soon as this part's bytes are all hashed, not when the part is durable: a client
      // that sends part n + 1 while part n is being fsynced (pipelined or concurrent parts) still extends it.
      // The part is acknowledged only once durable; if making it durable fails, the chain is dropped below.
      const w = await this.s.writeTemp(body, options, extend ? [extend.hash] : [], extend ? (md5) => {
        extend.covered.push({ n: partNumber, md5 });
        extend.next = partNumber + 1;
        extend.busy = false;
        streamed!();
      } : undefined);
      await this.s.install(w.file, path.join(dir, String(partNumber)));
      return { partNumber, etag: w.md5, size: w.size, md5: w.md5, sha256: w.sha256 };
    } catch (err) {
      // What streamed into the running hash may be a cut part: it no longer describes the parts.
      if (extend) {
        this.dropChain(uploadId);
        streamed!();
      }
      throw err;
    }
  }

  async complete(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<PutResult> {
    const dir = await this.uploadOf(key, uploadId);
    if (parts.length === 0) throw new ObjectStoreError('badPart', 'a multipart upload needs at least one part');
    const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const chosen: Array<{ n: number; md5: string; size: number; file: string }> = [];
    for (const [i, p] of ordered.entries()) {
      checkPartNumber(p.partNumber);
      if (i > 0 && ordered[i - 1]!.partNumber === p.partNumber) throw new ObjectStoreError('badPart', `part ${p.partNumber} is listed twice`);
      const file = path.join(dir, String(p.partNumber));
      let header: Header;
      let size: number;
      try {
        const fh = await fsp.open(file, 'r');
        try {
          const buf = Buffer.alloc(HEADER);
          await fh.read(buf, 0, HEADER, 0);
          header = decodeHeader(buf, file);
          size = (await fh.stat()).size - HEADER;
        } finally {
          await fh.close();
        }
      } catch {
        throw new ObjectStoreError('badPart', `part ${p.partNumber} was not uploaded`);
      }
      if (header.md5 !== p.etag.replace(/"/g, '')) throw new ObjectStoreError('badPart', `part ${p.partNumber} has etag ${header.md5}, not ${p.etag}`);
      chosen.push({ n: p.partNumber, md5: header.md5, size, file });
    }
    const sha256 = await this.wholeSha256(uploadId, chosen);
    const etag = multipartEtag(chosen.map((c) => c.md5));
    const size = chosen.reduce((n, c) => n + c.size, 0);
    const manifest: Manifest = { blob: uploadId, size, parts: chosen.map((c) => [c.n, c.size]) };
    const tmpFile = path.join(this.s.tmp, randomUUID());
    const fh = await fsp.open(tmpFile, 'wx', 0o600);
    try {
      await fh.writeFile(encodeManifest({ md5: etag.split('-')[0]!, sha256, parts: chosen.length, manifest: true }, manifest));
      if (this.s.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    const blobDir = path.join(this.s.blobs, uploadId);
    try {
      // A fresh mtime keeps the startup sweep of another process off it until the manifest names it.
      const now = new Date();
      await fsp.utimes(dir, now, now);
      await fsp.rename(dir, blobDir);
      if (this.s.durable) await Promise.all([fsyncDir(this.s.uploads), fsyncDir(this.s.blobs)]);
    } catch (err) {
      await fsp.rm(tmpFile, { force: true });
      throw err;
    }
    const target = this.s.fileOf(key);
    await this.s.install(tmpFile, target);
    // Parts uploaded but not chosen are no part of the object.
    const keep = new Set(['key', ...chosen.map((c) => String(c.n))]);
    for (const name of await fsp.readdir(blobDir)) if (!keep.has(name) && !isLease(name)) await fsp.rm(path.join(blobDir, name), { force: true });
    const st = await fsp.stat(target);
    return { key, size, etag, sha256, lastModified: st.mtime };
  }

  /** The running hash when it covers a prefix of the chosen parts, extended by reading the rest; else all of them. */
  private async wholeSha256(uploadId: string, chosen: ReadonlyArray<{ n: number; md5: string; file: string }>): Promise<string> {
    const chain = this.chains.get(uploadId);
    this.chains.delete(uploadId);
    let hash: HashHandle;
    let rest = chosen;
    if (chain && !chain.busy && chain.covered.length <= chosen.length
      && chain.covered.every((c, i) => chosen[i]!.n === c.n && chosen[i]!.md5 === c.md5)) {
      hash = chain.hash;
      rest = chosen.slice(chain.covered.length);
    } else {
      if (chain) hashPool.drop([chain.hash]);
      hash = newHash('sha256');
    }
    try {
      const feed = new HashFeed([], [hash]);
      for (const c of rest) {
        for await (const chunk of fs.createReadStream(c.file, { start: HEADER, highWaterMark: 1024 * 1024 })) await feed.write(chunk as Buffer);
      }
      await feed.finish();
    } catch (err) {
      hashPool.drop([hash]);
      throw err;
    }
    return (await hashPool.end([hash]))[0]!;
  }

  async abort(key: string, uploadId: string): Promise<void> {
    const dir = await this.uploadOf(key, uploadId);
    this.dropChain(uploadId);
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
