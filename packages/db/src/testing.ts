import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { closePrisma, getPrisma } from './client';
import { connectionParts, withDatabase } from './connection-url';
import { type EmbeddedServer, startEmbeddedPostgres } from './embedded-postgres';
import { dbEnv } from './env';
import { migrateDeploy } from './migrate/migrations';
import type { PrismaClient } from './generated/prisma/client';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let server: Promise<{ adminUrl: string; embedded?: EmbeddedServer; dir?: string }> | undefined;

/** One PostgreSQL server per test process: DATABASE_URL's, or an embedded one in a temp folder. */
export function testServer() {
  server ??= (async () => {
    if (dbEnv.databaseUrl) return { adminUrl: dbEnv.databaseUrl };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-test-pg-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as `postgres` and must enter it
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
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

/** A fresh, migrated database of its own on a real PostgreSQL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl } = await testServer();
  const name = `fulcrum_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ ...connectionParts(adminUrl) });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  await migrateDeploy(url);
  const prisma = getPrisma(url);
  return {
    url,
    prisma,
    async drop() {
      await closePrisma(url);
      const c = new pg.Client({ ...connectionParts(adminUrl) });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
