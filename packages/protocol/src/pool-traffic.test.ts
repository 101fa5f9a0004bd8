import { describe, expect, it } from 'vitest';
import { type TBackendStats, clientErrorRate, emptyBackendStats, emptyClientStats, latencyBucket, sumPoolTraffic } from './index';

const backend = (over: Partial<Omit<TBackendStats, 'backendId'>> = {}): Omit<TBackendStats, 'backendId'> => ({ ...emptyBackendStats(), health: 'healthy', ...over });

describe('sumPoolTraffic', () => {
  it('reads what clients got from the client counters, and upstream failures apart', () => {
    const client = emptyClientStats();
    client.responses = { '1xx': 0, '2xx': 40, '3xx': 0, '4xx': 0, '5xx': 10 };
    client.proxyResponses = { no_healthy_backend: 10 };
    client.retries = 3;
    for (let i = 0; i < 50; i++) client.latency.counts[latencyBucket(4)]!++;
    const t = sumPoolTraffic(
      [
        // A backend whose failed attempts were all retried elsewhere: upstream errors, not client errors.
        backend({ requests: 3, errors: { connect: 3, timeout: 0, reset: 0 }, health: 'unhealthy' }),
        backend({ requests: 43, responses: { '1xx': 0, '2xx': 40, '3xx': 0, '4xx': 0, '5xx': 0 }, activeConnections: 2 }),
        backend({ ejected: true }),
      ],
      client,
    );
    expect(t).toMatchObject({ responses: 50, responses5xx: 10, causes: { no_healthy_backend: 10 }, upstreamErrors: 3, retries: 3, activeConnections: 2, healthy: 1, reported: 3, clientSide: true });
    expect(t.p99Ms).toBeGreaterThan(3);
    expect(t.p99Ms).toBeLessThanOrEqual(5);
    expect(clientErrorRate(t)).toBe(0.2);
  });

  it('falls back to the backends answers for data planes without client counters', () => {
    const t = sumPoolTraffic([
      backend({ requests: 10, responses: { '1xx': 0, '2xx': 8, '3xx': 0, '4xx': 0, '5xx': 2 }, latencyMs: { p50: 1, p95: 5, p99: 9 } }),
      backend({ requests: 5, errors: { connect: 5, timeout: 0, reset: 0 }, latencyMs: { p50: 2, p95: 20, p99: 40 } }),
    ]);
    expect(t).toMatchObject({ responses: 10, responses5xx: 2, upstreamErrors: 5, p99Ms: 40, clientSide: false });
  });

  it('is all zeros for a pool nobody reported on', () => {
    expect(sumPoolTraffic([])).toMatchObject({ responses: 0, responses5xx: 0, upstreamErrors: 0, healthy: 0, reported: 0 });
  });
});

describe('clientErrorRate', () => {
  it('is 5xx responses over responses', () => {
    expect(clientErrorRate({ responses: 48, responses5xx: 48 })).toBe(1);
    expect(clientErrorRate({ responses: 4, responses5xx: 1 })).toBe(0.25);
  });

  it('is 0 without responses rather than NaN, and never above 100 %', () => {
    expect(clientErrorRate({ responses: 0, responses5xx: 0 })).toBe(0);
    // Inconsistent input (e.g. a counter from a half-merged second) still reads as at most 100 %.
    expect(clientErrorRate({ responses: 87, responses5xx: 88 })).toBe(1);
  });
});
