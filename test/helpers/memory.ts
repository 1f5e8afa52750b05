/**
 * Peak resident memory of a child process, read from /proc (Linux): `reset()` clears the high-water mark, `growth()`
 * is the peak since then minus the resident size at the reset, in bytes; and a streaming PUT and GET that hash what
 * they move without holding it.
 *
 * How tests use it (the invariant they prove): a server that streams holds a bounded window, so its peak growth is
 * the garbage collector's slack (tens of MB, more on Node 24 than on Node 20, whatever the size moved); a server
 * that buffers grows by at least what it holds. A test therefore moves more than twice its threshold, so the two
 * cases are apart by a wide margin on every Node version and under load.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

export const MB = 1024 * 1024;

export interface PeakMeter {
  reset(): void;
  growth(): number;
}

export function peakMeter(pid: number): PeakMeter {
  const field = (name: string) =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  let base = field('VmRSS');
  return {
    reset() {
      try { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); } catch { /* not allowed: the peak then counts from the start */ }
      base = field('VmRSS');
    },
    growth: () => field('VmHWM') - base,
  };
}

/** PUTs `size` bytes (1 MB chunks, each a little different) to `url`; resolves with the status and the body's SHA-256. */
export function putStream(url: string, size: number, headers: Record<string, string> = {}): Promise<{ status: number; sha256: string }> {
  const chunk = Buffer.alloc(MB);
  for (let i = 0; i < MB; i++) chunk[i] = (i * 13) & 0xff;
  const sent = createHash('sha256');
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(size) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: sent.digest('hex') }));
    });
    req.on('error', reject);
    let n = 0;
    const pump = () => {
      while (n < size / MB) {
        chunk[0] = ++n & 0xff;
        sent.update(chunk);
        if (!req.write(Buffer.from(chunk))) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

/** GETs `url` to its last byte without keeping it; resolves with the byte count and the SHA-256. */
export async function getDigest(url: string, headers: Record<string, string> = {}): Promise<{ bytes: number; sha256: string }> {
  const got = createHash('sha256');
  let bytes = 0;
  const res = await fetch(url, { headers });
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) { got.update(c); bytes += c.length; }
  return { bytes, sha256: got.digest('hex') };
}
