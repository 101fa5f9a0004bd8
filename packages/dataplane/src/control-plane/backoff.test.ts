import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to the cap, and jitters below it', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, 500, 30_000, top)).toBeCloseTo(500, 0);
    expect(backoffDelay(3, 500, 30_000, top)).toBeCloseTo(4000, 0);
    expect(backoffDelay(10, 500, 30_000, top)).toBeCloseTo(30_000, 0);
    expect(backoffDelay(10_000, 500, 30_000, top)).toBeCloseTo(30_000, 0);
    expect(backoffDelay(5, 500, 30_000, () => 0.5)).toBe(8000);
    expect(backoffDelay(5, 500, 30_000, () => 0)).toBe(0);
  });
});
