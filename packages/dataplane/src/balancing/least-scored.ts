import type { Balancer, BalancerBackend } from './balancer';

/**
 * One pass over the list starting at `start` (wrapping): the position of the accepted backend
 * with the lowest `primary` score, `secondary` breaking ties, or -1. Calls `accept` at most once
 * per backend; scores are read only for accepted ones. Equal scores keep the earliest in scan
 * order, so moving `start` past the last pick rotates ties.
 */
export function scanLeast(
  backends: readonly BalancerBackend[],
  start: number,
  accept: (b: BalancerBackend) => boolean,
  primary: (b: BalancerBackend) => number,
  secondary?: (b: BalancerBackend) => number,
): number {
  const n = backends.length;
  let best = -1;
  let bestPrimary = Infinity;
  let bestSecondary = Infinity;
  for (let i = 0; i < n; i++) {
    const pos = (start + i) % n;
    const b = backends[pos]!;
    if (!accept(b)) continue;
    const p = primary(b);
    if (p > bestPrimary) continue;
    const s = secondary ? secondary(b) : 0;
    if (best < 0 || p < bestPrimary || s < bestSecondary) {
      best = pos;
      bestPrimary = p;
      bestSecondary = s;
    }
  }
  return best;
}

/** A balancer choosing the lowest score, rotating its scan start past each pick so ties take turns. */
export function rotatingLeastScored(backends: readonly BalancerBackend[], primary: (b: BalancerBackend) => number, secondary?: (b: BalancerBackend) => number): Balancer {
  let start = 0;
  return {
    select(_ctx, accept) {
      const pos = scanLeast(backends, start, accept, primary, secondary);
      if (pos < 0) return undefined;
      start = pos + 1;
      return backends[pos];
    },
  };
}
