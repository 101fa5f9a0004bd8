import { describe, expect, it } from 'vitest';
import { fmix32, hash32 } from './hash';

describe('hash32', () => {
  it('is a deterministic unsigned 32-bit value', () => {
    for (const k of ['', 'a', 'user-1', '2001:db8::1', 'é✓']) {
      const h = hash32(k);
      expect(h).toBe(hash32(k));
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
    expect(hash32('user-1')).not.toBe(hash32('user-2'));
    expect(fmix32(0)).toBe(0);
  });

  it('spreads sequential keys evenly over 16 buckets', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) buckets[hash32(`10.0.${i >> 8}.${i & 255}`) >>> 28]!++;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
