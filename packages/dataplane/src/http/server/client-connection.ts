import type { Socket } from 'node:net';
import type { ClientRequest, ClientResponse } from '../client-exchange';
import { parsePlainRequest } from './plain-request';
import { PlainResponse, type ResponseOwner } from './plain-response';

/** node:http's default limit on a request head; a longer one goes to node:http, which answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Pipelined bytes held while a request is served, before reading from the client pauses. */
const MAX_AHEAD_BYTES = 64 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

export interface ConnectionHandlers {
  request(req: ClientRequest, res: ClientResponse): void;
  /** The pool's client idle timeout: the limit on a connection's silence, between requests and during one. */
  idleMs(): number;
  /** Counts the 408 this connection answers itself. */
  requestTimedOut?(): void;
  /** Gives the connection to node:http, with the bytes read but not yet served. */
  handOff(socket: Socket, unread: Buffer | undefined): void;
}

/**
 * One client connection on an HTTP listener. Plain requests (see `parsePlainRequest`) are
 * served one at a time, pipelined ones in order; the first request that is not plain hands
 * the connection, with its unread bytes, to node:http for the rest of its life. Between
 * requests, as during one, the connection is held to its pool's idle timeout; a request head
 * left unfinished that long is answered 408.
 */
export class ClientConnection implements ResponseOwner {
  private unread: Buffer | undefined;
  private current: PlainResponse | undefined;
  private clientEnded = false;
  private closing = false;
  private handedOff = false;
  private dispatching = false;
  private timeoutMs = 0;
  private readonly clientIp: string;

  constructor(
    readonly socket: Socket,
    private readonly handlers: ConnectionHandlers,
    private readonly gone: (c: ClientConnection) => void,
  ) {
    this.clientIp = socket.remoteAddress ?? '';
    this.arm(handlers.idleMs());
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
  }

  /** The listener is closing: an idle connection closes now, a busy one after its answer. */
  closeWhenIdle(): void {
    this.closing = true;
    if (!this.current) this.socket.destroy();
  }

  arm(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  responseEnded(res: PlainResponse): void {
    if (this.current !== res) return;
    this.current = undefined;
    if (!res.keepAlive || this.closing) {
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.dispatch();
    if (this.clientEnded && !this.current && !this.handedOff) this.socket.end();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.unread = this.unread ? Buffer.concat([this.unread, chunk]) : chunk;
    if (!this.current) this.dispatch();
    else if (this.unread.length > MAX_AHEAD_BYTES) this.socket.pause();
  };

  /** Serves the requests read so far, one at a time. A loop, so answers given at once (error pages) do not recurse. */
  private dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    while (!this.current && this.unread && !this.handedOff && !this.socket.destroyed) {
      const buf = this.unread;
      const end = buf.indexOf(CRLF_CRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) this.handOff();
        break;
      }
      const req = end <= MAX_HEAD_BYTES ? parsePlainRequest(buf.toString('latin1', 0, end), this.clientIp) : undefined;
      if (!req) {
        this.handOff();
        break;
      }
      this.unread = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
      const res = new PlainResponse(this, req.method === 'HEAD', !req.close && !this.closing);
      this.current = res;
      this.handlers.request(req, res);
    }
    this.dispatching = false;
  }

  private handOff(): void {
    this.handedOff = true;
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.off('timeout', this.onTimeout);
    socket.setTimeout(0);
    if (socket.isPaused()) socket.resume();
    const unread = this.unread;
    this.unread = undefined;
    this.gone(this);
    this.handlers.handOff(socket, unread);
  }

  private readonly onEnd = (): void => {
    this.clientEnded = true;
    if (this.current) return;
    this.dispatch();
    if (!this.current && !this.handedOff) this.socket.end();
  };

  private readonly onError = (): void => {
    // 'close' follows; the exchange learns of it there.
  };

  private readonly onClose = (): void => {
    const res = this.current;
    this.current = undefined;
    res?.clientGone();
    this.gone(this);
  };

  private readonly onTimeout = (): void => {
    if (!this.current && this.unread) {
      this.handlers.requestTimedOut?.();
      this.socket.end(REQUEST_TIMEOUT);
    }
    else this.socket.destroy();
  };
}
