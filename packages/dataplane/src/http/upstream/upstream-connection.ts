import { Buffer } from 'node:buffer';
import { type Socket, connect } from 'node:net';
import type { Readable } from 'node:stream';
import type { ErrorKind } from '../../stats/backend-stats';
import { returnBulkBuffer, takeBulkBuffer } from '../../io/bulk-buffers';
import { eventClock } from '../../io/event-clock';
import { IdleTimer } from '../../io/idle-timer';
import { SocketWriter } from '../../io/socket-writer';
import { type ResponseEvents, type ResponseFields, ResponseParser } from './response-parser';

/**
 * A body with at least this much still to come is read into a bulk buffer of the connection's
 * own. Smaller pieces are joined into the client's write (a string) anyway.
 */
const BULK_MIN_BYTES = 16 * 1024;
/**
 * Every upstream socket reads heads and small bodies into this one buffer (reads are handled one
 * at a time), sparing node a fresh 64 KiB allocation and a trip through the stream machinery per
 * read. Its bytes are copied out before anyone sees them: any socket's next read overwrites it.
 * No larger than a small body, so the first read of a large one (before its head says it is
 * large) copies little; the rest of it comes through a bulk buffer.
 */
const READ_BUFFER = Buffer.allocUnsafe(BULK_MIN_BYTES);
/**
 * One request/response on a connection, as the proxy sees it. At `end` the connection has
 * already gone back to its pool (or closed): the exchange may start another request that
 * takes the same connection at once.
 */
export interface Exchange extends ResponseEvents {
  /**
   * Whether a body piece it got from the last read is still referenced after its call (a client
   * write the kernel has not taken yet): such a read buffer is left to it and the connection
   * reads on into another. Asked only of reads into a bulk buffer.
   */
  holdsBody(): boolean;
  /**
   * The read that brought the answer's head is over and the answer goes on: what waits for the
   * rest of it (a head held back for the first body piece) should go now.
   */
  awaitingBody(): void;
  /**
   * The connection is up and the request head is on its way: at once, inside `send`, for a
   * kept-alive connection (`waited` false), or once a new one has connected (`waited` true).
   */
  connected(waited: boolean): void;
  /**
   * It went wrong before the response ended; the connection is already gone. `answered`: some
   * byte of the response had arrived (a cut-off answer, not a connection that failed outright).
   */
  failed(kind: ErrorKind, message: string, answered: boolean): void;
}

/** Where a response abandoned by its request goes: read to its end, so the connection can be reused. */
const DISCARD: Exchange = {
  connected() {},
  failed() {},
  holdsBody: () => false,
  awaitingBody() {},
  head() {},
  body() {},
  end() {},
};

export interface ExchangeTimeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
}

export interface ConnectionOwner {
  /** A finished connection fit for another request. */
  release(conn: UpstreamConnection): void;
  /** The connection closed (for whatever reason). */
  forget(conn: UpstreamConnection): void;
}

/**
 * A keep-alive HTTP/1.1 connection to one backend carrying one exchange at a time. Its socket
 * listeners are installed once and dispatch to the current exchange, so a request costs no
 * listener churn; timeouts are one inactivity timer (`IdleTimer`), re-armed per phase (connect,
 * first byte, idle) rather than a timer per request.
 */
export class UpstreamConnection {
  private readonly socket: Socket;
  /** The request heads' writes. */
  private readonly writer: SocketWriter;
  private readonly parser: ResponseParser;
  /** The inactivity limit of the current phase (connect, first byte, idle); reads and writes defer it. */
  private readonly idle = new IdleTimer(() => this.onTimeout());
  private exchange: Exchange | undefined;
  private timeouts: ExchangeTimeouts | undefined;
  private connecting = true;
  private closed = false;
  private timeoutMs = 0;
  private requestHead = '';
  private body: Readable | undefined;
  private chunked = false;
  private bodySent = true;
  private detachBody: (() => void) | undefined;
  /** Reading stopped by the current exchange's backpressure (the exchange's, never the connection's next user's). */
  private paused = false;
  /**
   * The buffer the socket reads into while a large body comes in (its bytes go to the client's
   * write without a copy); undefined while heads and small bodies come through READ_BUFFER.
   */
  private bulk: Buffer | undefined;
  /** The next read goes to `bulk`: decided after each read, from what the parser still expects. */
  private bulkNext = false;
  /** When it went back to the pool's idle list (Date.now()); 0 while in use. Kept by the pool. */
  restingSince = 0;
  /** Requests sent on it so far: past one, it is a reused keep-alive connection. */
  private exchanges = 0;
  /** Inside the socket's read callback (see `onHead`). */
  private reading = false;
  /** The exchange (its number in `exchanges`) whose answer's head the current read brought; 0: none. */
  private headIn = 0;

