import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, request } from 'node:http';
import type { Socket } from 'node:net';
import type { OutlierDetector } from '../health/outlier-detector';
import type { PoolRuntime, RuntimeBackend } from '../runtime/pool-runtime';
import type { ErrorKind } from '../stats/backend-stats';
import { sendErrorPage } from './error-page';
import { cookieValue, stripHopByHop, upstreamRequestHeaders } from './headers';
import { selectionContext } from './selection-context';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

class UpstreamError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Proxies one HTTP request through a pool: choose a backend, stream the request body to it
 * once connected, stream the answer back. Connect failures retry on another backend (the
 * body is untouched until the connection is up); resets and timeouts before the answer, and
 * 5xx when the pool says so, retry only idempotent requests without a body; retries stay
 * within the pool's budget.
 */
export function proxyHttpRequest(pool: PoolRuntime, req: IncomingMessage, res: ServerResponse, outliers: OutlierDetector): void {
  const cfg = pool.config;
  const requestId = (req.headers['x-request-id'] as string | undefined) || randomUUID();
  const clientIp = req.socket.remoteAddress ?? '';
  const headers = upstreamRequestHeaders(req.rawHeaders, { clientIp, proto: 'http', requestId });
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  // Safe to send again after the backend may have seen it: idempotent and without a body.
  const resendable = !hasBody && IDEMPOTENT.has(req.method ?? '');
  const canRetry5xx = cfg.retries.on5xx && resendable;
  const ctx = selectionContext(cfg, req, clientIp);
  const stickyIn =
    cfg.stickiness.mode === 'cookie'
      ? cookieValue(req.headers.cookie, cfg.stickiness.cookieName)
      : cfg.stickiness.mode === 'header'
        ? (req.headers[cfg.stickiness.headerName.toLowerCase()] as string | undefined)
        : undefined;
  const tried = new Set<string>();
  let lastFailure: { status: 502 | 504; reason: string } | undefined;
  let clientGone = false;
  res.once('close', () => {
    clientGone = !res.writableFinished;
  });
  req.socket.setTimeout(cfg.timeouts.idleMs);
  pool.inflight++;
  let done = false;
  const finishRequest = () => {
    if (done) return;
    done = true;
    pool.inflight--;
  };
  res.once('close', finishRequest);

  const attempt = (n: number, retrying: boolean) => {
    const backend = (n === 0 ? pool.stickyTarget(stickyIn, tried) : undefined) ?? pool.select(ctx, tried);
    if (!backend) {
      finishRequest();
      // After failed attempts, the last failure says more than "nobody left to try".
      if (lastFailure) return sendErrorPage(res, lastFailure.status, lastFailure.reason, requestId);
      const full = pool.allFull();
      return sendErrorPage(res, 503, full ? 'every backend is at its connection limit' : 'no healthy backend available', requestId);
    }
    tried.add(backend.id);
    forward(backend, n, retrying);
  };

  const forward = (backend: RuntimeBackend, n: number, retrying: boolean) => {
    const state = backend.state;
    const started = performance.now();
    state.active++;
    if (retrying) pool.retriesInflight++;
    state.stats.request();
    let connected = false;
    let responseStarted = false;
    let released = false;
    let timer: NodeJS.Timeout | undefined;
    let bytesIn = 0;
    let bytesOut = 0;
    const release = () => {
      if (released) return;
      released = true;
      if (timer) clearTimeout(timer);
      state.active--;
      if (retrying) pool.retriesInflight--;
      state.stats.bytes(bytesIn, bytesOut);
    };

    const upstream = request({
      agent: backend.agent,
      host: backend.config.host,
      port: backend.config.port,
      method: req.method,
      path: req.url,
      headers: headers as unknown as Record<string, string>,
      setHost: false,
    });
    const fail = (err: UpstreamError) => {
      upstream.destroy();
      release();
      state.stats.error(err.kind);
      if (err.kind === 'connect' || err.kind === 'timeout') outliers.failure(pool, backend, err.message);
      if (clientGone) return;
      lastFailure = { status: err.kind === 'timeout' ? 504 : 502, reason: `${err.message} (${backend.address})` };
      // Before the connection is up nothing was sent; after, only a resendable request may go again.
      if (!responseStarted && (!connected || resendable) && n < cfg.retries.attempts && pool.retryAllowed()) return attempt(n + 1, true);
      finishRequest();
      sendErrorPage(res, lastFailure.status, lastFailure.reason, requestId);
    };

    timer = setTimeout(() => fail(new UpstreamError('timeout', 'connect timeout')), cfg.timeouts.connectMs);
    const onConnected = () => {
      connected = true;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => fail(new UpstreamError('timeout', 'backend sent no response in time')), cfg.timeouts.firstByteMs);
      if (hasBody) {
        req.on('data', (c: Buffer) => (bytesIn += c.length));
        req.pipe(upstream);
      } else upstream.end();
    };
    upstream.once('socket', (socket: Socket) => {
      if (socket.connecting) socket.once('connect', onConnected);
      else onConnected();
    });
    upstream.setTimeout(cfg.timeouts.idleMs, () => fail(new UpstreamError('timeout', 'backend idle too long')));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (released) return;
      if (!connected) return fail(new UpstreamError('connect', `connect failed: ${err.code ?? err.message}`));
      fail(new UpstreamError('reset', `backend connection failed: ${err.code ?? err.message}`));
    });

    upstream.on('response', (up) => {
      responseStarted = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const status = up.statusCode ?? 502;
      const latency = performance.now() - started;
      state.recordLatency(latency);
      if (status >= 500) outliers.failure(pool, backend, `status ${status}`);
      else outliers.success(backend);
      if (status >= 500 && canRetry5xx && n < cfg.retries.attempts && pool.retryAllowed() && !clientGone) {
        state.stats.response(status, latency);
        up.resume();
        release();
        return attempt(n + 1, true);
      }
      const out = stripHopByHop(up.rawHeaders);
      if (cfg.stickiness.mode === 'cookie' && stickyIn !== backend.stickyKey) {
        out.push('Set-Cookie', `${cfg.stickiness.cookieName}=${backend.stickyKey}; Path=/; HttpOnly; Max-Age=${cfg.stickiness.ttlSeconds}`);
      }
      res.writeHead(status, up.statusMessage, out);
      up.on('data', (c: Buffer) => (bytesOut += c.length));
      up.pipe(res);
      up.once('end', () => {
        state.stats.response(status, performance.now() - started);
        release();
      });
      up.once('error', () => {
        state.stats.error('reset');
        release();
        res.destroy();
      });
      res.once('close', () => {
        if (!released) {
          // The client went away mid-response: stop reading from the backend.
          up.destroy();
          release();
        }
      });
    });
  };

  attempt(0, false);
}
