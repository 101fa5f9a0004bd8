import type { ServerResponse } from 'node:http';
import type { ControlPlaneDatabase } from '@fulcrum/api';

type ComponentStatus = 'up' | 'down';

/** What anyone may read: overall status and which components are up. No errors, versions or timings. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  components: { database: ComponentStatus };
}

/** One round trip to PostgreSQL; the control plane is only as healthy as its database. */
export async function checkHealth(db: Pick<ControlPlaneDatabase, 'isUp'>): Promise<HealthReport> {
  const database: ComponentStatus = (await db.isUp()) ? 'up' : 'down';
  return { status: database === 'up' ? 'ok' : 'degraded', components: { database } };
}

/** GET /api/health: 200 while the database answers, 503 when it does not (load balancers stop sending). */
export async function serveHealth(db: Pick<ControlPlaneDatabase, 'isUp'>, res: ServerResponse): Promise<void> {
  const report = await checkHealth(db);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (report.status !== 'ok') headers['retry-after'] = '5';
  res.writeHead(report.status === 'ok' ? 200 : 503, headers);
  res.end(JSON.stringify(report));
}
