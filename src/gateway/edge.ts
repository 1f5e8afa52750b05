/**
 * The gateway's edge (Industrial IoT Gateway docs "Restrictions"): the node:http server in front of fastify (its serverFactory), so
 * every request and WebSocket Upgrade first passes the connection cap and one address's share of it (above them: 503
 * and close), the header size limit (431), the header timeout (408: a trickle of bytes inside the idle timeout does not
 * keep a slot), the body's minimum rate (408, body-rate.ts), and Expect: 100-continue with a declared size above the limit (413 instead of 100), and then the
 * Dispatcher. What the HTTP parser refuses is answered from the error catalogue too (clientError). It runs the periodic work of sessions: expired sessions swept, WebSockets of ended sessions closed.
 * The parts, by subject: dispatch.ts (routing), signin.ts (web app sign-in), sockets.ts (WebSocket tracking),
 * failures.ts (error answers).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../core/config.js';
import { watchBodyRate } from './body-rate.js';
import { Dispatcher, type GatewayParts, type Handler } from './dispatch.js';
import { GatewayErrors } from './errors.js';
import { FailureWriter } from './failures.js';
import { WebAppSignIn } from './signin.js';
import { SocketTracker } from './sockets.js';

export class Edge {
  /** Client connections open now, refused ones included. */
  connections = 0;
  /** Connections over the cap or over their address's share, with the refusal each gets. */
  private readonly refused = new WeakMap<Socket, Error>();
  /** The request whose head each connection sent last (a parser error at its end of input belongs to it). */
  private readonly lastRequest = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  /** Connections whose refused request waits for an earlier answer to go out (clientError). */
  private readonly refusing = new WeakSet<Duplex>();
  /** Open connections by client address. */
  private readonly byAddress = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly failures: FailureWriter;
  private readonly sockets = new SocketTracker();
  private readonly dispatcher: Dispatcher;

  constructor(private readonly d: GatewayParts) {
    this.failures = new FailureWriter(d.logger);
    const signIn = new WebAppSignIn({ config: d.config, verifier: d.verifier, sessions: d.sessions, sockets: this.sockets });
    this.dispatcher = new Dispatcher({ ...d, signIn, sockets: this.sockets, failures: this.failures, connections: () => this.connections });
  }

  /**
   * fastify's clientErrorHandler: a request the HTTP parser refused, or whose header section took longer than the
   * header timeout, is answered from the error catalogue in the shape of its path and the format of its Accept (as
   * far as the bytes the parser held tell them), with Connection: close, since the connection cannot go on after it.
   */
  clientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
    const c = this.d.config;
    if (err.code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return; }
    const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    const last = this.lastRequest.get(socket as Socket);
    const eof = err.code === 'HPE_INVALID_EOF_STATE';
    // The refusal answers the request whose head was read last when the parser failed inside it (its body, a framing
    // header it checks once the head is complete) or at the client's end of input; else the next request, whose
    // head the parser could not read.
    const own = last !== undefined && (eof || !last.req.complete);
    // An answer to an earlier request on this connection is still going out (the client pipelined, or sent its
    // next request while the last answer's final bytes were being flushed): the refusal waits for that answer to
    // finish (node detaches the socket from it first, and a queued pipelined answer takes its place), and the
    // connection is cut only if that answer fails. Written at once, the 400 went out as the answer to the earlier
    // request. Further parse errors of the same bytes wait with it.
    if (inFlight && !inFlight.writableFinished && !(own && inFlight === last.res)) {
      if (this.refusing.has(socket)) return;
      this.refusing.add(socket);
      inFlight.once('close', () => {
        this.refusing.delete(socket);
        if (inFlight.writableFinished) this.clientError(err, socket);
        else socket.destroy();
      });
      return;
    }
    if (eof) {
      // the client ended its side inside the body of the last request: answered already, there is nothing to add;
      // else its answer is this 400, for its path
      if (!last || last.res.headersSent) { socket.destroy(); return; }
      this.failures.raw(socket, GatewayErrors.badRequest({ reason: parserReason(err) }), last.req.url ?? '/', last.req.headers.accept);
      return;
    }
    if (own && last.res.headersSent) {
      // the request was answered before the parser refused the rest of it: nothing can be added to that answer, so
      // the connection ends once it is out (else the client waits for an answer to bytes that will never be read)
      if (last.res.writableFinished) socket.end();
      else last.res.once('close', () => socket.end());
      return;
    }
    const head = requestHead((err as { rawPacket?: unknown }).rawPacket, (err as { bytesParsed?: unknown }).bytesParsed);
    const answer = err.code === 'HPE_HEADER_OVERFLOW' ? GatewayErrors.headersTooLarge({ limit: c.gatewayMaxHeaderBytes })
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? GatewayErrors.headerTimeout({ ms: c.gatewayHeaderTimeoutMs })
        : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? GatewayErrors.requestTooLarge({ limit: c.gatewayMaxRequestBytes })
          : GatewayErrors.badRequest({ reason: parserReason(err) });
    this.failures.raw(socket, answer, head.url, head.accept);
  };

  /** fastify serverFactory: the node:http server with the gateway in front of fastify's handler. */
  serverFactory = (handler: Handler): http.Server => {
    const c = this.d.config;
    const bodyRate = { initialMs: c.gatewayHeaderTimeoutMs, minRate: c.gatewayBodyMinRate };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      this.lastRequest.set(req.socket, { req, res });
      const refusal = this.refused.get(req.socket);
      if (!refusal) {
        // once an answer has begun (or been sent before the body, as a 401) there is nothing to add: the connection closes
        watchBodyRate(req, bodyRate, () => (res.headersSent ? req.socket.destroy()
          : this.failures.fail(req, res, GatewayErrors.bodyTimeout({ rate: c.gatewayBodyMinRate, ms: c.gatewayHeaderTimeoutMs }), true)));
      }
      (refusal ? Promise.reject(refusal) : this.dispatcher.request(req, res, handler))
        .catch((err: Error) => this.failures.fail(req, res, err, refusal !== undefined));
    };
    // The idle timeout keeps a connection that sends a byte per interval; the header section as a whole must arrive
    // within the header timeout (node checks open connections at the interval below), so a trickle cannot hold a slot.
    const server = http.createServer({ maxHeaderSize: c.gatewayMaxHeaderBytes, requestTimeout: 0, keepAliveTimeout: c.gatewayIdleTimeoutMs,
      headersTimeout: c.gatewayHeaderTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, c.gatewayHeaderTimeoutMs / 4)),
      requireHostHeader: false }, onRequest);
    // Expect: 100-continue: a body declared too large is refused before the client sends it (RFC 7231 §5.1.1).
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (Number(req.headers['content-length'] ?? 0) > c.gatewayMaxRequestBytes && !this.d.largeBody?.((req.url ?? '').split('?')[0]!)) {
        this.failures.fail(req, res, GatewayErrors.requestTooLarge({ limit: c.gatewayMaxRequestBytes }), true);
        return;
      }
      res.writeContinue();
      onRequest(req, res);
    });
    server.setTimeout(c.gatewayIdleTimeoutMs);
    // A client that half-closes after its request still gets the answer (node's default aborts a request still in
    // flight, such as one waiting for its token check, and closes without one); the connection closes after it.
    (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    const perAddress = Math.max(1, Math.floor(c.gatewayMaxConnections * c.gatewayAddressSharePercent / 100));
    server.on('connection', (socket: Socket) => {
      this.connections++;
      const address = socket.remoteAddress ?? '';
      const held = (this.byAddress.get(address) ?? 0) + 1;
      this.byAddress.set(address, held);
      if (this.connections > c.gatewayMaxConnections) this.refused.set(socket, GatewayErrors.tooManyConnections({ limit: c.gatewayMaxConnections }));
      else if (held > perAddress) this.refused.set(socket, GatewayErrors.tooManyFromAddress({ limit: perAddress, share: c.gatewayAddressSharePercent }));
      socket.once('close', () => {
        this.connections--;
        const left = (this.byAddress.get(address) ?? 1) - 1;
        if (left > 0) this.byAddress.set(address, left); else this.byAddress.delete(address);
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const refusal = this.refused.get(req.socket);
      const upgrade = refusal ? Promise.reject(refusal) : this.dispatcher.upgrade(req, socket, head);
      upgrade.catch((err: Error) => this.failures.raw(socket, err, req.url ?? '/', req.headers.accept));
    });
    server.on('close', () => { for (const t of this.timers) clearInterval(t); });
    const sweepMs = Math.max(100, Math.min(c.sessionIdleSeconds, c.sessionTtlSeconds) * 250);
    // Open WebSockets follow their session within a second, also when another worker ended it (logout).
    this.timers.push(setInterval(() => void this.sockets.closeEnded((id) => this.d.sessions.isAlive(id)), Math.min(1000, sweepMs)).unref(),
      setInterval(() => void this.d.sessions.sweep(), sweepMs).unref());
    return server;
  };
}

/**
 * The path and Accept header of a request the parser refused, read from the bytes it held (the error's rawPacket, up
 * to bytesParsed): the last request line that starts the buffer or follows a blank line, so the answer is in the
 * shape of its path and the format it asks for; "/" and no Accept when no request line is found.
 */
export function requestHead(raw: unknown, parsed?: unknown): { url: string; accept: string | undefined } {
  if (!Buffer.isBuffer(raw)) return { url: '/', accept: undefined };
  const text = raw.toString('latin1');
  const upto = typeof parsed === 'number' && parsed > 0 ? Math.min(parsed, text.length) : text.length;
  const line = /[^\r\n/]*? (\/[^ \r\n]*)/y; // a method (or what stands for one, of any length) up to the first " /"
  const lineAt = (at: number) => { line.lastIndex = at; return line.exec(text); };
  let from = -1;
  for (let at = 0; at < upto;) {
    if (lineAt(at)) from = at;
    const blank = text.indexOf('\r\n\r\n', at);
    if (blank < 0) break;
    at = blank + 4;
  }
  if (from < 0) return { url: '/', accept: undefined };
  const end = text.indexOf('\r\n\r\n', from);
  const head = text.slice(from, end >= 0 ? end + 2 : text.length);
  const accept = /\r\naccept:[ \t]*([^\r\n]*)\r\n/i.exec(head);
  return { url: lineAt(from)?.[1] ?? '/', accept: accept?.[1]?.trim() || undefined };
}

/** The HTTP parser's reason for refusing a request, in words (its code when it gives none). */
function parserReason(err: NodeJS.ErrnoException): string {
  const reason = (err as { reason?: unknown }).reason;
  return (typeof reason === 'string' && reason !== '' ? reason : err.code ?? 'unparsable request').replace(/\.$/, '').toLowerCase();
}
