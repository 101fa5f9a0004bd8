import { describe, expect, it } from 'vitest';
import { type TBackendStats, emptyBackendStats, failureRate, sumPoolTraffic } from './index';

const backend = (over: Partial<Omit<TBackendStats, 'backendId'>> = {}): Omit<TBackendStats, 'backendId'> => ({ ...emptyBackendStats(), health: 'healthy', ...over });

describe('sumPoolTraffic', () => {
  it('adds counters and connections, keeps the worst p99 and counts backends in service', () => {
    const t = sumPoolTraffic([
      backend({ requests: 10, responses: { '1xx': 0, '2xx': 8, '3xx': 0, '4xx': 0, '5xx': 2 }, activeConnections: 3, latencyMs: { p50: 1, p95: 5, p99: 9 } }),
      backend({ requests: 5, errors: { connect: 1, timeout: 2, reset: 3 }, activeConnections: 1, latencyMs: { p50: 2, p95: 20, p99: 40 }, health: 'unhealthy' }),
      backend({ requests: 1, ejected: true }),
      backend({ health: 'unknown' }),
    ]);
    expect(t).toEqual({ requests: 16, responses5xx: 2, errors: 6, activeConnections: 4, p99Ms: 40, healthy: 2, reported: 4 });
  });

  it('is all zeros for a pool nobody reported on', () => {
    expect(sumPoolTraffic([])).toEqual({ requests: 0, responses5xx: 0, errors: 0, activeConnections: 0, p99Ms: 0, healthy: 0, reported: 0 });
  });
});

describe('failureRate', () => {
  it('counts 5xx answers and connection errors per request', () => {
    expect(failureRate({ requests: 16, responses5xx: 2, errors: 6 })).toBe(0.5);
  });

  it('is 0 without requests rather than NaN', () => {
    expect(failureRate({ requests: 0, responses5xx: 0, errors: 3 })).toBe(0);
  });
});
