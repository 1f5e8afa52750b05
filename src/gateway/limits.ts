/**
 * Request size limits counted while the body streams (Industrial IoT Gateway docs "Large Request Restrictions"): the whole body
 * against the request limit (150 MB) and each multipart/form-data part against the file limit (100 MB).
 * Nothing is buffered beyond one chunk and a delimiter-sized carry.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { GatewayErrors } from './errors.js';

const CRLF2 = Buffer.from('\r\n\r\n');
const MAX_PART_HEADER = 16 * 1024;

/** Finds multipart delimiters across chunk borders and measures each part's body. */
export class MultipartMeter {
  private readonly delim: Buffer;
  private carry: Buffer = Buffer.from('\r\n'); // the first delimiter may start the body without a CRLF
  private state: 'preamble' | 'after-delim' | 'headers' | 'body' | 'done' = 'preamble';
  private partBytes = 0;
  private headerBytes = 0;

  constructor(boundary: string, private readonly maxPart: number) {
    this.delim = Buffer.from(`\r\n--${boundary}`);
  }

  /** Throws the 413 AppError when a part's body exceeds the limit. */
  feed(chunk: Buffer): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    this.carry = Buffer.alloc(0);
    for (;;) {
      if (this.state === 'done') return;
      if (this.state === 'after-delim') {
        if (buf.length - pos < 2) { this.carry = buf.subarray(pos); return; }
        if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) { this.state = 'done'; return; }
        this.state = 'headers';
        this.headerBytes = 0;
        continue;
      }
      if (this.state === 'headers') {
        const end = buf.indexOf(CRLF2, pos);
        if (end < 0) {
          const keep = Math.min(buf.length - pos, CRLF2.length - 1);
          this.headerBytes += buf.length - pos - keep;
          if (this.headerBytes > MAX_PART_HEADER) this.state = 'body'; // unterminated headers count as body
          this.carry = buf.subarray(buf.length - keep);
          return;
        }
        pos = end + CRLF2.length;
        this.state = 'body';
        this.partBytes = 0;
        continue;
      }
      const d = buf.indexOf(this.delim, pos);
      if (d < 0) {
        const keep = Math.min(buf.length - pos, this.delim.length - 1);
        this.count(buf.length - pos - keep);
        this.carry = buf.subarray(buf.length - keep);
        return;
      }
      this.count(d - pos);
      pos = d + this.delim.length;
      this.state = 'after-delim';
    }
  }

  private count(n: number): void {
    if (this.state !== 'body') return;
    this.partBytes += n;
    if (this.partBytes > this.maxPart) throw GatewayErrors.fileTooLarge({ limit: this.maxPart });
  }
}

export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/** Passes the body through, failing with 413 as soon as a limit is crossed. */
export class BodyLimiter extends Transform {
  private total = 0;
  private readonly meter: MultipartMeter | undefined;

  constructor(private readonly maxBytes: number, maxFileBytes: number, contentType: string | undefined) {
    super();
    const boundary = multipartBoundary(contentType);
    this.meter = boundary ? new MultipartMeter(boundary, maxFileBytes) : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.maxBytes) { done(GatewayErrors.requestTooLarge({ limit: this.maxBytes })); return; }
    try {
      this.meter?.feed(chunk);
    } catch (err) {
      done(err as Error);
      return;
    }
    done(null, chunk);
  }
}
