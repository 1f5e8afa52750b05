/**
 * The request body's minimum rate at the gateway's edge (Industrial IoT Gateway docs "Restrictions"; like nginx's
 * client_body_timeout and Apache mod_reqtimeout's body MinRate): a request with a body must deliver it within the
 * header timeout plus one second per `minRate` bytes received, so a client that trickles a body (slowloris on the
 * body) cannot hold a connection slot, however steadily it sends. Time in which the server itself does not read
 * (the body waits unread in the request's buffer: backpressure of a slow backend or disk) is not counted.
 */
import type { IncomingMessage } from 'node:http';

export interface BodyRateOptions {
  /** Time the body may take before the first byte counts, in ms (the header timeout). */
  initialMs: number;
  /** Bytes per second; 0 turns the check off. */
  minRate: number;
}

/**
 * Watches the body of `req` until it is complete (also after an early answer); calls `slow` once when the client
 * falls behind the rate (the caller answers 408, or closes the connection when the answer has begun).
 */
export function watchBodyRate(req: IncomingMessage, o: BodyRateOptions, slow: () => void): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (o.minRate <= 0 || (req.headers['transfer-encoding'] === undefined && !(declared > 0))) return;
  const socket = req.socket;
  const base = socket.bytesRead;
  const tickMs = Math.max(50, Math.min(1000, Math.floor(o.initialMs / 4)));
  let allowedMs = o.initialMs;
  let last = Date.now();
  const start = last;
  // one close listener per watched request, removed when the watch ends (keep-alive sockets carry many requests)
  const stop = () => { clearInterval(timer); socket.off('close', stop); req.off('end', stop); };
  const timer = setInterval(() => {
    // an answer before the body (a 401, a 413) does not end the watch: node reads the rest to reuse the connection
    if (req.complete || socket.destroyed) { stop(); return; }
    const now = Date.now();
    // unread bytes in the request: the server is the slow side, not the client
    if (req.readableLength > 0) allowedMs += now - last;
    last = now;
    const received = socket.bytesRead - base;
    if (now - start > allowedMs + (received / o.minRate) * 1000) {
      stop();
      slow();
    }
  }, tickMs);
  timer.unref();
  socket.on('close', stop);
  req.once('end', stop);
}