  constructor(
    host: string,
    port: number,
    private readonly owner: ConnectionOwner,
  ) {
    this.parser = new ResponseParser({
      head: (status, statusText, fields, lines, sized) => this.onHead(status, statusText, fields, lines, sized),
      body: (chunk, last) => this.exchange?.body(chunk, last),
      end: (reusable) => this.onResponseEnd(reusable),
    });
    this.socket = connect({
      host,
      port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
      onread: {
        // Asked after each read for where the next one goes.
        buffer: () => this.nextReadBuffer(),
        callback: (n: number, buf: Uint8Array) => {
          eventClock.begin();
          try {
            this.onRead(n, buf);
          } finally {
            eventClock.end();
          }
          return true;
        },
      },
    });
    this.writer = new SocketWriter(this.socket);
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onSocketError(err));
    this.socket.on('close', () => this.onClose());
  }

  /**
   * Sends a request: `head` is the serialized request line and headers; `body`, when present,
   * is streamed after it (re-framed as chunked when `chunked`). `noBody` for HEAD requests;
   * `upgrade`, the protocols an upgrade request offers: a 101 switching to them makes the
   * connection a tunnel (its bytes come as body pieces, `write` sends the client's) that is never
   * pooled again.
   */
  send(exchange: Exchange, timeouts: ExchangeTimeouts, head: string, body: Readable | undefined, chunked: boolean, noBody: boolean, upgrade?: readonly string[]): void {
    this.exchange = exchange;
    this.exchanges++;
    this.timeouts = timeouts;
    this.requestHead = head;
    this.body = body;
    this.chunked = chunked;
    this.bodySent = body === undefined;
    this.parser.start(noBody, upgrade);
    if (this.connecting) this.arm(timeouts.connectMs);
    else this.writeRequest(false);
  }

  /** The exchange is abandoned (the client went away): the connection cannot be trusted with another. */
  abort(): void {
    this.exchange = undefined;
    this.destroy();
  }

  /**
   * The request no longer wants its response (a 5xx it retries elsewhere): the rest is read and
   * dropped, and the connection goes back to the pool if the answer ends cleanly.
   */
  discard(): void {
    if (!this.exchange) return;
    this.exchange = DISCARD;
    this.resume();
  }

  /** Backpressure from the client side: stop reading the backend until the exchange resumes it. */
  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.closed) this.socket.resume();
  }

  /** After a 101: the connection is a tunnel, its inactivity limit `ms` from now on (the pool's tunnel timeout). */
  openTunnel(ms: number): void {
    if (this.timeouts) this.timeouts = { ...this.timeouts, idleMs: ms };
    this.arm(ms);
  }

  /** After a 101: bytes from the client to the backend. False when the backend is behind (wait for `onceDrain`). */
  write(chunk: Buffer): boolean {
    if (this.closed) return true;
    this.idle.touch();
    return this.socket.write(chunk);
  }

  onceDrain(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  /** After a 101: the client sent its last byte. */
  endWrite(): void {
    if (!this.closed) this.socket.end();
  }

  /** It carried an answer before this request: a close now may be the backend ending an idle connection. */
  get reused(): boolean {
    return this.exchanges > 1;
  }

  get usable(): boolean {
    return !this.closed && !this.connecting;
  }

  destroy(): void {
    this.closed = true;
    this.idle.stop();
    this.detachBody?.();
    this.socket.destroy();
  }

  private onConnect(): void {
    this.connecting = false;
    if (this.exchange) this.writeRequest(true);
  }

  private writeRequest(waited: boolean): void {
    const exchange = this.exchange!;
    // The first-byte limit counts from the request (not from the connection's last answer).
    this.idle.touch();
    this.arm(this.timeouts!.firstByteMs);
    exchange.connected(waited);
    if (this.exchange !== exchange) return;
    // Header bytes arrive as latin1 strings (one char per byte); latin1 writes them back unchanged.
    this.writer.latin1(this.requestHead);
    if (this.body) this.streamBody(this.body);
  }

  private streamBody(body: Readable): void {
    const socket = this.socket;
    const pauseUntilDrain = () => {
      body.pause();
      socket.once('drain', () => {
        this.idle.touch();
        body.resume();
      });
    };
    const onData = (c: Buffer) => {
      this.idle.touch();
      if (this.chunked) {
        socket.cork();
        socket.write(`${c.length.toString(16)}\r\n`);
        socket.write(c);
        socket.uncork();
        if (!socket.write('\r\n')) pauseUntilDrain();
      } else if (!socket.write(c)) pauseUntilDrain();
    };
    const onEnd = () => {
      this.detachBody?.();
      if (this.chunked) socket.write('0\r\n\r\n');
      this.bodySent = true;
    };
    // Also run when the connection is done with early (answered before the upload ended, failed, aborted).
    this.detachBody = () => {
      this.detachBody = undefined;
      body.off('data', onData);
      body.off('end', onEnd);
    };
    body.on('data', onData);
    body.on('end', onEnd);
  }

  /**
   * The answer's head: from here the limit is the idle timeout. Within a read the switch waits for
   * the read's end, and is skipped when the answer ended in that read: a small answer then re-arms
   * no timer at all (the next request's first-byte limit is still the armed one). A connection
   * resting in its pool keeps that limit, or the pool's sweep closes it sooner.
   */
  private onHead(status: number, statusText: string, fields: ResponseFields, lines: string | undefined, sized: boolean): void {
    if (this.reading) this.headIn = this.exchanges;
    else this.arm(this.timeouts!.idleMs);
    this.exchange?.head(status, statusText, fields, lines, sized);
  }

  private onResponseEnd(reusable: boolean): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    // The response is read in full: whatever paused reading for it is over, and the next user
    // must find the connection reading (the pause belonged to that exchange, not to the connection).
    this.resume();
    // A backend that answered before reading the whole upload leaves the connection mid-request.
    // Released before the exchange hears of the end, so a request it sets off (pipelined) can reuse it.
    if (reusable && this.bodySent && !this.closed) this.owner.release(this);
    else this.destroy();
    exchange?.end(reusable);
  }

  private onRead(n: number, buf: Uint8Array): void {
    this.reading = true;
    this.idle.touch();
    if (buf === READ_BUFFER) {
      // Copied out first: a queued write or a partial head may keep the bytes past this call.
      // allocUnsafe (pooled when small, never zero-filled) + copy: Buffer.from zero-fills a large
      // copy first, which cost as much as the rest of a 1 MiB answer's first read.
      const copy = Buffer.allocUnsafe(n);
      READ_BUFFER.copy(copy, 0, 0, n);
      this.onData(copy);
    } else {
      const exchange = this.exchange;
      // The bulk buffer's bytes as they are; the parser copies any part of a line it keeps.
      this.onData((buf as Buffer).subarray(0, n));
      // Bytes a write still holds: left to it (freed with it), and the next read goes elsewhere.
      if (exchange?.holdsBody()) this.bulk = undefined;
    }
    this.reading = false;
    if (this.headIn !== 0) {
      // Still the same exchange, mid-answer: the rest of the body comes under the idle limit.
      const exchange = this.headIn === this.exchanges && !this.closed ? this.exchange : undefined;
      this.headIn = 0;
      if (exchange !== undefined) {
        this.arm(this.timeouts!.idleMs);
        exchange.awaitingBody();
      }
    }
    this.bulkNext = !this.closed && this.exchange !== undefined && this.parser.bodyLeft >= BULK_MIN_BYTES;
  }

  private nextReadBuffer(): Buffer {
    if (this.bulkNext) return (this.bulk ??= takeBulkBuffer());
    // The large body is over: its buffer, which no write holds, serves the next one.
    if (this.bulk) {
      returnBulkBuffer(this.bulk);
      this.bulk = undefined;
    }
    return READ_BUFFER;
  }

  private onData(chunk: Buffer): void {
    if (!this.exchange) {
      // Bytes on an idle connection: the backend is out of step (or closing); do not reuse it.
      this.destroy();
      return;
    }
    const err = this.parser.feed(chunk);
    if (err) this.fail('reset', `backend sent an invalid response: ${err.message}`);
  }

  private onEnd(): void {
    if (!this.exchange) return this.destroy();
    const err = this.parser.finish();
    if (err) this.fail('reset', `backend connection failed: ${err.message}`);
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? err.message;
    this.fail(this.connecting ? 'connect' : 'reset', this.connecting ? `connect failed: ${code}` : `backend connection failed: ${code}`);
  }

  private onClose(): void {
    this.closed = true;
    this.idle.stop();
    this.owner.forget(this);
    this.fail('reset', 'backend connection failed: connection closed');
  }

  private onTimeout(): void {
    if (!this.exchange) return this.destroy();
    const message = this.connecting ? 'connect timeout' : this.parser.started ? 'backend idle too long' : 'backend sent no response in time';
    this.fail('timeout', message);
  }

  /** Closes the connection, then reports to the current exchange, if any. */
  private fail(kind: ErrorKind, message: string): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    const answered = this.parser.started;
    this.destroy();
    exchange?.failed(kind, message, answered);
  }

  /** The inactivity limit; re-armed only when the phase asks for another duration. */
  private arm(ms: number): void {
    if (ms === this.timeoutMs || this.closed) return;
    this.timeoutMs = ms;
    this.idle.arm(ms);
  }
}
