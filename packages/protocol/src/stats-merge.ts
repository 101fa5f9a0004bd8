import { emptyHistogram, histogramPercentiles, mergeHistogram } from './latency-histogram';
import type { TBackendStats, TListenerAnswer, TListenerStats, TPoolClientStats, TProxyCause } from './stats';

/**
 * Adds one backend's interval into an accumulator: counters and gauges add up, latency
 * histograms add bucket by bucket and the percentiles are read from the merged buckets (from a
 * reporter without histograms, the worst percentile is kept: an upper bound), and a backend is
 * unhealthy or ejected when any reporter sees it so. Used to merge worker processes on a data
 * plane and data planes on the control plane.
 */
export function mergeBackendStats(into: Omit<TBackendStats, 'backendId'>, from: Omit<TBackendStats, 'backendId'>): void {
  into.requests += from.requests;
  for (const k of Object.keys(into.responses) as (keyof TBackendStats['responses'])[]) into.responses[k] += from.responses[k];
  for (const k of Object.keys(into.errors) as (keyof TBackendStats['errors'])[]) into.errors[k] += from.errors[k];
  into.activeConnections += from.activeConnections;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  if (from.latency) {
    const h = (into.latency ??= emptyHistogram());
    mergeHistogram(h, from.latency);
  }
  into.latencyMs =
    into.latency && from.latency
      ? histogramPercentiles(into.latency)
      : {
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

export function emptyClientStats(): TPoolClientStats {
  return {
    responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    proxyResponses: {},
    connections: { accepted: 0, refused: 0, reset: 0 },
    retries: 0,
    bytesIn: 0,
    bytesOut: 0,
    latency: emptyHistogram(),
  };
}

/** Adds one pool's client-side interval into an accumulator (workers, data planes, seconds into a bucket). */
export function mergeClientStats(into: TPoolClientStats, from: TPoolClientStats): void {
  for (const k of Object.keys(into.responses) as (keyof TPoolClientStats['responses'])[]) into.responses[k] += from.responses[k];
  for (const [k, n] of Object.entries(from.proxyResponses) as [TProxyCause, number][]) into.proxyResponses[k] = (into.proxyResponses[k] ?? 0) + n;
  into.connections.accepted += from.connections.accepted;
  into.connections.refused += from.connections.refused;
  into.connections.reset += from.connections.reset;
  into.retries += from.retries;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  mergeHistogram(into.latency, from.latency);
}

/** A listener's answers with nothing counted yet. */
export function emptyListenerStats(listenerId: string): TListenerStats {
  return { listenerId, responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, answers: {} };
}

/** Adds one listener's interval into an accumulator (workers on a data plane, data planes on the control plane). */
export function mergeListenerStats(into: TListenerStats, from: TListenerStats): void {
  for (const k of Object.keys(into.responses) as (keyof TListenerStats['responses'])[]) into.responses[k] += from.responses[k];
  for (const [k, n] of Object.entries(from.answers) as [TListenerAnswer, number][]) into.answers[k] = (into.answers[k] ?? 0) + n;
}
