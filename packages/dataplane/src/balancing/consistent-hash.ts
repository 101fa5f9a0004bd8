import type { BalancerBackend, BalancerFactory } from './balancer';
import { hash32 } from './hash';

const POINTS_PER_WEIGHT = 160;
// Bounds the ring's memory and build time; past it, every backend's share of points shrinks alike.
const MAX_RING_POINTS = 65_536;
// Sort keys pack hash * 2^20 + position into one exact double (2^52 < 2^53).
const POSITION_BITS = 2 ** 20;

/** Sorted ring points as two parallel typed arrays: hash and the owning backend's position. */
function buildRing(backends: readonly BalancerBackend[]): { hashes: Uint32Array; owners: Uint32Array } {
  let totalWeight = 0;
  for (const b of backends) totalWeight += b.weight;
  const perWeight = Math.min(POINTS_PER_WEIGHT, MAX_RING_POINTS / Math.max(totalWeight, 1));
  const counts = backends.map((b) => Math.max(1, Math.round(b.weight * perWeight)));
  const keys = new Float64Array(counts.reduce((a, c) => a + c, 0));
  let k = 0;
  backends.forEach((b, pos) => {
    for (let v = 0; v < counts[pos]!; v++) keys[k++] = hash32(`${b.id}#${v}`) * POSITION_BITS + pos;
  });
  keys.sort();
  const hashes = new Uint32Array(keys.length);
  const owners = new Uint32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const pos = keys[i]! % POSITION_BITS;
    owners[i] = pos;
    hashes[i] = (keys[i]! - pos) / POSITION_BITS;
  }
  return { hashes, owners };
}

/**
 * A hash ring with virtual nodes (160 per unit of weight, scaled down past 65,536 points in all),
 * keyed by the pool's hash key (the client IP when the key is empty). A key goes to the first
 * point clockwise of its hash, found by binary search; adding one backend to N moves about
 * 1/(N+1) of the keys. A refused backend sends the key on clockwise to the next distinct one.
 */
export const consistentHash: BalancerFactory = (backends) => {
  if (backends.length >= POSITION_BITS) throw new Error(`consistent hash supports at most ${POSITION_BITS - 1} backends`);
  const { hashes, owners } = buildRing(backends);
  const size = hashes.length;
  // Per-select marks of refused backends without allocating: a backend is refused this call when its stamp is current.
  const refusedAt = new Uint32Array(backends.length);
  let stamp = 0;

  const firstAtOrAfter = (h: number) => {
    let lo = 0;
    let hi = size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === size ? 0 : lo;
  };

  return {
    select(ctx, accept) {
      if (size === 0) return undefined;
      const start = firstAtOrAfter(hash32(ctx.hashKey || ctx.clientIp));
      const home = backends[owners[start]!]!;
      if (accept(home)) return home;
      if (++stamp === 0xffffffff) {
        refusedAt.fill(0);
        stamp = 1;
      }
      refusedAt[owners[start]!] = stamp;
      let refused = 1;
      for (let i = 1; i < size && refused < backends.length; i++) {
        const pos = owners[(start + i) % size]!;
        if (refusedAt[pos] === stamp) continue;
        const b = backends[pos]!;
        if (accept(b)) return b;
        refusedAt[pos] = stamp;
        refused++;
      }
      return undefined;
    },
  };
};
