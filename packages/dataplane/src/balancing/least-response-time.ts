import type { BalancerFactory } from './balancer';
import { rotatingLeastScored } from './least-scored';

/**
 * Lowest latency EWMA (kept by the proxy). A backend with no measurement yet reads 0, so new
 * backends are probed first. Ties go to fewer requests in flight; full ties rotate.
 */
export const leastResponseTime: BalancerFactory = (backends, { load }) =>
  rotatingLeastScored(
    backends,
    (b) => load.latencyEwma(b),
    (b) => load.active(b),
  );
