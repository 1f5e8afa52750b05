/**
 * The on-disk formats of the embedded object store (fs.ts): the 64-byte header every object file starts with,
 * the manifest a completed multipart upload is stored as (the write stage shared by objects and parts: digest-file.ts).
 *
 * Data file: "IBOBJ001", MD5 (16 bytes; for an object joined by an older version, the MD5 of the parts' MD5s),
 * SHA-256 (32), part count (u32 BE, 0 for a single put), 4 bytes zero; then the bytes.
 * Manifest: "IBOBJM01", the multipart tag's MD5, SHA-256 of the whole object, part count, 4 bytes zero; then JSON
 * {blob, size, parts: [[partNumber, size], ...]}: the object is the data of blobs/{blob}/{partNumber} in that order.
 */
import fsp from 'node:fs/promises';

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
