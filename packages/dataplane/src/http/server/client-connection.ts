import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { readThroughStream, readViews } from '../../io/accepted-socket-reads';
import { eventClock } from '../../io/event-clock';
import { IdleTimer } from '../../io/idle-timer';
import { SocketWriter } from '../../io/socket-writer';
import { internalErrors } from '../../runtime/internal-errors';
import type { THttpSettings } from '@fulcrum/protocol';
import type { ClientRequest, ClientResponse } from '../client-exchange';
import { INTERNAL_ERROR_REASON } from '../error-page';
import { Byte } from '../field-syntax';
import { type HeadRefusal, isRefusal, parseRequestHead } from '../request-head';
import { HeadReader } from './head-reader';
import { PlainRequest, isPlain } from './plain-request';
import { PlainResponse, type ResponseOwner } from './plain-response';
import { LINGER_MS } from './refused-close';

/** Pipelined bytes held while a request is served, before reading from the client pauses. */
const MAX_AHEAD_BYTES = 64 * 1024;

export type HeadSettings = Pick<THttpSettings, 'headTimeoutMs' | 'maxHeadBytes' | 'maxHeaders'>;

export interface ConnectionHandlers {
  request(req: ClientRequest, res: ClientResponse): void;
  /** The pool's client idle timeout: the limit on a connection's silence, between requests and during one. */
  idleMs(): number;
  /** The pool's limits on request heads. */
  settings(): HeadSettings;
  /**
   * Gives the connection to node:http, with the bytes read but not yet served, in one buffer of
   * their own (`ended`: the client has half-closed).
   */
  handOff(socket: Socket, unread: Buffer, ended: boolean): void;
  /** Counts an answer this connection gives itself (400, 408, 431, ...). */
  refused?(status: number, clientIp: string): void;
}

