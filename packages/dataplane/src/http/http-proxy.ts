import { randomUUID } from 'node:crypto';
import type { TProxyCause } from '@fulcrum/protocol';
import type { OutlierDetector } from '../health/outlier-detector';
import type { PoolRuntime, RuntimeBackend } from '../runtime/pool-runtime';
import type { ErrorKind } from '../stats/backend-stats';
import type { ClientRequest, ClientResponse } from './client-exchange';
import { sendErrorPage } from './error-page';
import { cookieValue, requestHead, stripHopByHop, upstreamRequestHeaders } from './headers';
import { selectionContext } from './selection-context';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Proxies one HTTP request through a pool: choose a backend, stream the request body to it
 * once connected, stream the answer back. Connect failures retry on another backend (the
 * body is untouched until the connection is up); resets and timeouts before the answer, and
 * 5xx when the pool says so, retry only idempotent requests without a body; retries stay
 * within the pool's budget.
 */
export function proxyHttpRequest(pool: PoolRuntime, req: ClientRequest, res: ClientResponse, outliers: OutlierDetector): void {
  const cfg = pool.config;
  const method = req.method;
  const requestId = req.header('x-request-id') || randomUUID();
  const clientIp = req.clientIp;
  const headers = upstreamRequestHeaders(req.rawHeaders, { clientIp, proto: 'http', requestId });
  // A chunked body goes upstream chunked again (Transfer-Encoding is hop-by-hop).
  const chunked = req.chunked;
  if (chunked) headers.push('Transfer-Encoding', 'chunked');
  const body = req.body;
  const hasBody = body !== undefined;
  // An HTTP/1.0 client may send no Host; HTTP/1.1 backends need one, so it names the backend (as NGINX does).
  const head = req.header('host') === undefined ? undefined : requestHead(method, req.url, headers);
  // Safe to send again after the backend may have seen it: idempotent and without a body.
  const resendable = !hasBody && IDEMPOTENT.has(method);
  const canRetry5xx = cfg.retries.on5xx && resendable;
  const ctx = selectionContext(cfg, req, clientIp);
  const stickyIn =
    cfg.stickiness.mode === 'cookie'
      ? cookieValue(req.header('cookie'), cfg.stickiness.cookieName)
      : cfg.stickiness.mode === 'header'
        ? req.header(cfg.stickiness.headerName.toLowerCase())
        : undefined;
  const tried = new Set<string>();
  let lastFailure: { status: 502 | 504; reason: string; cause: TProxyCause } | undefined;
  // What the client got, counted once when the exchange ends (PoolStats): never per attempt.
  const t0 = performance.now();
  let answered = 0;
  let cause: TProxyCause | undefined;
  let clientIn = 0;
  let clientOut = 0;
  const errorPage = (status: 502 | 503 | 504, reason: string, why: TProxyCause) => {
    if (!res.headersSent) {
      answered = status;
      cause = why;
    }
    sendErrorPage(res, status, reason, requestId);
  };
  let clientGone = false;
  // Set while an attempt is under way: drops its connection if the client leaves first.
  let abandon: (() => void) | undefined;
  res.setIdleTimeout(cfg.timeouts.idleMs);
  pool.inflight++;
  let done = false;
  const finishRequest = () => {
    if (done) return;
    done = true;
    pool.inflight--;
  };
  res.onClose((complete) => {
    clientGone = !complete;
    finishRequest();
    pool.stats.clientResponse(answered, cause, performance.now() - t0, clientIn, clientOut, complete);
    if (clientGone) abandon?.();
  });

  const attempt = (n: number, retrying: boolean) => {
    const backend = (n === 0 ? pool.stickyTarget(stickyIn, tried) : undefined) ?? pool.select(ctx, tried);
    if (!backend) {
      finishRequest();
      // After failed attempts, the last failure says more than "nobody left to try".
      if (lastFailure) return errorPage(lastFailure.status, lastFailure.reason, lastFailure.cause);
      const full = pool.allFull();
      return errorPage(503, full ? 'every backend is at its connection limit' : 'no healthy backend available', full ? 'max_connections' : 'no_healthy_backend');
    }
    tried.add(backend.id);
    forward(backend, n, retrying);
  };

  const forward = (backend: RuntimeBackend, n: number, retrying: boolean) => {
    const state = backend.state;
    const started = performance.now();
    state.active++;
    if (retrying) {
      pool.retriesInflight++;
      pool.stats.retry();
    }
    state.stats.request();
    let connected = false;
    let responseStarted = false;
    let released = false;
    // A 5xx being retried elsewhere: its body is read and dropped so the connection can be reused.
    let discarding = false;
    let ended = false;
    let status = 0;
    let bytesIn = 0;
    let bytesOut = 0;
    const conn = backend.upstream.acquire();
    const release = () => {
      if (released) return;
      released = true;
      abandon = undefined;
      state.active--;
      if (retrying) pool.retriesInflight--;
      state.stats.bytes(bytesIn, bytesOut);
    };
    abandon = () => {
      conn.abort();
      release();
    };
    const resumeUpstream = () => conn.resume();

    const fail = (kind: ErrorKind, message: string) => {
      release();
      state.stats.error(kind);
      if (kind === 'connect' || kind === 'timeout') outliers.failure(pool, backend, message);
      if (clientGone) return;
      lastFailure = { status: kind === 'timeout' ? 504 : 502, reason: `${message} (${backend.address})`, cause: kind === 'timeout' ? 'timeout' : kind === 'connect' ? 'connect_failed' : 'upstream_failed' };
      // Before the connection is up nothing was sent; after, only a resendable request may go again.
      if (!responseStarted && (!connected || resendable) && n < cfg.retries.attempts && pool.retryAllowed()) return attempt(n + 1, true);
      finishRequest();
      errorPage(lastFailure.status, lastFailure.reason, lastFailure.cause);
    };

    conn.send(
      {
        connected: () => {
          connected = true;
          body?.on('data', (c: Buffer) => {
            bytesIn += c.length;
            clientIn += c.length;
          });
        },
        failed: (kind, message) => {
          if (!discarding) fail(kind, message);
        },
        head: (st, statusText, rawHeaders) => {
          responseStarted = true;
          status = st;
          const latency = performance.now() - started;
          state.recordLatency(latency);
          if (status >= 500) outliers.failure(pool, backend, `status ${status}`);
          else outliers.success(backend);
          if (status >= 500 && canRetry5xx && n < cfg.retries.attempts && pool.retryAllowed() && !clientGone) {
            state.stats.response(status, latency);
            discarding = true;
            release();
            return attempt(n + 1, true);
          }
          const out = stripHopByHop(rawHeaders);
          if (cfg.stickiness.mode === 'cookie' && stickyIn !== backend.stickyKey) {
            out.push('Set-Cookie', `${cfg.stickiness.cookieName}=${backend.stickyKey}; Path=/; HttpOnly; Max-Age=${cfg.stickiness.ttlSeconds}`);
          }
          if (res.writeHead(status, statusText, out)) answered = status;
          else {
            conn.abort();
            fail('reset', 'backend sent an invalid header');
          }
        },
        body: (chunk, last) => {
          if (discarding || released) return;
          bytesOut += chunk.length;
          clientOut += chunk.length;
          // The last piece of a body of known length goes out with the end: one write, not two.
          if (last) {
            ended = true;
            res.end(chunk);
          } else if (!res.write(chunk)) {
            conn.pause();
            res.onceDrain(resumeUpstream);
          }
        },
        end: () => {
          if (discarding || released) return;
          if (!ended) res.end();
          state.stats.response(status, performance.now() - started);
          release();
        },
      },
      cfg.timeouts,
      head ?? requestHead(method, req.url, [...headers, 'Host', backend.address]),
      body,
      chunked,
      method === 'HEAD',
    );
  };

  attempt(0, false);
}
