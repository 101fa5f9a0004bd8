import { stopTestServer } from '@fulcrum/db/testing';
import { type TBackendStats, type TStatsFrame, emptyClientStats } from '@fulcrum/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatsStore } from '../../stats/stats-store';
import { backendSecond } from '../../stats/fixtures/stats-frames';
import { type TestApi, createTestApi } from '../../test-support';
import { listChartMarks } from './chart-marks';
import { healthTimeline } from './health-timeline';
import { listProblems } from './problems';

let t: TestApi;

beforeAll(async () => {
  t = await createTestApi();
});

afterAll(async () => {
  await t.db.drop();
  await stopTestServer();
});

const backend = (backendId: string, extra: Partial<TBackendStats> = {}): TBackendStats => backendSecond(backendId, 5, { bytesIn: 0, bytesOut: 0, ...extra });

describe('the overview, shaped in the api', () => {
  it('lists backends down with since when and the last check, pools with client errors, refused revisions and disconnected data planes; a health timeline; chart marks', async () => {
    const admin = await t.as('admin');
    const pool = await admin.pools.create({ name: 'shop', listenHost: '127.0.0.1', listenPort: 18_401 });
    const quiet = await admin.pools.create({ name: 'quiet', listenHost: '127.0.0.1', listenPort: 18_402 });
    const up = await admin.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9001 });
    const dead = await admin.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9002 });
    await admin.backends.create({ poolId: quiet.id, host: '127.0.0.1', port: 9003 });
    const flippedAt = new Date(Date.now() - 5000);
    await t.db.prisma.event.create({
      data: {
        kind: 'health_flip',
        severity: 'warning',
        poolId: pool.id,
        backendId: dead.id,
        message: '127.0.0.1:9002 in shop is unhealthy: connect ECONNREFUSED',
        data: { state: 'unhealthy', reason: 'connect ECONNREFUSED' },
        createdAt: flippedAt,
      },
    });
    await t.db.prisma.dataplane.create({ data: { id: 'dp-gone', name: 'edge-gone', softwareVersion: 'x', connected: false, lastSeenAt: new Date(Date.now() - 60_000) } });
    await t.db.prisma.dataplane.create({ data: { id: 'dp-old', name: 'edge-long-gone', softwareVersion: 'x', connected: false, lastSeenAt: new Date(Date.now() - 3 * 24 * 3600_000) } });
    await t.db.prisma.dataplane.create({
      data: {
        id: 'dp-refusing',
        name: 'edge-2',
        softwareVersion: 'x',
        connected: true,
        refusedConfigVersion: 4,
        lastError: 'config 4 applied except pool shop: EADDRINUSE',
        refusedPools: [{ poolId: pool.id, pool: 'shop', error: 'EADDRINUSE', keptPrevious: true }],
      },
    });

    const store = new StatsStore();
    const now = Math.floor(Date.now() / 1000) * 1000;
    for (let i = 3; i >= 1; i--) {
      const client = emptyClientStats();
      client.responses['2xx'] = 8;
      client.responses['5xx'] = 2;
      client.proxyResponses.no_healthy_backend = 2;
      const f: TStatsFrame = {
        dataplaneId: 'dp-1',
        ts: now - i * 1000,
        intervalMs: 1000,
        configVersion: 1,
        pools: [
          { poolId: pool.id, backends: [backend(up.id), backend(dead.id, { health: i === 3 ? 'healthy' : 'unhealthy', requests: 0 })], client },
          { poolId: quiet.id, backends: [backend('b-quiet')], client: emptyClientStats() },
        ],
      };
      store.add(f);
    }

    const problems = await listProblems(t.db.prisma, store, now);
    expect(problems).toContainEqual({
      kind: 'backend_down',
      poolId: pool.id,
      pool: 'shop',
      backendId: dead.id,
      address: '127.0.0.1:9002',
      state: 'unhealthy',
      since: flippedAt.toISOString(),
      lastCheck: 'connect ECONNREFUSED',
    });
    expect(problems).toContainEqual(expect.objectContaining({ kind: 'client_errors', poolId: pool.id, errorRate: 0.2, responses: 30, errors: 6, causes: { no_healthy_backend: 6 }, windowSeconds: 3 }));
    expect(problems).toContainEqual({ kind: 'refused_revision', version: 4, dataplane: 'edge-2', error: 'config 4 applied except pool shop: EADDRINUSE', pools: ['shop'] });
    expect(problems).toContainEqual(expect.objectContaining({ kind: 'dataplane_disconnected', dataplane: 'edge-gone' }));
    // Backends down come first; a pool without errors and a data plane gone for days are not problems.
    expect(problems[0]!.kind).toBe('backend_down');
    expect(problems.filter((p) => 'poolId' in p && p.poolId === quiet.id)).toEqual([]);
    expect(problems.some((p) => p.kind === 'dataplane_disconnected' && p.dataplane === 'edge-long-gone')).toBe(false);
    expect(await listProblems(t.db.prisma, new StatsStore())).not.toContainEqual(expect.objectContaining({ kind: 'backend_down' }));
    expect(problems.some((p) => p.kind === 'notifications_down')).toBe(false);
    // This replica deaf to the others for 10 s leads the strip; a reconnect within the grace does not show.
    const deaf = await listProblems(t.db.prisma, store, now, now - 10_000);
    expect(deaf[0]).toEqual({ kind: 'notifications_down', since: new Date(now - 10_000).toISOString() });
    expect((await listProblems(t.db.prisma, store, now, now - 1_000)).some((p) => p.kind === 'notifications_down')).toBe(false);

    const timeline = await healthTimeline(t.db.prisma, store, pool.id, 10, now);
    expect(timeline.to - timeline.from).toBe(10_000);
    const segs = timeline.backends[dead.id]!;
    // Seconds nobody reported are no_data (never the next state carried back), then healthy, then unhealthy.
    expect(segs.map((s) => s.state)).toEqual(['no_data', 'healthy', 'unhealthy']);
    expect(segs[1]).toEqual({ from: now - 3000, to: now - 2000, state: 'healthy' });
    expect(segs[2]).toEqual({ from: now - 2000, to: now, state: 'unhealthy' });
    expect(Object.keys(timeline.backends)).toEqual([up.id, dead.id]);

    const marks = await listChartMarks(t.db.prisma, pool.id, 300);
    const revisions = marks.filter((m) => m.kind === 'revision').map((m) => (m.kind === 'revision' ? m.version : 0));
    expect(revisions.length).toBe(2); // its two backends (the pool's creation is recorded before it has an id)
    expect(marks).toContainEqual(expect.objectContaining({ kind: 'health', backendId: dead.id, state: 'unhealthy', ts: flippedAt.getTime() }));
    expect(await listChartMarks(t.db.prisma, quiet.id, 300)).toEqual([expect.objectContaining({ kind: 'revision', version: expect.any(Number) })]);

    // Through the router, as a viewer.
    const viewer = await t.as('viewer');
    expect(Array.isArray(await viewer.stats.problems())).toBe(true);
    await expect(viewer.stats.marks({ poolId: pool.id, range: '1w' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
