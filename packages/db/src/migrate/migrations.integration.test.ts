import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, stopTestServer } from '../testing';
import { diffMigrationsToSchema, loadMigrations, migrateStatus } from './migrations';

afterAll(stopTestServer);

describe('migrations', () => {
  it('apply to a fresh database and leave nothing between them and schema.prisma', async () => {
    const db = await createTestDatabase();
    try {
      // An edit to schema.prisma without a new migration makes this diff non-empty.
      expect(await diffMigrationsToSchema(db.url)).toBe('');
      const status = await migrateStatus(db.url);
      expect(status.pending).toEqual([]);
      expect(status.applied).toEqual(loadMigrations().migrationDirectories.map((d) => d.path));
      const rows = await db.prisma.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL`;
      expect(rows.map((r) => r.migration_name).sort()).toEqual(status.applied);
    } finally {
      await db.drop();
    }
  });

  it('gives each test its own database', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.url).not.toBe(b.url);
      await a.prisma.user.create({ data: { email: 'a@example.com', name: 'A', passwordHash: 'x', role: 'admin' } });
      expect(await a.prisma.user.count()).toBe(1);
      expect(await b.prisma.user.count()).toBe(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});
