import { afterAll, describe, expect, it } from 'vitest';
import { createPgListener, notify } from './notify';
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
      await c.next(5000);
      expect(c.got).toEqual(['committed']);
    } finally {
      await listener.close();
      await db.drop();
    }
  });
});
