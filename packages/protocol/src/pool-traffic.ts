import { histogramPercentiles } from './latency-histogram';
import type { TBackendStats, TPoolClientStats, TProxyCause } from './stats';

/** A pool's traffic over one interval: what its clients got, and its backends' health. */
export interface TPoolTraffic {
  /** Responses sent to clients (relayed and the proxy's own). */
  responses: number;
  /** Of those, status 500 and above. */
  responses5xx: number;
  /** The proxy's own answers by cause. */
  causes: Partial<Record<TProxyCause, number>>;
  /** Upstream attempts that failed (connect errors, timeouts, resets), retried or not: not client errors. */
  upstreamErrors: number;
  retries: number;
  activeConnections: number;
  /** Client-observed total time, from the merged histogram. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Backends reported healthy (or not yet known) and not ejected. */
  healthy: number;
  /** Backends the data planes reported on at all. */
  reported: number;
  /** False when the reporters predate client-side counters: the numbers are summed from upstream attempts. */
  clientSide: boolean;
}

/**
 * Sums one interval of a pool. The control plane's history and the dashboard's live overview
 * both use it, so a pool's numbers read the same wherever they are shown. Without client-side
 * counters (an older data plane) the backends' answers stand in, as before.
 */
export function sumPoolTraffic(backends: Iterable<Omit<TBackendStats, 'backendId'>>, client?: TPoolClientStats): TPoolTraffic {
  const t: TPoolTraffic = {
    responses: 0,
    responses5xx: 0,
    causes: {},
    upstreamErrors: 0,
    retries: 0,
    activeConnections: 0,
    p50Ms: 0,
    p95Ms: 0,
    p99Ms: 0,
    healthy: 0,
    reported: 0,
    clientSide: client !== undefined,
  };
  for (const b of backends) {
    if (!client) {
      t.responses += b.responses['1xx'] + b.responses['2xx'] + b.responses['3xx'] + b.responses['4xx'] + b.responses['5xx'];
      t.responses5xx += b.responses['5xx'];
      t.p50Ms = Math.max(t.p50Ms, b.latencyMs.p50);
      t.p95Ms = Math.max(t.p95Ms, b.latencyMs.p95);
      t.p99Ms = Math.max(t.p99Ms, b.latencyMs.p99);
    }
    t.upstreamErrors += b.errors.connect + b.errors.timeout + b.errors.reset;
    t.activeConnections += b.activeConnections;
    if (b.health !== 'unhealthy' && !b.ejected) t.healthy++;
    t.reported++;
  }
  if (client) {
    const r = client.responses;
    t.responses = r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];
    t.responses5xx = r['5xx'];
    t.causes = { ...client.proxyResponses };
    t.retries = client.retries;
    const p = histogramPercentiles(client.latency);
    t.p50Ms = p.p50;
    t.p95Ms = p.p95;
    t.p99Ms = p.p99;
  }
  return t;
}

/** Client responses of 500 and above over client responses: 0 without responses, never above 1. */
export function clientErrorRate(t: Pick<TPoolTraffic, 'responses' | 'responses5xx'>): number {
  return t.responses > 0 ? Math.min(1, t.responses5xx / t.responses) : 0;
}
