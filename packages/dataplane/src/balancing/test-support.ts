import type { Balancer, BalancerBackend, BalancerDeps, LoadView, SelectionContext } from './balancer';

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

/** Backends named a, b, c… with the given weights. */
export function backendsOf(weights: readonly number[]): BalancerBackend[] {
  return weights.map((weight, index) => ({ id: String.fromCharCode(97 + index), index, weight }));
}

/** Plain data standing in for the proxy's live counters; effective weight is the configured one unless given. */
export function fixedLoad(active: Record<string, number> = {}, latency: Record<string, number> = {}, effective: Record<string, number> = {}): LoadView {
  return {
    active: (b) => active[b.id] ?? 0,
    latencyEwma: (b) => latency[b.id] ?? 0,
    effectiveWeight: (b) => effective[b.id] ?? b.weight,
  };
}

export function deps(overrides: Partial<BalancerDeps> = {}): BalancerDeps {
  return { random: seeded(1), now: () => 0, load: fixedLoad(), hashKey: { source: 'client_ip' }, ...overrides };
}

export const ctx = (key = '10.0.0.1', clientIp = key): SelectionContext => ({ clientIp, hashKey: key });
export const all = () => true;
export const except =
  (...ids: string[]) =>
  (b: BalancerBackend) =>
    !ids.includes(b.id);
export const only =
  (...ids: string[]) =>
  (b: BalancerBackend) =>
    ids.includes(b.id);

/** Ids of `picks` selections joined by spaces, '-' for none: the form the sequence tables use. */
export function sequence(balancer: Balancer, picks: number, accept: (b: BalancerBackend) => boolean = all, context = ctx()): string {
  return Array.from({ length: picks }, () => balancer.select(context, accept)?.id ?? '-').join(' ');
}

/** How often each id was chosen over n selections ('-' for none). */
export function counts(n: number, select: (i: number) => BalancerBackend | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = select(i)?.id ?? '-';
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

/** Each id's share of n selections, for tolerance checks. */
export function shares(n: number, select: (i: number) => BalancerBackend | undefined): Record<string, number> {
  const c = counts(n, select);
  return Object.fromEntries(Object.entries(c).map(([id, k]) => [id, k / n]));
}
