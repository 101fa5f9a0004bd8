import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The one place @fulcrum/db reads the environment. */
export const dbEnv = {
  /** A real PostgreSQL to use; when unset an embedded one is started. */
  databaseUrl: process.env.DATABASE_URL || undefined,
  /**
   * Where the embedded PostgreSQL keeps its data (`<dir>/pg`). The checkout's `.fulcrum` by
   * default: when run as root, PostgreSQL runs as the `postgres` user, which cannot enter /root.
   */
  dataDir: path.resolve(process.env.FULCRUM_DATA_DIR || path.join(repoRoot, '.fulcrum')),
  pgPort: Number(process.env.FULCRUM_PG_PORT || 54329),
  /** How long opening a connection to PostgreSQL may take before the API answers 503. */
  connectTimeoutMs: Number(process.env.FULCRUM_DB_CONNECT_TIMEOUT_MS || 5000),
  /** How long one query may take (client and server side) before it is abandoned. */
  queryTimeoutMs: Number(process.env.FULCRUM_DB_QUERY_TIMEOUT_MS || 10_000),
  debugMigrations: Boolean(process.env.FULCRUM_MIGRATE_DEBUG),
};
