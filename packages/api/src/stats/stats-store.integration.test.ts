import { stopTestServer } from '@fulcrum/db/testing';
import { type TBackendStats, type TPoolClientStats, type TStatsFrame, emptyClientStats, latencyBucket } from '@fulcrum/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatsHistory } from '../services/stats/stats-history';
import { type TestApi, createTestApi } from '../test-support';
import { backendSecond, statsFrame } from './fixtures/stats-frames';
import { rollupFrames, zeroRollupRow } from './stats-rollups';
import { StatsStore } from './stats-store';

let t: TestApi;

/** Frames as the replicas holding their links store them (StatsFeed.publish). */
async function storeFrames(frames: { cp: string; f: TStatsFrame }[]): Promise<void> {
  await t.db.prisma.statsFrame.createMany({ data: frames.map(({ cp, f }) => ({ dataplaneId: f.dataplaneId, ts: new Date(f.ts), controlPlaneId: cp, frame: f })) });
}

const backend = backendSecond;
const frame = (dataplaneId: string, ts: number, backends: TBackendStats[], poolId = 'pool-1'): TStatsFrame => statsFrame(dataplaneId, ts, [{ poolId, backends }]);

beforeAll(async () => {
  t = await createTestApi();
});

afterAll(async () => {
  await t.db.drop();
  await stopTestServer();
});

