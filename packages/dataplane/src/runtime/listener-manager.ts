import { type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import type { TSnapshotPool } from '@fulcrum/protocol';
import { type HttpHandlers, HttpListener } from '../http/server/http-listener';
import type { PoolStats } from '../stats/pool-stats';

export interface ListenerHandlers {
  http: (poolId: string) => HttpHandlers['request'];
  idleMs: (poolId: string) => number;
  upgrade: (poolId: string) => HttpHandlers['upgrade'];
  tcp: (poolId: string) => (socket: Socket) => void;
  /** The pool's client-side counters (connections, the listener's own 400/408 answers). */
  stats: (poolId: string) => PoolStats | undefined;
}

interface Listener {
  key: string;
  server: NetServer;
  close: () => Promise<void>;
  /** The pool this listener serves; a new snapshot may point it at another pool id. */
  poolId: { current: string };
}

const keyOf = (p: TSnapshotPool) => `${p.protocol}|${p.listenHost}|${p.listenPort}`;

/**
 * The listening sockets, one per pool. A new snapshot opens the listeners it adds before
 * anything else changes (so a port that cannot be bound refuses the snapshot), keeps the ones
 * that stay, and closes the ones it drops (in-flight connections finish).
 */
export class ListenerManager {
  private listeners = new Map<string, Listener>();

  constructor(private readonly handlers: ListenerHandlers) {}

  /** Opens what `pools` adds; on failure closes what it opened and throws. */
  async prepare(pools: TSnapshotPool[]): Promise<() => void> {
    const opened: Listener[] = [];
    try {
      for (const p of pools) {
        if (this.listeners.has(keyOf(p))) continue;
        opened.push(await this.open(p));
      }
    } catch (err) {
      await Promise.all(opened.map((l) => l.close()));
      throw err;
    }
    // The commit: point listeners at their pools and drop the ones no pool uses.
    return () => {
      const wanted = new Map(pools.map((p) => [keyOf(p), p.id]));
      for (const l of opened) this.listeners.set(l.key, l);
      for (const [key, l] of this.listeners) {
        const poolId = wanted.get(key);
        if (poolId) l.poolId.current = poolId;
        else {
          this.listeners.delete(key);
          void l.close();
        }
      }
    };
  }

  private async open(p: TSnapshotPool): Promise<Listener> {
    const poolId = { current: p.id };
    let server: NetServer;
    let close: () => Promise<void>;
    if (p.protocol === 'http') {
      const http = new HttpListener({
        request: (req, res) => this.handlers.http(poolId.current)(req, res),
        idleMs: () => this.handlers.idleMs(poolId.current),
        upgrade: (req, socket, head) => this.handlers.upgrade(poolId.current)(req, socket, head),
        stats: () => this.handlers.stats(poolId.current),
      });
      server = http.server;
      close = () => http.close();
    } else {
      const tcp = createNetServer({ pauseOnConnect: true }, (socket) => this.handlers.tcp(poolId.current)(socket));
      server = tcp;
      close = () => new Promise((resolve) => tcp.close(() => resolve()));
    }
    server.on('connection', () => this.handlers.stats(poolId.current)?.connectionAccepted());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`pool ${p.name}: cannot listen on ${p.listenHost}:${p.listenPort}: ${err.code ?? err.message}`)));
      server.listen({ host: p.listenHost, port: p.listenPort, backlog: 2048 }, () => resolve());
    });
    return { key: keyOf(p), server, poolId, close };
  }

  /** The port a pool's listener is bound to (useful when it asked for port 0). */
  boundPort(p: TSnapshotPool): number | undefined {
    const addr = this.listeners.get(keyOf(p))?.server.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  async closeAll(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
  }
}
