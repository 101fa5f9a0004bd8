import { describe, expect, it } from 'vitest';
import { roundRobin } from './round-robin';
import { backendsOf, ctx, deps, except, sequence } from './test-support';

describe('round robin', () => {
  it.each([
    [[1, 1, 1], 'a b c a b c a'],
    [[5, 1, 1], 'a b c a b c a'],
    [[2], 'a a a a a a a'],
  ])('weights %j give %s (weights ignored)', (weights, expected) => {
    expect(sequence(roundRobin(backendsOf(weights), deps()), 7)).toBe(expected);
  });

  it.each([
    [['b'], 'a c a c'],
    [['a'], 'b c b c'],
    [['a', 'b'], 'c c c c'],
  ])('refusing %j passes over them in order: %s', (refused, expected) => {
    expect(sequence(roundRobin(backendsOf([1, 1, 1]), deps()), 4, except(...refused))).toBe(expected);
  });

  it('shares one counter across calls, moving past whichever backend was chosen', () => {
    const b = roundRobin(backendsOf([1, 1, 1, 1]), deps());
    const refusedPerCall = [[], ['b'], [], [], ['a', 'b'], []];
    expect(refusedPerCall.map((r) => b.select(ctx(), except(...r))?.id).join(' ')).toBe('a c d a c d');
  });
});
