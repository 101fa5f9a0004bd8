import type { TBackendStats } from './stats';

/** A pool's traffic over one interval, summed over its backends. */
export interface TPoolTraffic {
  requests: number;
  responses5xx: number;
  /** Connections that failed: connect errors, timeouts and resets. */
  errors: number;
  activeConnections: number;
  /** The worst backend's p99: merged percentiles are upper bounds anyway (see mergeBackendStats). */
  p99Ms: number;
  /** Backends reported healthy (or not yet known) and not ejected. */
  healthy: number;
  /** Backends the data planes reported on at all. */
  reported: number;
}

/**
 * Sums one interval of a pool's backends. The control plane's history and the dashboard's live
 * overview both use it, so a pool's numbers read the same wherever they are shown.
 */
export function sumPoolTraffic(backends: Iterable<Omit<TBackendStats, 'backendId'>>): TPoolTraffic {
  const t: TPoolTraffic = { requests: 0, responses5xx: 0, errors: 0, activeConnections: 0, p99Ms: 0, healthy: 0, reported: 0 };
  for (const b of backends) {
    t.requests += b.requests;
    t.responses5xx += b.responses['5xx'];
    t.errors += b.errors.connect + b.errors.timeout + b.errors.reset;
    t.activeConnections += b.activeConnections;
    t.p99Ms = Math.max(t.p99Ms, b.latencyMs.p99);
    if (b.health !== 'unhealthy' && !b.ejected) t.healthy++;
    t.reported++;
  }
  return t;
}

/** Failures (5xx answers and connection errors) per request; 0 without requests. */
export function failureRate(t: Pick<TPoolTraffic, 'requests' | 'responses5xx' | 'errors'>): number {
  return t.requests ? (t.responses5xx + t.errors) / t.requests : 0;
}
