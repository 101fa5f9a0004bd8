import type { PrismaClient } from '@fulcrum/db';
import type { StatsStore } from '../../stats/stats-store';

export type THealthState = 'healthy' | 'unhealthy' | 'ejected' | 'unknown' | 'no_data';

export interface HealthSegment {
  /** Start (ms since epoch) of the first second in the segment. */
  from: number;
  /** End (exclusive) of its last second. */
  to: number;
  state: THealthState;
}

/**
 * Each backend's health over the last `seconds`, as runs of equal state from the live per-second
 * stats (every data plane merged: one reporting it unhealthy makes the second unhealthy). A
 * second nobody reported is `no_data`, never the previous state carried on.
 */
export async function healthTimeline(
  prisma: PrismaClient,
  store: StatsStore | undefined,
  poolId: string,
  seconds = 300,
  now = Date.now(),
): Promise<{ from: number; to: number; backends: Record<string, HealthSegment[]> }> {
  const backendIds = (await prisma.backend.findMany({ where: { poolId }, select: { id: true }, orderBy: { createdAt: 'asc' } })).map((b) => b.id);
  const to = Math.floor(now / 1000) * 1000;
  const from = to - seconds * 1000;
  const ring = (store?.recent(poolId) ?? []).filter((s) => s.ts >= from && s.ts < to);
  const byTs = new Map(ring.map((s) => [s.ts, s]));
  const backends: Record<string, HealthSegment[]> = {};
  for (const id of backendIds) {
    const segments: HealthSegment[] = [];
    for (let ts = from; ts < to; ts += 1000) {
      const p = byTs.get(ts)?.backends[id];
      const state: THealthState = !p ? 'no_data' : p.ejected ? 'ejected' : p.health;
      const last = segments[segments.length - 1];
      if (last && last.state === state && last.to === ts) last.to = ts + 1000;
      else segments.push({ from: ts, to: ts + 1000, state });
    }
    backends[id] = segments;
  }
  return { from, to, backends };
}
