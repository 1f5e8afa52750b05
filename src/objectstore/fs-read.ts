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
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HEADER, isMissing, type Manifest } from './fs-format.js';

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
  async stream(m: Manifest, from: number, to: number, current: () => Promise<boolean>): Promise<Readable> {
    const spans: Array<{ n: number; start: number; end: number }> = [];
    let base = 0;
    for (const [n, size] of m.parts) {
      const start = Math.max(from, base);
      const end = Math.min(to, base + size - 1);
      if (start <= end) spans.push({ n, start: start - base, end: end - base });
      base += size;
    }
    const lease = await this.lease(m.blob);
    let first: fsp.FileHandle | undefined;
    try {
      if (!(await current())) throw Object.assign(new Error(`blob ${m.blob} was replaced`), { code: 'ENOENT' });
      first = await this.open(m.blob, spans[0]!.n);
    } catch (err) {
      await this.release(m.blob, lease);
      throw err;
    }
    let released: Promise<void> | undefined;
    // Once: at the end of the bytes (before 'end'), or when the stream closes early or without being read.
    const letGo = () => (released ??= (async () => {
      await first?.close().catch(() => undefined);
      first = undefined;
      await this.release(m.blob, lease).catch(() => undefined);
    })());
    const readers = this; // eslint-disable-line @typescript-eslint/no-this-alias
    async function* chunks() {
      for (const [i, s] of spans.entries()) {
        const fh = i === 0 ? first! : await readers.open(m.blob, s.n);
        if (i === 0) first = undefined;
        yield* fh.createReadStream({ start: HEADER + s.start, end: HEADER + s.end, highWaterMark: MB, autoClose: true });
      }
      await letGo();
    }
    const body = Readable.from(chunks(), { objectMode: false, highWaterMark: MB });
    body.once('close', () => void letGo());
    return body;
  }
}
