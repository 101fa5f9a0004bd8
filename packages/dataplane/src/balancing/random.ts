import type { BalancerFactory } from './balancer';
import { weightOf } from './weight';

/**
 * A random backend in proportion to its effective weight, as HAProxy's `random` (equal weights
 * make it uniform). The first draw is over every backend and asks `accept` once; only when that
 * one is refused is the draw repeated over those that accept.
 */
export const weightedRandom: BalancerFactory = (backends, { random, load }) => {
  const n = backends.length;
  // Which backends accepted during a redraw; reused so the hot path does not allocate.
  const accepted = new Uint8Array(n);

  /** The backend whose weight interval holds r, over all backends or only the accepted ones. */
  const pick = (r: number, onlyAccepted: boolean): number => {
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (onlyAccepted && accepted[i] === 0) continue;
      last = i;
      r -= weightOf(load, backends[i]!);
      if (r < 0) return i;
    }
    return last; // rounding left r a hair above zero
  };

  return {
    select(_ctx, accept) {
      if (n === 0) return undefined;
      let total = 0;
      for (let i = 0; i < n; i++) total += weightOf(load, backends[i]!);
      const first = pick(random() * total, false);
      if (accept(backends[first]!)) return backends[first];

      total = 0;
      for (let i = 0; i < n; i++) {
        accepted[i] = i !== first && accept(backends[i]!) ? 1 : 0;
        if (accepted[i] === 1) total += weightOf(load, backends[i]!);
      }
      if (total === 0) return undefined;
      return backends[pick(random() * total, true)];
    },
  };
};
