import { emptyClientStats } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import type { PoolSecond } from '../stats/stats-store';
import { type DecideInput, decide, metricValue } from './scaling-metric';

const rule = { scaleUpThreshold: 10, scaleDownThreshold: 2, windowMs: 5000, minInstances: 1, maxInstances: 3, step: 1, cooldownMs: 10_000 };
const base: DecideInput = { value: 20, now: 100_000, current: 1, breach: null, lastActionAt: null, rule };

function second(ts: number, b: Record<string, { requests: number; fail?: number; active?: number; p95?: number }>): PoolSecond {
  const backends: PoolSecond['backends'] = {};
  for (const [id, v] of Object.entries(b)) {
    backends[id] = {
      ts,
      dataplanes: 1,
      requests: v.requests,
      responses: { '1xx': 0, '2xx': v.requests - (v.fail ?? 0), '3xx': 0, '4xx': 0, '5xx': v.fail ?? 0 },
      errors: { connect: 0, timeout: 0, reset: 0 },
      activeConnections: v.active ?? 0,
      bytesIn: 0,
      bytesOut: 0,
      latencyMs: { p50: 0, p95: v.p95 ?? 0, p99: 0 },
      health: 'healthy',
      ejected: false,
    };
  }
  return { ts, backends };
}

describe('scaling metric and decision', () => {
  it('computes each metric per backend in service', () => {
    const s = [
      second(0, { a: { requests: 30, fail: 3, active: 4, p95: 80 }, b: { requests: 10, active: 2, p95: 20 }, gone: { requests: 99 } }),
      second(1000, { a: { requests: 20, active: 6, p95: 40 }, b: { requests: 0 } }),
    ];
    expect(metricValue('rps_per_backend', s, ['a', 'b'])).toBe(15);
    expect(metricValue('active_connections_per_backend', s, ['a', 'b'])).toBe(3);
    expect(metricValue('p95_latency_ms', s, ['a', 'b'])).toBe(60);
    expect(metricValue('error_rate', s, ['a', 'b'])).toBeCloseTo(3 / 60);
    expect(metricValue('rps_per_backend', [], ['a'])).toBeNull();
  });

  it('reads the error rate from what clients got when the data planes report it: retried upstream failures are not errors', () => {
    const s = [second(0, { a: { requests: 30, fail: 3 }, b: { requests: 10 } }), second(1000, { a: { requests: 20 } })];
    for (const [i, x] of s.entries()) {
      x.client = emptyClientStats();
      x.client.responses['2xx'] = i === 0 ? 39 : 20;
      x.client.responses['5xx'] = i === 0 ? 1 : 0;
    }
    expect(metricValue('error_rate', s, ['a', 'b'])).toBeCloseTo(1 / 60);
  });

  it('acts only after the breach is held for the window, then respects the cooldown', () => {
    const first = decide(base);
    expect(first.decision.action).toBe('hold');
    expect(first.breach).toEqual({ direction: 'up', since: 100_000 });
    const later = decide({ ...base, now: 105_000, breach: first.breach });
    expect(later.decision).toMatchObject({ action: 'up', to: 2 });
    expect(decide({ ...base, now: 105_000, breach: first.breach, lastActionAt: 99_000 }).decision.reason).toBe('cooling down');
    expect(decide({ ...base, value: 5, now: 105_000, breach: first.breach }).breach).toBeNull();
  });

  it('never goes beyond min or max, and restores them first', () => {
    const held = { direction: 'up' as const, since: 0 };
    expect(decide({ ...base, current: 3, breach: held }).decision).toMatchObject({ action: 'hold', reason: 'at the maximum of 3' });
    expect(decide({ ...base, value: 0, current: 1, breach: { direction: 'down', since: 0 } }).decision).toMatchObject({ action: 'hold', reason: 'at the minimum of 1' });
    expect(decide({ ...base, value: null, current: 0 }).decision).toMatchObject({ action: 'up', to: 1 });
    expect(decide({ ...base, current: 5 }).decision).toMatchObject({ action: 'down', to: 3 });
    expect(decide({ ...base, current: 1, breach: held, rule: { ...rule, step: 5 } }).decision).toMatchObject({ action: 'up', to: 3 });
  });
});