describe('StatsStore', () => {
  it('merges frames of several data planes per pool and backend, one point a second', () => {
    const store = new StatsStore();
    const ts = Math.floor(Date.now() / 1000) * 1000 - 3000;
    store.add(frame('dp-1', ts + 100, [backend('b1', 10), backend('b2', 1)]));
    store.add(frame('dp-2', ts + 900, [backend('b1', 5, { health: 'unhealthy', latencyMs: { p50: 4, p95: 8, p99: 20 }, errors: { connect: 2, timeout: 0, reset: 1 } })]));
    store.add(frame('dp-1', ts + 1100, [backend('b1', 7)]));
    const second = store.secondAt(ts)['pool-1']!;
    expect(second.b1).toMatchObject({ dataplanes: 2, requests: 15, activeConnections: 2, bytesOut: 2000, health: 'unhealthy', latencyMs: { p99: 20 }, errors: { connect: 2, reset: 1 } });
    expect(second.b2).toMatchObject({ dataplanes: 1, requests: 1 });
    expect(store.recent('pool-1', 60).map((s) => s.ts)).toEqual([ts, ts + 1000]);
    expect(store.secondAt(ts, 'other')).toEqual({});
  });

  it('keeps 15 minutes: older seconds leave the ring as new ones arrive', () => {
    const store = new StatsStore();
    const now = Math.floor(Date.now() / 1000) * 1000;
    store.add(frame('dp', now - 20 * 60_000, [backend('b1', 1)]));
    store.add(frame('dp', now - 14 * 60_000, [backend('b1', 1)]));
    store.add(frame('dp', now, [backend('b1', 1)]));
    expect(store.recent('pool-1').map((s) => s.ts)).toEqual([now - 14 * 60_000, now]);
  });

  it('rolls each data plane up once per 10 s bucket from the stored frames, whichever replica took them; serves history (retention/ prunes old rollups)', async () => {
    const prisma = t.db.prisma;
    const store = new StatsStore();
    // Three buckets back: history serves buckets that ended 15 s ago or more (ROLLUP_LAG_MS), and
    // two back was inside that lag for half of every 10 s, whatever second the test started on.
    const bucket = Math.floor(Date.now() / 10_000) * 10_000 - 30_000;
    const frames: { cp: string; f: TStatsFrame }[] = [];
    for (let i = 0; i < 10; i++) {
      frames.push({ cp: 'cp-a', f: frame('dp-1', bucket + i * 1000, [backend('b1', 10, { activeConnections: i, latencyMs: { p50: 1, p95: 2, p99: i } })]) });
      // dp-2 moves from replica b to replica a halfway through the bucket.
      frames.push({ cp: i < 5 ? 'cp-b' : 'cp-a', f: frame('dp-2', bucket + i * 1000, [backend('b1', 5, { responses: { '1xx': 0, '2xx': 4, '3xx': 0, '4xx': 0, '5xx': 1 } })]) });
    }
    frames.push({ cp: 'cp-a', f: frame('dp-1', bucket + 10_000, [backend('b1', 1000)]) });
    for (const { f } of frames) store.add(f);
    await storeFrames(frames);

    // Both replicas roll the bucket up, each twice: one row per data plane, each whole.
    for (const cp of ['cp-a', 'cp-b', 'cp-a', 'cp-b']) await rollupFrames(prisma, cp, bucket, bucket + 10_000);
    const rows = await prisma.statsRollup.findMany({ where: { poolId: 'pool-1' }, orderBy: { dataplaneId: 'asc' } });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ bucket: new Date(bucket), dataplaneId: 'dp-1', backendId: 'b1', requests: 100, responses2xx: 100, bytesOut: 10_000n, activeConnections: 9, p99Ms: 9 });
    expect(rows[1]).toMatchObject({ bucket: new Date(bucket), dataplaneId: 'dp-2', backendId: 'b1', requests: 50, responses2xx: 40, responses5xx: 10, bytesOut: 10_000n });

    const hour = await getStatsHistory(prisma, store, 'pool-1', '1h');
    expect(hour).toMatchObject({ resolutionSeconds: 10, points: [{ ts: bucket, requests: 150, responses5xx: 10, activeConnections: 10, p99Ms: 9 }] });
    const recent = await getStatsHistory(prisma, store, 'pool-1', '5m');
    expect(recent.points).toHaveLength(11);
    expect(recent.points[0]).toMatchObject({ ts: bucket, requests: 15, responses5xx: 1 });
    // Five minutes come from memory with each backend's second, so the live charts start full.
    expect(recent.points[0]?.backends?.b1).toMatchObject({ requests: 15, dataplanes: 2 });

    const viewer = await t.as('viewer');
    await expect(viewer.stats.history({ poolId: 'pool-1', range: '1w' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('serves a day in whole minutes: the minute still being rolled up is left out rather than shown low', async () => {
    const prisma = t.db.prisma;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const row = (bucket: number, requests: number) => ({
      ...zeroRollupRow({ bucket: new Date(bucket), poolId: 'pool-day', backendId: `b-${bucket}` }),
      requests,
      responses2xx: requests,
      activeConnections: 2,
      p50Ms: 1,
      p95Ms: 2,
      p99Ms: 3,
    });

    await prisma.statsRollup.createMany({ data: [row(minute - 120_000, 600), row(minute - 110_000, 600), row(minute, 60)] });
    const viewer = await t.as('viewer');
    const day = await viewer.stats.history({ poolId: 'pool-day', range: '24h' });
    expect(day).toMatchObject({ resolutionSeconds: 60, points: [{ ts: minute - 120_000, requests: 1200, activeConnections: 2 }] });
  });

  it('merges what clients got across data planes, rolls it up per pool once, and reads error rate and percentiles from the merged counts', async () => {
    const prisma = t.db.prisma;
    const store = new StatsStore();
    const frames: { cp: string; f: TStatsFrame }[] = [];
    const client = (ok: number, failed: number, latencyMs: number): TPoolClientStats => {
      const c = emptyClientStats();
      c.responses['2xx'] = ok;
      c.responses['5xx'] = failed;
      if (failed) c.proxyResponses.no_healthy_backend = failed;
      c.latency.counts[latencyBucket(latencyMs)] = ok + failed;
      c.latency.sumMs = latencyMs * (ok + failed);
      return c;
    };
    // Three buckets back: history serves buckets that ended 15 s ago or more (ROLLUP_LAG_MS), and
    // two back was inside that lag for half of every 10 s, whatever second the test started on.
    const bucket = Math.floor(Date.now() / 10_000) * 10_000 - 30_000;
    for (let i = 0; i < 10; i++) {
      // One data plane fast and busy, one slow and failing: the pool's p50 is the busy one's.
      frames.push({
        cp: 'cp-a',
        f: { ...frame('dp-c1', bucket + i * 1000, [backend('c1', 9)], 'pool-client'), pools: [{ poolId: 'pool-client', backends: [backend('c1', 9)], client: client(9, 0, 2) }] },
      });
      frames.push({
        cp: 'cp-b',
        f: {
          ...frame('dp-c2', bucket + i * 1000, [backend('c1', 0)], 'pool-client'),
          pools: [{ poolId: 'pool-client', backends: [backend('c1', 0, { errors: { connect: 3, timeout: 0, reset: 0 } })], client: client(0, 1, 400) }],
        },
      });
    }
    for (const { f } of frames) store.add(f);
    await storeFrames(frames);
    const second = store.poolsAt(bucket)['pool-client']!;
    expect(second.client).toMatchObject({ responses: { '2xx': 9, '5xx': 1 }, proxyResponses: { no_healthy_backend: 1 } });
    expect(second.reporters).toEqual(['dp-c1', 'dp-c2']);

    const recent = await getStatsHistory(prisma, store, 'pool-client', '5m');
    expect(recent.points[0]).toMatchObject({ responses: 10, responses5xx: 1, causes: { no_healthy_backend: 1 }, upstreamErrors: 3, clientSide: true });
    expect(recent.points[0]!.p50Ms).toBeLessThanOrEqual(2);
    expect(recent.points[0]!.p99Ms).toBeGreaterThan(300);

    // Before: replica b's rollup of dp-2 collided with replica a's of dp-1 on (bucket, pool) and was dropped.
    for (const cp of ['cp-a', 'cp-b', 'cp-b']) await rollupFrames(prisma, cp, bucket, bucket + 10_000);
    const rows = await prisma.poolStatsRollup.findMany({ where: { poolId: 'pool-client' }, orderBy: { dataplaneId: 'asc' } });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ bucket: new Date(bucket), dataplaneId: 'dp-c1', responses2xx: 90, responses5xx: 0 });
    expect(rows[1]).toMatchObject({ bucket: new Date(bucket), dataplaneId: 'dp-c2', responses2xx: 0, responses5xx: 10, proxyResponses: { no_healthy_backend: 10 } });
    expect(rows.flatMap((r) => r.latencyCounts).reduce((a, b) => a + b, 0)).toBe(100);

    const hour = await getStatsHistory(prisma, store, 'pool-client', '1h');
    expect(hour.points).toHaveLength(1);
    expect(hour.points[0]).toMatchObject({ ts: bucket, responses: 100, responses5xx: 10, causes: { no_healthy_backend: 10 }, requests: 90, upstreamErrors: 30, clientSide: true });
    expect(hour.points[0]!.p50Ms).toBeLessThanOrEqual(2);
    expect(hour.points[0]!.p95Ms).toBeGreaterThan(300);
  });
});
