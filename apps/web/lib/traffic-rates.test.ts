import { describe, expect, it } from 'vitest';
import { historyRates } from './traffic-rates';

describe('historyRates', () => {
  const point = { ts: 60_000, requests: 1200, responses5xx: 30, errors: 6, activeConnections: 7, p99Ms: 12.5 };

  it('turns counters summed over a bucket into per-second rates', () => {
    expect(historyRates([point], 60)).toEqual([{ ts: 60_000, rps: 20, '5xx': 0.5, connection: 0.1, p99: 12.5, active: 7 }]);
    expect(historyRates([point], 10)[0]).toMatchObject({ rps: 120, '5xx': 3, connection: 0.6 });
  });

  it('leaves gauges as they are: connections and latency are not summed over time', () => {
    expect(historyRates([point], 60)[0]).toMatchObject({ active: 7, p99: 12.5 });
  });
});
