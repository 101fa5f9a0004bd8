import { type DatabaseHandle, type PrismaClient, closePrisma, ensureDatabase, getPrisma } from '@fulcrum/db';

/** A frozen PostgreSQL must not hold a health check longer than load balancers wait for one. */
const HEALTH_TIMEOUT_MS = 5000;

export interface ControlPlaneDatabase extends Omit<DatabaseHandle, 'stop'> {
  /** The process's client for this database. */
  prisma: PrismaClient;
  /** True while PostgreSQL answers a query within the health timeout; never throws. */
  isUp(): Promise<boolean>;
  /** Closes the client, then stops the embedded server (an external one keeps running). */
  close(): Promise<void>;
}

/**
 * The control plane's database: DATABASE_URL's, or an embedded PostgreSQL, with pending
 * migrations applied. The web server reaches PostgreSQL only through this and the services.
 */
export async function openControlPlaneDatabase(databaseUrl?: string): Promise<ControlPlaneDatabase> {
  const { stop, ...handle } = await ensureDatabase({ databaseUrl, log: undefined });
  const prisma = getPrisma(handle.url);
  return {
    ...handle,
    prisma,
    isUp: () => databaseIsUp(prisma),
    async close() {
      await closePrisma(handle.url);
      await stop();
    },
  };
}

async function databaseIsUp(prisma: PrismaClient): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([prisma.$queryRaw`SELECT 1`, timeout]);
    return true;
  } catch {
    // The reason goes nowhere public: driver text names hosts, ports and users.
    return false;
  } finally {
    clearTimeout(timer);
  }
}
