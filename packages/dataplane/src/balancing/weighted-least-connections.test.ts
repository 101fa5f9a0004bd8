import { describe, expect, it } from 'vitest';
import { backendsOf, counts, ctx, deps, except, fixedLoad, sequence } from './test-support';
import { weightedLeastConnections } from './weighted-least-connections';

describe('weighted least connections', () => {
  it.each([
    // (active + 1) / weight: a (3+1)/4 = 1, b (1+1)/1 = 2
    [[4, 1], { a: 3, b: 1 }, {}, 'a a a'],
    [[4, 1], { a: 8, b: 1 }, {}, 'b b b'],
    [[1, 3], {}, {}, 'b b b'],
    [[2, 2, 2], {}, {}, 'a b c'],
    // a is ramping up under slow start: effective 0.5, so idle b (1) beats idle a (2).
    [[4, 1], {}, { a: 0.5 }, 'b b b'],
  ])('weights %j, active %j, effective %j give %s', (weights, active, effective, expected) => {
    expect(sequence(weightedLeastConnections(backendsOf(weights), deps({ load: fixedLoad(active, {}, effective) })), 3)).toBe(expected);
  });

  it('passes over refused backends', () => {
    const b = weightedLeastConnections(backendsOf([4, 1, 1]), deps());
    expect(sequence(b, 4, except('a'))).toBe('b c b c');
  });

  it('spreads in proportion to weight when every request stays in flight', () => {
    const active: Record<string, number> = {};
    const b = weightedLeastConnections(backendsOf([3, 1]), deps({ load: fixedLoad(active) }));
    const c = counts(400, () => {
      const x = b.select(ctx(), () => true)!;
      active[x.id] = (active[x.id] ?? 0) + 1;
      return x;
    });
    expect(c).toEqual({ a: 300, b: 100 });
  });

  it('does not divide by zero when the effective weight is 0', () => {
    const b = weightedLeastConnections(backendsOf([1, 1]), deps({ load: fixedLoad({}, {}, { a: 0 }) }));
    expect(sequence(b, 2)).toBe('b b');
    expect(sequence(b, 2, except('b'))).toBe('a a');
  });
});
