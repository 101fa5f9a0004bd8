import { type IncomingMessage, type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import { type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ClientRequest, type ClientResponse, NodeResponse, nodeRequest } from '../client-exchange';
import type { PoolStats } from '../../stats/pool-stats';
import { ClientConnection } from './client-connection';

/**
 * How much of an answer may wait in a client socket's buffer before the backend is paused.
 * Node's 16 KiB default is less than one 64 KiB read, which would pause and resume the
 * backend socket (two epoll changes) for every read of a large body.
 */
const CLIENT_BUFFER_BYTES = 256 * 1024;

export interface HttpHandlers {
  request(req: ClientRequest, res: ClientResponse): void;
  /** The pool's client idle timeout. */
  idleMs(): number;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The pool's client-side counters, for the answers the listener gives itself. */
  stats?(): PoolStats | undefined;
}

/**
 * An HTTP listener. Its connections are served by `ClientConnection`'s fast path while their
 * requests are plain; node:http (never listening itself) takes over a connection at its first
 * request that is not: uploads, upgrades, HTTP/1.0, anything to refuse. Node's server costs
 * several times the fast path per request (IncomingMessage, ServerResponse, streams).
 */
export class HttpListener {
  readonly server: NetServer;
  private readonly full: HttpServer;
  private readonly plain = new Set<ClientConnection>();

  constructor(handlers: HttpHandlers) {
    this.full = createHttpServer({ keepAliveTimeout: 65_000, headersTimeout: 60_000, requestTimeout: 0 }, (req, res) => handlers.request(nodeRequest(req), new NodeResponse(res)));
    this.full.on('upgrade', handlers.upgrade);
    this.full.on('clientError', (_err, socket) => {
      if (socket.writable) {
        handlers.stats?.()?.proxyAnswer(400, 'bad_request');
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      } else socket.destroy();
    });
    // node:http starts its headers-timeout sweep when it starts listening, which this one never does.
    this.full.emit('listening');
    const connections = {
      request: handlers.request,
      idleMs: handlers.idleMs,
      requestTimedOut: () => handlers.stats?.()?.proxyAnswer(408, 'request_timeout'),
      handOff: (socket: Socket, unread: Buffer | undefined) => {
        this.full.emit('connection', socket);
        if (unread) socket.emit('data', unread);
      },
    };
    this.server = createNetServer({ allowHalfOpen: true, noDelay: true, highWaterMark: CLIENT_BUFFER_BYTES }, (socket) => {
      const c = new ClientConnection(socket, connections, (gone) => this.plain.delete(gone));
      this.plain.add(c);
    });
  }

  /** Stops accepting; idle connections close now, busy ones after their answer. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const c of this.plain) c.closeWhenIdle();
      // Also stops node:http's sweep, and closes its idle connections.
      this.full.close();
    });
  }
}
