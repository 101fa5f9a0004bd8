import { describe, expect, it } from 'vitest';
import { smoothWeightedRoundRobin } from './smooth-weighted-round-robin';
import { backendsOf, counts, ctx, deps, except, fixedLoad, only, sequence } from './test-support';

describe('smooth weighted round robin', () => {
  it.each([
    [[5, 1, 1], 'a a b a c a a a a b a c a a'],
    [[1, 1, 1], 'a b c a b c a b c a b c a b'],
    [[3, 1], 'a a b a a a b a a a b a a a'],
    [[2, 1], 'a b a a b a a b a a b a a b'],
    [[1, 2], 'b a b b a b b a b b a b b a'],
  ])('weights %j give %s', (weights, expected) => {
    expect(sequence(smoothWeightedRoundRobin(backendsOf(weights), deps()), 14)).toBe(expected);
  });

  it('a backend refused throughout leaves the others in their own smooth sequence', () => {
    const withC = smoothWeightedRoundRobin(backendsOf([5, 1, 1]), deps());
    const withoutC = smoothWeightedRoundRobin(backendsOf([5, 1]), deps());
    expect(sequence(withC, 24, except('c'))).toBe(sequence(withoutC, 24));
  });

  it('a backend refused once is passed over for that request only, and the shares still hold', () => {
    const b = smoothWeightedRoundRobin(backendsOf([5, 1, 1]), deps());
    // The third pick would be b; refused, it goes to the best current weight among the rest (c),
    // while b keeps what it had accumulated and is not skipped for good.
    const refusedPerCall = [[], [], ['b'], []];
    expect(refusedPerCall.map((r) => b.select(ctx(), except(...r))?.id).join(' ')).toBe('a a c a');
    const c = counts(700, () => b.select(ctx(), except()));
    expect(c.a! + c.b! + c.c!).toBe(700);
    expect(Math.abs(c.a! - 500)).toBeLessThanOrEqual(2);
  });

  it('follows the effective weight, so slow start ramps a backend in', () => {
    const b = smoothWeightedRoundRobin(backendsOf([1, 1]), deps({ load: fixedLoad({}, {}, { b: 0.25 }) }));
    expect(counts(1000, () => b.select(ctx(), except()))).toEqual({ a: 800, b: 200 });
  });

  it('keeps choosing the only backend allowed', () => {
    const b = smoothWeightedRoundRobin(backendsOf([5, 1, 1]), deps());
    expect(sequence(b, 3, only('b'))).toBe('b b b');
  });
});
