import { type Server, createServer } from 'node:http';
import { PROXY_CAUSE_LABEL, type TDataplaneEvent, type TStatsFrame, clientErrorRate, histogramPercentiles, sumPoolTraffic } from '@fulcrum/protocol';
import { failedLogWrites } from '../log-output';
import { adminBindRefusal, hasBearer } from './admin-auth';
import { type ProcessView, renderProcessMetrics } from './process-metrics';
import { type MetricsView, renderMetrics } from './prometheus';

/** What the admin endpoint shows; a single process and a cluster primary both provide it. */
export interface AdminSource {
  id: string;
  configVersion(): number | null;
  lastFrame(): TStatsFrame | undefined;
  /** Running totals: per pool what clients got, per backend the upstream attempts. */
  metrics(): MetricsView;
  events(): TDataplaneEvent[];
  /** Internal errors, connections and the descriptor limit. */
  process(): ProcessView & Record<string, unknown>;
}

export interface AdminOptions {
  host: string;
  port: number;
  /** Required for /stats and /metrics when set; the endpoint refuses to bind off loopback without one. */
  token?: string;
}

/**
 * `/stats`: the last one-second frame with each pool's client view of it (error rate =
 * client 5xx over client responses; the proxy's own answers by cause), running totals and
 * recent events.
 */
function statsBody(src: AdminSource) {
  const frame = src.lastFrame();
  const view = src.metrics();
  const names = new Map(view.pools.map((p) => [p.poolId, p.pool]));
  const lastSecond = (frame?.pools ?? []).map((p) => {
    const t = sumPoolTraffic(p.backends, p.client);
    return {
      pool: names.get(p.poolId) ?? p.poolId,
      poolId: p.poolId,
      intervalMs: frame?.intervalMs,
      responses: t.responses,
      errorRate: clientErrorRate(t),
      causes: Object.fromEntries(Object.entries(t.causes).map(([c, n]) => [c, { count: n, label: PROXY_CAUSE_LABEL[c as keyof typeof PROXY_CAUSE_LABEL] }])),
      retries: t.retries,
      upstreamErrors: t.upstreamErrors,
      latencyMs: { p50: t.p50Ms, p95: t.p95Ms, p99: t.p99Ms },
    };
  });
  const pools = view.pools.map((p) => ({ ...p, latencyMs: histogramPercentiles(p.latency) }));
  // What listeners answered themselves (no route, redirects, fixed responses): apart from every pool.
  const listenerNames = new Map((view.listeners ?? []).map((l) => [l.listenerId, l.listener]));
  const listenersLastSecond = (frame?.listeners ?? []).map((l) => ({ listener: listenerNames.get(l.listenerId) ?? l.listenerId, ...l }));
  return {
    id: src.id,
    configVersion: src.configVersion(),
    lastSecond,
    listenersLastSecond,
    lastFrame: frame ?? null,
    pools,
    listeners: view.listeners ?? [],
    backends: view.backends,
    events: src.events().slice(-50),
  };
}

/**
 * The operator's window into one data plane: `/stats` (JSON: the last one-second frame, running
 * totals, recent events, connections and limits), `/metrics` (Prometheus) and `/health`. It binds
 * to loopback unless given a token; with a token, /stats and /metrics need `Authorization: Bearer`.
 */
export async function startAdminServer(src: AdminSource, opts: AdminOptions): Promise<Server> {
  const refusal = adminBindRefusal(opts.host, opts.token);
  if (refusal) throw new Error(refusal);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      const ok = src.configVersion() !== null;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ status: ok ? 'ok' : 'no config', configVersion: src.configVersion(), failedLogWrites: failedLogWrites() }));
    }
    if (opts.token && !hasBearer(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
      return res.end('send Authorization: Bearer <admin token>\n');
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(renderMetrics(src.metrics(), src.configVersion()) + renderProcessMetrics(src.process()));
    }
    if (path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ ...statsBody(src), process: src.process() }));
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /stats, /metrics or /health\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}
