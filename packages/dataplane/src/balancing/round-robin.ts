import type { BalancerFactory } from './balancer';

/**
 * Each backend in turn, weights ignored. A refused backend is passed over for the next in order,
 * and the shared counter moves past whichever one was chosen.
 */
export const roundRobin: BalancerFactory = (backends) => {
  let next = 0;
  return {
    select(_ctx, accept) {
      const n = backends.length;
      for (let i = 0; i < n; i++) {
        const pos = (next + i) % n;
        const b = backends[pos]!;
        if (accept(b)) {
          next = (pos + 1) % n;
          return b;
        }
      }
      return undefined;
    },
  };
};
