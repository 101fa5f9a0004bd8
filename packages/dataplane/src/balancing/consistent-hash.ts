import type { BalancerBackend, BalancerFactory } from './balancer';
import { fnv1a } from './hash';

const POINTS_PER_WEIGHT = 160;
const MAX_POINTS_PER_BACKEND = 2000;

/**
 * A hash ring with virtual nodes (160 per unit of weight, capped). A key maps to the first
 * point clockwise; adding one backend to N moves about 1/(N+1) of the keys. A refused backend
 * sends the key on clockwise to the next distinct one.
 */
export const consistentHash: BalancerFactory = (backends) => {
  const points: { hash: number; backend: BalancerBackend }[] = [];
  for (const b of backends) {
    const count = Math.min(MAX_POINTS_PER_BACKEND, POINTS_PER_WEIGHT * b.weight);
    for (let v = 0; v < count; v++) points.push({ hash: fnv1a(`${b.id}#${v}`), backend: b });
  }
  points.sort((a, b) => a.hash - b.hash);
  const hashes = Uint32Array.from(points, (p) => p.hash);

  const firstAtOrAfter = (h: number) => {
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === hashes.length ? 0 : lo;
  };

  return {
    select(ctx, accept) {
      if (points.length === 0) return undefined;
      const start = firstAtOrAfter(fnv1a(ctx.hashKey));
      let refused: Set<BalancerBackend> | undefined;
      for (let i = 0; i < points.length; i++) {
        const b = points[(start + i) % points.length]!.backend;
        if (refused?.has(b)) continue;
        if (accept(b)) return b;
        (refused ??= new Set()).add(b);
        if (refused.size === backends.length) return undefined;
      }
      return undefined;
    },
  };
};
