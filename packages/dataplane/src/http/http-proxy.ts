import type { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { TAccessRecord, TProxyCause, TTimeouts } from '@fulcrum/protocol';
import { TERMINATION_OF_CAUSE, logTime, roundMs } from '../access-log/access-record';
import type { SelectionContext } from '../balancing';
import type { OutlierDetector } from '../health/outlier-detector';
import { eventClock } from '../io/event-clock';
import type { PoolRuntime, RuntimeBackend } from '../runtime/pool-runtime';
import type { ErrorKind } from '../stats/backend-stats';
import type { ClientRequest, ClientResponse } from './client-exchange';
import { sendErrorPage } from './error-page';
import { isNamed } from './field-syntax';
import { cookieValue, headerValue, isTrustedPeer, requestHead, stripHopByHop, upstreamHeadOfLines, upstreamRequestHeaders } from './headers';
import { realClientIp } from './real-client-ip';
import { requestIdOf } from './request-id';
import { selectionContext } from './selection-context';
import type { ResponseFields } from './upstream/response-parser';
import type { Exchange, UpstreamConnection } from './upstream/upstream-connection';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const NONE: ReadonlySet<string> = new Set();
const NO_HEADERS: string[] = [];
const KEEP_FOR_UPGRADE: ReadonlySet<string> = new Set(['connection', 'upgrade']);

/** Where a request that asks to switch protocols goes once the backend answers 101. */
export interface UpgradeTarget {
  /** The client connection, taken from the HTTP server (nothing reads it until the 101). */
  socket: Duplex;
  /** Bytes the client sent after the request head, already read. */
  early: Buffer;
  /** The protocols the request offers (`RequestHead.upgrade`): a 101 may switch only to them. */
  offered: readonly string[];
}

/** What the route that picked the pool changes about the exchange (routing/route-runtime.ts). */
export interface RouteEffects {
  /** The request target sent upstream (after a rewrite). */
  readonly url: string;
  /** The pool's timeouts with the route's overrides. */
  readonly timeouts: TTimeouts;
  /** The route has request header rules (the request's head is then rebuilt from its pairs). */
  readonly editsRequest: boolean;
  /** Header rules, run after the proxy's own forwarding headers are written. */
  editRequestHeaders(headers: string[], requestId: string): void;
  /** The route has response header rules (the backend's head is then rebuilt from its pairs). */
  readonly editsResponse: boolean;
  /** True when it changed the headers (they are then checked again as the head is written). */
  editResponseHeaders(headers: string[], requestId: string): boolean;
}

/** A request's life, in order; every event from its connection is read in the light of it. */
const enum Phase {
  PickingBackend,
  Connecting,
  WaitingFirstByte,
  Streaming,
  /** After a 101: bytes flow both ways until either side closes. */
  Tunnel,
  Done,
}

/**
 * Proxies one HTTP request through a pool: choose a backend, stream the request body to it
 * once connected, stream the answer back. See `ProxiedRequest` for the retry rules.
 */
export function proxyHttpRequest(pool: PoolRuntime, req: ClientRequest, res: ClientResponse, outliers: OutlierDetector, upgrade?: UpgradeTarget, route?: RouteEffects): void {
  new ProxiedRequest(pool, req, res, outliers, upgrade, route).start();
}

/**
 * One client request and everything it owns while it runs (Envoy's stream, beside the
 * connections it borrows): its phase, the backend slot it holds, the upstream connection it
 * borrowed for the current attempt, and the backpressure it put on that connection. The
 * connection only carries bytes; pausing, resuming and giving back are this object's acts, and
 * the backend slot is given back before the client's answer ends, so the next pipelined request
 * finds it free.
 *
 * Retries: at most `retries.attempts` per request, each on a backend not tried yet.
 * - Nothing was sent (connect refused or timed out): always retried, whatever the method.
 * - The connection closed or reset before any byte of the answer (a dead backend, or a reused
 *   idle connection the backend was closing): retried when the request is safe to send again
 *   (idempotent, without a body).
 * Neither takes the budget: the failed backend did no work, and the retry goes elsewhere.
 * - A reused keep-alive connection closed before any byte of the answer is first retried once on
 *   a new connection to the same backend (as NGINX gives a cached connection's error an extra
 *   try), when the request is safe to send again and the pool allows retries at all: the backend
 *   most likely ended an idle connection as the request reached it, and a one-backend pool would
 *   otherwise answer 502. It does not count against `retries.attempts`.
 * - A timeout before the answer, or a 5xx when `retries.on5xx` is set: retried when the request
 *   is safe to send again and the pool's retry budget allows (`PoolRuntime.retryAllowed`).
 * - Once any byte of the answer has arrived (beyond a 5xx being retried), never.
 */
class ProxiedRequest implements Exchange {
  private phase = Phase.PickingBackend;
  private readonly cfg;
  private readonly timeouts: TTimeouts;
  private readonly url: string;
  private readonly requestId: string;
  private readonly headers: string[];
  /** The serialized request head, when it does not depend on the backend (the client sent Host). */
  private readonly fixedHead: string | undefined;
  /** Safe to send again after the backend may have seen it: idempotent and without a body. */
  private readonly resendable: boolean;
  private readonly ctx: SelectionContext;
  private readonly stickyIn: string | undefined;
  /** The protocols an upgrade request offers (from all its Upgrade fields): a 101 may switch only to them. */
  private readonly offered: readonly string[] | undefined;
  private tried: Set<string> | undefined;
  private retries = 0;
  private lastFailure: { status: 502 | 504; reason: string; backend: string; cause: TProxyCause } | undefined;
  // What the client got, counted once when the exchange ends (PoolStats): never per attempt.
  private readonly t0 = eventClock.now();
  private answered = 0;
  private cause: TProxyCause | undefined;
  private clientIn = 0;
  private clientOut = 0;
  private clientGone = false;
  /** Counted in pool.inflight until the client's answer is settled. */
  private inflight = false;
  private countingBody = false;

  // The current attempt.
  private backend: RuntimeBackend | undefined;
  private conn: UpstreamConnection | undefined;
  private retrying = false;
  /** The one retry on a new connection after a reused one closed (see above) was made. */
  private freshRetried = false;
  private started = 0;
  private status = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  /** The upstream connection's reading is stopped until the client drains. */
  private paused = false;
  private onDrain: (() => void) | undefined;
  /** The last piece of a body of known length: it goes out with the end, in one write. */
  private tail: Buffer | undefined;
  // For the access log: the last attempt's backend and timings (-1: not reached), and attempts made.
  private upstreamAddress = '';
  private connectMs = -1;
  private firstByteMs = -1;
  private attempts = 0;

  constructor(
    private readonly pool: PoolRuntime,
    private readonly req: ClientRequest,
    private readonly res: ClientResponse,
    private readonly outliers: OutlierDetector,
    private readonly upgrade: UpgradeTarget | undefined,
    private readonly route: RouteEffects | undefined = undefined,
  ) {
    const cfg = (this.cfg = pool.config);
    this.timeouts = route?.timeouts ?? cfg.timeouts;
    this.url = route?.url ?? req.url;
    const method = req.method;
    this.requestId = requestIdOf(req);
    const trusted = isTrustedPeer(cfg.http.trustedProxies, req.clientIp);
    const fwd = { clientIp: req.clientIp, proto: req.secure ? ('https' as const) : ('http' as const), requestId: this.requestId, trusted };
    const lines = req.lines;
    const host = req.header('host');
    if (lines !== undefined && host !== undefined && !upgrade && !trusted && route?.editsRequest !== true) {
      // Nothing to read from the cut lines or to edit: the client's lines go on as they came.
      this.headers = NO_HEADERS;
      this.fixedHead = upstreamHeadOfLines(method, this.url, lines, fwd, host, req.framing);
    } else {
      const headers = upgrade ? upstreamRequestHeaders(req.rawHeaders, fwd, KEEP_FOR_UPGRADE) : upstreamRequestHeaders(req.rawHeaders, fwd);
      // Framing comes from the proxy's parse of the request, never from the client's own lines.
      headers.push(...req.framing);
      route?.editRequestHeaders(headers, this.requestId);
      this.headers = headers;
      // An HTTP/1.0 client may send no Host; HTTP/1.1 backends need one, so it names the backend (as NGINX does).
      const hasHost = route ? headerValue(headers, 'host') !== undefined : host !== undefined;
      this.fixedHead = hasHost ? requestHead(method, this.url, headers) : undefined;
    }
    this.resendable = req.body === undefined && IDEMPOTENT.has(method);
    if (upgrade) this.offered = upgrade.offered;
    this.ctx = selectionContext(cfg, req, trusted ? realClientIp(cfg.http.trustedProxies, req.clientIp, req.rawHeaders) : req.clientIp);
    this.stickyIn =
      cfg.stickiness.mode === 'cookie'
        ? cookieValue(req.header('cookie'), cfg.stickiness.cookieName)
        : cfg.stickiness.mode === 'header'
          ? req.header(cfg.stickiness.headerName.toLowerCase())
          : undefined;
  }

  start(): void {
    this.res.setIdleTimeout(this.timeouts.idleMs);
    this.pool.inflight++;
    this.inflight = true;
    this.res.onClose((complete) => this.clientClosed(complete));
    this.pickBackend();
  }

  private pickBackend(): void {
    this.phase = Phase.PickingBackend;
    const pool = this.pool;
    const tried = this.tried ?? NONE;
    const backend = (this.retries === 0 ? pool.stickyTarget(this.stickyIn, tried) : undefined) ?? pool.select(this.ctx, tried);
    if (!backend) {
      // After failed attempts, the last failure says more than "nobody left to try".
      const failure = this.lastFailure;
      if (failure) return this.answerError(failure.status, failure.reason, failure.cause, failure.backend);
      const full = pool.allFull();
      return this.answerError(503, full ? 'every backend is at its connection limit' : 'no healthy backend available', full ? 'max_connections' : 'no_healthy_backend');
    }
    this.connect(backend);
  }

  private connect(backend: RuntimeBackend, fresh = false): void {
    const state = backend.state;
    this.backend = backend;
    this.phase = Phase.Connecting;
    // The first attempt starts in the tick the request arrived in: its clock reading serves.
    this.started = this.attempts === 0 ? this.t0 : eventClock.now();
    this.status = 0;
    this.upstreamAddress = backend.address;
    this.connectMs = this.firstByteMs = -1;
    this.attempts++;
    state.active++;
    if (this.retrying) {
      this.pool.retriesInflight++;
      this.pool.stats.retry();
    }
    state.stats.request();
    const conn = backend.upstream.acquire(fresh);
    this.conn = conn;
    const req = this.req;
    const head = this.fixedHead ?? requestHead(req.method, this.url, [...this.headers, 'Host', backend.address]);
    conn.send(this, this.timeouts, head, req.body, req.chunked, req.method === 'HEAD', this.offered);
  }

  /** Gives back what the current attempt holds: the backend slot, and the connection's pause. */
  private releaseAttempt(): RuntimeBackend {
    const backend = this.backend!;
    const state = backend.state;
    this.backend = undefined;
    this.conn = undefined;
    this.paused = false;
    state.active--;
    if (this.retrying) this.pool.retriesInflight--;
    state.stats.bytes(this.bytesIn, this.bytesOut);
    this.bytesIn = 0;
    this.bytesOut = 0;
    return backend;
  }

  // Exchange: events from the upstream connection of the current attempt.

  connected(waited: boolean): void {
    this.phase = Phase.WaitingFirstByte;
    // A kept-alive connection is connected in the tick the attempt started: no clock reading needed.
    this.connectMs = waited ? eventClock.now() - this.started : 0;
    // Counted from here: a listener any earlier would set the body flowing before the connection reads it.
    const body = this.req.body;
    if (body && !this.countingBody) {
      this.countingBody = true;
      body.on('data', (c: Buffer) => {
        this.bytesIn += c.length;
        this.clientIn += c.length;
      });
    }
  }

  head(status: number, statusText: string, fields: ResponseFields, lines: string | undefined, sized: boolean): void {
    const backend = this.backend!;
    const state = backend.state;
    const cfg = this.cfg;
    this.status = status;
    const latency = (this.firstByteMs = eventClock.now() - this.started);
    state.recordLatency(latency, cfg.responseTimeAlpha);
    if (status >= 500) this.outliers.failure(this.pool, backend, `status ${status}`);
    else this.outliers.success(backend);
    if (status >= 500 && cfg.retries.on5xx && this.resendable && this.retries < cfg.retries.attempts && this.pool.retryAllowed() && !this.clientGone) {
      state.stats.response(status, latency);
      // Its body is read and dropped so the connection can be reused.
      this.conn!.discard();
      this.releaseAttempt();
      return this.retry(backend);
    }
    if (status === 101) return this.openTunnel(statusText, fields.pairs());
    this.phase = Phase.Streaming;
    const sticky = cfg.stickiness.mode === 'cookie' && this.stickyIn !== backend.stickyKey;
    // Nothing to change: the backend's lines go on as they came (less hop-by-hop ones), unless
    // the client's response builds its own head.
    if (lines !== undefined && !sticky && this.route?.editsResponse !== true && this.res.writeHeadLines(status, statusText, lines, sized)) {
      this.answered = status;
      return;
    }
    const out = stripHopByHop(fields.pairs());
    // The parser's fields are checked (token names, no control byte in a value); a route's edits
    // and the stickiness cookie are checked as the head is written.
    let checked = this.route?.editResponseHeaders(out, this.requestId) !== true;
    if (sticky) {
      out.push('Set-Cookie', `${cfg.stickiness.cookieName}=${backend.stickyKey}; Path=/; HttpOnly; Max-Age=${cfg.stickiness.ttlSeconds}`);
      checked = false;
    }
    if (this.res.writeHead(status, statusText, out, checked)) this.answered = status;
    else {
      this.conn!.abort();
      this.failed('reset', 'backend sent an invalid header', true);
    }
  }

  body(chunk: Buffer, last: boolean): void {
    this.bytesOut += chunk.length;
    this.clientOut += chunk.length;
    if (this.phase === Phase.Tunnel) {
      if (!this.upgrade!.socket.write(chunk)) this.pauseUpstream(this.upgrade!.socket);
      return;
    }
    if (last) {
      this.tail = chunk;
      return;
    }
    if (!this.res.write(chunk)) this.pauseUpstream(undefined);
  }

  awaitingBody(): void {
    if (this.phase === Phase.Streaming) this.res.flushHead();
  }

  holdsBody(): boolean {
    // An upgrade's answer (a refusal's body, or a tunnel) is written as it comes: assumed held.
    return this.upgrade !== undefined || this.res.holdsWrites();
  }

  end(): void {
    const backend = this.releaseAttempt();
    const state = backend.state;
    const tunnel = this.phase === Phase.Tunnel;
    this.phase = Phase.Done;
    if (tunnel) {
      this.upgrade!.socket.end();
      return;
    }
    state.stats.response(this.status, eventClock.now() - this.started);
    this.settle();
    const tail = this.tail;
    this.tail = undefined;
    this.res.end(tail);
  }

  failed(kind: ErrorKind, message: string, answered: boolean): void {
    const phase = this.phase;
    const reused = this.conn?.reused === true;
    const backend = this.releaseAttempt();
    this.tail = undefined;
    if (phase === Phase.Tunnel) {
      // A tunnel silent for the idle timeout is closed, as HAProxy's `timeout tunnel` does; an
      // idle WebSocket is no failure of its backend (counted, a few in a row would eject it).
      if (kind !== 'timeout') backend.state.stats.error(kind);
      this.phase = Phase.Done;
      this.upgrade!.socket.destroy();
      return;
    }
    backend.state.stats.error(kind);
    if (kind === 'connect' || kind === 'timeout') this.outliers.failure(this.pool, backend, message);
    if (this.clientGone) {
      this.phase = Phase.Done;
      return;
    }
    this.lastFailure = {
      status: kind === 'timeout' ? 504 : 502,
      reason: message,
      backend: backend.address,
      cause: kind === 'timeout' ? 'timeout' : kind === 'connect' ? 'connect_failed' : 'upstream_failed',
    };
    if (reused && this.mayRetryFresh(kind, phase, answered)) return this.retryFresh(backend);
    if (this.mayRetry(kind, phase, answered)) return this.retry(backend);
    this.answerError(this.lastFailure.status, this.lastFailure.reason, this.lastFailure.cause, this.lastFailure.backend);
  }

  private mayRetry(kind: ErrorKind, phase: Phase, answered: boolean): boolean {
    if (this.retries >= this.cfg.retries.attempts) return false;
    if (phase === Phase.Connecting) return true;
    if (phase !== Phase.WaitingFirstByte || !this.resendable || answered) return false;
    return kind === 'reset' || this.pool.retryAllowed();
  }

  private mayRetryFresh(kind: ErrorKind, phase: Phase, answered: boolean): boolean {
    return kind === 'reset' && phase === Phase.WaitingFirstByte && !answered && this.resendable && !this.freshRetried && this.cfg.retries.attempts > 0;
  }

  private retryFresh(backend: RuntimeBackend): void {
    this.freshRetried = true;
    this.retrying = true;
    this.connect(backend, true);
  }

  private retry(failed: RuntimeBackend): void {
    (this.tried ??= new Set()).add(failed.id);
    this.retries++;
    this.retrying = true;
    this.pickBackend();
  }

  /** Stops reading the backend until the client (`socket`, or the response) drains; once per pause. */
  private pauseUpstream(socket: Duplex | undefined): void {
    if (this.paused) return;
    this.paused = true;
    this.conn!.pause();
    const onDrain = (this.onDrain ??= () => this.drained());
    if (socket) socket.once('drain', onDrain);
    else this.res.onceDrain(onDrain);
  }

  private drained(): void {
    // Only the pause this request put on the connection it still holds: a drain that comes
    // after the answer ended (or never comes, as on node:http) has nothing to resume.
    if (!this.paused || !this.conn) return;
    this.paused = false;
    this.conn.resume();
  }

  /** The answer is the proxy's own (no backend, or the last failure): nothing is held any more. */
  private answerError(status: 502 | 503 | 504, reason: string, cause: TProxyCause, backend?: string): void {
    this.phase = Phase.Done;
    this.settle();
    // A backend's head still held back for its first body piece has not gone out: a body that
    // turns out bad in the same read gets the error page, not a connection closed on nothing.
    if (this.res.headersSent) this.res.retractHead?.();
    if (!this.res.headersSent) {
      this.answered = status;
      this.cause = cause;
    }
    if (this.upgrade && this.res.headersSent) this.upgrade.socket.destroy();
    // The backend's address reaches clients only when the pool asks for it (X-Fulcrum-Error).
    else sendErrorPage(this.res, status, reason, this.requestId, backend !== undefined && this.cfg.http.exposeErrorDetails ? backend : undefined);
  }

  /** The request stops counting as in flight (for the retry budget). */
  private settle(): void {
    if (!this.inflight) return;
    this.inflight = false;
    this.pool.inflight--;
  }

  private clientClosed(complete: boolean): void {
    const ms = eventClock.now() - this.t0;
    this.pool.stats.clientResponse(this.answered, this.cause, ms, this.clientIn, this.clientOut, complete);
    const access = this.pool.access;
    if (access?.wants(this.cfg)) access.record(this.cfg, this.accessRecord(complete, ms));
    this.settle();
    if (complete || this.phase === Phase.Tunnel) return;
    this.clientGone = true;
    // The client left first: the connection is mid-exchange and cannot be trusted with another.
    if (this.conn) {
      this.conn.abort();
      this.releaseAttempt();
    }
    this.phase = Phase.Done;
  }

  /** What the access log says of this exchange, once it is over. */
  private accessRecord(complete: boolean, durationMs: number): TAccessRecord {
    const req = this.req;
    const failure = this.lastFailure;
    // The proxy's own answer names its cause; a relayed answer cut short was cut by the backend
    // (the answer was abandoned in failed(), so the phase is Done) or by the client.
    const termination = this.cause ? TERMINATION_OF_CAUSE[this.cause] : complete ? 'normal' : this.phase === Phase.Done && failure ? TERMINATION_OF_CAUSE[failure.cause] : 'client_aborted';
    return {
      time: logTime(),
      pool: this.cfg.name,
      poolId: this.cfg.id,
      // The address balancing used: the real client behind trusted proxies, never a non-IP value.
      clientIp: this.ctx.clientIp,
      method: req.method,
      protocol: req.protocol,
      host: req.header('host') ?? '',
      path: req.url,
      status: this.answered,
      bytesIn: this.clientIn,
      bytesOut: this.clientOut,
      durationMs: roundMs(durationMs),
      upstream: this.upstreamAddress,
      connectMs: roundMs(this.connectMs),
      firstByteMs: roundMs(this.firstByteMs),
      attempts: this.attempts,
      requestId: this.requestId,
      termination,
      userAgent: req.header('user-agent') ?? '',
      referer: req.header('referer') ?? '',
    };
  }

  /**
   * A 101 to an upgrade request (the parser checked it switches to a protocol offered): the
   * client gets its end-to-end fields and the proxy's own `Connection: upgrade` and Upgrade,
   * without framing (a 101 has no content: what follows its head is the tunnel's), then bytes
   * flow both ways.
   */
  private openTunnel(statusText: string, rawHeaders: string[]): void {
    const { socket, early } = this.upgrade!;
    const conn = this.conn!;
    this.phase = Phase.Tunnel;
    // Both sides of a tunnel live under the tunnel timeout (HAProxy's `timeout tunnel`), else the idle one.
    const tunnelMs = this.timeouts.tunnelMs ?? this.timeouts.idleMs;
    conn.openTunnel(tunnelMs);
    this.res.setIdleTimeout(tunnelMs);
    this.settle();
    this.backend!.state.stats.response(101, eventClock.now() - this.started);
    const out = stripHopByHop(rawHeaders);
    let text = `HTTP/1.1 101 ${statusText}\r\n`;
    for (let i = 0; i < out.length; i += 2) if (!isNamed(out[i]!, 'content-length')) text += `${out[i]}: ${out[i + 1]}\r\n`;
    socket.write(`${text}Connection: upgrade\r\nUpgrade: ${headerValue(rawHeaders, 'upgrade')}\r\n\r\n`, 'latin1');
    // The client's bytes waited (unread) for this answer; the ones already read go first.
    if (early.length) conn.write(early);
    socket.on('data', (c: Buffer) => {
      this.bytesIn += c.length;
      if (!conn.write(c)) {
        socket.pause();
        conn.onceDrain(() => socket.resume());
      }
    });
    socket.on('end', () => conn.endWrite());
    socket.once('close', () => {
      if (this.phase !== Phase.Tunnel) return;
      this.phase = Phase.Done;
      conn.abort();
      this.releaseAttempt();
    });
  }
}
