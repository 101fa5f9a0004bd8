import { describe, expect, it } from 'vitest';
import { weightedRandom } from './random';
import { backendsOf, ctx, deps, except, fixedLoad, seeded, shares } from './test-support';

const N = 10_000;

describe('random (weight-proportional, as HAProxy)', () => {
  it.each([
    [[1, 1, 1, 1], {}, [0.25, 0.25, 0.25, 0.25]],
    [[3, 1], {}, [0.75, 0.25]],
    [[5, 1, 1], {}, [5 / 7, 1 / 7, 1 / 7]],
    // b ramping in under slow start counts at its effective weight
    [[1, 1], { b: 0.25 }, [0.8, 0.2]],
  ])('weights %j (effective %j) give shares near %j', (weights, effective, expected) => {
    const b = weightedRandom(backendsOf(weights), deps({ random: seeded(42), load: fixedLoad({}, {}, effective) }));
    const s = shares(N, () => b.select(ctx(), () => true));
    expected.forEach((share, i) => expect(Math.abs(s[String.fromCharCode(97 + i)]! - share)).toBeLessThan(0.02));
  });

  it('redraws among those that accept, keeping their proportions', () => {
    const b = weightedRandom(backendsOf([4, 3, 1]), deps({ random: seeded(9) }));
    const s = shares(N, () => b.select(ctx(), except('a')));
    expect(s.a).toBeUndefined();
    expect(Math.abs(s.b! - 0.75)).toBeLessThan(0.02);
  });

  it('asks accept once when the first draw is accepted', () => {
    const b = weightedRandom(backendsOf([1, 1, 1]), deps());
    let calls = 0;
    b.select(ctx(), () => ++calls > 0);
    expect(calls).toBe(1);
  });
});
