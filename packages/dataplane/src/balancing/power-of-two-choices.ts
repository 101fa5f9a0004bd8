import type { BalancerFactory } from './balancer';
import { roundRobin } from './round-robin';

/**
 * Two distinct backends at random; the one with fewer requests in flight per unit of weight
 * wins. When both are refused, fall back to walking the list so a request is never dropped
 * while someone could take it.
 */
export const powerOfTwoChoices: BalancerFactory = (backends, deps) => {
  const { random, load } = deps;
  const fallback = roundRobin(backends, deps);
  const score = (i: number) => (load.active(backends[i]!) + 1) / Math.max(load.effectiveWeight(backends[i]!), 1e-9);
  return {
    select(ctx, accept) {
      const n = backends.length;
      if (n === 0) return undefined;
      if (n > 1) {
        const a = Math.floor(random() * n);
        const b = (a + 1 + Math.floor(random() * (n - 1))) % n;
        const [first, second] = score(a) <= score(b) ? [a, b] : [b, a];
        if (accept(backends[first]!)) return backends[first];
        if (accept(backends[second]!)) return backends[second];
      }
      return fallback.select(ctx, accept);
    },
  };
};
