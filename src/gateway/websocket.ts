/**
 * WebSocket proxying on web app hosts (Industrial IoT Gateway docs "WebSockets"): the backend connection is opened first with the
 * user's bearer token and the client's Sec-WebSocket-Protocol list in its order; only then is the client's
 * Upgrade answered (101 with the backend's chosen protocol), or refused with 400 when the backend cannot be
 * reached. Message contents are relayed unchanged, sent on as binary frames (Industrial IoT Gateway docs: "forwards every WebSocket
 * message as binary") or, with --gateway-ws-messages preserve, in their own frame type; server pings keep idle
 * browsers inside the idle timeout; traffic keeps the session alive; logout or expiry closes the socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

export interface BridgeOptions {
  backendUrl: string;
  protocols: string[];
  /** The backend request's headers as a flat [name, value, ...] list (backendRequestHeaders). */
  headers: string[];
  idleMs: number;
  pingMs: number;
  /** Send every message on as a binary frame (Industrial IoT Gateway docs), else keep text frames text. */
  allBinary: boolean;
  /** Called on every message from either side (session keep-alive). */
  onTraffic(): void;
  /** Called when the backend cannot be reached; must answer the client and close its socket. */
  refuse(reason: string): void;
  /** Called with the client socket once bridged; returns a function to call when it closes. */
  opened(client: WebSocket): () => void;
}

const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: 150 * 1024 * 1024,
  handleProtocols: (_offered, req) => (req as IncomingMessage & { chosenProtocol?: string }).chosenProtocol ?? false,
});

/** Parses Sec-WebSocket-Protocol; undefined when absent, throws on an empty value (seed: must be omitted). */
export function offeredProtocols(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const list = (Array.isArray(header) ? header.join(',') : header).split(',').map((p) => p.trim()).filter(Boolean);
  if (list.length === 0) throw new Error('the Sec-WebSocket-Protocol header is empty; omit it when no subprotocol is wanted');
  return list;
}

export function bridge(req: IncomingMessage, socket: Duplex, head: Buffer, o: BridgeOptions): void {
  const headers: Record<string, string> = {};
  for (let i = 0; i < o.headers.length; i += 2) {
    const name = o.headers[i]!;
    if (name === 'host' || name.startsWith('sec-websocket-')) continue; // ws sets its own handshake headers
    headers[name] = headers[name] === undefined ? o.headers[i + 1]! : `${headers[name]}, ${o.headers[i + 1]!}`;
  }
  const backend = new WebSocket(o.backendUrl, o.protocols, {
    headers, perMessageDeflate: false, handshakeTimeout: o.idleMs, maxPayload: 150 * 1024 * 1024,
  });
  let open = false;
  const refuse = (reason: string) => {
    if (open) return;
    backend.terminate();
    o.refuse(reason);
  };
  backend.once('unexpected-response', (_r, res) => refuse(`the backend answered the Upgrade with HTTP ${res.statusCode}`));
  backend.once('error', (err: NodeJS.ErrnoException) => refuse(`the backend is not reachable (${err.code ?? err.message})`));
  socket.once('close', () => { if (!open) backend.terminate(); });
  backend.once('open', () => {
    open = true;
    (req as IncomingMessage & { chosenProtocol?: string }).chosenProtocol = backend.protocol || undefined;
    server.handleUpgrade(req, socket, head, (client) => {
      const closed = o.opened(client);
      const rawSocket = socket as Duplex & { setTimeout?(ms: number, cb: () => void): void };
      rawSocket.setTimeout?.(o.idleMs, () => client.terminate());
      const ping = setInterval(() => { if (client.readyState === WebSocket.OPEN) client.ping(); }, o.pingMs);
      ping.unref();
      client.on('message', (data, isBinary) => {
        o.onTraffic();
        if (backend.readyState === WebSocket.OPEN) backend.send(data, { binary: o.allBinary || isBinary });
      });
      backend.on('message', (data, isBinary) => {
        o.onTraffic();
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary: o.allBinary || isBinary });
      });
      const safeCode = (code: number) => (code >= 1000 && code <= 4999 && ![1004, 1005, 1006, 1015].includes(code) ? code : 1000);
      client.on('close', (code, reason) => {
        clearInterval(ping);
        closed();
        if (backend.readyState === WebSocket.OPEN) backend.close(safeCode(code), reason);
        else backend.terminate();
      });
      backend.on('close', (code, reason) => {
        if (client.readyState === WebSocket.OPEN) client.close(safeCode(code), reason);
      });
      client.on('error', () => backend.terminate());
      backend.on('error', () => client.terminate());
    });
  });
}
