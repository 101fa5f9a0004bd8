import { type TestDatabase, createTestDatabase, stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteUser, updateUser } from './users';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  await stopTestServer();
});

/** Two admins (users created directly: the password hash plays no part here). */
async function twoAdmins(trial: number): Promise<[string, string]> {
  await db.prisma.user.deleteMany();
  const a = await db.prisma.user.create({ data: { email: `a${trial}@example.com`, name: 'a', role: 'admin', passwordHash: 'x' } });
  const b = await db.prisma.user.create({ data: { email: `b${trial}@example.com`, name: 'b', role: 'admin', passwordHash: 'x' } });
  return [a.id, b.id];
}

describe('the last admin', () => {
  it('survives two simultaneous demotions, or a demotion racing a deletion, in every one of 20 trials', async () => {
    const outcomes: string[] = [];
    for (let trial = 0; trial < 20; trial++) {
      const [a, b] = await twoAdmins(trial);
      const results = await Promise.allSettled(
        trial % 2 === 0
          ? [updateUser(db.prisma, { id: a, role: 'operator' }), updateUser(db.prisma, { id: b, role: 'viewer' })]
          : [updateUser(db.prisma, { id: a, role: 'operator' }), deleteUser(db.prisma, b)],
      );
      const admins = await db.prisma.user.count({ where: { role: 'admin' } });
      outcomes.push(`${admins}`);
      expect(admins, `trial ${trial}`).toBe(1);
      // Exactly one of the two changes is refused, and with the reason.
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    }
    expect(outcomes).toEqual(Array(20).fill('1'));
  }, 120_000);
});
