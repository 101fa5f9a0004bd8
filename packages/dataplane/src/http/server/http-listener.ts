import { Buffer } from 'node:buffer';
import { type IncomingMessage, type Server as HttpServer, type ServerResponse, STATUS_CODES, createServer as createHttpServer } from 'node:http';
import { type Server as NetServer, Socket, createServer as createNetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { THttpProtocol } from '@fulcrum/protocol';
import { type ClientRequest, type ClientResponse, NodeResponse, nodeRequest } from '../client-exchange';
import { type HeadRefusal, type RequestHead, checkRequest, isRefusal } from '../request-head';
import { ClientConnection, type HeadSettings, refusalResponse } from './client-connection';
import { endRefused } from './refused-close';
import { INTERNAL_ERROR_REASON } from '../error-page';
import { internalErrors } from '../../runtime/internal-errors';
import type { PoolStats } from '../../stats/pool-stats';
import { CLIENT_BUFFER_BYTES } from '../../io/bulk-buffers';

/** How often node:http looks for heads past their deadline (its default is 30 s). */
const HEAD_DEADLINE_SWEEP_MS = 1_000;

export interface HttpHandlers {
  request(req: ClientRequest, res: ClientResponse): void;
  /** The pool's client idle timeout. */
  idleMs(): number;
  /** The pool's limits on request heads. */
  settings(): HeadSettings;
  /**
   * A request node:http read as an upgrade, with the proxy's reading of it (`checked.upgrade`
   * false: not one to the proxy, so it is served as an ordinary request, the last on its connection).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, checked: RequestHead): void;
  /** The pool's client-side counters, for the answers the listener gives itself. */
  stats?(): PoolStats | undefined;
  /** An answer the listener gave itself (400/408/431), for the access log. */
  refused?(r: ListenerRefusal): void;
}

/** A request the listener refused before any pool handler saw it; method and path when they were read. */
export interface ListenerRefusal {
  status: number;
  clientIp: string;
  method?: string;
  path?: string;
  /** The HTTP version, when the request got far enough to say (an HTTP/2 stream always does). */
  protocol?: THttpProtocol;
}

/** Properties node:http reads at run time that its typings leave out. */
type TunableHttpServer = HttpServer & { httpAllowHalfOpen: boolean; maxHeaderSize: number };

/** llhttp's errors as the status a client gets for them. */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** An answer the listener gives itself, counted as what the client got, and logged. */
export function countRefusal(handlers: Pick<HttpHandlers, 'stats' | 'refused'>, r: ListenerRefusal): void {
  const status = r.status;
  handlers.stats?.()?.proxyAnswer(status, status === 408 ? 'request_timeout' : status === 431 ? 'header_too_large' : 'bad_request');
  handlers.refused?.(r);
}

/** llhttp framed the body on its own: it must be the framing the proxy's check decided. */
function sameFraming(head: RequestHead, req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'] !== undefined;
  if (head.length < 0) return te;
  return !te && Number(req.headers['content-length'] ?? 0) === head.length;
}

/**
 * An HTTP listener. Its connections are served by `ClientConnection`'s fast path while their
 * requests are plain; node:http (never listening itself) takes over a connection at its first
 * request that is not: uploads, upgrades, HTTP/1.0. Node's server costs several times the fast
 * path per request (IncomingMessage, ServerResponse, streams). Every request node:http parses
 * is checked again by the proxy (`checkRequest`) before it is forwarded, and one it refuses
 * closes the connection: nothing after it on that connection is served.
 */
export class HttpListener {
  readonly server: NetServer;
  private readonly full: TunableHttpServer;
  private readonly plain = new Set<ClientConnection>();
  /** Connections node:http serves that have had a request refused. */
  private readonly refused = new WeakSet<object>();

  constructor(private readonly handlers: HttpHandlers) {
    const initial = handlers.settings();
    this.full = createHttpServer(
      {
        keepAliveTimeout: 65_000,
        headersTimeout: initial.headTimeoutMs,
        requestTimeout: 0,
        connectionsCheckingInterval: HEAD_DEADLINE_SWEEP_MS,
        maxHeaderSize: initial.maxHeadBytes,
      },
      (req, res) => this.onNodeRequest(req, res),
    ) as TunableHttpServer;
    this.full.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onNodeUpgrade(req, socket, head));
    // A client that half-closes still gets its answers (node:http's default drops requests in flight).
    this.full.httpAllowHalfOpen = true;
    this.full.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // As node:http's own handler: an answer already under way cannot be followed by another.
      const current = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
      if (socket.writable && !current?.headersSent) {
        const status = clientErrorStatus(err.code);
        countRefusal(handlers, { status, clientIp: socket instanceof Socket ? (socket.remoteAddress ?? '') : '' });
        socket.end(refusalResponse(status, 'malformed request'), 'latin1');
      }
      socket.destroy();
    });
    // node:http starts its headers-timeout sweep when it starts listening, which this one never does.
    this.full.emit('listening');
    const connections = {
      request: handlers.request,
      idleMs: handlers.idleMs,
      settings: handlers.settings,
      refused: (status: number, clientIp: string) => countRefusal(handlers, { status, clientIp }),
      handOff: (socket: Socket, unread: Buffer, ended: boolean) => {
        // The pool's limits as they are now; node:http reads them per connection and per sweep.
        const s = handlers.settings();
        this.full.maxHeaderSize = s.maxHeadBytes;
        this.full.headersTimeout = s.headTimeoutMs;
        // One more than allowed, so that too many is seen (node drops fields past its count).
        this.full.maxHeadersCount = s.maxHeaders + 1;
        this.full.emit('connection', socket);
        // One chunk: node:http stops reading at an upgrade head, and a later chunk emitted by hand
        // would reach no listener, losing the bytes the client sent right after the handshake.
        if (unread.length > 0) socket.emit('data', unread);
        // node:http learns of a half-close only from 'end', which has already been emitted.
        if (ended) socket.emit('end');
      },
    };
    this.connections = connections;
    this.server = createNetServer({ allowHalfOpen: true, noDelay: true, highWaterMark: CLIENT_BUFFER_BYTES }, (socket) => this.accept(socket));
  }

  private readonly connections: ConstructorParameters<typeof ClientConnection>[1];

  /** Serves a connection: one this listener accepted, or a TLS socket an https listener has finished the handshake on. */
  accept(socket: Socket): void {
    const c = new ClientConnection(socket, this.connections, (gone) => this.plain.delete(gone));
    this.plain.add(c);
  }

  private check(req: IncomingMessage): RequestHead | HeadRefusal {
    const head = checkRequest(req.method ?? '', req.url ?? '', `HTTP/${req.httpVersion}`, req.rawHeaders, this.handlers.settings());
    if (!isRefusal(head) && head.upgrade === undefined && !sameFraming(head, req)) return { status: 400, reason: 'ambiguous message framing' };
    return head;
  }

  private onNodeRequest(req: IncomingMessage, res: ServerResponse): void {
    // After a refusal the connection only waits to close; requests pipelined behind it are dropped.
    if (this.refused.has(req.socket)) return void req.resume();
    const head = this.check(req);
    if (isRefusal(head)) {
      this.refused.add(req.socket);
      countRefusal(this.handlers, { status: head.status, clientIp: req.socket.remoteAddress ?? '', method: req.method, path: req.url });
      req.resume();
      const body = `${head.status} ${STATUS_CODES[head.status]}: ${head.reason}\n`;
      res.writeHead(head.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
      return;
    }
    const response = new NodeResponse(res);
    try {
      this.handlers.request(nodeRequest(req, head), response);
    } catch (err) {
      // A bug in serving it: this exchange fails (500 or a cut), the connection closes, the rest goes on.
      internalErrors.record('exchange', err);
      this.refused.add(req.socket);
      response.internalError();
    }
  }

  private onNodeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const checked = this.refused.has(socket) ? undefined : this.check(req);
    if (!checked || isRefusal(checked)) {
      this.refused.add(socket);
      if (checked) {
        countRefusal(this.handlers, { status: checked.status, clientIp: req.socket.remoteAddress ?? '', method: req.method, path: req.url });
        endRefused(socket, refusalResponse(checked.status, checked.reason));
      } else {
        socket.on('error', () => {});
        socket.destroy();
      }
      return;
    }
    try {
      this.handlers.upgrade(req, socket, head, checked);
    } catch (err) {
      internalErrors.record('exchange', err);
      this.refused.add(socket);
      // Nothing of an answer has gone out while the bytes written are none.
      if ((socket as Socket).bytesWritten === 0 && socket.writable) endRefused(socket, refusalResponse(500, INTERNAL_ERROR_REASON));
      else socket.destroy();
    }
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
