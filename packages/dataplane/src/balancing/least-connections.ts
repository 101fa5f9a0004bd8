import type { BalancerBackend, BalancerFactory, LoadView } from './balancer';

/**
 * Fewest requests in flight, optionally relative to weight. The scan starts after the last
 * pick, so ties rotate and an idle pool still spreads requests instead of piling on the first.
 */
function leastLoaded(score: (b: BalancerBackend, load: LoadView) => number): BalancerFactory {
  return (backends, { load }) => {
    let start = 0;
    return {
      select(_ctx, accept) {
        const n = backends.length;
        let best: BalancerBackend | undefined;
        let bestScore = Infinity;
        for (let i = 0; i < n; i++) {
          const b = backends[(start + i) % n]!;
          if (!accept(b)) continue;
          const s = score(b, load);
          if (s < bestScore) {
            best = b;
            bestScore = s;
          }
        }
        if (best) start = (best.index + 1) % n;
        return best;
      },
    };
  };
}

export const leastConnections = leastLoaded((b, load) => load.active(b));
export const weightedLeastConnections = leastLoaded((b, load) => (load.active(b) + 1) / Math.max(load.effectiveWeight(b), 1e-9));
