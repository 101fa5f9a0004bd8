import { describe, expect, it } from 'vitest';
import type { BalancerBackend } from './balancer';
import { consistentHash } from './consistent-hash';
import { backendsOf, ctx, deps, except, shares } from './test-support';

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const ring = (backends: BalancerBackend[]) => consistentHash(backends, deps());
const named = (ids: string[]) => ids.map((id, index) => ({ id, index, weight: 1 }));

describe('consistent hashing', () => {
  it('maps a key to the same backend every time, and in a ring built again', () => {
    const b1 = ring(backendsOf([1, 1, 1, 1]));
    const b2 = ring(backendsOf([1, 1, 1, 1]));
    for (const k of keys.slice(0, 200)) {
      const id = b1.select(ctx(k), () => true)?.id;
      expect(b1.select(ctx(k), () => true)?.id).toBe(id);
      expect(b2.select(ctx(k), () => true)?.id).toBe(id);
    }
  });

  it.each([1, 3, 5, 9, 20])('adding one backend to %i moves about 1/(N+1) of 10,000 keys, all to the new one', (n) => {
    const ids = Array.from({ length: n + 1 }, (_, i) => `backend-${i}`);
    const before = ring(named(ids.slice(0, n)));
    const after = ring(named(ids));
    let moved = 0;
    for (const k of keys) {
      const was = before.select(ctx(k), () => true)!.id;
      const is = after.select(ctx(k), () => true)!.id;
      if (was !== is) {
        moved++;
        expect(is).toBe(ids[n]);
      }
    }
    const ideal = 1 / (n + 1);
    expect(moved / keys.length).toBeGreaterThan(ideal * 0.5);
    expect(moved / keys.length).toBeLessThan(ideal * 1.6);
  });

  it.each([
    [
      [1, 1, 1],
      [1 / 3, 1 / 3, 1 / 3],
    ],
    [
      [1, 3],
      [0.25, 0.75],
    ],
    // Past the ring's point budget the shares scale down together, so big weights stay proportional.
    [
      [1000, 500, 500],
      [0.5, 0.25, 0.25],
    ],
  ])('weights %j give shares near %j', (weights, expected) => {
    const b = ring(backendsOf(weights));
    const s = shares(keys.length, (i) => b.select(ctx(keys[i]), () => true));
    expected.forEach((share, i) => expect(Math.abs(s[String.fromCharCode(97 + i)]! - share)).toBeLessThan(0.06));
  });

  it('sends a refused key clockwise to the next distinct backend: where it would go without that backend', () => {
    const withAll = ring(backendsOf([1, 1, 1, 1]));
    const withoutB = ring(backendsOf([1, 1, 1, 1]).filter((x) => x.id !== 'b'));
    for (const k of keys.slice(0, 2000)) expect(withAll.select(ctx(k), except('b'))?.id).toBe(withoutB.select(ctx(k), () => true)?.id);
  });

  it('walks past several refused backends and gives up only when all refuse', () => {
    const b = ring(backendsOf([1, 1, 1, 1, 1]));
    for (const k of keys.slice(0, 100)) expect(b.select(ctx(k), (x) => x.id === 'e')?.id).toBe('e');
    let calls = 0;
    expect(
      b.select(ctx('k'), () => {
        calls++;
        return false;
      }),
    ).toBeUndefined();
    expect(calls).toBe(5);
  });

  it('uses the client IP when the hash key is empty (header or cookie missing)', () => {
    const b = ring(backendsOf([1, 1, 1, 1]));
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect(b.select(ctx('', ip), () => true)?.id).toBe(b.select(ctx(ip, 'x'), () => true)?.id);
  });
});
