import type { BalancerFactory } from './balancer';
import { weightOf } from './weight';

/**
 * NGINX's smooth weighted round robin on effective weights (so slow start ramps a backend in):
 * each pick adds every candidate's weight to its current weight, takes the largest and subtracts
 * the total from it. Weights 5,1,1 give a a b a c a a. As in NGINX, a refused backend sits the
 * round out (its current weight is left as it was), so the others keep their own sequence.
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
        const w = weightOf(load, b);
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
