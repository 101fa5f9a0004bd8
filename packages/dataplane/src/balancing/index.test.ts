import { ALGORITHMS } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import type { BalancerBackend } from './balancer';
import { balancerFactory, createBalancer } from './index';
import { backendsOf, ctx, deps, seeded } from './test-support';

describe('every algorithm', () => {
  it.each(ALGORITHMS)('%s has a factory', (algorithm) => {
    expect(typeof balancerFactory(algorithm)).toBe('function');
  });

  it.each(ALGORITHMS)('%s: an empty pool gives undefined without asking accept', (algorithm) => {
    let calls = 0;
    expect(createBalancer(algorithm, [], deps()).select(ctx(), () => ++calls > 0)).toBeUndefined();
    expect(calls).toBe(0);
  });

  it.each(ALGORITHMS)('%s: all refused gives undefined after asking accept at most 2N + 2 times', (algorithm) => {
    for (const n of [1, 3, 10, 30]) {
      const b = createBalancer(algorithm, backendsOf(Array.from({ length: n }, (_, i) => 1 + (i % 3))), deps());
      for (let i = 0; i < 20; i++) {
        let calls = 0;
        expect(b.select(ctx(`k${i}`), () => ++calls < 0)).toBeUndefined();
        expect(calls).toBeGreaterThanOrEqual(n);
        expect(calls).toBeLessThanOrEqual(2 * n + 2);
      }
    }
  });

  it.each(ALGORITHMS)('%s: never chooses a refused backend, and finds any that accepts', (algorithm) => {
    const backends = backendsOf([1, 2, 3, 1, 2, 3, 1]);
    const random = seeded(11);
    const b = createBalancer(algorithm, backends, deps());
    for (let i = 0; i < 500; i++) {
      const allowed = new Set(backends.filter(() => random() < 0.3).map((x) => x.id));
      const accept = (x: BalancerBackend) => allowed.has(x.id);
      const chosen = b.select(ctx(`10.0.${i >> 8}.${i & 255}`), accept);
      if (allowed.size === 0) expect(chosen).toBeUndefined();
      else expect(allowed.has(chosen!.id)).toBe(true);
    }
  });

  it.each(ALGORITHMS)('%s: with every backend accepting, each one gets traffic from varied requests', (algorithm) => {
    const b = createBalancer(algorithm, backendsOf([1, 1, 1]), deps());
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(b.select(ctx(`key-${i}`), () => true)!.id);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });
});
