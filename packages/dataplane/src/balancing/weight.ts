import type { BalancerBackend, LoadView } from './balancer';

// A backend at (or ramping from) zero weight still gets a sliver, so an all-zero pool degrades
// to equal shares instead of dividing by zero or always choosing the first.
const MIN_WEIGHT = 1e-3;

/** The effective weight (slow start included), never below a small positive floor. */
export function weightOf(load: LoadView, b: BalancerBackend): number {
  const w = load.effectiveWeight(b);
  // biome-ignore lint/complexity/useMathMinMax: Math.max would pass a NaN weight on; this gives the floor.
  return w > MIN_WEIGHT ? w : MIN_WEIGHT;
}

/** Requests in flight per unit of weight, counting the one about to be sent, so an idle heavy backend beats an idle light one. */
export function loadPerWeight(load: LoadView, b: BalancerBackend): number {
  return (load.active(b) + 1) / weightOf(load, b);
}
