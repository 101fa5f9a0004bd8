import type { BalancerBackend, BalancerFactory } from './balancer';

/**
 * Lowest recent latency (EWMA kept by the proxy); a backend with no measurement yet scores 0 so
 * it gets probed. Ties go to the one with fewer requests in flight.
 */
export const leastResponseTime: BalancerFactory = (backends, { load }) => ({
  select(_ctx, accept) {
    let best: BalancerBackend | undefined;
    let bestLatency = Infinity;
    let bestActive = Infinity;
    for (const b of backends) {
      if (!accept(b)) continue;
      const latency = load.latencyEwma(b);
      const active = load.active(b);
      if (latency < bestLatency || (latency === bestLatency && active < bestActive)) {
        best = b;
        bestLatency = latency;
        bestActive = active;
      }
    }
    return best;
  },
});
