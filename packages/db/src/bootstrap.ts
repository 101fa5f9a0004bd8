import path from 'node:path';
import { setDefaultDatabaseUrl } from './client';
import { startEmbeddedPostgres } from './embedded-postgres';
import { dbEnv } from './env';
import { migrateDeploy } from './migrate/migrations';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  appliedMigrations: string[];
  stop(): Promise<void>;
}

export interface EnsureDatabaseOptions {
  /** Overrides DATABASE_URL; null ignores it and uses the embedded server. */
  databaseUrl?: string | null;
  /** Overrides FULCRUM_DATA_DIR for the embedded server. */
  dataDir?: string;
  /** Overrides FULCRUM_PG_PORT for the embedded server. */
  pgPort?: number;
  log?: (line: string) => void;
}

/**
 * The database the control plane runs on: DATABASE_URL when set, otherwise an embedded
 * PostgreSQL with its data under the data folder. Pending migrations are applied either way,
 * and the URL becomes getPrisma()'s default.
 */
export async function ensureDatabase(opts: EnsureDatabaseOptions = {}): Promise<DatabaseHandle> {
  const external = opts.databaseUrl === undefined ? dbEnv.databaseUrl : opts.databaseUrl;
  if (external) {
    const appliedMigrations = await migrateDeploy(external);
    setDefaultDatabaseUrl(external);
    return { url: external, embedded: false, appliedMigrations, stop: async () => {} };
  }
  const dataDir = opts.dataDir ?? dbEnv.dataDir;
  const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: opts.pgPort ?? dbEnv.pgPort, log: opts.log });
  try {
    const url = server.url('postgres');
    const appliedMigrations = await migrateDeploy(url);
    setDefaultDatabaseUrl(url);
    return { url, embedded: true, appliedMigrations, stop: () => server.stop() };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
