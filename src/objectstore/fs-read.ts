/**
 * Reading multipart objects of the embedded store (fs.ts) with one open file at a time, and retiring the blob
 * directory of a replaced or deleted multipart object without cutting a read of it, in this process or another
 * process of the same data directory (`--workers`).
 *
 * A reader takes a lease on the blob: an empty file `lease-{uuid}` inside `blobs/{blob}/`, created with O_EXCL,
 * then checks that the key still names that blob (otherwise it lets go and reads the key again). It opens the
 * parts one after the other as the stream reaches them, and removes its lease when the stream closes (ended,
 * failed or destroyed). Retiring renames `blobs/{blob}` to `retired/{blob}` (atomic: no lease can be created
 * at the old path afterwards) and removes it at once when it holds no lease; otherwise the reader whose lease is
 * the last one removes it. A reader looks for a part under `blobs/` first, then under `retired/`. A process that
 * died while reading leaves a lease; the startup sweep removes retired blobs older than STALE_RETIRED_MS.
 *
 * SpanReader reads the bytes of an object file or of a multipart object's parts once: as a Readable, or pumped
 * into a Writable (a download's response) through a ring of a few reused buffers, so a download allocates no
 * buffer per chunk (issue 15: fresh 1 MB buffers waiting in the socket queue cost a full collection per 30 MB).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { HEADER, isMissing, type Manifest } from './fs-format.js';
import { ObjectStoreError } from './store.js';

const MB = 1024 * 1024;
/** A retired blob with a lease this old belongs to a reader that died (no download lasts a day). */
const STALE_RETIRED_MS = 24 * 3600_000;

export const isLease = (name: string) => name.startsWith('lease-');