/** The answer to a request the proxy will not forward; the connection closes after it. */
export function refusalResponse(status: number, reason: string): string {
  const body = `${status} ${STATUS_CODES[status]}: ${reason}\n`;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

const REQUEST_TIMEOUT = refusalResponse(408, 'request head not received in time');
const INTERNAL_ERROR = refusalResponse(500, INTERNAL_ERROR_REASON);

/**
 * One client connection on an HTTP listener. Each request head is read by `HeadReader` and
 * checked by `parseRequestHead`; what the proxy will not forward is answered (400, 431, ...)
 * and the connection closed. Plain requests (see `isPlain`) are served here one at a time,
 * pipelined ones in order; the first that is not hands the connection, with its unread bytes,
 * to node:http for the rest of its life. A head must arrive within the pool's head deadline in
 * total (not just without a silence), or it is answered 408; between requests, as during one,
 * the connection is held to the pool's idle timeout.
 */
export class ClientConnection implements ResponseOwner {
  private readonly reader = new HeadReader();
  private current: PlainResponse | undefined;
  private clientEnded = false;
  private closing = false;
  private handedOff = false;
  private refused = false;
  private dispatching = false;
  /** A request head has been taken and nothing answers it yet (no refusal, no response, no hand-over). */
  private unanswered = false;
  /**
   * Answers wait past the socket's high-water mark: the next pipelined request is served, and the
   * client read again, only once they are taken (`'drain'`), as NGINX serves the next only once
   * an answer is sent. A client that pipelines and never reads holds one connection's buffer.
   */
  private awaitingDrain = false;
  private timeoutMs = 0;
  /** The connection's inactivity limit: reads and writes defer it. */
  private readonly idle = new IdleTimer(() => this.onTimeout());
  /** Set while a head is partly read: fires at the pool's head deadline. */
  private headTimer: NodeJS.Timeout | undefined;
  private readonly clientIp: string;
  readonly writer: SocketWriter;
  /** A TLS socket (https listener). */
  private readonly secure: boolean;

  constructor(
    readonly socket: Socket,
    private readonly handlers: ConnectionHandlers,
    private readonly gone: (c: ClientConnection) => void,
  ) {
    this.clientIp = socket.remoteAddress ?? '';
    this.secure = (socket as { encrypted?: boolean }).encrypted === true;
    this.writer = new SocketWriter(socket);
    this.arm(handlers.idleMs());
    // Each read a view of a buffer all connections read into: what the reader holds past the read is copied.
    if (!readViews(socket, this.onRead)) socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    // A write the client has taken in full is activity too (as for a socket's own timeout).
    socket.on('drain', this.onDrain);
  }

  /** The listener is closing: an idle connection closes now, a busy one after its answer. */
  closeWhenIdle(): void {
    this.closing = true;
    if (!this.current) this.socket.destroy();
  }

  arm(ms: number): void {
    if (ms === this.timeoutMs || this.handedOff) return;
    this.timeoutMs = ms;
    this.idle.arm(ms);
  }

  active(): void {
    this.idle.touch();
  }

  responseEnded(res: PlainResponse): void {
    if (this.current !== res) return;
    this.current = undefined;
    if (!res.keepAlive || this.closing) {
      this.socket.end();
      return;
    }
    if (this.writer.needsDrain) {
      this.awaitingDrain = true;
      this.socket.pause();
      return;
    }
    this.serveNext();
  }

  /** The answer before is out (or taken by the kernel enough): the next pipelined request, if any. */
  private serveNext(): void {
    if (this.socket.isPaused()) this.socket.resume();
    this.dispatch();
    // An answer given at once inside the dispatch loop returns here mid-loop: the loop, not this, ends the socket.
    if (this.clientEnded && !this.current && !this.handedOff && !this.dispatching) this.socket.end();
  }

  private readonly onRead = (view: Buffer): boolean => {
    eventClock.begin();
    try {
      this.receive(view, true);
    } finally {
      this.reader.own();
      eventClock.end();
    }
    return true;
  };

  private readonly onData = (chunk: Buffer): void => this.receive(chunk, false);

  private receive(chunk: Buffer, borrowed: boolean): void {
    this.idle.touch();
    if (this.refused) return;
    this.reader.push(chunk, borrowed);
    if (!this.current && !this.awaitingDrain) this.dispatch();
    else if (this.reader.bytes > MAX_AHEAD_BYTES) this.socket.pause();
  }

  /**
   * Serves the requests read so far, one at a time. A loop, so answers given at once (error pages)
   * do not recurse. An exception escaping it (a bug) is contained to this connection: counted,
   * logged, answered 500 (or cut), and the connection closed; the process serves on.
   */
  private dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      this.serveRead();
    } catch (err) {
      internalErrors.record('exchange', err);
      this.failed();
    } finally {
      this.dispatching = false;
    }
  }

  private serveRead(): void {
    const settings = this.handlers.settings();
    while (!this.current && this.reader.partial && !this.handedOff && !this.refused && !this.socket.destroyed) {
      const head = this.reader.next(settings.maxHeadBytes, settings.maxHeaders);
      if (head === undefined) {
        this.awaitRestOfHead(settings.headTimeoutMs);
        break;
      }
      this.headDone();
      if (!Buffer.isBuffer(head)) {
        this.refuse(head);
        break;
      }
      this.unanswered = true;
      // Blank lines before the request line are skipped (RFC 9112 §2.2); the head's own ends with it.
      let from = 0;
      while (head[from] === Byte.CR && head[from + 1] === Byte.LF) from += 2;
      const req = parseRequestHead(head, from, head.length - 2, settings);
      if (isRefusal(req)) {
        this.unanswered = false;
        this.refuse(req);
        break;
      }
      if (!isPlain(req)) {
        this.unanswered = false;
        // Copied into one buffer: node:http may keep them (an upgrade's first bytes), and the head may be a read's view.
        this.handOff(Buffer.concat([head, ...this.reader.drain()]));
        break;
      }
      const res = new PlainResponse(this, req.method === 'HEAD', !req.close && !this.closing);
      this.current = res;
      this.unanswered = false;
      this.handlers.request(new PlainRequest(req, this.clientIp, this.secure), res);
    }
  }

  /**
   * An exception escaped the serving of this connection's requests (see `dispatch`). The response
   * in progress fails (`PlainResponse.internalError`); a head taken with nothing to answer it gets
   * the 500 itself; after an answer that went out whole, the connection just closes (a 500 then
   * would be read as the answer to the client's next request).
   */
  private failed(): void {
    if (this.handedOff) return void this.socket.destroy();
    if (this.current) return this.current.internalError();
    if (this.unanswered) return this.internalError(undefined, false);
    this.refused = true;
    this.reader.drain();
    this.socket.end();
    this.arm(Math.min(this.timeoutMs, LINGER_MS));
  }

  internalError(res: PlainResponse | undefined, started: boolean): void {
    if (res !== undefined && this.current !== res) return;
    this.current = undefined;
    this.unanswered = false;
    this.refused = true;
    this.reader.drain();
    if (started) return void this.socket.destroy();
    this.socket.end(INTERNAL_ERROR, 'latin1');
    // A client that keeps its side open is not waited on.
    this.arm(Math.min(this.timeoutMs, LINGER_MS));
  }

  /**
   * A head is partly read: it must be complete within the head deadline, counted from the read
   * that left it incomplete (the socket's own timer measures silence only, which a trickle
   * never allows). Only slow heads get a timer; one that arrives in a single read costs none.
   */
  private awaitRestOfHead(headTimeoutMs: number): void {
    this.headTimer ??= setTimeout(this.onTimeout, headTimeoutMs);
  }

  private headDone(): void {
    if (this.headTimer === undefined) return;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  private refuse(r: HeadRefusal): void {
    this.refused = true;
    this.reader.drain();
    this.handlers.refused?.(r.status, this.clientIp);
    this.socket.end(refusalResponse(r.status, r.reason), 'latin1');
    // A client that keeps its side open is not waited on.
    this.arm(Math.min(this.timeoutMs, LINGER_MS));
  }

  private handOff(unread: Buffer): void {
    this.handedOff = true;
    this.headDone();
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.off('drain', this.onDrain);
    this.idle.stop();
    readThroughStream(socket);
    if (socket.isPaused()) socket.resume();
    this.gone(this);
    this.handlers.handOff(socket, unread, this.clientEnded);
  }

  private readonly onEnd = (): void => {
    this.clientEnded = true;
    if (this.current || this.awaitingDrain) return;
    this.dispatch();
    if (!this.current && !this.handedOff) this.socket.end();
  };

  private readonly onError = (): void => {
    // 'close' follows; the exchange learns of it there.
  };

  private readonly onDrain = (): void => {
    this.idle.touch();
    if (!this.awaitingDrain || this.writer.needsDrain) return;
    this.awaitingDrain = false;
    this.serveNext();
  };

  private readonly onClose = (): void => {
    this.headDone();
    this.idle.stop();
    const res = this.current;
    this.current = undefined;
    res?.clientGone();
    this.gone(this);
  };

  private readonly onTimeout = (): void => {
    this.headDone();
    // Heads waiting behind answers the client does not take are not late heads: the connection just closes.
    if (!this.current && this.reader.partial && !this.refused && !this.awaitingDrain) {
      this.refused = true;
      this.reader.drain();
      this.handlers.refused?.(408, this.clientIp);
      this.socket.end(REQUEST_TIMEOUT, 'latin1');
      this.arm(Math.min(this.timeoutMs, LINGER_MS));
    } else this.socket.destroy();
  };
}
