import type { Buffer } from 'node:buffer';
import { type IncomingMessage, type ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http';
import type { Readable } from 'node:stream';
import type { THttpProtocol } from '@fulcrum/protocol';
import { INTERNAL_ERROR_TEXT } from './error-page';
import type { RequestHead } from './request-head';

/**
 * The client's side of one proxied request, as the proxy needs it: everything the proxy does
 * (routing, balancing, retries, header rules, stats, access log) reads the client through this
 * and `ClientResponse`, never through a wire format. Three servers produce it: the listener's
 * own fast path (`server/`) for plain HTTP/1.1 requests, node:http for everything else on
 * HTTP/1.x (uploads, upgrades, HTTP/1.0, anything unusual), and an HTTP/2 stream (`h2/`).
 */
export interface ClientRequest {
  readonly method: string;
  readonly url: string;
  /** The HTTP version the client spoke (access log). */
  readonly protocol: THttpProtocol;
  /** Header name/value pairs as received. */
  readonly rawHeaders: string[];
  readonly clientIp: string;
  /** The request came over TLS (an https listener): X-Forwarded-Proto and `$scheme` say https. */
  readonly secure?: boolean;
  /** The first value of a header, by lower-case name. */
  header(lowerName: string): string | undefined;
  /** The request body, when there is one. */
  readonly body: Readable | undefined;
  /** The body arrived chunked (it goes upstream chunked again). */
  readonly chunked: boolean;
  /** The framing header the proxy writes upstream (`Content-Length` or `Transfer-Encoding`), from its own parse. */
  readonly framing: string[];
  /** The header lines as received less those cut upstream (`RequestHead.lines`), when the head was read as bytes. */
  readonly lines?: string;
}

export interface ClientResponse {
  readonly headersSent: boolean;
  /**
   * Status line and headers (framing headers are the response's own). False when a header cannot
   * be sent. `checked`: every name is a token and no value holds a control byte (the response
   * parser's fields, untouched), so a writer that checks them itself may skip that.
   */
  writeHead(status: number, statusText: string, headers: string[], checked?: boolean): boolean;
  /**
   * Status line and a backend's header lines as received (hop-by-hop ones cut, each line with its
   * CRLF, checked by the response parser); `sized`: a Content-Length is among them. False when this
   * response does not write lines as they came (it builds its own head): `writeHead` then.
   */
  writeHeadLines(status: number, statusText: string, lines: string, sized: boolean): boolean;
  /** A body piece; false when the client is behind (wait for `onceDrain`). */
  write(chunk: Buffer): boolean;
  /**
   * Whether a buffer written since the last look may still be referenced by a write the socket
   * has not finished (so its memory must not be reused yet). Errs on the side of yes.
   */
  holdsWrites(): boolean;
  end(chunk?: Buffer | string): void;
  /**
   * Sends the head now if it is held back for the first body piece: the backend sent its head
   * and the body is not here yet (a stream of events, a long poll), so the client gets the head
   * as the backend gave it.
   */
  flushHead(): void;
  /**
   * Drops a head held back for the first body piece, when nothing of the answer has gone out, so
   * the proxy's error page can take its place; false once it has gone out (or where a response
   * cannot take its head back).
   */
  retractHead?(): boolean;
  onceDrain(fn: () => void): void;
  /** Runs once when the exchange is over: `complete` is false when the client left before the end. */
  onClose(fn: (complete: boolean) => void): void;
  /** Cuts the client connection (nothing honest can be sent any more). */
  destroy(): void;
  /**
   * An exception escaped while this exchange was being served (a bug, counted as an internal
   * error by whoever caught it): the exchange hears that its client left (`onClose` with false,
   * so it lets go of its backend), and the client gets a 500 if nothing of the answer has gone
   * out, else the cut. Nothing more is served on an HTTP/1.1 connection after it.
   */
  internalError(): void;
  /** The client connection's inactivity limit while this exchange runs. */
  setIdleTimeout(ms: number): void;
}

/**
 * The node:http request as a ClientRequest. `head` is the proxy's own check of it (see
 * `checkRequest`): its target and framing are what go upstream; llhttp has framed the body
 * the same way, or the listener refused the request before it got here.
 */
export function nodeRequest(req: IncomingMessage, head?: RequestHead): ClientRequest {
  const chunked = head ? head.length < 0 : req.headers['transfer-encoding'] !== undefined;
  const length = req.headers['content-length'];
  const hasBody = chunked || (length !== undefined && length !== '0');
  return {
    method: req.method ?? 'GET',
    url: head?.url ?? req.url ?? '/',
    protocol: req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1',
    rawHeaders: req.rawHeaders,
    clientIp: req.socket.remoteAddress ?? '',
    secure: (req.socket as { encrypted?: boolean }).encrypted === true,
    header: (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
    body: hasBody ? req : undefined,
    chunked,
    framing: head?.framing ?? (chunked ? ['Transfer-Encoding', 'chunked'] : length !== undefined ? ['Content-Length', length] : []),
  };
}

/**
 * The node:http response as a ClientResponse. The head is held here until the first body piece
 * (as PlainResponse holds its own; node:http would hold it too, but cannot give it back), so an
 * answer whose body turns out bad before any of it went out can still be the error page.
 */
export class NodeResponse implements ClientResponse {
  private held: { status: number; statusText: string; headers: string[] } | undefined;
  /** Ended by `internalError`: whatever the client got, the exchange did not complete. */
  private abandoned = false;

  constructor(private readonly res: ServerResponse) {}

  get headersSent(): boolean {
    return this.held !== undefined || this.res.headersSent;
  }

  writeHead(status: number, statusText: string, headers: string[]): boolean {
    if (this.headersSent) return false;
    // What node:http would refuse when the head goes out (control characters and the like) is
    // refused now, while the caller can still answer otherwise.
    try {
      if (statusText) validateHeaderValue('status text', statusText);
      for (let i = 0; i < headers.length; i += 2) {
        validateHeaderName(headers[i]!);
        validateHeaderValue(headers[i]!, headers[i + 1]!);
      }
    } catch {
      return false;
    }
    this.held = { status, statusText, headers };
    return true;
  }

  writeHeadLines(): boolean {
    return false;
  }

  write(chunk: Buffer): boolean {
    this.release();
    return this.res.write(chunk);
  }

  holdsWrites(): boolean {
    // node:http may queue a piece in the response itself (a pipelined answer waiting its turn).
    return true;
  }

  end(chunk?: Buffer | string): void {
    this.release();
    if (chunk === undefined) this.res.end();
    else this.res.end(chunk);
  }

  flushHead(): void {
    this.release();
    if (!this.res.writableEnded) this.res.flushHeaders();
  }

  retractHead(): boolean {
    if (this.held === undefined) return false;
    this.held = undefined;
    return true;
  }

  /** The held head goes to node:http, which sends it with what is written next. */
  private release(): void {
    const h = this.held;
    if (h === undefined) return;
    this.held = undefined;
    this.res.writeHead(h.status, h.statusText, h.headers);
  }

  onceDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  onClose(fn: (complete: boolean) => void): void {
    // A response queued behind a pipelined one is not attached to the socket yet, and gets no
    // 'close' of its own when the connection dies: the socket's is watched too.
    const socket = this.res.req.socket;
    const once = () => {
      this.res.off('close', once);
      socket.off('close', once);
      fn(this.res.writableFinished && !this.abandoned);
    };
    this.res.once('close', once);
    socket.once('close', once);
  }

  destroy(): void {
    // node:http corks the socket for a response's writes until the next tick: what went out
    // before the cut is sent first, as on the fast path, so the client sees a cut answer rather
    // than a connection closed on nothing.
    const socket = this.res.socket;
    if (socket && !socket.destroyed) while (socket.writableCorked > 0) socket.uncork();
    this.res.destroy();
  }

  setIdleTimeout(ms: number): void {
    this.res.socket?.setTimeout(ms);
  }

  internalError(): void {
    this.abandoned = true;
    this.held = undefined;
    const res = this.res;
    if (res.headersSent || res.writableEnded) return this.destroy();
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': INTERNAL_ERROR_TEXT.length, Connection: 'close' });
    res.end(INTERNAL_ERROR_TEXT);
  }
}
