/**
 * Raw HTTP/1.1 over a socket for the wire fuzz suite: sends bytes as they are, reads until the server closes,
 * enough answers arrived or the deadline passed, and splits what came back into responses (RFC 7230 §3.3.3
 * framing: Content-Length, chunked, or until close; 1xx answers skipped).
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Exchange {
  responses: RawResponse[];
  /** The server closed the connection (after the client's half-close, or on its own). */
  closed: boolean;
  /** Neither enough answers nor a close within the deadline. */
  timedOut: boolean;
  raw: string;
}

/**
 * Splits a byte stream into complete responses (a last incomplete one is left out unless the stream closed); the
 * first has no body when it answers a HEAD request.
 */
export function responses(data: Buffer, closed: boolean, head = false): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [statusLine, ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine ?? '');
    if (!m) break;
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    let next = end + 4;
    let body = '';
    if (status >= 100 && status < 200) { at = next; continue; }
    if (head && out.length === 0) {
      // no body
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', next);
        if (lineEnd < 0) return out;
        const size = parseInt(data.subarray(next, lineEnd).toString('latin1'), 16);
        if (!Number.isFinite(size)) return out;
        if (size === 0) { next = lineEnd + 4; break; }
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        next = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString('utf8');
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (data.length < next + n) return out;
      body = data.subarray(next, next + n).toString('utf8');
      next += n;
    } else if (status !== 204 && status !== 304) {
      if (!closed) return out;
      body = data.subarray(next).toString('utf8');
      next = data.length;
    }
    out.push({ status, headers, body });
    at = next;
  }
  return out;
}

/**
 * Sends `bytes` on a fresh connection. With `halfClose` the client ends its side at once (so a server waiting for
 * more bytes sees the end instead of waiting for its idle timeout); otherwise it waits for `expect` answers.
 */
export function exchange(port: number, bytes: Buffer,
  options: { halfClose: boolean; expect?: number; deadlineMs: number; head?: boolean }): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (closed: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      resolve({ responses: responses(data, closed, options.head), closed, timedOut, raw: data.toString('latin1') });
    };
    const timer = setTimeout(() => finish(false, true), options.deadlineMs);
    socket.on('connect', () => {
      socket.write(bytes);
      if (options.halfClose) socket.end();
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (options.expect !== undefined && responses(Buffer.concat(chunks), false, options.head).length >= options.expect) finish(false, false);
    });
    socket.on('close', () => finish(true, false));
    socket.on('error', () => undefined); // a reset shows as a close without answers
  });
}
