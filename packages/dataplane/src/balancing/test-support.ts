import type { BalancerBackend, BalancerDeps, LoadView } from './balancer';

/** A small seeded PRNG (mulberry32), so random algorithms are exact in tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function backendsOf(weights: number[]): BalancerBackend[] {
  return weights.map((weight, index) => ({ id: String.fromCharCode(97 + index), index, weight }));
}

/** Plain data standing in for the proxy's live counters. */
export function fixedLoad(active: Record<string, number> = {}, latency: Record<string, number> = {}): LoadView & { active: (b: BalancerBackend) => number } {
  return {
    active: (b) => active[b.id] ?? 0,
    latencyEwma: (b) => latency[b.id] ?? 0,
    effectiveWeight: (b) => b.weight,
  };
}

export function deps(overrides: Partial<BalancerDeps> = {}): BalancerDeps {
  return { random: seeded(1), now: () => 0, load: fixedLoad(), hashKey: { source: 'client_ip' }, ...overrides };
}

export const ctx = (key = '10.0.0.1') => ({ clientIp: key, hashKey: key });
export const all = () => true;
