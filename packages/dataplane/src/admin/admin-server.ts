import { type Server, createServer } from 'node:http';
import type { TDataplaneEvent, TStatsFrame } from '@fulcrum/protocol';
import { failedLogWrites } from '../log-output';
import { type MetricsRow, renderMetrics } from './prometheus';

/** What the admin endpoint shows; a single process and a cluster primary both provide it. */
export interface AdminSource {
  id: string;
  configVersion(): number | null;
  lastFrame(): TStatsFrame | undefined;
  rows(): MetricsRow[];
  events(): TDataplaneEvent[];
}

/**
 * The operator's window into one data plane: `/stats` (JSON: the last one-second frame, running
 * totals and recent events), `/metrics` (Prometheus) and `/health`. Bind it to loopback.
 */
export async function startAdminServer(src: AdminSource, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      const ok = src.configVersion() !== null;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ status: ok ? 'ok' : 'no config', configVersion: src.configVersion(), failedLogWrites: failedLogWrites() }));
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(renderMetrics(src.rows(), src.configVersion()));
    }
    if (path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ id: src.id, configVersion: src.configVersion(), lastFrame: src.lastFrame() ?? null, backends: src.rows(), events: src.events().slice(-50) }));
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /stats, /metrics or /health\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
