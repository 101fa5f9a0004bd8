import type { ServerResponse } from 'node:http';
import { getPrisma } from '@fulcrum/db';
import { webEnv } from './env';

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: { status: 'up' | 'down'; ok: boolean; latencyMs?: number; error?: string };
  version: string;
}

/** One round trip to PostgreSQL; the control plane is only as healthy as its database. */
export async function checkHealth(): Promise<HealthReport> {
  const started = performance.now();
  try {
    await getPrisma().$queryRaw`SELECT 1`;
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return { status: 'ok', database: { status: 'up', ok: true, latencyMs }, version: webEnv.version };
  } catch (err) {
    return { status: 'degraded', database: { status: 'down', ok: false, error: err instanceof Error ? err.message : String(err) }, version: webEnv.version };
  }
}

/** GET /api/health: 200 while the database answers, 503 when it does not (load balancers stop sending). */
export async function serveHealth(res: ServerResponse): Promise<void> {
  const report = await checkHealth();
  res.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(report));
}
