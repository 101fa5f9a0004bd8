import type { BalancerBackend, BalancerFactory } from './balancer';
import { scanLeast } from './least-scored';
import { loadPerWeight } from './weight';

/**
 * Two distinct backends drawn uniformly at random; the one with fewer requests in flight per
 * unit of effective weight goes first. When both are refused, a scan from a random start finds
 * the least loaded of those that accept, so a request is never dropped while someone could take it.
 */
export const powerOfTwoChoices: BalancerFactory = (backends, { random, load }) => {
  const score = (b: BalancerBackend) => loadPerWeight(load, b);
  return {
    select(_ctx, accept) {
      const n = backends.length;
      if (n === 0) return undefined;
      const first = Math.floor(random() * n) % n;
      if (n > 1) {
        const second = (first + 1 + (Math.floor(random() * (n - 1)) % (n - 1))) % n;
        const a = backends[first]!;
        const b = backends[second]!;
        const bFirst = score(b) < score(a);
        if (accept(bFirst ? b : a)) return bFirst ? b : a;
        if (accept(bFirst ? a : b)) return bFirst ? a : b;
      }
      const pos = scanLeast(backends, first, accept, score);
      return pos < 0 ? undefined : backends[pos];
    },
  };
};
