import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, stopTestServer } from '../testing';
import { diffMigrationsToSchema, loadMigrations, migrateDev, migrateStatus, migrationsDir, schemaPath } from './migrations';

const dirs: string[] = [];
afterAll(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await stopTestServer();
});

const extraModel = '\nmodel DriftProbe {\n  id    Int    @id @default(autoincrement())\n  label String\n}\n';

/** A copy of prisma/ whose schema has one model more than its migrations. */
function editedProject() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-migrations-'));
  dirs.push(dir);
  cpSync(migrationsDir, path.join(dir, 'migrations'), { recursive: true });
  writeFileSync(path.join(dir, 'schema.prisma'), readFileSync(schemaPath, 'utf8') + extraModel);
  return { migrationsDir: path.join(dir, 'migrations'), schemaPath: path.join(dir, 'schema.prisma') };
}

async function shadowDatabases(db: { prisma: { $queryRaw<T>(q: TemplateStringsArray): Promise<T> } }): Promise<string[]> {
  const rows = await db.prisma.$queryRaw<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE 'fulcrum_shadow_%'`;
  return rows.map((r) => r.datname);
}

describe('migrations', () => {
  it('apply to a fresh database and leave nothing between them and schema.prisma', async () => {
    const db = await createTestDatabase();
    try {
      // An edit to schema.prisma without a new migration makes this diff non-empty (next test).
      expect(await diffMigrationsToSchema(db.url)).toBe('');
      const status = await migrateStatus(db.url);
      expect(status).toMatchObject({ pending: [], failed: [], edited: [], upToDate: true });
      expect(status.applied).toEqual(loadMigrations().migrationDirectories.map((d) => d.path));
      const rows = await db.prisma.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL`;
      expect(rows.map((r) => r.migration_name).sort()).toEqual(status.applied);
    } finally {
      await db.drop();
    }
  });

  it('finds the drift of a schema edited without a migration', async () => {
    const db = await createTestDatabase();
    try {
      const diff = await diffMigrationsToSchema(db.url, editedProject());
      expect(diff).toContain('CREATE TABLE "DriftProbe"');
    } finally {
      await db.drop();
    }
  });

  it('dev writes the missing migration through a shadow database, applies it, and status sees it', async () => {
    const project = editedProject();
    const db = await createTestDatabase();
    const other = await createTestDatabase();
    try {
      const shadowsBefore = await shadowDatabases(db);
      const created = await migrateDev(db.url, 'add drift-probe', project);
      expect(created).toMatch(/^\d{14}_add_drift_probe$/);
      const sql = readFileSync(path.join(project.migrationsDir, created!, 'migration.sql'), 'utf8');
      expect(sql).toContain('CREATE TABLE "DriftProbe"');
      // Applied to the dev database at once.
      expect(await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "DriftProbe"`).toEqual([{ n: 0n }]);
      // The shadow database was closed and dropped.
      expect(await shadowDatabases(db)).toEqual(shadowsBefore);
      // Nothing more to create; the migrations and the edited schema now agree.
      expect(await migrateDev(db.url, 'again', project)).toBeNull();
      expect(await migrateStatus(db.url, project)).toMatchObject({ pending: [], upToDate: true });
      // A database migrated only to the project's migrations sees the new one as pending.
      expect(await migrateStatus(other.url, project)).toMatchObject({ pending: [created], upToDate: false });
    } finally {
      await Promise.all([db.drop(), other.drop()]);
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
