import { describe, expect, it } from 'vitest';
import { powerOfTwoChoices } from './power-of-two-choices';
import { backendsOf, ctx, deps, except, fixedLoad, only, seeded, shares } from './test-support';

const N = 10_000;

describe('power of two choices', () => {
  it.each([
    // Each of the 6 pairs is equally likely; the lighter of the pair wins.
    [[1, 1, 1, 1], { a: 0, b: 5, c: 10, d: 15 }, { a: 3 / 6, b: 2 / 6, c: 1 / 6 }],
    [[1, 1, 1], {}, { a: 1 / 3, b: 1 / 3, c: 1 / 3 }],
    // Weighted: a (4+1)/4 beats b (1+1)/1 and c; b and c tie, and the first drawn goes first.
    [[4, 1, 1], { a: 4, b: 1, c: 1 }, { a: 2 / 3, b: 1 / 6, c: 1 / 6 }],
  ])('weights %j with active %j give shares near %j', (weights, active, expected) => {
    const b = powerOfTwoChoices(backendsOf(weights), deps({ random: seeded(7), load: fixedLoad(active) }));
    const s = shares(N, () => b.select(ctx(), () => true));
    expect(Object.keys(s).sort()).toEqual(Object.keys(expected).sort());
    for (const [id, share] of Object.entries(expected)) expect(Math.abs(s[id]! - share)).toBeLessThan(0.02);
  });

  it('takes the other draw when the preferred one is refused', () => {
    const b = powerOfTwoChoices(backendsOf([1, 1]), deps({ load: fixedLoad({ a: 0, b: 9 }) }));
    for (let i = 0; i < 20; i++) expect(b.select(ctx(), except('a'))?.id).toBe('b');
  });

  // random 0 always draws a and b, so both draws are refused here.
  it('falls back to the least loaded of those that accept when both draws are refused', () => {
    const b = powerOfTwoChoices(backendsOf(Array(8).fill(1)), deps({ random: () => 0, load: fixedLoad({ g: 5, h: 2 }) }));
    for (let i = 0; i < 100; i++) expect(b.select(ctx(), only('g', 'h'))?.id).toBe('h');
  });

  it('with one backend, uses it without drawing a second', () => {
    const b = powerOfTwoChoices(backendsOf([1]), deps());
    expect(b.select(ctx(), () => true)?.id).toBe('a');
  });
});
