import type { ServerResponse } from 'node:http';
import { getPrisma } from '@fulcrum/db';

type ComponentStatus = 'up' | 'down';

/** What anyone may read: overall status and which components are up. No errors, versions or timings. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  components: { database: ComponentStatus };
}

/** A health check answers within this even when PostgreSQL is frozen (load balancers time out too). */
const CHECK_TIMEOUT_MS = 5000;

async function databaseStatus(): Promise<ComponentStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([getPrisma().$queryRaw`SELECT 1`, timeout]);
    return 'up';
  } catch {
    // The reason goes nowhere public: driver text names hosts, ports and users.
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** One round trip to PostgreSQL; the control plane is only as healthy as its database. */
export async function checkHealth(): Promise<HealthReport> {
  const database = await databaseStatus();
  return { status: database === 'up' ? 'ok' : 'degraded', components: { database } };
}

/** GET /api/health: 200 while the database answers, 503 when it does not (load balancers stop sending). */
export async function serveHealth(res: ServerResponse): Promise<void> {
  const report = await checkHealth();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (report.status !== 'ok') headers['retry-after'] = '5';
  res.writeHead(report.status === 'ok' ? 200 : 503, headers);
  res.end(JSON.stringify(report));
}
