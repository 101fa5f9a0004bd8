import type { Server, Socket } from 'node:net';

/** One listener's client connections. */
export interface ListenerConnections {
  poolId: () => string;
  open: number;
  refused: number;
}

export const DEFAULT_MAX_LISTENER_CONNECTIONS = 10_000;

/**
 * Caps client connections per listener and for the whole process (HAProxy's frontend and global
 * `maxconn`, NGINX's `worker_connections`), so trickling clients on one pool cannot use up the
 * process's descriptors and starve the other pools, upstream connections and health checks.
 * Over a cap, an accepted connection is closed at once, before any pool code sees it.
 */
export class ConnectionLimits {
  readonly maxTotal: number;
  readonly maxPerListener: number;
  open = 0;
  refused = 0;
  /** TLS handshakes that failed, timed out or were abandoned (https listeners). */
  tlsHandshakeFailures = 0;
  /** HTTP/2 connections closed for ending streams too fast (rapid reset, see h2-listener.ts). */
  h2AbusiveClosed = 0;
  private readonly listeners = new Set<ListenerConnections>();

  constructor(opts: { total?: number; perListener?: number } = {}) {
    this.maxTotal = opts.total ?? 1_000_000;
    this.maxPerListener = opts.perListener ?? DEFAULT_MAX_LISTENER_CONNECTIONS;
  }

  /** Puts the caps in front of the server's connection handlers (added before this call). */
  gate(server: Server, poolId: () => string): ListenerConnections {
    const conns: ListenerConnections = { poolId, open: 0, refused: 0 };
    this.listeners.add(conns);
    const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (conns.open >= this.maxPerListener || this.open >= this.maxTotal) {
        conns.refused++;
        this.refused++;
        socket.destroy();
        return;
      }
      conns.open++;
      this.open++;
      socket.once('close', () => {
        conns.open--;
        this.open--;
      });
      for (const h of handlers) h.call(server, socket);
    });
    return conns;
  }

  /** A closed listener leaves the per-listener view; its remaining connections still count in the total. */
  forget(conns: ListenerConnections): void {
    this.listeners.delete(conns);
  }

  view() {
    return {
      maxConnections: this.maxTotal,
      maxConnectionsPerListener: this.maxPerListener,
      open: this.open,
      refused: this.refused,
      tlsHandshakeFailures: this.tlsHandshakeFailures,
      h2AbusiveClosed: this.h2AbusiveClosed,
      listeners: [...this.listeners].map((c) => ({ poolId: c.poolId(), open: c.open, refused: c.refused })),
    };
  }
}
