import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
import { connectionParts } from './connection-url';
import { dbEnv } from './env';

// Next's route bundle and the custom server each load their own copy of this module; keeping
// clients on globalThis gives the whole process one pool per database.
const store = globalThis as unknown as { __fulcrumPrisma?: Map<string, PrismaClient> };
const clients = (store.__fulcrumPrisma ??= new Map());

let defaultUrl: string | undefined;

/** Sets the database `getPrisma()` uses when called without a URL (done once at start-up). */
export function setDefaultDatabaseUrl(url: string): void {
  defaultUrl = url;
  (globalThis as { __fulcrumDefaultDbUrl?: string }).__fulcrumDefaultDbUrl = url;
}

export function getDefaultDatabaseUrl(): string | undefined {
  return defaultUrl ?? (globalThis as { __fulcrumDefaultDbUrl?: string }).__fulcrumDefaultDbUrl;
}

/** The process-wide Prisma client for a database (the default one when no URL is given). */
export function getPrisma(url?: string): PrismaClient {
  const target = url ?? getDefaultDatabaseUrl();
  if (!target) throw new Error('no database configured: call ensureDatabase() or setDefaultDatabaseUrl() first');
  let client = clients.get(target);
  if (!client) {
    client = new PrismaClient({ adapter: new PrismaPg(poolConfig(target)) });
    clients.set(target, client);
  }
  return client;
}

/**
 * Bounded waits: a frozen or unreachable PostgreSQL must turn into a quick error (the API answers
 * 503) instead of requests hanging for as long as the TCP stack keeps trying.
 */
function poolConfig(url: string) {
  return {
    ...connectionParts(url),
    max: 20,
    connectionTimeoutMillis: dbEnv.connectTimeoutMs,
    // Client side: fires even when the server cannot answer at all (SIGSTOP, a dead link).
    query_timeout: dbEnv.queryTimeoutMs,
    // Server side: PostgreSQL cancels the statement itself, freeing its locks.
    statement_timeout: dbEnv.queryTimeoutMs,
    keepAlive: true,
  };
}

/** Disconnects and forgets the client for a database. */
export async function closePrisma(url?: string): Promise<void> {
  const target = url ?? getDefaultDatabaseUrl();
  if (!target) return;
  const client = clients.get(target);
  clients.delete(target);
  await client?.$disconnect();
}
