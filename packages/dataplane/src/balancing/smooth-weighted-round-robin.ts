import type { BalancerFactory } from './balancer';

/**
 * NGINX's smooth weighted round robin: every pick adds each candidate's weight to its current
 * weight, takes the largest, and subtracts the total from it. Weights 5,1,1 give a a b a c a a.
 * Refused backends take no part in a round, as in NGINX.
 */
export const smoothWeightedRoundRobin: BalancerFactory = (backends, { load }) => {
  const current = new Float64Array(backends.length);
  return {
    select(_ctx, accept) {
      let best = -1;
      let total = 0;
      for (let i = 0; i < backends.length; i++) {
        const b = backends[i]!;
        if (!accept(b)) continue;
        const w = load.effectiveWeight(b);
        current[i]! += w;
        total += w;
        if (best < 0 || current[i]! > current[best]!) best = i;
      }
      if (best < 0) return undefined;
      current[best]! -= total;
      return backends[best];
    },
  };
};
