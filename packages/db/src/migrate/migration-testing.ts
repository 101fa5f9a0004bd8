import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connectionParts, withDatabase } from '../connection-url';
import { migrateDeploy, migrationsDir } from './migrations';

/** Plain SQL on a database, one connection per call (the rows a test inserts as an older release wrote them). */
export async function sqlAt<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(connectionParts(url));
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

export interface DatabaseBefore {
  url: string;
  /** Applies the rest of the migrations (the one under test included); answers the ones applied. */
  migrate(): Promise<string[]>;
  drop(): Promise<void>;
}

/**
 * A database of its own on `adminUrl`'s server, migrated up to (not including) `migration`: for
 * tests of what a migration does to the rows that exist when it runs.
 */
export async function databaseBefore(adminUrl: string, migration: string): Promise<DatabaseBefore> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-mig-before-'));
  for (const entry of readdirSync(migrationsDir)) if (entry < migration || !/^\d{14}_/.test(entry)) cpSync(path.join(migrationsDir, entry), path.join(dir, entry), { recursive: true });
  const name = `fulcrum_mig_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  await sqlAt(adminUrl, `CREATE DATABASE "${name}"`);
  const url = withDatabase(adminUrl, name);
  const drop = async () => {
    rmSync(dir, { recursive: true, force: true });
    await sqlAt(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
  try {
    await migrateDeploy(url, { migrationsDir: dir });
  } catch (err) {
    await drop();
    throw err;
  }
  return { url, migrate: () => migrateDeploy(url), drop };
}