export class BlobReaders {
  constructor(private readonly blobs: string, private readonly retired: string) {
    fs.mkdirSync(retired, { recursive: true, mode: 0o700 });
    const now = Date.now();
    for (const name of fs.readdirSync(retired)) {
      const dir = path.join(retired, name);
      try {
        if (!fs.readdirSync(dir).some(isLease) || now - fs.statSync(dir).mtimeMs > STALE_RETIRED_MS) fs.rmSync(dir, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
    }
  }

  /** Takes a lease on a live blob; fails with ENOENT when it is retired already. */
  async lease(blob: string): Promise<string> {
    const name = `lease-${randomUUID()}`;
    await fsp.writeFile(path.join(this.blobs, blob, name), '', { flag: 'wx', mode: 0o600 });
    return name;
  }

  async release(blob: string, lease: string): Promise<void> {
    try {
      await fsp.unlink(path.join(this.blobs, blob, lease));
      return; // still live: a later retire finds no lease of ours
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    await fsp.unlink(path.join(this.retired, blob, lease)).catch(() => undefined);
    await this.removeIfFree(blob);
  }

  /** Makes the blob unreachable for new readers and removes it unless a reader holds a lease. */
  async retire(blob: string): Promise<void> {
    try {
      await fsp.rename(path.join(this.blobs, blob), path.join(this.retired, blob));
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    await this.removeIfFree(blob);
  }

  private async removeIfFree(blob: string): Promise<void> {
    const dir = path.join(this.retired, blob);
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      return;
    }
    if (!names.some(isLease)) await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** A part of a leased blob, live or retired meanwhile. */
  async open(blob: string, partNumber: number): Promise<fsp.FileHandle> {
    try {
      return await fsp.open(path.join(this.blobs, blob, String(partNumber)), 'r');
    } catch (err) {
      if (!isMissing(err)) throw err;
      return fsp.open(path.join(this.retired, blob, String(partNumber)), 'r');
    }
  }

  /**
   * The bytes from..to (inclusive) of a manifest's object. `current` tells whether the key still names the blob
   * once the lease is taken; when it does not (or the blob is retired already) this fails with ENOENT, and the
   * caller reads the key again. The first part is open before this returns, so a missing part fails here.
   */
  async read(m: Manifest, from: number, to: number, current: () => Promise<boolean>): Promise<SpanReader> {
    const spans: Span[] = [];
    let base = 0;
    for (const [n, size] of m.parts) {
      const start = Math.max(from, base);
      const end = Math.min(to, base + size - 1);
      if (start <= end) spans.push({ part: n, start: HEADER + start - base, end: HEADER + end - base });
      base += size;
    }
    const lease = await this.lease(m.blob);
    let first: fsp.FileHandle;
    try {
      if (!(await current())) throw Object.assign(new Error(`blob ${m.blob} was replaced`), { code: 'ENOENT' });
      first = await this.open(m.blob, spans[0]!.part);
    } catch (err) {
      await this.release(m.blob, lease);
      throw err;
    }
    return new SpanReader(first, spans, (n) => this.open(m.blob, n), () => this.release(m.blob, lease));
  }
}

/** Inclusive offsets in one file: an object file, or part `part` of a multipart object's blob. */
export interface Span {
  part: number;
  start: number;
  end: number;
}

/** How many buffers of up to CHUNK bytes a pumped read keeps in flight: one being read, the others being written. */
const RING = 4;
const CHUNK = MB;
const noop = () => undefined;

/**
 * The bytes of one or more file spans, read once: as a Readable (fresh 1 MB buffers, for consumers that keep
 * chunks) or pumped into a Writable through a ring of RING reused buffers (pump). The first span's file is open
 * already; the others are opened one after the other as the read reaches them and closed when it leaves them.
 * `release` (the multipart lease) runs once: after the last byte is read (before the end), or when the read
 * stops early, fails, or is dropped unread (the body destroyed).
 */
export class SpanReader {
  private first: fsp.FileHandle | undefined;
  private released: Promise<void> | undefined;

  constructor(first: fsp.FileHandle, private readonly spans: readonly Span[],
    private readonly openPart?: (part: number) => Promise<fsp.FileHandle>, private readonly release?: () => Promise<void>) {
    this.first = first;
  }

  private letGo(): Promise<void> {
    return (this.released ??= (async () => {
      await this.first?.close().catch(noop);
      this.first = undefined;
      await this.release?.().catch(noop);
    })());
  }

  private async file(i: number): Promise<fsp.FileHandle> {
    if (i > 0) return this.openPart!(this.spans[i]!.part);
    const fh = this.first!;
    this.first = undefined;
    return fh;
  }

  readable(): Readable {
    const [only] = this.spans;
    // One file and nothing to release: the file's own stream, which closes the handle when it ends or is destroyed.
    if (this.spans.length === 1 && !this.release) {
      return this.first!.createReadStream({ start: only!.start, end: only!.end, highWaterMark: MB, autoClose: true });
    }
    const reader = this; // eslint-disable-line @typescript-eslint/no-this-alias
    async function* chunks() {
      for (const [i, s] of reader.spans.entries()) {
        yield* (await reader.file(i)).createReadStream({ start: s.start, end: s.end, highWaterMark: MB, autoClose: true });
      }
      await reader.letGo();
    }
    const body = Readable.from(chunks(), { objectMode: false, highWaterMark: MB });
    body.once('close', () => void this.letGo());
    return body;
  }

  /**
   * Writes every byte into `dest` and ends it; resolves when `dest` finished. A buffer is read into again only
   * after `dest` called back for its write (a socket keeps a reference until the kernel took the bytes), so at
   * most RING chunks are in flight and nothing is allocated per chunk. When reading fails this rejects with the
   * read's error, when `dest` closes or fails first with ObjectStoreError 'aborted'; `dest` is destroyed unless it
   * finished.
   */
  async pump(dest: Writable): Promise<void> {
    const total = this.spans.reduce((n, s) => n + s.end - s.start + 1, 0);
    const size = Math.min(CHUNK, total);
    const free: Buffer[] = [];
    let made = 0;
    let failed: Error | undefined;
    let wake: (() => void) | undefined;
    const woken = () => { const w = wake; wake = undefined; w?.(); };
    const gone = (err: Error) => new ObjectStoreError('aborted', `the receiver went away before the last byte (${err.message})`, undefined, err);
    const ended = finished(dest).catch((err: Error) => { failed ??= gone(err); woken(); throw failed; });
    ended.catch(noop); // awaited at the end; a failure meanwhile stops the loop through `failed`
    const buffer = async (): Promise<Buffer> => {
      for (;;) {
        if (failed) throw failed;
        const b = free.pop() ?? (made < RING ? (made++, Buffer.allocUnsafeSlow(size)) : undefined);
        if (b) return b;
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    };
    try {
      for (const [i, s] of this.spans.entries()) {
        const fh = await this.file(i);
        try {
          for (let pos = s.start; pos <= s.end;) {
            const b = await buffer();
            const { bytesRead } = await fh.read(b, 0, Math.min(size, s.end - pos + 1), pos);
            if (failed) throw failed;
            if (bytesRead === 0) throw new Error(`object file ends at byte ${pos}, before byte ${s.end}`);
            pos += bytesRead;
            dest.write(bytesRead === b.length ? b : b.subarray(0, bytesRead), (err) => {
              if (err) failed ??= gone(err);
              else free.push(b);
              woken();
            });
          }
        } finally {
          await fh.close().catch(noop);
        }
      }
      await this.letGo();
      dest.end();
      await ended;
    } catch (err) {
      await this.letGo();
      if (!dest.writableFinished) dest.destroy();
      throw err;
    }
  }
}
