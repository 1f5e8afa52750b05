/**
 * Error writing for answers the gateway makes itself, before or instead of fastify (Industrial IoT Gateway docs "Gateway Error Content
 * Types"): the body from core's errorResponse in the path's shape, JSON or XML by Accept (406 when neither), logged by
 * core's one policy (logFailure) under a fresh logref; on a ServerResponse, or raw on a socket that has none (header
 * overflow, a refused Upgrade). A connection the gateway closes after the answer says so (Connection: close).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AppError, Generic } from '../core/errors.js';
import { errorResponse, logFailure, type ErrorResponse } from '../core/http.js';

/** How long a closing socket may take to flush its answer before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

export class FailureWriter {
  constructor(private readonly logger: Logger) {}

  render(err: Error, url: string, accept: string | undefined): ErrorResponse {
    const app = err instanceof AppError ? err : Generic.internal({});
    const logref = randomUUID();
    logFailure(this.logger, err, app, logref);
    return errorResponse(app, url, accept, logref);
  }

  /** Answers `err` on the response; `close` ends the connection after it. */
  fail(req: IncomingMessage, res: ServerResponse, err: Error, close: boolean): void {
    if (res.headersSent) { res.destroy(); return; }
    const out = this.render(err, req.url ?? '/', req.headers.accept);
    const headers: OutgoingHttpHeaders = { ...out.headers, 'content-type': out.contentType, 'content-length': Buffer.byteLength(out.body) };
    if (close) headers['connection'] = 'close';
    res.writeHead(out.status, headers);
    res.end(out.body);
    if (close) {
      res.once('finish', () => {
        req.socket.end();
        setTimeout(() => req.socket.destroy(), CLOSE_GRACE_MS).unref();
      });
    }
  }

  /** An error on a socket that has no ServerResponse (header overflow, Upgrade); the socket is closed after it. */
  raw(socket: Duplex, err: Error, url: string, accept: string | undefined): void {
    if (!socket.writable) { socket.destroy(); return; }
    const out = this.render(err, url, accept);
    const extra = Object.entries(out.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${out.status} ${STATUS_CODES[out.status] ?? ''}\r\nContent-Type: ${out.contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(out.body)}\r\n${extra}Connection: close\r\n\r\n${out.body}`);
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}
