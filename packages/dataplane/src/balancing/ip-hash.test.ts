import { describe, expect, it } from 'vitest';
import { ipHash } from './ip-hash';
import { backendsOf, counts, ctx, deps, except } from './test-support';

const clientIp = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('ip hash', () => {
  it.each(['192.0.2.10', '2001:db8::1', '::ffff:10.1.2.3'])('sends %s to the same backend every time', (ip) => {
    const b = ipHash(backendsOf([1, 1, 1]), deps());
    const home = b.select(ctx('ignored', ip), () => true)?.id;
    expect(home).toBeDefined();
    for (let i = 0; i < 20; i++) expect(b.select(ctx('other key', ip), () => true)?.id).toBe(home);
  });

  it.each([2, 3, 5])('spreads 10,000 clients evenly over %i backends', (n) => {
    const b = ipHash(backendsOf(Array(n).fill(1)), deps());
    const c = counts(10_000, (i) => b.select(ctx('', clientIp(i)), () => true));
    for (const id of Object.keys(c)) expect(Math.abs(c[id]! / 10_000 - 1 / n)).toBeLessThan(0.03);
    expect(Object.keys(c)).toHaveLength(n);
  });

  it('hashes the whole address, so clients of one /24 do not all land together', () => {
    const b = ipHash(backendsOf([1, 1, 1, 1]), deps());
    const c = counts(256, (i) => b.select(ctx('', `198.51.100.${i}`), () => true));
    expect(Object.keys(c)).toHaveLength(4);
  });

  it("spreads a refused backend's clients over the others, and leaves everyone else where they were", () => {
    const b = ipHash(backendsOf([1, 1, 1, 1]), deps());
    const moved: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const home = b.select(ctx('', clientIp(i)), () => true)!.id;
      const now = b.select(ctx('', clientIp(i)), except('a'))!.id;
      if (home === 'a') moved[now] = (moved[now] ?? 0) + 1;
      else expect(now).toBe(home);
    }
    expect(moved.a).toBeUndefined();
    for (const id of ['b', 'c', 'd']) expect(moved[id]).toBeGreaterThan(200);
  });

  it('finds the one backend that accepts, even past the rehash limit', () => {
    const b = ipHash(backendsOf(Array(40).fill(1)), deps());
    for (let i = 0; i < 50; i++) expect(b.select(ctx('', clientIp(i)), (x) => x.id === backendsOf(Array(40).fill(1))[37]!.id)?.index).toBe(37);
  });
});
