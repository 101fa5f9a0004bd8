import { type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import type { TListenerProtocol, TSnapshotListener } from '@fulcrum/protocol';
import type { HeadSettings } from '../http/server/client-connection';
import { H2Listener } from '../http/h2/h2-listener';
import { type HttpHandlers, HttpListener, type ListenerRefusal } from '../http/server/http-listener';
import { ConnectionLimits, type ListenerConnections } from './connection-limits';
import type { PoolStats } from '../stats/pool-stats';
import type { ListenerCertificates } from '../tls/listener-certificates';
import { terminateTls } from '../tls/tls-termination';
import { CLIENT_BUFFER_BYTES } from '../io/bulk-buffers';

/** Looked up per connection or request by the id of the listener config that owns the port now. */
export interface ListenerHandlers {
  http: (listenerId: string) => HttpHandlers['request'];
  idleMs: (listenerId: string) => number;
  settings: (listenerId: string) => HeadSettings;
  upgrade: (listenerId: string) => HttpHandlers['upgrade'];
  tcp: (listenerId: string) => (socket: Socket) => void;
  /** An https listener's certificates, looked up per handshake (so a rotation serves the next one). */
  certificates: (listenerId: string) => ListenerCertificates | undefined;
  /** Whether an https listener offers HTTP/2 (looked up per handshake). */
  http2: (listenerId: string) => boolean;
  /** Client-side counters for connections and the listener's own 400/408 answers. */
  stats: (listenerId: string) => PoolStats | undefined;
  /** A request the listener refused itself (400/408/431), for the access log. */
  refused?: (listenerId: string, r: ListenerRefusal) => void;
}

interface Listener {
  port: number;
  host: string;
  protocol: TListenerProtocol;
  server: NetServer;
  /** Stops accepting at once (the port is free when it returns); resolves when its connections have ended. */
  close: () => Promise<void>;
  /** The listener config this socket serves; a new snapshot may point it at another id. */
  listenerId: { current: string };
  connections: ListenerConnections;
}

/** What `prepare` made of a snapshot's listeners: the ones not ready, with the reason. */
export interface ListenerPlan {
  failed: Map<string, string>;
}

/** Binds retried this long after closing our own listener on the port (a cluster sibling may still hold it). */
const REBIND_RETRY_MS = 2000;

const sameAddress = (l: Listener, p: { address: string; protocol: TListenerProtocol }) => l.host === p.address && l.protocol === p.protocol;

/**
 * The listening sockets, one per port (a snapshot never puts two listeners on one port), bound
 * from the snapshot's listeners. Each is made ready on its own, as Envoy applies per listener:
 * one that cannot bind is reported and leaves the others alone. A listener whose host or protocol changes is closed
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
   * Makes a socket ready for every listener that can have one. Sockets that already fit are
   * kept, new ones are opened (serving from then on whatever listener id they name), nothing is
   * closed except a socket the same port needs in another shape. `commit` finishes it.
   */
  async prepare(listeners: TSnapshotListener[]): Promise<ListenerPlan> {
    const failed = new Map<string, string>();
    for (const p of listeners) {
      const existing = this.listeners.get(p.port);
      if (existing && sameAddress(existing, p)) continue;
      if (existing) {
        this.listeners.delete(p.port);
        void existing.close();
      }
      try {
        this.listeners.set(p.port, await this.open(p, p.id, existing ? REBIND_RETRY_MS : 0));
      } catch (err) {
        failed.set(p.id, err instanceof Error ? err.message : String(err));
        if (!existing) continue;
        // Put the old shape back so its listener keeps serving; if even that fails, it is down.
        try {
          this.listeners.set(p.port, await this.open({ name: p.name, address: existing.host, port: existing.port, protocol: existing.protocol }, existing.listenerId.current, REBIND_RETRY_MS));
        } catch {
          // Reported through `failed`: the listener that owned it will find no socket in `serves`.
        }
      }
    }
    return { failed };
  }

  /** Whether a socket of this shape is open (a listener that keeps its previous config needs one). */
  serves(p: { address: string; port: number; protocol: TListenerProtocol }): boolean {
    const l = this.listeners.get(p.port);
    return l !== undefined && sameAddress(l, p);
  }

  /** Points each socket at the listener that owns its port now; closes the ones no listener owns (in-flight connections finish). */
  commit(owners: Map<number, string>): void {
    for (const [port, l] of this.listeners) {
      const listenerId = owners.get(port);
      if (listenerId) l.listenerId.current = listenerId;
      else {
        this.listeners.delete(port);
        void l.close();
      }
    }
  }

  private async open(p: Pick<TSnapshotListener, 'name' | 'address' | 'port' | 'protocol'>, listenerIdNow: string, retryMs: number): Promise<Listener> {
    const listenerId = { current: listenerIdNow };
    let server: NetServer;
    let close: () => Promise<void>;
    if (p.protocol !== 'tcp') {
      const handlers: HttpHandlers = {
        request: (req, res) => this.handlers.http(listenerId.current)(req, res),
        idleMs: () => this.handlers.idleMs(listenerId.current),
        settings: () => this.handlers.settings(listenerId.current),
        upgrade: (req, socket, head, checked) => this.handlers.upgrade(listenerId.current)(req, socket, head, checked),
        stats: () => this.handlers.stats(listenerId.current),
        refused: (r) => this.handlers.refused?.(listenerId.current, r),
      };
      const http: HttpListener = new HttpListener(handlers);
      if (p.protocol === 'https') {
        // Made when the first client chooses h2: most https listeners never need one.
        let h2: H2Listener | undefined;
        const raw = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
          terminateTls(socket, {
            certificates: () => this.handlers.certificates(listenerId.current),
            handshakeMs: () => this.handlers.settings(listenerId.current).headTimeoutMs,
            http2: () => this.handlers.http2(listenerId.current),
            secure: (tls) => (tls.alpnProtocol === 'h2' ? (h2 ??= new H2Listener({ ...handlers, abusive: () => this.limits.h2AbusiveClosed++ })).accept(tls) : http.accept(tls)),
            failed: () => {
              this.limits.tlsHandshakeFailures++;
              this.handlers.stats(listenerId.current)?.connectionRefused();
            },
          }),
        );
        server = raw;
        close = () => {
          h2?.close();
          return Promise.all([new Promise<void>((resolve) => raw.close(() => resolve())), http.close()]).then(() => undefined);
        };
      } else {
        server = http.server;
        close = () => http.close();
      }
    } else {
      const tcp = createNetServer({ allowHalfOpen: true, pauseOnConnect: true, highWaterMark: CLIENT_BUFFER_BYTES }, (socket) => this.handlers.tcp(listenerId.current)(socket));
      server = tcp;
      close = () => new Promise((resolve) => tcp.close(() => resolve()));
    }
    server.on('connection', () => this.handlers.stats(listenerId.current)?.connectionAccepted());
    const connections = this.limits.gate(server, () => listenerId.current);
    const deadline = Date.now() + retryMs;
    for (;;) {
      try {
        await listen(server, p.address, p.port);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || Date.now() >= deadline) {
          this.limits.forget(connections);
          void close(); // stops node:http's sweep timer of a listener that never listened
          throw new Error(`listener ${p.name}: cannot listen on ${p.address}:${p.port}: ${code ?? (err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    server.on('error', () => {
      // A listening socket's later errors (EMFILE on accept is retried by libuv) must not crash the process.
    });
    return { port: p.port, host: p.address, protocol: p.protocol, server, listenerId, connections, close: () => (this.limits.forget(connections), close()) };
  }

  /** The port a listener's socket is bound to. */
  boundPort(p: Pick<TSnapshotListener, 'port'>): number | undefined {
    const addr = this.listeners.get(p.port)?.server.address();
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
