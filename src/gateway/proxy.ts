/**
 * Streaming reverse proxy to a registered target (Industrial IoT Gateway docs "Restrictions"): request and response bodies are
 * streamed with backpressure, never held; the request body passes the size limits on its way; a refused or failed
 * backend answers 502, one silent for the idle timeout 504. Backend connections are undici keep-alive pools
 * (one per origin), measured faster than node:http's client on this path (docs/performance.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { AppError } from '../core/errors.js';
import { GatewayErrors } from './errors.js';
import { clientResponseHeaders, type WebAppRules } from './headers.js';
import { BodyLimiter } from './limits.js';

/** Keep-alive connections per backend origin; requests beyond it queue in the pool. */
const CONNECTIONS_PER_ORIGIN = 256;
const agent = new Agent({ connections: CONNECTIONS_PER_ORIGIN, keepAliveTimeout: 30_000 });
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface ForwardOptions {
  target: URL;
  /** Normalised path and raw query to append to the target's path. */
  pathAndQuery: string;
  /** The backend request's headers as a flat [name, value, ...] list, Host included (backendRequestHeaders). */
  headers: string[];
  idleMs: number;
  maxRequestBytes: number;
  maxFileBytes: number;
  /** Web app hosts: the response header rules applied to the backend's answer. */
  webAppRules?: WebAppRules;
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
  let controller: Dispatcher.DispatchController | undefined;
  let failed = false;
  let done = false;
  const failOnce = (err: AppError, close: boolean) => {
    if (failed || done) return;
    failed = true;
    controller?.abort(err);
    if (res.headersSent) { res.destroy(); return; }
    o.fail(err, close);
  };
  const backendError = (err: Error & { code?: string }) => {
    if (err instanceof AppError) return failOnce(err, true); // a size limit hit while the body streamed
    if (err.code && TIMEOUTS.has(err.code)) {
      timing(o.idleMs);
      return failOnce(GatewayErrors.gatewayTimeout({ target: o.target.host, seconds: o.idleMs / 1000 }), false);
    }
    const cause = (err as { cause?: { code?: string } }).cause;
    failOnce(GatewayErrors.badGateway({ target: o.target.host, reason: err.code ?? cause?.code ?? err.message }), false);
  };
  let body: BodyLimiter | null = null;
  let uploadIdle: NodeJS.Timeout | undefined;
  if (hasBody(req)) {
    const limiter = new BodyLimiter(o.maxRequestBytes, o.maxFileBytes, req.headers['content-type']);
    // The 413 is answered before the client socket is closed: unpipe and pause instead of destroying the request.
    limiter.on('error', (err) => {
      req.unpipe(limiter);
      req.pause();
      backendError(err);
    });
    req.on('error', () => controller?.abort(new Error('the client went away')));
    // undici's headersTimeout starts once the body is sent: until then no byte for idleMs is the same silence.
    const idle = setTimeout(() => backendError(Object.assign(new Error('idle'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), o.idleMs);
    const stop = () => clearTimeout(idle);
    req.on('data', () => idle.refresh());
    limiter.once('end', stop).once('close', stop);
    res.once('close', stop);
    uploadIdle = idle;
    req.pipe(limiter);
    body = limiter;
  }
  req.socket.setTimeout(0); // the backend request carries the idle timeout while we wait on it
  res.on('close', () => { if (!res.writableFinished) controller?.abort(new Error('the client went away')); });
  res.on('drain', () => controller?.resume());
  try {
    agent.dispatch({
      origin: o.target.origin, path: joinTarget(o.target, o.pathAndQuery), method: req.method ?? 'GET', headers: o.headers, body,
      headersTimeout: o.idleMs, bodyTimeout: o.idleMs,
    }, {
      onRequestStart(c) {
        controller = c;
        if (failed) c.abort(new Error('already answered'));
      },
      onResponseStart(_c, statusCode, backendHeaders, statusMessage) {
        if (statusCode < 200) return; // 1xx informational answers are not forwarded
        clearTimeout(uploadIdle); // from here undici's bodyTimeout watches the backend
        timing(Date.now() - started);
        res.writeHead(statusCode, statusMessage || undefined, clientResponseHeaders(backendHeaders, o.webAppRules));
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd() {
        done = true;
        res.end();
        req.socket.setTimeout(o.idleMs);
      },
      onResponseError(_c, err) {
        backendError(err);
      },
    });
  } catch (err) {
    backendError(err as Error);
  }
}
