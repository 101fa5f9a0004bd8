import type { BalancerFactory } from './balancer';
import { rotatingLeastScored } from './least-scored';
import { loadPerWeight } from './weight';

/**
 * Fewest requests in flight per unit of effective weight (slow start included), counting the
 * request being placed: (active + 1) / weight, as HAProxy's leastconn, so with nothing in flight
 * the heavier backend wins instead of a tie. Exact ties rotate.
 */
export const weightedLeastConnections: BalancerFactory = (backends, { load }) => rotatingLeastScored(backends, (b) => loadPerWeight(load, b));
