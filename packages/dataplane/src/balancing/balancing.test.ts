import { ALGORITHMS } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { consistentHash } from './consistent-hash';
import { createBalancer } from './index';
import { ipHash } from './ip-hash';
import { leastConnections, weightedLeastConnections } from './least-connections';
import { leastResponseTime } from './least-response-time';
import { powerOfTwoChoices } from './power-of-two-choices';
import { weightedRandom } from './random';
import { roundRobin } from './round-robin';
import { smoothWeightedRoundRobin } from './smooth-weighted-round-robin';
import { all, backendsOf, ctx, deps, fixedLoad, seeded } from './test-support';

const sequence = (picks: number, select: () => { id: string } | undefined) => Array.from({ length: picks }, () => select()?.id ?? '-').join(' ');

function counts(n: number, select: () => { id: string } | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = select()?.id ?? '-';
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

describe('round robin', () => {
  it.each([
    [[1, 1, 1], 'a b c a b c'],
    [[5, 1, 1], 'a b c a b c'],
  ])('weights %j give %s', (weights, expected) => {
    const b = roundRobin(backendsOf(weights), deps());
    expect(sequence(6, () => b.select(ctx(), all))).toBe(expected);
  });

  it('passes over refused backends and keeps the rotation', () => {
    const b = roundRobin(backendsOf([1, 1, 1]), deps());
    expect(sequence(4, () => b.select(ctx(), (x) => x.id !== 'b'))).toBe('a c a c');
  });
});

describe('smooth weighted round robin', () => {
  it.each([
    [[5, 1, 1], 'a a b a c a a'],
    [[1, 1, 1], 'a b c a b c a'],
    [[3, 1], 'a a b a a a b'],
  ])('weights %j give %s', (weights, expected) => {
    const b = smoothWeightedRoundRobin(backendsOf(weights), deps());
    expect(sequence(7, () => b.select(ctx(), all))).toBe(expected);
  });

  it('follows effective weight (slow start) and skips refused backends', () => {
    const backends = backendsOf([1, 1]);
    const load = { ...fixedLoad(), effectiveWeight: (x: { id: string; weight: number }) => (x.id === 'b' ? 0.25 : 1) };
    const b = smoothWeightedRoundRobin(backends, deps({ load }));
    expect(counts(1000, () => b.select(ctx(), all))).toEqual({ a: 800, b: 200 });
    expect(sequence(3, () => b.select(ctx(), (x) => x.id === 'b'))).toBe('b b b');
  });
});

describe('least connections', () => {
  it('picks the backend with the fewest in flight, rotating ties', () => {
    const b = leastConnections(backendsOf([1, 1, 1]), deps({ load: fixedLoad({ a: 3, b: 1, c: 1 }) }));
    expect(sequence(4, () => b.select(ctx(), all))).toBe('b c b c');
  });

  it('weighted: in flight relative to weight', () => {
    const b = weightedLeastConnections(backendsOf([4, 1]), deps({ load: fixedLoad({ a: 3, b: 1 }) }));
    // a: (3+1)/4 = 1, b: (1+1)/1 = 2
    expect(b.select(ctx(), all)?.id).toBe('a');
  });
});

describe('ip hash', () => {
  it('sends a client to the same backend every time and spreads clients', () => {
    const b = ipHash(backendsOf([1, 1, 1]), deps());
    const first = b.select(ctx('192.0.2.10'), all)?.id;
    for (let i = 0; i < 20; i++) expect(b.select(ctx('192.0.2.10'), all)?.id).toBe(first);
    const spread = counts(3000, (() => {
      let i = 0;
      return () => b.select(ctx(`10.${(i >> 8) & 255}.${i++ & 255}.7`), all);
    })());
    for (const id of ['a', 'b', 'c']) expect(spread[id]).toBeGreaterThan(800);
  });

  it('moves a client on when its backend is refused', () => {
    const b = ipHash(backendsOf([1, 1, 1]), deps());
    const home = b.select(ctx('192.0.2.10'), all)!.id;
    const other = b.select(ctx('192.0.2.10'), (x) => x.id !== home);
    expect(other?.id).not.toBe(home);
    expect(other).toBeDefined();
  });
});

describe('least response time', () => {
  it('prefers the lowest EWMA, unknown first, ties by fewer in flight', () => {
    expect(leastResponseTime(backendsOf([1, 1, 1]), deps({ load: fixedLoad({}, { a: 20, b: 5, c: 9 }) })).select(ctx(), all)?.id).toBe('b');
    expect(leastResponseTime(backendsOf([1, 1]), deps({ load: fixedLoad({}, { a: 20 }) })).select(ctx(), all)?.id).toBe('b');
    expect(leastResponseTime(backendsOf([1, 1]), deps({ load: fixedLoad({ a: 4, b: 1 }, { a: 5, b: 5 }) })).select(ctx(), all)?.id).toBe('b');
  });
});

describe('consistent hashing', () => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

  it('maps a key to the same backend every time', () => {
    const b = consistentHash(backendsOf([1, 1, 1, 1]), deps());
    for (const k of keys.slice(0, 50)) expect(b.select(ctx(k), all)?.id).toBe(b.select(ctx(k), all)?.id);
  });

  it.each([3, 5, 9])('adding one backend to %i moves about 1/(N+1) of the keys', (n) => {
    const before = consistentHash(backendsOf(Array(n).fill(1)), deps());
    const after = consistentHash(backendsOf(Array(n + 1).fill(1)), deps());
    let moved = 0;
    for (const k of keys) if (before.select(ctx(k), all)?.id !== after.select(ctx(k), all)?.id) moved++;
    const share = moved / keys.length;
    const ideal = 1 / (n + 1);
    expect(share).toBeGreaterThan(ideal * 0.5);
    expect(share).toBeLessThan(ideal * 1.6);
  });

  it('walks on to the next backend when one is refused', () => {
    const b = consistentHash(backendsOf([1, 1, 1]), deps());
    const home = b.select(ctx('k'), all)!.id;
    expect(b.select(ctx('k'), (x) => x.id !== home)?.id).not.toBe(home);
    expect(b.select(ctx('k'), () => false)).toBeUndefined();
  });
});

describe('power of two choices', () => {
  it('never picks the more loaded of its two draws, and spreads over all', () => {
    const load = fixedLoad({ a: 10, b: 0, c: 0 });
    const b = powerOfTwoChoices(backendsOf([1, 1, 1]), deps({ random: seeded(7), load }));
    const c = counts(3000, () => b.select(ctx(), all));
    expect(c.a ?? 0).toBe(0);
    expect(c.b).toBeGreaterThan(1000);
    expect(c.c).toBeGreaterThan(1000);
  });
});

describe('random', () => {
  it('draws in proportion to weight', () => {
    const b = weightedRandom(backendsOf([3, 1]), deps({ random: seeded(42) }));
    const c = counts(10_000, () => b.select(ctx(), all));
    expect(c.a! / 10_000).toBeGreaterThan(0.72);
    expect(c.a! / 10_000).toBeLessThan(0.78);
  });
});

describe('every algorithm', () => {
  it.each(ALGORITHMS)('%s: empty or all refused gives undefined, and refused ones are never chosen', (algorithm) => {
    expect(createBalancer(algorithm, [], deps()).select(ctx(), all)).toBeUndefined();
    const b = createBalancer(algorithm, backendsOf([1, 2, 3]), deps());
    expect(b.select(ctx(), () => false)).toBeUndefined();
    for (let i = 0; i < 100; i++) expect(b.select(ctx(`k${i}`), (x) => x.id === 'c')?.id).toBe('c');
  });
});
