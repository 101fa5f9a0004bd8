import { describe, expect, it } from 'vitest';
import { historyRates } from './traffic-rates';

describe('historyRates', () => {
  const point = {
    ts: 60_000,
    requests: 1300,
    responses: 1200,
    responses5xx: 30,
    causes: { no_healthy_backend: 30 },
    upstreamErrors: 6,
    retries: 6,
    activeConnections: 7,
    p50Ms: 2,
    p95Ms: 8,
    p99Ms: 12.5,
    clientSide: true,
  };

  it('turns counters summed over a bucket into per-second rates, from what clients got', () => {
    expect(historyRates([point], 60)).toEqual([{ ts: 60_000, rps: 20, '5xx': 0.5, errorPct: 2.5, upstream: 0.1, retries: 0.1, p50: 2, p95: 8, p99: 12.5, active: 7 }]);
    expect(historyRates([point], 10)[0]).toMatchObject({ rps: 120, '5xx': 3, upstream: 0.6 });
  });

  it('leaves gauges as they are: connections and latency are not summed over time', () => {
    expect(historyRates([point], 60)[0]).toMatchObject({ active: 7, p99: 12.5, errorPct: 2.5 });
  });

  it('reads an interval without responses as 0 % errors, and never above 100 %', () => {
    expect(historyRates([{ ...point, responses: 0, responses5xx: 0 }], 10)[0]!.errorPct).toBe(0);
    expect(historyRates([{ ...point, responses: 10, responses5xx: 11 }], 10)[0]!.errorPct).toBe(100);
  });
});
