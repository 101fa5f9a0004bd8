import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@fulcrum/test-support';
import pg from 'pg';
import { LOCK_ID } from './advisory-locks';
import { closePrisma, getPrisma } from './client';
import { connectionParts, withDatabase } from './connection-url';
import { type EmbeddedServer, startEmbeddedPostgres } from './embedded-postgres';
import { dbEnv } from './env';
import { loadMigrations, migrateDeploy } from './migrate/migrations';
import type { PrismaClient } from './generated/prisma/client';

// Re-exported so tests keep importing it from here with the database helpers.
export { freePort };

let server: Promise<{ adminUrl: string; embedded?: EmbeddedServer; dir?: string }> | undefined;

/** One PostgreSQL server per test process: DATABASE_URL's, or an embedded one in a temp folder. */
export function testServer() {
  server ??= (async () => {
    if (dbEnv.databaseUrl) return { adminUrl: dbEnv.databaseUrl };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-test-pg-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as `postgres` and must enter it
    let embedded: EmbeddedServer | undefined;
    // Another process may take the free port before PostgreSQL binds it: try a few.
    for (let attempt = 1; !embedded; attempt++) {
      try {
        embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    process.once('exit', () => {
      // Best effort when a runner exits without calling stopTestServer().
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {}
    });
    return { adminUrl: embedded.url('postgres'), embedded, dir };
  })();
  return server;
}

export async function stopTestServer(): Promise<void> {
  if (!server) return;
  const s = await server;
  server = undefined;
  await s.embedded?.stop();
  if (s.dir) rmSync(s.dir, { recursive: true, force: true });
}

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, run: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ ...connectionParts(adminUrl) });
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.end();
  }
}

const templates = new Map<string, Promise<string>>();

/**
 * A database holding every migration, named after their content, built once per server (an
 * advisory lock keeps parallel test processes from building it twice). Copying it is much
 * cheaper than running the migrations for each test database.
 */
function templateDatabase(adminUrl: string): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(loadMigrations().migrationDirectories)).digest('hex').slice(0, 16);
  const name = `fulcrum_tpl_${hash}`;
  const key = `${adminUrl}#${name}`;
  let made = templates.get(key);
  if (!made) {
    made = withAdmin(adminUrl, async (admin) => {
      await admin.query('SELECT pg_advisory_lock($1)', [LOCK_ID.testTemplate]);
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        // Built under another name and renamed when complete, so a crash never leaves a half template.
        const building = `fulcrum_tplb_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
        await admin.query(`CREATE DATABASE "${building}"`);
        try {
          await migrateDeploy(withDatabase(adminUrl, building));
          await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
        } catch (err) {
          await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
          throw err;
        }
      }
      return name;
    });
    made.catch(() => templates.delete(key));
    templates.set(key, made);
  }
  return made;
}

/** A fresh, migrated database of its own on a real PostgreSQL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl } = await testServer();
  const template = await templateDatabase(adminUrl);
  const name = `fulcrum_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}" STRATEGY WAL_LOG`));
  const url = withDatabase(adminUrl, name);
  const prisma = getPrisma(url);
  return {
    url,
    prisma,
    async drop() {
      await closePrisma(url);
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

export { databaseBefore, sqlAt, type DatabaseBefore } from './migrate/migration-testing';
