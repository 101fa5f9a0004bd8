import { Buffer } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientResponse } from '../client-exchange';
import type { SocketWriter } from '../../io/socket-writer';
import { isFieldValue, isNamed, isToken } from '../field-syntax';

/** Body pieces up to this size go out in one write together with what frames them. */
const JOIN_MAX = 16 * 1024;

export interface ResponseOwner {
  readonly socket: Socket;
  /** The socket's small writes (heads, small bodies) go through it. */
  readonly writer: SocketWriter;
  /** The response has been written in full. */
  responseEnded(res: PlainResponse): void;
  /** The connection's inactivity limit while the exchange runs. */
  arm(ms: number): void;
  /** A write went out: the inactivity limit counts from now (a no-op where the socket's own timeout counts writes). */
  active(): void;
  /**
   * The exchange failed inside the proxy (see `ClientResponse.internalError`): the connection
   * gets a 500 and closes, or is cut when some of the answer has gone out (`started`).
   */
  internalError(res: PlainResponse, started: boolean): void;
}

/**
 * An answer written straight to the client socket: the head is held back and goes out in the
 * same write as the first body piece (for a small answer, head and body are one write). Bodies
 * of unknown length are sent chunked; HEAD, 204 and 304 answers carry none.
 */
export class PlainResponse implements ClientResponse {
  headersSent = false;
  private head: string | undefined;
  private chunked = false;
  private bodyless = false;
  private done = false;
  private closeFn: ((complete: boolean) => void) | undefined;

  constructor(
    private readonly owner: ResponseOwner,
    private readonly isHead: boolean,
    readonly keepAlive: boolean,
  ) {}

  writeHead(status: number, statusText: string, headers: string[], checked = false): boolean {
    if (this.headersSent) return false;
    let lines = '';
    let sized = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (!checked && (!isToken(name) || !isFieldValue(value))) return false;
      if (isNamed(name, 'content-length')) sized = true;
      lines += `${name}: ${value}\r\n`;
    }
    return this.writeHeadLines(status, statusText, lines, sized);
  }

  writeHeadLines(status: number, statusText: string, lines: string, sized: boolean): boolean {
    if (this.headersSent) return false;
    let text = `HTTP/1.1 ${status} ${statusText || STATUS_CODES[status] || 'Unknown'}\r\n${lines}`;
    this.bodyless = this.isHead || status === 204 || status === 304 || status < 200;
    if (!this.bodyless && !sized) {
      this.chunked = true;
      text += 'Transfer-Encoding: chunked\r\n';
    }
    this.head = text + (this.keepAlive ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n');
    this.headersSent = true;
    return true;
  }

  write(chunk: Buffer): boolean {
    if (this.done || chunk.length === 0) return true;
    if (this.bodyless) return this.send('', undefined, '');
    if (this.chunked) return this.send(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    return this.send('', chunk, '');
  }

  holdsWrites(): boolean {
    // A write the kernel took whole is done with its buffer; the rest wait, referenced, in the socket.
    return this.owner.writer.holds;
  }

  end(chunk?: Buffer | string): void {
    if (this.done) return;
    if (!this.headersSent) this.writeHead(200, '', []);
    const body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const has = body !== undefined && body.length > 0 && !this.bodyless;
    if (this.chunked) this.send(has ? `${body!.length.toString(16)}\r\n` : '', has ? body : undefined, has ? '\r\n0\r\n\r\n' : '0\r\n\r\n');
    else this.send('', has ? body : undefined, '');
    this.done = true;
    this.finish(true);
    this.owner.responseEnded(this);
  }

  flushHead(): void {
    if (this.head !== undefined && !this.done) this.send('', undefined, '');
  }

  retractHead(): boolean {
    if (this.head === undefined || this.done) return false;
    this.head = undefined;
    this.headersSent = false;
    this.chunked = false;
    this.bodyless = false;
    return true;
  }

  onceDrain(fn: () => void): void {
    this.owner.socket.once('drain', fn);
  }

  onClose(fn: (complete: boolean) => void): void {
    this.closeFn = fn;
  }

  destroy(): void {
    this.owner.socket.destroy();
  }

  setIdleTimeout(ms: number): void {
    this.owner.arm(ms);
  }

  internalError(): void {
    if (this.done) return;
    // A head still held back has not gone out: the 500 can take its place.
    const started = this.headersSent && this.head === undefined;
    this.head = undefined;
    this.clientGone();
    this.owner.internalError(this, started);
  }

  /** The connection closed under this exchange. */
  clientGone(): void {
    this.done = true;
    this.finish(false);
  }

  private finish(complete: boolean): void {
    const fn = this.closeFn;
    this.closeFn = undefined;
    fn?.(complete);
  }

  /** Writes `prefix + chunk + suffix`, preceded by the head if it has not gone out yet. */
  private send(prefix: string, chunk: Buffer | undefined, suffix: string): boolean {
    const owner = this.owner;
    const socket = owner.socket;
    owner.active();
    let lead = prefix;
    if (this.head !== undefined) {
      lead = this.head + prefix;
      this.head = undefined;
    }
    if (chunk === undefined) return lead || suffix ? owner.writer.latin1(lead + suffix) : true;
    // Latin1 maps bytes to chars one to one: a small body joins the head in a single write.
    if (chunk.length <= JOIN_MAX) return owner.writer.latin1(lead + chunk.toString('latin1') + suffix);
    // A large piece with nothing to frame it (the head went out): one write, no writev.
    if (!lead && !suffix) return socket.write(chunk);
    socket.cork();
    if (lead) socket.write(lead, 'latin1');
    let ok = socket.write(chunk);
    if (suffix) ok = socket.write(suffix, 'latin1');
    socket.uncork();
    return ok;
  }
}
