import { afterAll, describe, expect, it } from 'vitest';
import { CHANNEL_EVENTS, CHANNEL_REVISION, createPgListener, notify } from './notify';
import { createTestDatabase, stopTestServer } from './testing';

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
    let reconnects = 0;
    const listener = createPgListener(db.url, [CHANNEL_REVISION, CHANNEL_EVENTS], c.push, { onReconnect: () => reconnects++ });
    try {
      await listener.ready;
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
      expect(reconnects).toBe(1);
    } finally {
      await listener.close();
      await db.drop();
    }
  });
});
