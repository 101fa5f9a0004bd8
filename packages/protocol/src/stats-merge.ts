import type { TBackendStats } from './stats';

/**
 * Adds one backend's interval into an accumulator: counters and gauges add up, latency
 * percentiles keep the worst (an upper bound, as merging exactly would need the histograms),
 * and a backend is unhealthy or ejected when any reporter sees it so. Used to merge worker
 * processes on a data plane and data planes on the control plane.
 */
export function mergeBackendStats(into: Omit<TBackendStats, 'backendId'>, from: Omit<TBackendStats, 'backendId'>): void {
  into.requests += from.requests;
  for (const k of Object.keys(into.responses) as (keyof TBackendStats['responses'])[]) into.responses[k] += from.responses[k];
  for (const k of Object.keys(into.errors) as (keyof TBackendStats['errors'])[]) into.errors[k] += from.errors[k];
  into.activeConnections += from.activeConnections;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  into.latencyMs = {
    p50: Math.max(into.latencyMs.p50, from.latencyMs.p50),
    p95: Math.max(into.latencyMs.p95, from.latencyMs.p95),
    p99: Math.max(into.latencyMs.p99, from.latencyMs.p99),
  };
  if (from.health === 'unhealthy' || into.health === 'unknown') into.health = from.health;
  into.ejected ||= from.ejected;
}

/** An interval with nothing in it: where mergeBackendStats accumulates from, and a base for fixtures. */
export function emptyBackendStats(): Omit<TBackendStats, 'backendId'> {
  return {
    requests: 0,
    responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    errors: { connect: 0, timeout: 0, reset: 0 },
    activeConnections: 0,
    bytesIn: 0,
    bytesOut: 0,
    latencyMs: { p50: 0, p95: 0, p99: 0 },
    health: 'unknown',
    ejected: false,
  };
}
