import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Socket, connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { OutlierDetector } from '../health/outlier-detector';
import type { PoolRuntime } from '../runtime/pool-runtime';
import { nodeRequest } from './client-exchange';
import { requestHead, upstreamRequestHeaders } from './headers';
import { selectionContext } from './selection-context';

const KEEP_FOR_UPGRADE = new Set(['connection', 'upgrade']);

function refuse(client: Duplex, status: number, reason: string): void {
  client.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nX-Fulcrum-Error: ${reason}\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * WebSocket (and any HTTP/1.1 Upgrade) through the pool: the handshake is replayed to the
 * chosen backend, then bytes flow both ways untouched until either side closes.
 */
export function proxyUpgrade(pool: PoolRuntime, req: IncomingMessage, client: Duplex, head: Buffer, outliers: OutlierDetector): void {
  const cfg = pool.config;
  const request = nodeRequest(req);
  const clientIp = request.clientIp;
  const tried = new Set<string>();
  const ctx = selectionContext(cfg, request, clientIp);
  const headers = upstreamRequestHeaders(req.rawHeaders, { clientIp, proto: 'http', requestId: request.header('x-request-id') || randomUUID() }, KEEP_FOR_UPGRADE);
  const lines = requestHead(request.method, request.url, headers);
  client.on('error', () => {});

  const attempt = (n: number) => {
    const backend = pool.select(ctx, tried);
    if (!backend) return refuse(client, 503, 'no healthy backend available');
    tried.add(backend.id);
    const upstream: Socket = connect({ host: backend.config.host, port: backend.config.port, noDelay: true });
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), cfg.timeouts.connectMs);
    let open = false;
    upstream.once('connect', () => {
      clearTimeout(timer);
      open = true;
      backend.state.active++;
      backend.state.stats.request();
      upstream.write(lines, 'latin1');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
      upstream.setTimeout(cfg.timeouts.idleMs, () => upstream.destroy());
      outliers.success(backend);
    });
    upstream.on('data', (c: Buffer) => backend.state.stats.bytes(0, c.length));
    client.on('data', (c: Buffer) => backend.state.stats.bytes(c.length, 0));
    upstream.once('error', (err) => {
      clearTimeout(timer);
      if (!open) {
        backend.state.stats.error('connect');
        outliers.failure(pool, backend, err.message);
        if (n < cfg.retries.attempts) return attempt(n + 1);
        return refuse(client, 502, 'backend refused the connection');
      }
      client.destroy();
    });
    upstream.once('close', () => {
      if (open) {
        backend.state.active--;
        open = false;
      }
      client.destroy();
    });
    client.once('close', () => upstream.destroy());
  };
  attempt(0);
}
