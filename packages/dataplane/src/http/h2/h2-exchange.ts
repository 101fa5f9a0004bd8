import type { Buffer } from 'node:buffer';
import { type OutgoingHttpHeaders, type ServerHttp2Stream, constants } from 'node:http2';
import { Transform, type TransformCallback } from 'node:stream';
import type { ClientRequest, ClientResponse } from '../client-exchange';
import { INTERNAL_ERROR_TEXT } from '../error-page';
import { headerValue } from '../headers';
import { isFieldValue, isToken } from '../field-syntax';
import type { H2Head } from './h2-request-head';

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR, NGHTTP2_PROTOCOL_ERROR } = constants;

/**
 * Response fields an HTTP/2 answer may not carry (RFC 9113 §8.2.2). The backend's hop-by-hop
 * fields are gone already (`stripHopByHop`); this also keeps out what a header rule adds.
 */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * A request body from DATA frames, held to its declared content-length: a byte past it is
 * never passed on, and a body that ends short fails (RFC 9113 §8.1.1: malformed). nghttp2
 * checks the same; this does not rely on it, since the backend frames by the length sent.
 */
export class FramedBody extends Transform {
  private received = 0;

  constructor(private readonly declared: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.declared >= 0 && this.received > this.declared) return done(new Error('body longer than its content-length'));
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.declared >= 0 && this.received !== this.declared) return done(new Error('body shorter than its content-length'));
    done();
  }
}

/** One HTTP/2 stream's request as the proxy reads a client (see `ClientRequest`). */
export class H2Request implements ClientRequest {
  readonly protocol = 'HTTP/2.0';
  readonly secure = true;
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly framing: string[];
  readonly chunked: boolean;
  readonly body: FramedBody | undefined;

  constructor(
    stream: ServerHttp2Stream,
    parsed: H2Head,
    readonly clientIp: string,
  ) {
    const head = parsed.head;
    this.method = head.method;
    this.url = head.url;
    this.rawHeaders = head.rawHeaders;
    this.framing = head.framing;
    this.chunked = head.length < 0;
    if (parsed.hasBody) {
      const body = new FramedBody(parsed.declaredLength);
      // A body that breaks its framing cuts the stream: the exchange hears of it as the client leaving.
      body.on('error', () => stream.close(NGHTTP2_PROTOCOL_ERROR));
      stream.pipe(body);
      this.body = body;
    } else {
      this.body = undefined;
      // Nothing comes; reading lets the stream see its end.
      stream.resume();
    }
  }

  header(lowerName: string): string | undefined {
    return headerValue(this.rawHeaders, lowerName);
  }
}

/**
 * The answer on one HTTP/2 stream (see `ClientResponse`): HTTP/1.1 status text and
 * connection-specific fields dropped, repeated fields sent as separate lines, no body for HEAD,
 * 204 and 304. `onClose` runs when the stream closes: complete when the answer was ended and
 * the stream closed without an error.
 */
export class H2Response implements ClientResponse {
  /** The answer was ended by the proxy (its last byte handed to the stream). */
  ended = false;
  /** The proxy cut the stream itself (nothing honest to send, or an idle limit). */
  cut = false;
  private bodyless = false;
  /** Ended by `internalError`: whatever the client got, the exchange did not complete. */
  private abandoned = false;
  private closeFn: ((complete: boolean) => void) | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly isHead: boolean,
  ) {
    stream.on('timeout', () => this.close(NGHTTP2_CANCEL));
    stream.once('close', () => {
      const fn = this.closeFn;
      this.closeFn = undefined;
      fn?.(this.ended && !this.abandoned && stream.rstCode === NGHTTP2_NO_ERROR);
    });
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  writeHeadLines(): boolean {
    // HTTP/2 fields are a map with lower-case names, never HTTP/1.1 lines.
    return false;
  }

  writeHead(status: number, _statusText: string, headers: string[]): boolean {
    const stream = this.stream;
    if (stream.headersSent || stream.destroyed || stream.closed) return false;
    const out: OutgoingHttpHeaders = { ':status': status };
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (!isToken(name) || !isFieldValue(value)) return false;
      const lower = name.toLowerCase();
      if (CONNECTION_SPECIFIC.has(lower)) continue;
      const prev = out[lower];
      out[lower] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
    }
    this.bodyless = this.isHead || status === 204 || status === 304;
    try {
      stream.respond(out, { endStream: this.bodyless });
      return true;
    } catch {
      // node:http2 refuses what it would not send (a repeated content-type, say).
      return false;
    }
  }

  flushHead(): void {
    // respond() sent the HEADERS frame already.
  }

  write(chunk: Buffer): boolean {
    const stream = this.stream;
    if (this.bodyless || this.ended || stream.destroyed || chunk.length === 0) return true;
    return stream.write(chunk);
  }

  holdsWrites(): boolean {
    // node:http2 keeps written buffers until nghttp2 has framed them.
    return true;
  }

  end(chunk?: Buffer | string): void {
    if (this.ended) return;
    if (!this.stream.headersSent && !this.writeHead(200, '', [])) return this.destroy();
    this.ended = true;
    const stream = this.stream;
    if (this.bodyless || stream.destroyed || stream.writableEnded) return;
    if (chunk === undefined) stream.end();
    else stream.end(chunk);
  }

  onceDrain(fn: () => void): void {
    this.stream.once('drain', fn);
  }

  onClose(fn: (complete: boolean) => void): void {
    this.closeFn = fn;
  }

  destroy(): void {
    this.close(NGHTTP2_INTERNAL_ERROR);
  }

  setIdleTimeout(ms: number): void {
    this.stream.setTimeout(ms);
  }

  internalError(): void {
    this.abandoned = true;
    const stream = this.stream;
    if (this.ended || stream.headersSent || stream.destroyed || stream.closed) return this.close(NGHTTP2_INTERNAL_ERROR);
    this.ended = true;
    stream.respond({ ':status': 500, 'content-type': 'text/plain; charset=utf-8', 'content-length': INTERNAL_ERROR_TEXT.length });
    stream.end(INTERNAL_ERROR_TEXT);
  }

  private close(code: number): void {
    this.cut = true;
    if (!this.stream.closed) this.stream.close(code);
  }
}
