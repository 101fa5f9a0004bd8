import type { PrismaClient } from '@fulcrum/db';
import { type TProxyCause, clientErrorRate } from '@fulcrum/protocol';
import type { StatsStore } from '../../stats/stats-store';

/** Seconds of live stats a problem is judged over: long enough not to flicker, short enough to clear soon after a fix. */
const WINDOW_SECONDS = 5;
/** A data plane that left longer ago than this is history, not an incident. */
const DISCONNECTED_WITHIN_MS = 24 * 3600_000;
/** A LISTEN connection back within this long (a reconnect takes well under a second) is not an incident. */
const NOTIFICATIONS_GRACE_MS = 3_000;

export type TProblem =
  | { kind: 'backend_down'; poolId: string; pool: string; backendId: string; address: string; state: 'unhealthy' | 'ejected'; since: string | null; lastCheck: string | null }
  | { kind: 'client_errors'; poolId: string; pool: string; errorRate: number; responses: number; errors: number; causes: Partial<Record<TProxyCause, number>>; windowSeconds: number }
  | { kind: 'refused_revision'; version: number; dataplane: string; error: string; pools: string[] }
  | { kind: 'dataplane_disconnected'; dataplaneId: string; dataplane: string; since: string }
  | { kind: 'notifications_down'; since: string };

/**
 * What needs the operator now, for the top of the overview: backends down (since when, and the
 * last check's reason), pools whose clients get 5xx, revisions a data plane refused, data planes
 * that left, and this replica itself when it hears no PostgreSQL notifications (`notificationsDownSince`):
 * the hub then reads new revisions and other replicas' frames itself every 2 s, but the live tail
 * misses the lines of data planes linked elsewhere. Live numbers come from this replica's store,
 * which holds every data plane's frames.
 */
export async function listProblems(prisma: PrismaClient, store: StatsStore | undefined, now = Date.now(), notificationsDownSince: number | null = null): Promise<TProblem[]> {
  const [pools, dataplanes] = await Promise.all([
    prisma.pool.findMany({ select: { id: true, name: true, backends: { select: { id: true, host: true, port: true, adminState: true } } } }),
    prisma.dataplane.findMany({ orderBy: { name: 'asc' } }),
  ]);
  const problems: TProblem[] = [];
  const down: { poolId: string; pool: string; backendId: string; address: string; state: 'unhealthy' | 'ejected' }[] = [];
  const current = Math.floor(now / 1000) * 1000;
  for (const pool of pools) {
    // Complete seconds only: the current one is still filling in.
    const seconds = (store?.recent(pool.id) ?? []).filter((s) => s.ts < current && s.ts >= current - WINDOW_SECONDS * 1000);
    const newest = seconds[seconds.length - 1];
    if (!newest) continue;
    for (const b of pool.backends) {
      const p = newest.backends[b.id];
      if (!p || b.adminState === 'disabled') continue;
      if (p.health === 'unhealthy' || p.ejected)
        down.push({ poolId: pool.id, pool: pool.name, backendId: b.id, address: `${b.host}:${b.port}`, state: p.health === 'unhealthy' ? 'unhealthy' : 'ejected' });
    }
    let responses = 0;
    let errors = 0;
    const causes: Partial<Record<TProxyCause, number>> = {};
    for (const s of seconds) {
      if (!s.client) continue;
      const r = s.client.responses;
      responses += r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];
      errors += r['5xx'];
      for (const [c, n] of Object.entries(s.client.proxyResponses) as [TProxyCause, number][]) if (n > 0) causes[c] = (causes[c] ?? 0) + n;
    }
    if (errors > 0)
      problems.push({
        kind: 'client_errors',
        poolId: pool.id,
        pool: pool.name,
        errorRate: clientErrorRate({ responses, responses5xx: errors }),
        responses,
        errors,
        causes,
        windowSeconds: seconds.length,
      });
  }
  // Since when, and why: the newest health flip or ejection each down backend had.
  const flips = down.length
    ? await prisma.event.findMany({ where: { kind: { in: ['health_flip', 'ejection'] }, backendId: { in: down.map((d) => d.backendId) } }, orderBy: { createdAt: 'desc' }, take: 500 })
    : [];
  for (const d of down) {
    const flip = flips.find((e) => e.backendId === d.backendId && (e.kind === 'ejection' || (e.data as { state?: string } | null)?.state === 'unhealthy'));
    const reason = (flip?.data as { reason?: unknown } | null)?.reason;
    problems.unshift({ kind: 'backend_down', ...d, since: flip?.createdAt.toISOString() ?? null, lastCheck: typeof reason === 'string' ? reason : null });
  }
  const names = new Map(pools.map((p) => [p.id, p.name]));
  for (const dp of dataplanes) {
    if (dp.connected && dp.refusedConfigVersion !== null) {
      const refused = Array.isArray(dp.refusedPools) ? (dp.refusedPools as { poolId?: string; pool?: string }[]) : [];
      problems.push({
        kind: 'refused_revision',
        version: dp.refusedConfigVersion,
        dataplane: dp.name,
        error: dp.lastError ?? 'refused',
        pools: refused.map((r) => r.pool ?? names.get(r.poolId ?? '') ?? '?'),
      });
    }
    if (!dp.connected && now - dp.lastSeenAt.getTime() < DISCONNECTED_WITHIN_MS)
      problems.push({ kind: 'dataplane_disconnected', dataplaneId: dp.id, dataplane: dp.name, since: dp.lastSeenAt.toISOString() });
  }
  if (notificationsDownSince !== null && now - notificationsDownSince >= NOTIFICATIONS_GRACE_MS)
    problems.unshift({ kind: 'notifications_down', since: new Date(notificationsDownSince).toISOString() });
  return problems;
}
