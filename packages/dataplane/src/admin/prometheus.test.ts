import { LATENCY_BOUNDS_MS, emptyClientStats, emptyHistogram, latencyBucket } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { type MetricsView, renderMetrics } from './prometheus';
import { hasPromtool, promtoolCheck } from './promtool';

function view(): MetricsView {
  const { latency, ...client } = emptyClientStats();
  client.responses['2xx'] = 7;
  client.responses['5xx'] = 3;
  client.proxyResponses = { no_healthy_backend: 3 };
  for (const ms of [0.05, 1, 1, 250, 120_000]) {
    latency.counts[latencyBucket(ms)]!++;
    latency.sumMs += ms;
  }
  const backendLatency = emptyHistogram();
  backendLatency.counts[latencyBucket(2)] = 4;
  backendLatency.sumMs = 8;
  return {
    pools: [{ pool: 'we"b\\1', poolId: 'p1', client, latency }],
    listeners: [{ listener: 'edge', listenerId: 'l1', responses: { '1xx': 0, '2xx': 1, '3xx': 2, '4xx': 1, '5xx': 0 }, answers: { no_route: 1, redirect: 2, fixed: 1 } }],
    backends: [
      {
        pool: 'we"b\\1',
        address: '127.0.0.1:9000',
        totals: { requests: 4, responses: { '1xx': 0, '2xx': 4, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: { connect: 1, timeout: 0, reset: 0 }, bytesIn: 10, bytesOut: 20 },
        latency: backendLatency,
        active: 1,
        healthy: true,
        ejected: false,
        ewmaMs: 1.25,
      },
    ],
  };
}

describe('/metrics', () => {
  it('writes latency as cumulative histograms in seconds with +Inf, _sum and _count', () => {
    const text = renderMetrics(view(), 5);
    const buckets = [...text.matchAll(/^fulcrum_pool_request_duration_seconds_bucket\{pool="we\\"b\\\\1",le="([^"]+)"\} (\d+)$/gm)];
    expect(buckets.map((m) => m[1])).toEqual([...LATENCY_BOUNDS_MS.map((ms) => String(ms / 1000)), '+Inf']);
    const counts = buckets.map((m) => Number(m[2]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts[0]).toBe(1); // 0.05 ms
    expect(counts[counts.length - 2]).toBe(4); // all but the 120 s one are within 60 s
    expect(counts[counts.length - 1]).toBe(5);
    expect(text).toMatch(/^fulcrum_pool_request_duration_seconds_count\{pool="we\\"b\\\\1"\} 5$/m);
    expect(text).toMatch(/^fulcrum_pool_request_duration_seconds_sum\{pool="we\\"b\\\\1"\} 120\.25205$/m);
    expect(text).toMatch(/^fulcrum_backend_latency_ewma_seconds\{pool="we\\"b\\\\1",backend="127\.0\.0\.1:9000"\} 0\.00125$/m);
    expect(text).not.toMatch(/_ms\b/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('declares HELP and TYPE for every family', () => {
    const text = renderMetrics(view(), 5);
    const families = new Set([...text.matchAll(/^(fulcrum_\w+?)(?:_bucket|_sum|_count)?(?:\{| )/gm)].map((m) => m[1]!));
    for (const f of families) {
      const base = text.includes(`# TYPE ${f} `) ? f : f.replace(/_(bucket|sum|count)$/, '');
      expect(text, f).toContain(`# HELP ${base} `);
      expect(text, f).toContain(`# TYPE ${base} `);
    }
  });

  it.skipIf(!hasPromtool())('passes promtool check metrics without a lint complaint', () => {
    expect(promtoolCheck(renderMetrics(view(), 5))).toBe('');
    expect(promtoolCheck(renderMetrics({ pools: [], backends: [] }, null))).toBe('');
  });
});
