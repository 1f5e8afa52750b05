/**
 * The proxied WebSockets of web sessions (Industrial IoT Gateway docs "WebSockets": "If the HTTP session expires or the user of the web
 * client logs out, the session and consequently the WebSocket connection will be closed"): open client sockets by
 * session, closed (1008) at once on logout on this worker, and by a periodic look (closeEnded) when the session ended
 * otherwise: expiry, or a logout on another worker.
 */
import type WebSocket from 'ws';

export class SocketTracker {
  private readonly sockets = new Map<string, Set<WebSocket>>();

  /** Tracks a client socket of the session; returns the function to call when it closes. */
  track(idHash: string, client: WebSocket): () => void {
    const set = this.sockets.get(idHash) ?? new Set<WebSocket>();
    set.add(client);
    this.sockets.set(idHash, set);
    return () => {
      set.delete(client);
      if (set.size === 0 && this.sockets.get(idHash) === set) this.sockets.delete(idHash);
    };
  }

  close(idHash: string, reason: string): void {
    for (const ws of this.sockets.get(idHash) ?? []) ws.close(1008, reason);
    this.sockets.delete(idHash);
  }

  /** Closes the sockets of every session `isAlive` no longer knows. */
  async closeEnded(isAlive: (idHash: string) => Promise<boolean>): Promise<void> {
    for (const idHash of [...this.sockets.keys()]) {
      if (!(await isAlive(idHash))) this.close(idHash, 'the session ended');
    }
  }
}
