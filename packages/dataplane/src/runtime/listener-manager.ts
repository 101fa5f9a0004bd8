import { type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import type { TPoolProtocol, TSnapshotPool } from '@fulcrum/protocol';
import type { HeadSettings } from '../http/server/client-connection';
import { type HttpHandlers, HttpListener, type ListenerRefusal } from '../http/server/http-listener';
import { ConnectionLimits, type ListenerConnections } from './connection-limits';
import type { PoolStats } from '../stats/pool-stats';

export interface ListenerHandlers {
  http: (poolId: string) => HttpHandlers['request'];
  idleMs: (poolId: string) => number;
  settings: (poolId: string) => HeadSettings;
  upgrade: (poolId: string) => HttpHandlers['upgrade'];
  tcp: (poolId: string) => (socket: Socket) => void;
  /** The pool's client-side counters (connections, the listener's own 400/408 answers). */
  stats: (poolId: string) => PoolStats | undefined;
  /** A request the listener refused itself (400/408/431), for the access log. */
  refused?: (poolId: string, r: ListenerRefusal) => void;
}

interface Listener {
  port: number;
  host: string;
  protocol: TPoolProtocol;
  server: NetServer;
  /** Stops accepting at once (the port is free when it returns); resolves when its connections have ended. */
  close: () => Promise<void>;
  /** The pool this listener serves; a new snapshot may point it at another pool id. */
  poolId: { current: string };
  connections: ListenerConnections;
}

/** What `prepare` made of a snapshot's pools: the ones whose listener is not ready, with the reason. */
export interface ListenerPlan {
  failed: Map<string, string>;
}

/** Binds retried this long after closing our own listener on the port (a cluster sibling may still hold it). */
const REBIND_RETRY_MS = 2000;

const sameAddress = (l: Listener, p: { listenHost: string; protocol: TPoolProtocol }) => l.host === p.listenHost && l.protocol === p.protocol;

/**
 * The listening sockets, one per port (a snapshot never puts two pools on one port). Each pool's
 * listener is made ready on its own, as Envoy applies per listener: one that cannot bind is
 * reported and leaves the others alone. A listener whose host or protocol changes is closed
 * before the new one binds (both cannot hold the port) and reopened when the new one fails.
 */
export class ListenerManager {
  private readonly listeners = new Map<number, Listener>();
  readonly limits: ConnectionLimits;

  constructor(
    private readonly handlers: ListenerHandlers,
    limits: { total?: number; perListener?: number } = {},
  ) {
    this.limits = new ConnectionLimits(limits);
  }

  /**
   * Makes a listener ready for every pool that can have one. Listeners that already fit are
   * kept, new ones are opened (serving from then on whatever pool id they name), nothing is
   * closed except a listener the same port needs in another shape. `commit` finishes it.
   */
  async prepare(pools: TSnapshotPool[]): Promise<ListenerPlan> {
    const failed = new Map<string, string>();
    for (const p of pools) {
      const existing = this.listeners.get(p.listenPort);
      if (existing && sameAddress(existing, p)) continue;
      if (existing) {
        this.listeners.delete(p.listenPort);
        void existing.close();
      }
      try {
        this.listeners.set(p.listenPort, await this.open(p, p.id, existing ? REBIND_RETRY_MS : 0));
      } catch (err) {
        failed.set(p.id, err instanceof Error ? err.message : String(err));
        if (!existing) continue;
        // Put the old shape back so its pool keeps serving; if even that fails, that pool is down.
        try {
          this.listeners.set(p.listenPort, await this.open({ name: p.name, listenHost: existing.host, listenPort: existing.port, protocol: existing.protocol }, existing.poolId.current, REBIND_RETRY_MS));
        } catch {
          // Reported through `failed`: the pool that owned it will find no listener in `serves`.
        }
      }
    }
    return { failed };
  }

  /** Whether a listener of this shape is open (a pool that keeps its previous config needs one). */
  serves(p: { listenHost: string; listenPort: number; protocol: TPoolProtocol }): boolean {
    const l = this.listeners.get(p.listenPort);
    return l !== undefined && sameAddress(l, p);
  }

  /** Points each listener at the pool that owns its port now; closes the ones no pool owns (in-flight connections finish). */
  commit(owners: Map<number, string>): void {
    for (const [port, l] of this.listeners) {
      const poolId = owners.get(port);
      if (poolId) l.poolId.current = poolId;
      else {
        this.listeners.delete(port);
        void l.close();
      }
    }
  }

  private async open(p: Pick<TSnapshotPool, 'name' | 'listenHost' | 'listenPort' | 'protocol'>, poolIdNow: string, retryMs: number): Promise<Listener> {
    const poolId = { current: poolIdNow };
    let server: NetServer;
    let close: () => Promise<void>;
    if (p.protocol === 'http') {
      const http = new HttpListener({
        request: (req, res) => this.handlers.http(poolId.current)(req, res),
        idleMs: () => this.handlers.idleMs(poolId.current),
        settings: () => this.handlers.settings(poolId.current),
        upgrade: (req, socket, head) => this.handlers.upgrade(poolId.current)(req, socket, head),
        stats: () => this.handlers.stats(poolId.current),
        refused: (r) => this.handlers.refused?.(poolId.current, r),
      });
      server = http.server;
      close = () => http.close();
    } else {
      const tcp = createNetServer({ pauseOnConnect: true }, (socket) => this.handlers.tcp(poolId.current)(socket));
      server = tcp;
      close = () => new Promise((resolve) => tcp.close(() => resolve()));
    }
    server.on('connection', () => this.handlers.stats(poolId.current)?.connectionAccepted());
    const connections = this.limits.gate(server, () => poolId.current);
    const deadline = Date.now() + retryMs;
    for (;;) {
      try {
        await listen(server, p.listenHost, p.listenPort);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || Date.now() >= deadline) {
          this.limits.forget(connections);
          void close(); // stops node:http's sweep timer of a listener that never listened
          throw new Error(`pool ${p.name}: cannot listen on ${p.listenHost}:${p.listenPort}: ${code ?? (err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    server.on('error', () => {
      // A listening socket's later errors (EMFILE on accept is retried by libuv) must not crash the process.
    });
    return { port: p.listenPort, host: p.listenHost, protocol: p.protocol, server, poolId, connections, close: () => (this.limits.forget(connections), close()) };
  }

  /** The port a pool's listener is bound to. */
  boundPort(p: TSnapshotPool): number | undefined {
    const addr = this.listeners.get(p.listenPort)?.server.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  async closeAll(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
  }
}

function listen(server: NetServer, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, backlog: 2048 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
