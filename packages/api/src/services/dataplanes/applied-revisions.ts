import type { PrismaClient } from '@fulcrum/db';
import { STALE_AFTER_MS } from './list-dataplanes';

export interface AppliedRevision {
  version: number;
  createdAt: string;
  /** Connected data planes running this version or a newer one. */
  appliedBy: string[];
  /** Connected data planes still behind it. */
  pending: string[];
  /** Every connected data plane acked it (vacuously true when none is connected). */
  fullyApplied: boolean;
}

/** For the newest revisions, which connected data planes have applied each. */
export async function listAppliedRevisions(prisma: PrismaClient, limit: number): Promise<AppliedRevision[]> {
  const [revisions, dataplanes] = await Promise.all([
    prisma.configRevision.findMany({ orderBy: { version: 'desc' }, take: limit, select: { version: true, createdAt: true } }),
    prisma.dataplane.findMany({ where: { connected: true, lastSeenAt: { gte: new Date(Date.now() - STALE_AFTER_MS) } }, select: { name: true, appliedConfigVersion: true } }),
  ]);
  return revisions.map((r) => {
    const appliedBy = dataplanes.filter((d) => (d.appliedConfigVersion ?? -1) >= r.version).map((d) => d.name);
    const pending = dataplanes.filter((d) => (d.appliedConfigVersion ?? -1) < r.version).map((d) => d.name);
    return { version: r.version, createdAt: r.createdAt.toISOString(), appliedBy, pending, fullyApplied: pending.length === 0 };
  });
}
