import { performance } from 'node:perf_hooks';
import { STATUS_CODES } from 'node:http';
import { type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream, type ServerOptions, type Settings, constants, createServer } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { RateLimiter } from '../../routing/rate-limiter';
import { internalErrors } from '../../runtime/internal-errors';
import { type HttpHandlers, countRefusal } from '../server/http-listener';
import { H2Request, H2Response } from './h2-exchange';
import { readH2Head } from './h2-request-head';

const { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_FLAG_END_STREAM } = constants;

/** Streams a client may have open at once on one connection (HAProxy's default; NGINX allows 128). */
export const MAX_CONCURRENT_STREAMS = 100;
/**
 * Rapid reset (CVE-2023-44487): a client that opens streams and cancels them at once makes the
 * proxy start work (a backend request each) that nobody waits for, without ever holding more
 * than the concurrency limit. Every stream that ends before its answer does (the client's reset,
 * or a request the proxy refused as malformed, HAProxy's "glitches") takes a token from the
 * connection's bucket; an empty bucket closes the connection with ENHANCE_YOUR_CALM. Honest
 * clients cancel a few streams (a page navigated away from), not hundreds a second.
 */
export const PREMATURE_END_BURST = 100;
export const PREMATURE_END_PER_SECOND = 5;
/** Header fields node:http2 accepts per request; the listener's own maxHeaders (at most 1000, schema) answers 431 below it. */
const MAX_HEADER_PAIRS = 1000 + 8;

export type H2Handlers = Pick<HttpHandlers, 'request' | 'idleMs' | 'settings' | 'stats' | 'refused'> & {
  /** A connection was closed for ending streams too fast (counted in /stats). */
  abusive?(): void;
};

/** What the proxy keeps per HTTP/2 connection. */
interface SessionState {
  readonly clientIp: string;
  /** Premature stream ends allowed (see PREMATURE_END_BURST). */
  readonly premature: RateLimiter;
}

/**
 * HTTP/2 on an https listener: a TLS connection that chose `h2` by ALPN (after the listener's
 * own ClientHello/SNI reading and handshake, see tls-termination.ts) is handed to node:http2,
 * which never listens itself. Each stream is read into the proxy's terms (`readH2Head`) and
 * served by the same handler as an HTTP/1.1 request (routing, balancing, retries, header rules,
 * rate limits, stats, access log), to HTTP/1.1 backends.
 */
export class H2Listener {
  private readonly server: Http2Server;
  private readonly sessions = new Map<Http2Session, SessionState>();
  private maxHeaderListSize = 0;

  constructor(
    private readonly handlers: H2Handlers,
    private readonly now: () => number = () => performance.now(),
  ) {
    // Refused streams (past the concurrency limit) and invalid frames close the connection past
    // these (node options its typings leave out).
    const options: ServerOptions & { maxSessionRejectedStreams: number; maxSessionInvalidFrames: number } = {
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSessionRejectedStreams: 100,
      maxSessionInvalidFrames: 100,
      settings: this.settings(),
    };
    this.server = createServer(options);
    this.server.on('session', (session: Http2Session) => this.onSession(session));
    this.server.on('stream', (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, flags: number, raw: string[]) => this.onStream(stream, flags, raw));
    // Errors of a session or stream end that session or stream (the events below); never the process.
    this.server.on('sessionError', () => {});
    this.server.on('streamError', () => {});
  }

  /** The SETTINGS a new connection gets, from the listener's head limits as they are now. */
  private settings(): Settings {
    const { maxHeadBytes, maxHeaders } = this.handlers.settings();
    // HPACK counts 32 bytes per field beyond its name and value: past this node resets the
    // stream itself; below it, a head over the listener's limits gets the proxy's own 431.
    this.maxHeaderListSize = 2 * maxHeadBytes + 32 * (maxHeaders + 8);
    return { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: this.maxHeaderListSize, enablePush: false, enableConnectProtocol: false };
  }

  /** Serves a TLS connection whose client chose h2. */
  accept(socket: TLSSocket): void {
    const before = this.maxHeaderListSize;
    const settings = this.settings();
    if (settings.maxHeaderListSize !== before) this.server.updateSettings(settings);
    this.server.emit('connection', socket);
  }

  private onSession(session: Http2Session): void {
    const state: SessionState = {
      clientIp: session.socket?.remoteAddress ?? '',
      premature: new RateLimiter({ requestsPerSecond: PREMATURE_END_PER_SECOND, burst: PREMATURE_END_BURST, key: { source: 'route' } }, this.now),
    };
    this.sessions.set(session, state);
    session.on('error', () => {});
    session.once('close', () => this.sessions.delete(session));
    // A connection with no traffic for the listener's idle time is closed (GOAWAY; open streams have their own limit).
    session.setTimeout(this.handlers.idleMs(), () => session.close());
  }

  private onStream(stream: ServerHttp2Stream, flags: number, raw: string[]): void {
    stream.on('error', () => {});
    const session = stream.session;
    const state = session ? this.sessions.get(session) : undefined;
    if (!session || !state) return void stream.close(NGHTTP2_ENHANCE_YOUR_CALM);
    stream.setTimeout(this.handlers.idleMs());
    const parsed = readH2Head(raw, (flags & NGHTTP2_FLAG_END_STREAM) !== 0 || stream.endAfterHeaders, this.handlers.settings());
    const method = raw[raw.indexOf(':method') + 1] ?? '';
    const res = new H2Response(stream, method === 'HEAD');
    stream.once('close', () => {
      if (!res.ended || res.cut) this.prematureEnd(session, state);
    });
    if ('status' in parsed) {
      const path = raw.indexOf(':path') >= 0 ? raw[raw.indexOf(':path') + 1] : undefined;
      countRefusal(this.handlers, { status: parsed.status, clientIp: state.clientIp, method, path, protocol: 'HTTP/2.0' });
      this.prematureEnd(session, state);
      const body = `${parsed.status} ${STATUS_CODES[parsed.status]}: ${parsed.reason}\n`;
      if (res.writeHead(parsed.status, '', ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)])) res.end(body);
      return;
    }
    // A client that waits for 100 before its body gets it at once (node:http2 does not send it for
    // raw streams); the backend's own 100 is an interim answer the proxy drops.
    if (parsed.hasBody && parsed.head.expectContinue) stream.additionalHeaders({ ':status': 100 });
    try {
      this.handlers.request(new H2Request(stream, parsed, state.clientIp), res);
    } catch (err) {
      // A bug in serving it: this stream fails (500 or a reset); the session and its other streams go on.
      internalErrors.record('exchange', err);
      res.internalError();
    }
  }

  /** A stream that ended before its answer (or a refused one): past the budget, the connection closes. */
  private prematureEnd(session: Http2Session, state: SessionState): void {
    if (state.premature.take('') === 0 || session.destroyed) return;
    this.handlers.abusive?.();
    session.destroy(new Error('too many streams reset or refused'), NGHTTP2_ENHANCE_YOUR_CALM);
  }

  /** Open connections end gracefully (GOAWAY): streams in flight finish. */
  close(): void {
    for (const session of this.sessions.keys()) session.close();
  }
}
