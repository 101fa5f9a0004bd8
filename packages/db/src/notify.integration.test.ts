import { afterAll, describe, expect, it } from 'vitest';
import { CHANNEL_EVENTS, CHANNEL_REVISION, createPgListener, notify } from './notify';
import { createTestDatabase, freePort, stopTestServer } from './testing';

afterAll(stopTestServer);

function collector() {
  const got: string[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    push: (_c: string, p: string) => {
      got.push(p);
      wake?.();
    },
    next: (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      }),
  };
}

describe('LISTEN/NOTIFY', () => {
  it('delivers a notification sent in a transaction only when it commits', async () => {
    const db = await createTestDatabase();
    const c = collector();
    const listener = createPgListener(db.url, ['fulcrum_test'], c.push);
    try {
      await listener.ready;
      await db.prisma
        .$transaction(async (tx) => {
          await notify(tx, 'fulcrum_test', 'rolled-back');
          throw new Error('abort');
        })
        .catch(() => undefined);
      await db.prisma.$transaction(async (tx) => notify(tx, 'fulcrum_test', 'committed'));
      // Notifications arrive in commit order: once 'committed' is in, a rolled-back one would be too.
      for (let i = 0; i < 600 && !c.got.includes('committed'); i++) await c.next(100);
      expect(c.got).toEqual(['committed']);
    } finally {
      await listener.close();
      await db.drop();
    }
  });

  it('listens again after its connection is cut', async () => {
    const db = await createTestDatabase();
    const c = collector();
    const outages: number[] = [];
    const listener = createPgListener(db.url, [CHANNEL_REVISION, CHANNEL_EVENTS], c.push, { onReconnect: (downMs) => outages.push(downMs) });
    try {
      await listener.ready;
      expect(listener.downSince()).toBeNull();
      const beforeCut = Date.now();
      const cut = await db.prisma.$queryRaw<{ cut: boolean }[]>`
        SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`;
      expect(cut).toEqual([{ cut: true }]);
      // Notifications sent while it is away are lost (LISTEN/NOTIFY keeps no backlog): send until one
      // arrives, bounded in count and time.
      for (let i = 0; i < 300 && !c.got.includes('after-cut'); i++) {
        await notify(db.prisma, CHANNEL_EVENTS, 'after-cut');
        await c.next(200);
      }
      expect(c.got).toContain('after-cut');
      // Back, and it said how long it heard nothing.
      expect(outages).toHaveLength(1);
      expect(outages[0]).toBeGreaterThanOrEqual(0);
      expect(outages[0]).toBeLessThanOrEqual(Date.now() - beforeCut);
      expect(listener.downSince()).toBeNull();
    } finally {
      await listener.close();
      await db.drop();
    }
  });

  it('says since when it hears nothing while the database cannot be reached', async () => {
    const db = await createTestDatabase();
    const port = await freePort(); // nothing listens there
    const url = new URL(db.url);
    url.port = String(port);
    const created = Date.now();
    let failures = 0;
    const listener = createPgListener(url.toString(), [CHANNEL_EVENTS], () => {}, { onError: () => failures++ });
    const afterCreate = Date.now();
    try {
      expect(listener.downSince()).toBeGreaterThanOrEqual(created);
      for (let i = 0; i < 600 && failures < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect(failures).toBeGreaterThanOrEqual(2);
      // Still down, and still since it was created: a failed retry does not move the time.
      expect(listener.downSince()).toBeGreaterThanOrEqual(created);
      expect(listener.downSince()).toBeLessThanOrEqual(afterCreate);
    } finally {
      await listener.close();
      await db.drop();
    }
  });
});
