/**
 * Streaming reverse proxy to a registered target (seed 002 "Restrictions"): request and response bodies are
 * piped, never held; the request body passes the size limits on its way; a refused or failed backend answers
 * 502, one silent for the idle timeout 504. Keep-alive agents are reused across requests.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import { AppError } from '../core/errors.js';
import { GatewayErrors } from './errors.js';
import { endToEnd } from './headers.js';
import { BodyLimiter } from './limits.js';

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256, noDelay: true }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256, noDelay: true }),
};

export interface ForwardOptions {
  target: URL;
  /** Normalised path and raw query to append to the target's path. */
  pathAndQuery: string;
  headers: OutgoingHttpHeaders;
  idleMs: number;
  maxRequestBytes: number;
  maxFileBytes: number;
  /** Rewrites the backend's (end-to-end) response headers before they go to the client. */
  responseHeaders?(headers: OutgoingHttpHeaders): OutgoingHttpHeaders;
  /** Called once with the time to the backend's response headers, or with the idle limit on a timeout. */
  onTiming?(ms: number): void;
  /** Writes an error response in the negotiated format; `close` ends the connection after it. */
  fail(err: AppError, close: boolean): void;
}

export function joinTarget(target: URL, pathAndQuery: string): string {
  const base = target.pathname.replace(/\/$/, '');
  return `${base}${pathAndQuery}` || '/';
}

export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

export function forward(req: IncomingMessage, res: ServerResponse, o: ForwardOptions): void {
  const started = Date.now();
  let settled = false;
  const timing = (ms: number) => { if (!settled) { settled = true; o.onTiming?.(ms); } };
  const isHttps = o.target.protocol === 'https:';
  const headers: OutgoingHttpHeaders = { ...o.headers, host: o.target.host };
  req.socket.setTimeout(0); // the backend request carries the idle timeout while we wait on it
  const outgoing = (isHttps ? https : http).request({
    protocol: o.target.protocol,
    hostname: o.target.hostname.replace(/^\[|\]$/g, ''),
    port: o.target.port || (isHttps ? 443 : 80),
    method: req.method,
    path: joinTarget(o.target, o.pathAndQuery),
    headers,
    agent: isHttps ? agents.https : agents.http,
    timeout: o.idleMs,
  });
  let failed = false;
  const failOnce = (err: AppError, close: boolean) => {
    if (failed) return;
    failed = true;
    outgoing.destroy();
    if (res.headersSent) { res.destroy(); return; }
    o.fail(err, close);
  };
  outgoing.on('timeout', () => {
    timing(o.idleMs);
    failOnce(GatewayErrors.gatewayTimeout({ target: o.target.host, seconds: o.idleMs / 1000 }), false);
  });
  outgoing.on('error', (err: NodeJS.ErrnoException) => {
    failOnce(GatewayErrors.badGateway({ target: o.target.host, reason: err.code ?? err.message }), false);
  });
  outgoing.on('response', (backend) => {
    timing(Date.now() - started);
    if (failed) { backend.destroy(); return; }
    let out = endToEnd(backend.headers);
    if (o.responseHeaders) out = o.responseHeaders(out);
    res.writeHead(backend.statusCode ?? 502, backend.statusMessage, out);
    // pipe, not pipeline: pipeline allocates an AbortController and a DOMException per request (hot path)
    backend.pipe(res);
    backend.once('error', () => res.destroy());
    res.once('finish', () => req.socket.setTimeout(o.idleMs));
  });
  res.on('close', () => { if (!res.writableFinished) outgoing.destroy(); });

  if (!hasBody(req)) { outgoing.end(); return; }
  const limiter = new BodyLimiter(o.maxRequestBytes, o.maxFileBytes, req.headers['content-type']);
  // Manual piping: a pipeline would destroy the client socket on a limit error before the 413 is written.
  limiter.on('error', (err) => {
    req.unpipe(limiter);
    limiter.unpipe(outgoing);
    req.pause();
    failOnce(err instanceof AppError ? err : GatewayErrors.badGateway({ target: o.target.host, reason: err.message }), true);
  });
  req.on('error', () => outgoing.destroy());
  req.pipe(limiter).pipe(outgoing);
}
