import type { Buffer } from 'node:buffer';
import { type Socket, connect } from 'node:net';
import { readCopies } from '../io/accepted-socket-reads';
import type { OutlierDetector } from '../health/outlier-detector';
import type { PoolRuntime } from '../runtime/pool-runtime';
import { TcpAccess } from '../access-log/tcp-access';
import { BackendToClient } from './backend-to-client';

/**
 * An L4 connection through the pool: connect to a backend (retrying on another when the
 * connect fails or times out), then pipe both ways; idle connections are closed.
 */
export function proxyTcpConnection(pool: PoolRuntime, client: Socket, outliers: OutlierDetector): void {
  const cfg = pool.config;
  const clientIp = client.remoteAddress ?? '';
  const ctx = { clientIp, hashKey: clientIp };
  const tried = new Set<string>();
  // The client's bytes go to the connected backend: each read a buffer of its own (a write the
  // backend is slow to take keeps it), reading stopped while the backend's socket is full;
  // otherwise through the client's stream, piped.
  let toBackend: Socket | undefined;
  const viaBuffer = readCopies(client, (chunk) => {
    const upstream = toBackend;
    if (upstream === undefined || upstream.destroyed) return true;
    count(chunk.length);
    return upstream.write(chunk);
  });
  client.pause();
  client.on('error', () => {});
  let clientClosed = false;
  // One access-log line per connection, when the pool's log or live tail wants it.
  const log = pool.access?.wants(cfg) ? new TcpAccess(pool, clientIp) : undefined;
  client.once('close', () => {
    clientClosed = true;
    log?.end();
  });
  // The client's bytes count once, toward the backend it is connected to: a connect that failed
  // and was retried on another backend must not have left a listener of its own behind.
  let connectedTo: ReturnType<PoolRuntime['select']>;
  const count = (bytes: number) => {
    connectedTo?.state.stats.bytes(bytes, 0);
    if (log) log.bytesIn += bytes;
  };
  if (!viaBuffer) client.on('data', (c: Buffer) => count(c.length));

  const attempt = (n: number) => {
    if (clientClosed) return;
    const backend = pool.select(ctx, tried);
    if (!backend) {
      // Nobody to connect to: the client's connection is refused (closed unserved).
      pool.stats.connectionRefused();
      if (log) log.termination = tried.size ? log.termination : 'no_healthy_backend';
      return client.destroy();
    }
    tried.add(backend.id);
    log?.attempt(backend.address);
    backend.state.active++;
    backend.state.stats.request();
    const toClient = new BackendToClient(client, (bytes) => {
      backend.state.stats.bytes(0, bytes);
      if (log) log.bytesOut += bytes;
    });
    const upstream: Socket = connect({
      host: backend.config.host,
      port: backend.config.port,
      noDelay: true,
      // Either side may half-close: the other's bytes still flow until it closes too (or the idle timeout).
      allowHalfOpen: true,
      onread: {
        buffer: () => toClient.nextBuffer(),
        callback: (bytes: number, buffer: Uint8Array) => {
          toClient.onRead(bytes, buffer, upstream);
          return true;
        },
      },
    });
    let connected = false;
    // The backend closed its side cleanly: the client gets what is still queued for it, then its end.
    let backendEnded = false;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      backend.state.active--;
    };
    const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), cfg.timeouts.connectMs);
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      connectedTo = backend;
      log?.connected();
      outliers.success(backend);
      backend.state.stats.response(200, 0);
      // The backend's end of stream ends the client's (as pipe() would); its bytes go through toClient.
      upstream.once('end', () => {
        backendEnded = true;
        client.end();
      });
      if (viaBuffer) {
        toBackend = upstream;
        upstream.on('drain', () => client.resume());
        client.once('end', () => upstream.end());
      } else client.pipe(upstream);
      client.resume();
      const idle = () => {
        upstream.destroy();
        client.destroy();
      };
      upstream.setTimeout(cfg.timeouts.idleMs, idle);
      client.setTimeout(cfg.timeouts.idleMs, idle);
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!connected) {
        release();
        backend.state.stats.error(err.code === 'ETIMEDOUT' ? 'timeout' : 'connect');
        outliers.failure(pool, backend, err.code ?? err.message);
        if (log) log.termination = err.code === 'ETIMEDOUT' ? 'upstream_timeout' : 'connect_failed';
        if (n < cfg.retries.attempts) {
          pool.stats.retry();
          return attempt(n + 1);
        }
        pool.stats.connectionRefused();
        return client.destroy();
      }
      backend.state.stats.error('reset');
      if (log) log.termination = 'upstream_reset';
      client.destroy();
    });
    upstream.once('close', () => {
      release();
      toClient.release();
      // A connect that failed has already retried or closed the client (its error comes first).
      // After a clean end the client's socket closes once its queued bytes are written (or its
      // idle timeout cuts a client that stopped reading); destroying it would drop them.
      if (connected && !backendEnded) client.destroy();
    });
    client.once('close', () => upstream.destroy());
  };
  attempt(0);
}
