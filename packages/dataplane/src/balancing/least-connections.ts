import type { BalancerFactory } from './balancer';
import { rotatingLeastScored } from './least-scored';

/**
 * Fewest requests in flight (weights ignored). Ties rotate, so an idle pool spreads requests
 * instead of piling them on the first backend.
 */
export const leastConnections: BalancerFactory = (backends, { load }) => rotatingLeastScored(backends, (b) => load.active(b));
