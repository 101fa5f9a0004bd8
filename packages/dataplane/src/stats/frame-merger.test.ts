import { type TStatsFrame, ZConfigSnapshot, emptyBackendStats, emptyClientStats, histogramCount, latencyBucket } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { snapshotFor } from '../test-support';
import { FrameMerger } from './frame-merger';

function workerFrame(ok: number, failed: number, ms: number): TStatsFrame {
  const client = emptyClientStats();
  client.responses['2xx'] = ok;
  client.responses['5xx'] = failed;
  if (failed) client.proxyResponses.no_healthy_backend = failed;
  client.latency.counts[latencyBucket(ms)] = ok + failed;
  client.latency.sumMs = ms * (ok + failed);
  // The proxy's own 503s never reached the backend: its histogram holds only the relayed answers.
  const counts = new Array<number>(client.latency.counts.length).fill(0);
  counts[latencyBucket(ms)] = ok;
  const b = { backendId: 'a', ...emptyBackendStats(), requests: ok, latency: { counts, sumMs: ms * ok } };
  b.responses['2xx'] = ok;
  return { dataplaneId: 'w', ts: Date.now(), intervalMs: 1000, configVersion: 1, pools: [{ poolId: 'pool-1', backends: [b], client }] };
}

describe('FrameMerger (workers of one data plane)', () => {
  it('adds the workers client counters and histograms into one frame, and keeps running totals for /metrics', () => {
    const m = new FrameMerger();
    m.add('1', workerFrame(90, 0, 1));
    m.add('2', workerFrame(0, 10, 500));
    const f = m.flush('dp', 1);
    const client = f.pools[0]!.client!;
    expect(client.responses).toMatchObject({ '2xx': 90, '5xx': 10 });
    expect(client.proxyResponses).toEqual({ no_healthy_backend: 10 });
    expect(histogramCount(client.latency)).toBe(100);
    // Percentiles of the merged buckets: the fast worker's p50, the slow one's p99.
    const backend = f.pools[0]!.backends[0]!;
    expect(backend.latencyMs.p50).toBeLessThanOrEqual(1);
    expect(backend.requests).toBe(90);

    m.add('1', workerFrame(5, 0, 1));
    const view = m.view(ZConfigSnapshot.parse(snapshotFor(9, [{ name: 'a', port: 1 }])), f);
    expect(view.pools[0]!.client.responses['2xx']).toBe(95);
    expect(view.pools[0]!.client.responses['5xx']).toBe(10);
    expect(histogramCount(view.pools[0]!.latency)).toBe(105);
    expect(histogramCount(view.backends[0]!.latency)).toBe(95);
  });

  it("adds the workers' listener answers into one frame and the listener's running totals", () => {
    const m = new FrameMerger();
    const answers = (n: number, redirects: number): TStatsFrame => ({
      ...workerFrame(0, 0, 1),
      listeners: [{ listenerId: 'pool-1', responses: { '1xx': 0, '2xx': 0, '3xx': redirects, '4xx': n, '5xx': 0 }, answers: { no_route: n, ...(redirects ? { redirect: redirects } : {}) } }],
    });
    m.add('1', answers(3, 0));
    m.add('2', answers(4, 2));
    const f = m.flush('dp', 1);
    expect(f.listeners).toEqual([{ listenerId: 'pool-1', responses: { '1xx': 0, '2xx': 0, '3xx': 2, '4xx': 7, '5xx': 0 }, answers: { no_route: 7, redirect: 2 } }]);
    // A second with no listener answers carries none.
    m.add('1', workerFrame(1, 0, 1));
    expect(m.flush('dp', 1).listeners).toBeUndefined();
    const snapshot = ZConfigSnapshot.parse(snapshotFor(9, [{ name: 'a', port: 1 }]));
    const view = m.view(snapshot, f);
    expect(view.listeners).toEqual([expect.objectContaining({ listenerId: 'pool-1', answers: { no_route: 7, redirect: 2 } })]);
  });
});
