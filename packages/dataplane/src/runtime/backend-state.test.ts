import { describe, expect, it } from 'vitest';
import { BackendState } from './backend-state';

describe('BackendState response-time average', () => {
  it('takes the first sample as is, then weighs the newest by the pool alpha (the guide: avg = 0.8·sample + 0.2·avg)', () => {
    const s = new BackendState('b');
    s.recordLatency(100, 0.8);
    expect(s.ewmaMs).toBe(100);
    s.recordLatency(200, 0.8);
    expect(s.ewmaMs).toBeCloseTo(180, 10);
    s.recordLatency(50, 0.8);
    expect(s.ewmaMs).toBeCloseTo(76, 10);
  });

  it('with alpha 1 keeps only the last sample; a small alpha moves slowly', () => {
    const last = new BackendState('a');
    const slow = new BackendState('b');
    for (const ms of [10, 500, 20]) {
      last.recordLatency(ms, 1);
      slow.recordLatency(ms, 0.1);
    }
    expect(last.ewmaMs).toBe(20);
    expect(slow.ewmaMs).toBeCloseTo(0.9 * (10 + 0.1 * 490) + 0.1 * 20, 10);
  });
});
