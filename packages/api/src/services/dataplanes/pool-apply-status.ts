import type { PrismaClient } from '@fulcrum/db';
import { type RefusalView, listRefusals } from './apply-results';
import { STALE_AFTER_MS } from './list-dataplanes';

export interface PoolApplyStatus {
  /** The newest revision that changed this pool (its own changes, or a rollback that changed it); null before any. */
  version: number | null;
  /** Connected data planes serving that revision or a newer one without refusing it. */
  running: string[];
  /** Connected data planes that have not answered it yet. */
  pending: string[];
  /** Data planes that refused it, with the reason. */
  refused: RefusalView[];
  /** The revision before it, which a rollback would restore. */
  previousVersion: number | null;
}

/**
 * Saved versus running for one pool: whether the data planes serve the pool's newest saved
 * config, are still applying it, or refused it and why. What the pool page shows where the
 * operator saved.
 */
export async function getPoolApplyStatus(prisma: PrismaClient, poolId: string): Promise<PoolApplyStatus> {
  // Its own changes and the rollbacks that changed it are events of the pool.
  const own = await prisma.event.findFirst({ where: { kind: 'config_revision', poolId }, orderBy: { createdAt: 'desc' }, select: { data: true } });
  const v = (own?.data as { version?: unknown } | null)?.version;
  const version = typeof v === 'number' ? v : -1;
  if (version < 0) return { version: null, running: [], pending: [], refused: [], previousVersion: null };
  const [dataplanes, refused, previous] = await Promise.all([
    prisma.dataplane.findMany({ where: { connected: true, lastSeenAt: { gte: new Date(Date.now() - STALE_AFTER_MS) } }, select: { name: true, appliedConfigVersion: true } }),
    listRefusals(prisma, [version], poolId),
    prisma.configRevision.findFirst({ where: { version: { lt: version } }, orderBy: { version: 'desc' }, select: { version: true } }),
  ]);
  const refusedBy = new Set(refused.map((r) => r.dataplane));
  const live = dataplanes.filter((d) => !refusedBy.has(d.name));
  return {
    version,
    running: live.filter((d) => (d.appliedConfigVersion ?? -1) >= version).map((d) => d.name),
    pending: live.filter((d) => (d.appliedConfigVersion ?? -1) < version).map((d) => d.name),
    refused,
    previousVersion: previous?.version ?? null,
  };
}
