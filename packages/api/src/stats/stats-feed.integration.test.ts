import { CHANNEL_STATS, createPgListener } from '@fulcrum/db';
import { type TestDatabase, createTestDatabase, stopTestServer } from '@fulcrum/db/testing';
import type { TStatsFrame } from '@fulcrum/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../services/deploys/system-harness';
import { backendSecond, statsFrame } from './fixtures/stats-frames';
import { StatsFeed } from './stats-feed';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
  await stopTestServer();
});

const frame = (dataplaneId: string, ts: number, requests: number): TStatsFrame => statsFrame(dataplaneId, ts, [{ poolId: 'p1', backends: [backendSecond('b1', requests)] }]);

describe('StatsFeed', () => {
  it('stores each frame once and hands it to the other replicas, not back to its own; a replica that starts later reads what it missed', async () => {
    const gotA: TStatsFrame[] = [];
    const gotB: TStatsFrame[] = [];
    const a = new StatsFeed(db.prisma, 'cp-a', (f) => gotA.push(f));
    const b = new StatsFeed(db.prisma, 'cp-b', (f) => gotB.push(f));
    const listenA = createPgListener(db.url, [CHANNEL_STATS], (_c, p) => a.heard(p));
    const listenB = createPgListener(db.url, [CHANNEL_STATS], (_c, p) => b.heard(p));
    await Promise.all([listenA.ready, listenB.ready]);
    try {
      const ts = Math.floor(Date.now() / 1000) * 1000 - 2000;
      a.publish(frame('dp-1', ts, 7));
      a.publish(frame('dp-1', ts, 7)); // the same frame again (a retried write): stored once
      a.publish(frame('dp-1', ts + 1000, 8));
      await eventually(() => gotB.length >= 2, 60_000, 'both frames on replica b');
      await eventually(() => a.counters.published === 3 || a.counters.published + a.counters.publishFailed === 3, 60_000, 'the writes to finish');
      expect(a.counters).toMatchObject({ published: 3, publishFailed: 0, publishDropped: 0 });
      expect(await db.prisma.statsFrame.count({ where: { dataplaneId: 'dp-1' } })).toBe(2);
      // Writes run side by side, so frames may arrive in either order (the store merges them by time).
      expect([...gotB].sort((x, y) => x.ts - y.ts).map((f) => f.pools[0]!.backends[0]!.requests)).toEqual([7, 8]);
      expect(gotA).toEqual([]);
      // Garbage on the channel is ignored.
      b.heard('nonsense');
      b.heard('1; DROP TABLE x|cp-x');

      const late: TStatsFrame[] = [];
      const c = new StatsFeed(db.prisma, 'cp-c', (f) => late.push(f));
      await c.catchUp();
      expect(late.map((f) => f.ts)).toEqual([ts, ts + 1000]);
      await c.catchUp();
      expect(late).toHaveLength(2);
      expect(gotB).toHaveLength(2);
    } finally {
      await listenA.close();
      await listenB.close();
    }
  });
});
