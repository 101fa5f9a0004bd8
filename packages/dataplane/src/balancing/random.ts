import type { BalancerFactory } from './balancer';

/** A random backend in proportion to its weight (as HAProxy's `random`); refused ones are drawn around. */
export const weightedRandom: BalancerFactory = (backends, { random, load }) => ({
  select(_ctx, accept) {
    let total = 0;
    for (const b of backends) if (accept(b)) total += load.effectiveWeight(b);
    if (total <= 0) return undefined;
    let r = random() * total;
    let last;
    for (const b of backends) {
      if (!accept(b)) continue;
      last = b;
      r -= load.effectiveWeight(b);
      if (r < 0) return b;
    }
    return last;
  },
});
