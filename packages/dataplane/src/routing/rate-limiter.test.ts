import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the rate, per key', () => {
    let now = 0;
    const rl = new RateLimiter({ requestsPerSecond: 2, burst: 3, key: { source: 'client_ip' } }, () => now);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0]);
    expect(rl.take('a')).toBe(1); // half a second to the next token: Retry-After rounds up to 1
    expect(rl.take('b')).toBe(0);
    now += 500;
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBe(1);
    now += 10_000;
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0, 1]);
  });

  it('says how many seconds until the next token at slow rates', () => {
    let now = 0;
    const rl = new RateLimiter({ requestsPerSecond: 0.1, burst: 1, key: { source: 'route' } }, () => now);
    expect(rl.take('')).toBe(0);
    expect(rl.take('')).toBe(10);
    now += 4000;
    expect(rl.take('')).toBe(6);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const rl = new RateLimiter({ requestsPerSecond: 1, burst: 5, key: { source: 'client_ip' } }, () => 0);
    for (let i = 0; i < 250_000; i++) rl.take(`k${i}`);
    expect(rl.size).toBeLessThanOrEqual(100_000);
  });
});
