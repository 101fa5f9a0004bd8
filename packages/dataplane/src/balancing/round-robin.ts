import type { BalancerFactory } from './balancer';

/** Each backend in turn, weights ignored; refused ones are passed over in order. */
export const roundRobin: BalancerFactory = (backends) => {
  let next = 0;
  return {
    select(_ctx, accept) {
      const n = backends.length;
      for (let i = 0; i < n; i++) {
        const b = backends[(next + i) % n]!;
        if (accept(b)) {
          next = (next + i + 1) % n;
          return b;
        }
      }
      return undefined;
    },
  };
};
