import { histogramCount } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { PoolStats } from './pool-stats';

describe('PoolStats', () => {
  it('counts each exchange once by what the client got, the proxy answers by cause, and keeps totals across flushes', () => {
    const s = new PoolStats();
    s.connectionAccepted();
    s.clientResponse(200, undefined, 3, 10, 100);
    s.retry();
    s.clientResponse(200, undefined, 5, 0, 50); // retried, then fine: one 2xx, no error
    s.clientResponse(503, 'no_healthy_backend', 0.2, 0, 0);
    s.clientResponse(502, 'connect_failed', 40, 0, 0);
    s.proxyAnswer(408, 'request_timeout');
    s.clientResponse(0, undefined, 7, 0, 0, false); // left before any answer: a reset, no response
    s.clientResponse(200, undefined, 9, 0, 20, false); // left mid-body: its 2xx and a reset
    const f = s.flush();
    expect(f.responses).toEqual({ '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 1, '5xx': 2 });
    expect(f.proxyResponses).toEqual({ no_healthy_backend: 1, connect_failed: 1, request_timeout: 1 });
    expect(f.connections).toEqual({ accepted: 1, refused: 0, reset: 2 });
    expect(f).toMatchObject({ retries: 1, bytesIn: 10, bytesOut: 170 });
    expect(histogramCount(f.latency)).toBe(6);

    const next = s.flush();
    expect(next.responses['2xx']).toBe(0);
    expect(histogramCount(next.latency)).toBe(0);
    expect(s.totals.responses['5xx']).toBe(2);
    expect(s.latencyTotals.count).toBe(6);
  });

  it('puts odd statuses in the nearest class and never records a negative latency', () => {
    const s = new PoolStats();
    s.clientResponse(99, undefined, -5, 0, 0);
    s.clientResponse(700, undefined, Number.NaN, 0, 0);
    const f = s.flush();
    expect(f.responses).toMatchObject({ '1xx': 1, '5xx': 1 });
    expect(f.latency.sumMs).toBe(0);
  });
});
